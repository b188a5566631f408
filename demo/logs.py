"""Follow the functions' own structured logs: what they did, line by line.

These are the JSON lines Cloud Logging keeps in production, read here from the local
stack's log files. Two facts no topic shows: fetch logs a report when a subreddit's run is
finished (after publishing everything it found, and also when it found nothing), with the
number of mention batches it published; aggregate logs one line per batch it has counted;
detect logs one line per ticker update it has decided (or skipped as stale).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.reports import FetchReport


@dataclass
class FunctionLog:
    """New lines of one function's log file since the last poll (starting at ``offset``)."""

    path: Path
    offset: int = 0
    _partial: bytes = b""

    @classmethod
    def from_end(cls, path: Path) -> "FunctionLog":
        """Logs are appended by every run: read only what this run writes."""
        return cls(path, path.stat().st_size if path.exists() else 0)

    def entries(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        found = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found


@dataclass
class FetchReports:
    """fetch's reports. A redelivered fetch is run, and reported, again: its subreddit counts
    once for its run (twice, it would stand in for another subreddit's report still to
    come), its items once, and its batches every time, since each copy publishes its own
    (aggregate counts every batch it is given)."""

    log: FunctionLog
    runs: dict[str, set[str]] = field(default_factory=dict)  # run id -> subreddits reported
    items: int = 0
    mentions: int = 0
    batches: int = 0
    unread_runs: int = 0  # runs that could not read their listings back to the previous run
    unread_s: float = 0.0  # the seconds of listings they left unread, summed
    messages: set[str] = field(default_factory=set)

    def poll(self) -> None:
        for entry in self.log.entries():
            if not isinstance(entry.get("report"), dict):
                continue
            report = FetchReport.model_validate(entry["report"])
            self.runs.setdefault(str(entry.get("run_id")), set()).add(report.subreddit.lower())
            self.batches += report.batches
            if _first(entry, self.messages):
                self.items += report.new_items
                self.mentions += report.mentions
                self.unread_runs += bool(report.unread_s)
                self.unread_s += sum(report.unread_s.values())

    def reported(self, run_id: str) -> int:
        self.poll()
        return len(self.runs.get(run_id, ()))


@dataclass
class DetectDecisions:
    """detect's decisions, one per ticker update however often Pub/Sub delivered it (a
    redelivered update is decided, and logged, again: counted twice it would stand in for
    an update still in flight)."""

    log: FunctionLog
    decided: int = 0
    published: int = 0  # alert events detect published (its lines' ``published``)
    newest_as_of: float = 0.0
    by_ticker: dict[str, float] = field(default_factory=dict)  # ticker -> newest data time decided
    messages: set[str] = field(default_factory=set)

    def poll(self) -> int:
        for entry in self.log.entries():
            message = str(entry.get("message") or "")
            if message.startswith(("detected ", "stale update ")):
                if not _first(entry, self.messages):
                    continue
                self.decided += 1
                published = entry.get("published")
                self.published += published if isinstance(published, int) else 0
                as_of = entry.get("as_of")
                if isinstance(as_of, int | float):
                    self.newest_as_of = max(self.newest_as_of, float(as_of))
                    if isinstance(ticker := entry.get("ticker"), str):
                        self.by_ticker[ticker] = max(self.by_ticker.get(ticker, 0.0), float(as_of))
        return self.decided


@dataclass
class AggregateBatches:
    """Aggregate's work from its own lines: batches counted, and the ticker updates it
    published (a batch that counted something, a silence check forwarded). Both are logged
    after the publish, so what detect has to decide is known before it reaches detect. A
    redelivered batch is one batch, but its delivery publishes an update again, which detect
    decides as its own message: updates count every line."""

    log: FunctionLog
    counted: int = 0
    updates: int = 0
    messages: set[str] = field(default_factory=set)

    def poll(self) -> int:
        for entry in self.log.entries():
            message = str(entry.get("message") or "")
            if message.startswith("aggregated "):
                self.counted += _first(entry, self.messages)
                self.updates += entry.get("as_of") is not None
            elif message.startswith("silence check of ") and message.endswith(" forwarded"):
                self.updates += 1
        return self.counted


def _first(entry: Mapping[str, Any], seen: set[str]) -> bool:
    """Whether this line is the first of its Pub/Sub message: a redelivered message is logged
    again, and counted twice it would stand in for another still in flight."""
    delivered = entry.get("message_id")
    if not isinstance(delivered, str):
        return True
    if delivered in seen:
        return False
    seen.add(delivered)
    return True
