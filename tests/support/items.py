"""Items for tests: a post to store (what fetch's posts/ tests need of one: its id, subreddit
and hour), a comment to read (its text)."""

from common.messages import RedditItem


def post(item_id: str, created_utc: float) -> RedditItem:
    return RedditItem(
        id=item_id,
        kind="post",
        subreddit="WallStreetBets",
        author="someone",
        title="a title",
        permalink=f"/r/wallstreetbets/comments/{item_id}/",
        created_utc=created_utc,
    )


def comment(body: str, created_utc: float = 1_640_000_000.0, item_id: str = "t1_x") -> RedditItem:
    return RedditItem(
        id=item_id,
        kind="comment",
        subreddit="wallstreetbets",
        author="someone",
        body=body,
        permalink=f"/r/wallstreetbets/comments/x/{item_id}/",
        created_utc=created_utc,
    )
