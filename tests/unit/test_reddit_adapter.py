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


def test_every_5xx_is_retried_as_passing_and_no_other_4xx_than_408_and_429() -> None:
    """Cloudflare's 52x in front of Reddit (524: the origin timed out) pass as a 503 does."""
    assert all(reddit.retried_status(s) for s in (408, 429, 500, 502, 503, 520, 522, 524, 529))
    assert not any(reddit.retried_status(s) for s in (200, 301, 400, 401, 403, 404, 451))


def test_account_facts_with_a_value_that_is_no_number_read_as_unknown() -> None:
    from types import SimpleNamespace

    odd = reddit._facts("a", SimpleNamespace(created_utc="soon", link_karma="n/a", comment_karma=3))
    assert (odd.created_utc, odd.karma) == (None, None)
    fine = reddit._facts("a", SimpleNamespace(created_utc=1.5e9, link_karma=2, comment_karma=None))
    assert (fine.created_utc, fine.karma) == (1.5e9, 2)
    none = reddit._facts("a", SimpleNamespace(created_utc=float("nan"), link_karma=True, comment_karma=None))
    assert (none.created_utc, none.karma) == (None, None)
