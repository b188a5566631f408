"""mentions_from_item: one mention per distinct symbol, carrying what the aggregator counts."""

from common.extraction import symbols
from common.mentions import MAX_SYMBOLS_PER_ITEM, mentions_from_item
from common.messages import RedditItem


def _post(**overrides: object) -> RedditItem:
    fields: dict[str, object] = {
        "id": "t3_abc",
        "kind": "post",
        "subreddit": "wallstreetbets",
        "author": "alice",
        "author_created_utc": 1_600_000_000.0,
        "author_karma": 321,
        "title": "$GME is the play",
        "body": "Buying more $gme and a little $AMC",
        "permalink": "/r/wallstreetbets/comments/abc/x/",
        "flair": "DD",
        "score": 42,
        "num_comments": 7,
        "created_utc": 1_767_225_600.0,
    }
    fields.update(overrides)
    return RedditItem.model_validate(fields)


def test_each_symbol_is_mentioned_once_in_order_of_first_appearance() -> None:
    assert [symbol for symbol, _ in mentions_from_item(_post())] == ["GME", "AMC"]


def test_an_item_counts_for_the_first_symbols_it_names_up_to_the_cap() -> None:
    """Each symbol is a message to aggregate and detect: a post of a thousand cashtags must not
    cost a thousand of each. Its cashtags still all count as its own stuffing."""
    listed = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AMD", "INTC", "ORCL"]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    many = symbols(" ".join(f"${a}{b}" for a in letters for b in letters))
    assert len(many) > MAX_SYMBOLS_PER_ITEM
    body = " ".join(f"${s}" for s in [*listed, *many])
    found = mentions_from_item(_post(title="Tickers", body=body))
    assert [symbol for symbol, _ in found] == [*listed, *many][:MAX_SYMBOLS_PER_ITEM]
    assert found[0][1].cashtag_count == len(listed) + len(many)


def test_a_mention_carries_the_item_facts_the_aggregator_needs() -> None:
    _, mention = mentions_from_item(_post())[0]
    assert mention.item_id == "t3_abc"
    assert mention.kind == "post"
    assert mention.subreddit == "wallstreetbets"
    assert mention.author == "alice"
    assert mention.author_created_utc == 1_600_000_000.0
    assert mention.author_karma == 321
    assert mention.created_utc == 1_767_225_600.0
    assert mention.text_length == len("$GME is the play") + len("Buying more $gme and a little $AMC")
    assert (mention.score, mention.num_comments) == (42, 7)
    assert mention.permalink == "/r/wallstreetbets/comments/abc/x/"
    assert mention.is_dd
    assert mention.cashtag_count == 2


def test_an_item_without_tickers_yields_no_mentions() -> None:
    assert mentions_from_item(_post(title="nothing here", body="just words")) == []


def test_a_deleted_author_is_kept_as_unknown() -> None:
    [(_, mention)] = mentions_from_item(_post(author=None, author_created_utc=None, body="", title="$TSLA"))
    assert mention.author is None
    assert mention.author_created_utc is None


def test_in_a_stuffed_post_the_promoted_ticker_is_spoken_and_the_list_is_payload() -> None:
    post = _post(title="$KYCH is about to explode", body="Hold the line. $AMC $GME, $TSLA / $NIO $BB")
    listed = {symbol: m.listed_only for symbol, m in mentions_from_item(post)}
    assert listed == {"KYCH": False, "AMC": True, "GME": True, "TSLA": True, "NIO": True, "BB": True}


def test_a_ticker_named_in_the_words_and_again_in_the_list_is_spoken() -> None:
    post = _post(title="Why I hold GME", body="$GME $AMC $BB")
    listed = {symbol: m.listed_only for symbol, m in mentions_from_item(post)}
    assert listed == {"GME": False, "AMC": True, "BB": True}


def test_a_list_is_read_whatever_separates_its_cashtags_but_never_joins_title_and_body() -> None:
    bulleted = _post(title="$KYCH is about to explode", body="Also: $AMC. $GME - $TSLA\n- $NIO and $BB")
    assert {s: m.listed_only for s, m in mentions_from_item(bulleted)} == {
        "KYCH": False,
        "AMC": True,
        "GME": True,
        "TSLA": True,
        "NIO": True,
        "BB": True,
    }
    titled = _post(title="$KOSS $KOSS $KOSS", body="$AMC $GME $TSLA $NIO $BB")
    assert {s: m.listed_only for s, m in mentions_from_item(titled)}["KOSS"] is False
