"""GET /v1/tickers/{symbol}/history beyond what Firestore keeps is answered from BigQuery
(the archive's ``mentions`` table in the emulator), hour by hour, each item once."""

import random
import string
import uuid
from collections.abc import Iterator

import pytest

from common import history
from common.adapters import bigquery as bq
from common.messages import RedditItem
from common.settings import Settings
from emulators.stack import Stack
from functions.api.history import RECENT_HOURS
from tests.support.api import ApiClient, make_client, put_ticker
from tests.support.jwks import JwksServer, ed25519_key, serving

KEY = ed25519_key("archive-history-key")
NOW = 1_760_000_000.0  # data time: the ticker's newest counted item
NEWEST_HOUR = int(NOW // 3600) * 3600


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with serving(KEY) as server:
        yield server


def _archive(stack: Stack, item: RedditItem) -> None:
    assert stack.emulators
    settings = Settings(project_id=stack.emulators.project, bigquery_emulator_host=stack.emulators.bigquery_host)
    for batch in history.rows_for(item):
        assert bq.insert(bq.get_client(settings), settings, batch) == []


def _mention(symbol: str, created_utc: float, kind: str = "post") -> RedditItem:
    item_id = f"t3_{uuid.uuid4().hex[:10]}"
    return RedditItem(
        id=item_id,
        kind=kind,
        subreddit="stocks",
        author=f"author-{item_id}",
        permalink=f"/r/stocks/comments/{item_id}/",
        created_utc=created_utc,
        tickers=(symbol,),
    )


def test_a_range_longer_than_firestore_keeps_comes_from_bigquery_each_item_once(
    emulators: Stack, jwks: JwksServer
) -> None:
    symbol = "".join(random.choices(string.ascii_uppercase, k=5))  # unique per run: BigQuery is not cleared
    put_ticker(symbol, NOW, {"1h": 1})
    thirty_days_ago = NEWEST_HOUR - 30 * 24 * 3600
    old = _mention(symbol, thirty_days_ago + 60)
    for item in (old, old, _mention(symbol, thirty_days_ago + 120, "comment"), _mention(symbol, NOW)):
        _archive(emulators, item)
    api: ApiClient = make_client(jwks, KEY)
    hours = 24 * 45
    assert hours > RECENT_HOURS
    response = api.call("GET", f"/v1/tickers/{symbol}/history?hours={hours}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["source"], body["complete"]) == ("archive", True)
    assert [(h["start_utc"], h["mentions"], h["posts"], h["comments"]) for h in body["hours"]] == [
        (thirty_days_ago, 2, 1, 1),
        (NEWEST_HOUR, 1, 1, 0),
    ]
    assert [h["subreddits"] for h in body["hours"]] == [{"stocks": 2}, {"stocks": 1}]
    # counted from readings the archive does not keep: null (unknown), not 0
    assert all(h[name] is None for h in body["hours"] for name in history.NOT_ARCHIVED)
