import base64
import json

import pytest

from common.messages import (
    MalformedMessage,
    MentionBatch,
    ScrapeTick,
    SubredditFetch,
    b64decode_data,
    decode_data,
    encode,
)


def test_an_empty_scheduler_payload_is_a_valid_tick() -> None:
    assert decode_data(ScrapeTick, b"{}") == ScrapeTick()
    assert decode_data(ScrapeTick, b"") == ScrapeTick()


def test_a_message_survives_encode_then_decode() -> None:
    fetch = SubredditFetch(run_id="r1", subreddit="wallstreetbets")
    assert decode_data(SubredditFetch, encode(fetch)) == fetch


def test_unknown_fields_are_tolerated_so_producers_can_add_fields_first() -> None:
    assert decode_data(SubredditFetch, b'{"run_id":"r","subreddit":"stocks","extra":1}').subreddit == "stocks"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"run_id": "r"}', "subreddit: Field required"),
        (b'{"run_id": "r", "subreddit": 5}', "subreddit: Input should be a valid string"),
        (b'{"run_id": "r", "subreddit": "../etc"}', "subreddit: String should match pattern"),
        (b'{"run_id": "", "subreddit": "stocks"}', "run_id: String should have at least 1 character"),
    ],
)
def test_a_malformed_fetch_is_rejected_with_a_reason_that_names_the_problem(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        decode_data(SubredditFetch, payload)


def test_a_mention_batch_without_mentions_is_malformed() -> None:
    with pytest.raises(MalformedMessage, match="mentions"):
        decode_data(MentionBatch, json.dumps({"ticker": "GME", "mentions": []}).encode())


def test_base64_data_is_decoded_strictly() -> None:
    assert b64decode_data(base64.b64encode(b"{}").decode()) == b"{}"
    assert b64decode_data(None) == b""
    with pytest.raises(MalformedMessage, match="base64"):
        b64decode_data("!!not base64!!")
    with pytest.raises(MalformedMessage, match="base64 text"):
        b64decode_data(123)
