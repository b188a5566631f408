"""One owner per threshold: a counting rule changed through the API changes what production
counts exactly as it changes what the backtest counts, and the preview, which replays the
buckets production stored, sees production's counts."""

import pytest

from common.adapters import firestore as fs
from common.adapters.pubsub import get_publisher
from common.detection.backtest import Replay
from common.detection_config import from_document
from common.entrypoint import Delivery
from common.mentions import mentions_from_item
from common.messages import MentionBatch, RedditItem
from common.metrics import bucket_from_doc
from common.settings import Settings
from common.timekeys import hour_key
from functions.aggregate.main import aggregate_batch
from tests.support.api import API_KEY, ApiClient, db

KEY = API_KEY
T0 = 1_764_000_000.0
DAY = 86400.0


def _items(tag: str, n: int, *, account_age_days: float, cashtags: int) -> list[RedditItem]:
    tags = " ".join(f"${s}" for s in ["NVDA", "AMD", "INTC", "TSM", "MU", "QCOM"][: cashtags - 1])
    return [
        RedditItem(
            id=f"t1_{tag}{i}",
            kind="comment",
            subreddit="stocks",
            author=f"{tag}-author{i}",
            author_created_utc=T0 + i * 60 - account_age_days * DAY,
            body=f"$SOFI looks cheap here, adding more {tags} in my own words number {i}",
            permalink=f"/r/stocks/comments/x/{tag}{i}",
            created_utc=T0 + i * 60,
        )
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("change", "new_accounts", "stuffed"),
    [
        ({"new_account_days": 5.0, "cashtag_stuffing_min": 5}, 0, 6),
        ({"new_account_days": 30.0, "cashtag_stuffing_min": 7}, 6, 0),
    ],
)
def test_counting_rules_changed_through_the_api_change_production_as_they_change_the_backtest(
    api: ApiClient, change: dict[str, float], new_accounts: int, stuffed: int
) -> None:
    response = api.call("PATCH", "/v1/config/detection", role="admin", json={"changes": change})
    assert response.status_code == 200, response.get_json()
    config, _ = from_document(response.get_json()["config"])
    tag = f"own{int(change['new_account_days'])}"
    items = _items(tag, 6, account_age_days=10.0, cashtags=6)  # 10-day-old accounts, six cashtags each

    # production: fetch's mentions through aggregate, which reads the config in force
    mentions = tuple(m for item in items for s, m in mentions_from_item(item) if s == "SOFI")
    assert len(mentions) == len(items)
    settings = Settings(GOOGLE_CLOUD_PROJECT=db().project)
    aggregate_batch(
        MentionBatch(ticker="SOFI", mentions=mentions), Delivery(tag), settings, db(), get_publisher(db().project)
    )
    stored = bucket_from_doc(
        db().collection(fs.TICKERS).document("SOFI").collection(fs.HOURS).document(hour_key(T0)).get().to_dict() or {}
    )

    # the backtest, from the same items with the same config
    replay = Replay(config=config)
    replay.hour(items)
    replayed = replay.tickers["SOFI"].buckets[hour_key(T0)]

    assert (stored.new_account_mentions, stored.cashtag_stuffed_mentions) == (new_accounts, stuffed)
    assert (replayed.new_account_mentions, replayed.cashtag_stuffed_mentions) == (new_accounts, stuffed)
    summary = db().collection(fs.TICKERS).document("SOFI").get().to_dict() or {}
    assert summary["windows"]["1h"]["new_account_share"] == new_accounts / len(items)
