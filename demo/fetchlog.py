"""Follow fetch's own run reports: the line it logs when a subreddit's run is finished.

fetch publishes everything a run found before it logs that report (functions/fetch/main.py),
so once every subreddit of a tick has reported, the tick's items and mentions are all on
their topics; a run that found nothing new still reports, which no topic would show. The
report is the structured log line Cloud Logging keeps in production, read here from the
local stack's log file.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FetchLog:
    path: Path
    offset: int = 0
    runs: Counter[str] = field(default_factory=Counter)  # run id -> subreddits reported
    items: int = 0
    mentions: int = 0
    _partial: bytes = b""

    def poll(self) -> None:
        """Read whatever was appended since the last call."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        self.offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            self._read(line)

    def _read(self, line: bytes) -> None:
        if b'"report"' not in line:
            return
        try:
            entry = json.loads(line)
        except ValueError:
            return
        report = entry.get("report")
        if not isinstance(report, dict):
            return
        self.runs[str(entry.get("run_id"))] += 1
        self.items += int(report.get("new_posts", 0)) + int(report.get("new_comments", 0))
        self.mentions += int(report.get("mentions", 0))

    def reported(self, run_id: str) -> int:
        self.poll()
        return self.runs[run_id]
