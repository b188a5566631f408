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
from tests.support.api import ApiClient, make_client, put_day, put_hour, put_ticker
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
    put_hour(symbol, NEWEST_HOUR, 2)  # aggregate's count of the newest hour, which the archive may lag
    api: ApiClient = make_client(jwks, KEY)
    hours = 24 * 45
    assert hours > RECENT_HOURS
    response = api.call("GET", f"/v1/tickers/{symbol}/history?hours={hours}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["source"], body["complete"]) == ("archive", True)
    assert [(h["start_utc"], h["mentions"], h["posts"], h["comments"]) for h in body["hours"]] == [
        (thirty_days_ago, 2, 1, 1),
        (NEWEST_HOUR, 2, 1, 1),  # the newest hours are Firestore's
    ]
    assert [h["subreddits"] for h in body["hours"]] == [{"stocks": 2}, {"stocks": 2}]
    # counted from readings the archive does not keep: null (unknown), not 0
    assert all(body["hours"][0][name] is None for name in history.NOT_ARCHIVED)


def test_a_day_the_archive_lost_a_batch_of_is_answered_from_firestore(emulators: Stack, jwks: JwksServer) -> None:
    """A batch held in archive's dead-letter hold and never replayed: aggregate counted three
    mentions that day, the archive holds one. The answer is aggregate's, not a false dip."""
    symbol = "".join(random.choices(string.ascii_uppercase, k=5))
    put_ticker(symbol, NOW, {"1h": 1})
    hour = NEWEST_HOUR - 10 * 24 * 3600
    _archive(emulators, _mention(symbol, hour + 60))
    put_hour(symbol, hour, 3)
    put_day(symbol, hour - hour % 86400, 3)
    api: ApiClient = make_client(jwks, KEY)
    body = api.call("GET", f"/v1/tickers/{symbol}/history?hours={24 * 45}").get_json()
    assert (body["source"], body["complete"]) == ("archive", True)
    assert [(h["start_utc"], h["mentions"]) for h in body["hours"]] == [(hour, 3)]


def test_a_history_the_archive_answers_costs_its_caller_more_of_the_rate_limit(
    emulators: Stack, jwks: JwksServer
) -> None:
    """Each archive answer runs queries billed at least 10 MB apiece: at the request limit alone
    a caller could have us bill terabytes a day."""
    from functions.api.routes import ARCHIVE_REQUESTS

    del emulators
    symbol = "".join(random.choices(string.ascii_uppercase, k=5))
    put_ticker(symbol, NOW, {"1h": 1})
    limit = ARCHIVE_REQUESTS + 2
    api = make_client(jwks, KEY, clock=lambda: NOW - NOW % 60 + 15, RATE_LIMIT_USER_PER_MINUTE=limit)
    long = api.call("GET", f"/v1/tickers/{symbol}/history?hours={RECENT_HOURS + 24}", sub="historian")
    assert (long.status_code, long.get_json()["source"]) == (200, "archive")
    after = [api.call("GET", "/v1/me/watchlist", sub="historian").status_code for _ in range(2)]
    assert after == [200, 429]  # 1 + ARCHIVE_REQUESTS for the history, 1 for the first list
