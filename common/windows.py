"""A window's sums and ratios: what the aggregator's summary holds and the detector reads.

Apart from ``common.metrics`` (numpy, sketches) so a message can carry a window without its
reader loading what computed it.
"""

from pydantic import BaseModel, ConfigDict

WINDOWS: dict[str, int] = {"1h": 1, "6h": 6, "24h": 24}  # the rolling windows, in hours


class WindowStats(BaseModel):
    """Sums over a window of buckets, and the ratios the detector compares."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    hours: int  # span of the window in hours (the rate denominator)
    mentions: int = 0
    posts: int = 0
    comments: int = 0
    distinct_authors: int = 0
    distinct_authors_exact: bool = True  # False: a HyperLogLog estimate (~1.6 % error)
    distinct_subreddits: int = 0
    author_diversity: float = 0.0  # distinct authors / mentions
    avg_text_length: float = 0.0
    engagement_rate: float = 0.0  # (score + num_comments) / mentions
    dd_posts: int = 0
    new_account_share: float = 0.0
    duplicate_share: float = 0.0
    emoji_share: float = 0.0
    bullish_share: float = 0.0
    bearish_share: float = 0.0
    cashtag_stuffed_share: float = 0.0
    subreddits: dict[str, int] = {}
