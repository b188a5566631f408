"""A post to store: what fetch's posts/ tests need of an item (its id, subreddit and hour)."""

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
