"""What a fetch run reports: written by fetch as its log line's ``report`` field, read back by
the demo and the benchmarks. One typed model for both sides, so a renamed field breaks a
test instead of silently reading zeros."""

import contextlib
import time
from collections.abc import Iterator

from pydantic import BaseModel, Field


class FetchReport(BaseModel):
    """What one fetch run did."""

    subreddit: str
    listed: int = 0
    new_posts: int = 0
    new_comments: int = 0
    refreshed: int = 0
    stored: int = 0
    mentions: int = 0
    batches: int = 0
    trees: int = 0
    failed_trees: int = 0
    listed_comments: int = 0
    authors_looked_up: int = 0
    authors_failed: int = 0
    posts_read: int = 0  # listed posts neither the cursor document nor the cursor vouched for
    comments_read: int = 0  # comments the comment cursor could not prove new
    malformed_listings: list[str] = Field(default_factory=list)
    unreadable_items: list[str] = Field(default_factory=list)  # listed things that read as no post or comment: left out
    unavailable: list[str] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)  # listings Reddit refuses (private, banned, gone)
    unread_s: dict[str, float] = Field(default_factory=dict)  # listing -> seconds it could not reach back to
    cursor: float = 0.0
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per part: reddit, storage_read...

    @contextlib.contextmanager
    def timing(self, part: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[part] = self.timings.get(part, 0.0) + time.perf_counter() - began

    @property
    def new_items(self) -> int:
        return self.new_posts + self.new_comments
