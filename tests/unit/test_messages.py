import base64
import dataclasses
import json
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, ValidationError

from common.fields import MINHASH_WORDS, HourKey, check_signature, well_formed
from common.messages import (
    MODELS,
    AlertEvent,
    ArrivingItems,
    DigestTick,
    ItemBatch,
    MalformedMessage,
    Mention,
    MentionBatch,
    Message,
    RedditItem,
    ScrapeTick,
    SubredditFetch,
    TickerUpdate,
    b64decode_data,
    decode_data,
    encode,
    item_batches,
)
from common.timekeys import hour_key


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
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),  # nested past the parser's recursion limit
        (b'{"run_id": ' + b"9" * 5000 + b"}", "not JSON"),  # an integer past Python's 4300 digits
        (b'{"run_id": "r", "subreddit": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"run_id": "r"}', "subreddit: Field required"),
        (b'{"run_id": "r", "subreddit": 5}', "subreddit: Input should be a valid string"),
        (b'{"run_id": "r", "subreddit": "../etc"}', "subreddit: String should match pattern"),
        (b'{"run_id": "", "subreddit": "stocks"}', "run_id: String should have at least 1 character"),
        (b'{"run_id": "a/b", "subreddit": "stocks"}', "run_id: String should match pattern"),
    ],
)
def test_a_malformed_fetch_is_rejected_with_a_reason_that_names_the_problem(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        decode_data(SubredditFetch, payload)


ALERT_EVENT = {"alert_id": "NTLA-2026010823", "ticker": "NTLA", "status": "open", "rule": "volume_spike_6h",
               "score": 2.0, "pump_risk": 0.1, "as_of": 1.7e9}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"score": float("nan")}, "score: Input should be a finite number"),
        ({"pump_risk": float("inf")}, "pump_risk: Input should be a finite number"),
        ({"alert_id": "NTLA/2026010823"}, "alert_id: String should match pattern"),
        ({"alert_id": ".."}, "alert_id: String should match pattern"),
        ({"kind": "meme"}, "kind: Input should be 'organic' or 'pump'"),
        ({"status": "closed"}, "status: Input should be 'open', 'escalated' or 'resolved'"),
        # each would fail every email of the event (a header, a date) long after decoding
        ({"ticker": "NTLA\nBcc: x"}, "ticker: String should match pattern"),
        ({"as_of": 1_767_900_000_000.0}, "as_of: Input should be less than"),
        ({"as_of": 1e18}, "as_of: Input should be less than"),
    ],
)
def test_an_alert_event_that_would_pass_every_filter_or_break_a_document_id_is_malformed(
    change: dict[str, object], reason: str
) -> None:
    # NaN compares false with every bar, so it would slip past min_score and max_pump_risk
    assert decode_data(AlertEvent, json.dumps(ALERT_EVENT).encode()).alert_id == "NTLA-2026010823"
    with pytest.raises(MalformedMessage, match=reason):
        decode_data(AlertEvent, json.dumps({**ALERT_EVENT, **change}).encode())


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


# Every message type, every optional field absent, None or set: encode must give back the
# same message. Values are drawn loosely and kept only when the model itself accepts them,
# so the property covers whatever a producer can legally build.
def _value_for(annotation: Any, metadata: tuple[Any, ...] = ()) -> st.SearchStrategy[Any]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:  # a constrained value (common.fields): drawn to fit, or near it
        return _value_for(args[0], tuple(args[1:]))
    if any(isinstance(m, AfterValidator) and m.func is check_signature for m in metadata):
        return st.binary(min_size=4 * MINHASH_WORDS, max_size=4 * MINHASH_WORDS).map(
            lambda b: base64.b64encode(b).decode()
        )
    if any(isinstance(m, AfterValidator) and m.func is well_formed for m in metadata):
        return _value_for(annotation)  # any text: the check only mends what no encoder takes
    if annotation is HourKey or any(isinstance(m, AfterValidator) for m in metadata):
        return st.integers(min_value=1_200_000_000, max_value=4_000_000_000).map(hour_key)
    for pattern in (getattr(m, "pattern", None) for m in metadata):
        if isinstance(pattern, str):
            return st.from_regex(pattern, fullmatch=True).filter(lambda v: 0 < len(v) <= 12)
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (Union, types.UnionType):
        return st.one_of(*(_value_for(a) for a in args))
    if origin is tuple:
        return st.lists(_value_for(args[0]), max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(_value_for(args[0]), _value_for(args[1]), max_size=3)
    if annotation is type(None):
        return st.none()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _instances(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return st.builds(annotation, **{name: _value_for(t) for name, t in get_type_hints(annotation).items()})
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12),
        int: st.integers(min_value=0, max_value=2**40),
        float: st.floats(min_value=0.0, max_value=1.0) | st.floats(min_value=1e9, max_value=2e9),
        bool: st.booleans(),
    }
    return simple[annotation]


def _instances(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        (optional if not info.is_required() else required)[name] = _value_for(info.annotation, tuple(info.metadata))

    def build(fields: dict[str, Any]) -> BaseModel:
        try:
            return model.model_validate(fields)
        except ValidationError:
            reject()

    return st.fixed_dictionaries(required, optional=optional).map(build)


@pytest.mark.parametrize("topic", sorted(MODELS))
@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips_with_any_optional_field_absent_none_or_set(topic: str, data: st.DataObject) -> None:
    model = MODELS[topic]
    message = data.draw(_instances(model))
    assert decode_data(model, encode(message)) == message


def test_an_item_by_a_deleted_author_round_trips() -> None:
    item = RedditItem(id="t1_x", kind="comment", subreddit="stocks", author=None, permalink="/r/x", created_utc=1.7e9)
    assert decode_data(RedditItem, encode(item)).author is None
    batch = MentionBatch(
        ticker="GME",
        mentions=(
            Mention(item_id="t1_x", kind="comment", subreddit="stocks", author=None, created_utc=1.7e9, text_length=3),
        ),
    )
    assert decode_data(MentionBatch, encode(batch)) == batch


def test_a_bare_item_on_reddit_items_is_read_as_a_batch_of_one() -> None:
    """Messages fetch published before it batched items may still be in flight during a deploy."""
    from common.messages import ItemBatch, RedditItem, decode_data, encode

    item = RedditItem(id="t3_old", kind="post", subreddit="stocks", permalink="/r/stocks/x", created_utc=1.7e9)
    batch = decode_data(ItemBatch, encode(item))
    assert batch.items == (item,)


COUNTED = {"series": {"2021022812": 3}, "six": {"hours": 6}, "day": {"hours": 24}}
ITEM = {"id": "t3_x", "kind": "post", "subreddit": "stocks", "permalink": "/r/stocks/x", "created_utc": 1.7e9}
MENTION = {"item_id": "t1_x", "kind": "comment", "subreddit": "stocks", "created_utc": 1.7e9, "text_length": 3}


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (ScrapeTick, {"subreddits": ["wallstreetbets", "r/stocks"]}),  # would fail every retry of the fan-out
        (ScrapeTick, {"subreddits": []}),  # names none: would have fanned out to every configured one
        (MentionBatch, {"ticker": "__GME__", "mentions": [MENTION]}),  # a reserved Firestore id
        (MentionBatch, {"ticker": "AB/C", "mentions": [MENTION]}),
        (MentionBatch, {"ticker": "..", "mentions": [MENTION]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "created_utc": 1e20}]}),  # no hour key holds it
        (
            MentionBatch,
            {"ticker": "GME", "mentions": [{**MENTION, "created_utc": 4102444800.0}]},
        ),  # 2100: stops the ticker
        # a subreddit, an item id, a count or a signature that would fail every write of the batch
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "subreddit": ""}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "item_id": "t1_a/b"}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "item_id": "__x__"}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "item_id": "t1_" + "x" * 200}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "score": 2**63}]}),
        # an hour's Increment of these would leave int64: the commit fails on every delivery
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "text_length": 2**62}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "num_comments": 2**50}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "minhash": "abc"}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "minhash": "abcd"}]}),  # 3 bytes: no 32-bit word
        # past Reddit's own bounds, kept in the ticker's state on every later write (1 MiB)
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "author": "a" * 65}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "permalink": "/r/x/" + "p" * 1000}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "text_hash": "f" * 65}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "minhash": "AAAA" * 1025}]}),
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "minhash": "AAAAAA=="}]}),  # one word, not 32
        (MentionBatch, {"ticker": "GME", "mentions": [{**MENTION, "minhash": base64.b64encode(bytes(132)).decode()}]}),
        (ItemBatch, {"items": [{**ITEM, "subreddit": ""}]}),
        (ItemBatch, {"items": [{**ITEM, "id": "t3_a.b"}]}),
        # no Reddit item has them, and its mentions would carry them (fetch skips such an item)
        (ItemBatch, {"items": [{**ITEM, "author": "a" * 65}]}),
        (ItemBatch, {"items": [{**ITEM, "permalink": "/r/x/" + "p" * 1000}]}),
        (TickerUpdate, {"ticker": "GME", "as_of": 1.7e9, "hours": ["2026"]}),
        (DigestTick, {"hour": "2026133399"}),  # no such hour: a tick that would send nothing, unsaid
        (TickerUpdate, {"ticker": "GME", "as_of": 1.7e9, "counted": {**COUNTED, "series": {"2021023112": 3}}}),
        (
            TickerUpdate,
            {"ticker": "GME", "as_of": 1.7e9, "counted": {**COUNTED, "six": {"hours": 6, "emoji_share": "NaN"}}},
        ),
    ],
)
def test_values_that_would_fail_every_retry_downstream_are_malformed_at_decode(
    model: type[Message], payload: dict[str, Any]
) -> None:
    with pytest.raises(MalformedMessage):
        decode_data(model, json.dumps(payload).encode())


def test_a_title_past_reddits_300_characters_is_cut_and_its_mention_kept() -> None:
    """A title is only cited (an alert's evidence), so it is cut rather than refused: the
    mention still counts, and the ticker's state never carries more than Reddit allows."""
    batch = {"ticker": "GME", "mentions": [{**MENTION, "title": "🚀" * 100_000, "author": "u" * 20}]}
    [mention] = decode_data(MentionBatch, json.dumps(batch).encode()).mentions
    assert mention.title == "🚀" * 300 and mention.author == "u" * 20


def test_nan_and_infinity_are_malformed_in_every_message() -> None:
    for raw in (b'{"ticker": "GME", "as_of": NaN}', b'{"ticker": "GME", "as_of": Infinity}'):
        with pytest.raises(MalformedMessage, match="finite"):
            decode_data(TickerUpdate, raw)
    bad = json.dumps({"ticker": "GME", "mentions": [{**MENTION, "confidence": float("nan")}]}).encode()
    with pytest.raises(MalformedMessage):
        decode_data(MentionBatch, bad)
    assert decode_data(ScrapeTick, b'{"subreddits": [" stocks "]}').subreddits == ("stocks",)
    good = {"ticker": "BRK.B", "as_of": 1.7e9, "hours": ["2021022812"], "counted": COUNTED}
    assert decode_data(TickerUpdate, json.dumps(good).encode()).counted is not None  # the cases above, made right


@pytest.mark.parametrize("run_id", ["a/b", "__x__", "..", "x" * 129])
def test_a_tick_whose_run_id_cannot_name_its_run_document_is_malformed(run_id: str) -> None:
    with pytest.raises(MalformedMessage, match="run_id"):
        decode_data(ScrapeTick, json.dumps({"run_id": run_id}).encode())


@pytest.mark.parametrize("subreddit", ["__x__", "_x", "a/b", "r/stocks", ""])
def test_a_fetch_whose_subreddit_cannot_name_its_cursor_document_is_malformed(subreddit: str) -> None:
    with pytest.raises(MalformedMessage, match="subreddit"):
        decode_data(ScrapeTick, json.dumps({"subreddits": [subreddit]}).encode())


def test_a_silence_check_is_a_mention_batch_without_mentions_and_only_that() -> None:
    check = decode_data(MentionBatch, json.dumps({"ticker": "GME", "silence_check": 1_700_000_000.0}).encode())
    assert check.mentions == () and check.silence_check == 1_700_000_000.0
    with pytest.raises(MalformedMessage, match="mentions"):
        decode_data(MentionBatch, json.dumps({"ticker": "GME", "silence_check": 1.7e9, "mentions": [MENTION]}).encode())


def test_lone_surrogates_are_mended_so_no_encoder_fails_on_the_item() -> None:
    """JSON lets "\\ud83d" in; as it was, the extractor's encode and the message's raised, and
    the item came back every run. A split pair joins into its character."""
    item = RedditItem.model_validate({**ITEM, "body": "$GME \ud83d and \ud83d\ude80", "title": "\udc00"})
    assert item.body == "$GME \ufffd and \U0001f680" and item.title == "\ufffd"
    assert decode_data(RedditItem, encode(item)) == item


def test_a_mentions_author_is_mended_too_so_counting_it_never_fails() -> None:
    """The aggregator hashes the author's bytes into its distinct-author sketch: a lone
    surrogate would raise there on every delivery, holding the ticker's later batches."""
    raw = json.dumps({"ticker": "GME", "mentions": [{**MENTION, "author": "x\ud800"}]}).encode()
    [mention] = decode_data(MentionBatch, raw).mentions
    assert mention.author == "x\ufffd" and mention.author.encode()


def test_item_batches_are_cut_by_the_bytes_pubsub_counts_not_characters() -> None:
    """An emoji is one character and four bytes of the encoded message: a batch of posts
    written in them must stay within the byte budget it is cut to."""
    body = "🚀" * 10_000
    posts = [
        RedditItem(id=f"t3_{n}", kind="post", subreddit="stocks", permalink="/r/stocks/x", created_utc=1.7e9, body=body)
        for n in range(20)
    ]
    for batch in item_batches(posts, "run-1", max_bytes=200_000):
        assert len(encode(batch)) <= 200_000 + 1_000  # the batch's own fields


def test_the_archive_reads_a_batch_item_by_item_and_sets_aside_only_what_does_not_read() -> None:
    good = {
        "id": "t3_a",
        "kind": "post",
        "subreddit": "stocks",
        "permalink": "/r/stocks/comments/a/",
        "created_utc": 1.7e9,
    }
    payload = {"run_id": "r", "items": [good, {**good, "id": "t3_b", "subreddit": ""}, None, 7, {**good, "id": "t3_c"}]}
    batch, bad = decode_data(ArrivingItems, json.dumps(payload).encode()).split()
    assert batch is not None and [i.id for i in batch.items] == ["t3_a", "t3_c"] and batch.run_id == "r"
    assert [raw for raw, _ in bad][1:] == [None, 7] and "subreddit" in bad[0][1]
    only_bad, all_bad = decode_data(ArrivingItems, b'{"items": [null]}').split()
    assert only_bad is None and len(all_bad) == 1
    assert decode_data(ArrivingItems, json.dumps(good).encode()).split()[0] is not None  # a bare item: a batch of one
    for refused in (b'{"items": []}', b'{"items": 5}', b'{"run_id": 3, "items": [{}]}'):
        with pytest.raises(MalformedMessage):
            decode_data(ArrivingItems, refused)


def test_a_cited_item_links_only_to_reddit_or_the_replays_own_site() -> None:
    """A permalink is data (a replayed corpus, an imported dump): one that would lead off the
    site once written after its name gets no link, in the API, the emails and the web app."""
    from common.fields import web_link

    reddit = "https://www.reddit.com"
    assert web_link("/r/stocks/comments/abc/", reddit) == "https://www.reddit.com/r/stocks/comments/abc/"
    assert web_link("/r/x/comments/1/", "http://127.0.0.1:8000/") == "http://127.0.0.1:8000/r/x/comments/1/"
    assert web_link("https://old.reddit.com/r/x/", reddit) == "https://old.reddit.com/r/x/"
    assert web_link("http://127.0.0.1:8000/r/x/", "http://127.0.0.1:8000") == "http://127.0.0.1:8000/r/x/"
    for off_site in ("@evil.example/x", ".evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                     "https://www.reddit.com@evil.example/x", "https://evil.example/r/x/", "https://reddit.com.evil.example/",
                     "https://[evil.example/x",
                     ""):  # fmt: skip
        assert web_link(off_site, reddit) is None, off_site


def test_a_karma_past_what_a_message_holds_is_unknown_not_a_batch_refused_downstream() -> None:
    """Read from an account lookup: past Int64 it would be copied onto every item of the author
    (unvalidated), and the batch naming it dead-lettered by aggregate, the cursor unsavable."""
    from common.fields import karma

    assert karma(1e30, 0) is None and karma(2**63, None) is None
    assert karma(2**62, 2**61) == 2**62 + 2**61 and karma(-(2**63), None) == -(2**63)
    assert karma(12, 3) == 15
