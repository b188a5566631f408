"""What the Reddit adapter makes of a listing's children it cannot read."""

from asyncpraw.models import Comment, Submission

from common.adapters import reddit


def test_a_listed_child_of_a_kind_asyncpraw_does_not_know_is_skipped_not_fatal() -> None:
    """asyncpraw hands a child kind it has no class for over as a plain dict: read as a post,
    it raised in this project's frame, which the adapter lets through as its own mistake, so
    every run of the subreddit failed on it until it scrolled out of the listing."""
    skipped: list[str] = []
    odd = {"kind": "t9", "data": {"name": "t9_abc"}}
    assert reddit._readable(reddit.post_from, odd, skipped, Submission) is None
    assert reddit._readable(reddit.listed_comment_from, {"kind": "t9"}, skipped, Comment) is None
    assert skipped == ["t9_abc", "an item without an id"]
