from common.detection_config import DEFAULT_CONFIG, DetectionConfig
from common.features import (
    MINHASH_PERMUTATIONS,
    count_emoji,
    count_emotes,
    jaccard,
    normalise,
    signature_values,
    text_features,
    visible_length,
)
from common.metrics import is_emoji_heavy


def _heavy(title: str, body: str, rules: DetectionConfig = DEFAULT_CONFIG) -> bool:
    f = text_features(title, body, None, "comment")
    return is_emoji_heavy(f.emoji_count, f.rocket_count, len(title) + len(body), rules)


STRUCTURED_DD = (
    "## Thesis\nThe company is undervalued relative to peers.\n"
    + "\n".join(f"- Segment {i}: revenue grew {10 + i}% to ${i}.{i}B year over year" for i in range(30))
    + "\n## Risks\nDilution and debt, see https://www.sec.gov/filing for the 10-K.\n"
)


def test_emoji_with_skin_tones_and_zwj_sequences_count_once_each() -> None:
    features = text_features("", "nice 👍🏽 family 👨‍👩‍👧 rocket 🚀", None, "comment")
    assert features.emoji_count == 3
    assert features.rocket_count == 1


def test_a_short_comment_made_mostly_of_emoji_is_emoji_heavy() -> None:
    assert _heavy("", "GME 🚀🌕💎🙌🏽")


def test_rocket_spam_is_emoji_heavy_even_in_a_long_text() -> None:
    text = "a long and reasoned paragraph about margins and guidance " * 10 + "🚀🚀🚀"
    assert text_features("", text, None, "comment").rocket_count == 3
    assert _heavy("", text)
    assert not _heavy("", text, DEFAULT_CONFIG.model_copy(update={"rocket_spam_min": 4}))


def test_one_emoji_in_a_normal_sentence_is_not_emoji_heavy() -> None:
    assert not _heavy("", "I think the earnings call went fine overall, holding 👍")


def test_emoji_heaviness_is_decided_from_counts_a_mention_carries() -> None:
    assert is_emoji_heavy(3, 0, 40, DEFAULT_CONFIG)
    assert not is_emoji_heavy(3, 0, 400, DEFAULT_CONFIG)
    assert is_emoji_heavy(10, 0, 10_000, DEFAULT_CONFIG)


def test_reddit_emotes_count_as_emoji_and_as_one_character_each() -> None:
    """The API writes a subreddit's emotes (rockets, apes) as image markup: a campaign's
    emote spam is emoji spam, and the markup's 27 characters must not pass for text."""
    rockets = "![img](emote|t5_2th52|4271)" * 4
    assert count_emotes(f"GME {rockets} ![gif](emote|free_emotes_pack|shrug)") == 5
    assert text_features("", f"GME {rockets}", None, "comment").emoji_count == 4
    assert visible_length(f"GME {rockets}") == len("GME ") + 4
    assert is_emoji_heavy(4, 0, visible_length(f"GME {rockets}"), DEFAULT_CONFIG)
    assert count_emotes("![img](https://i.redd.it/x.png) and emote|t5|1") == 0  # an image, not an emote
    assert visible_length("no emote here") == len("no emote here")


def test_a_post_of_emotes_is_no_long_structured_post() -> None:
    rockets = "![img](emote|t5_2th52|4271)" * 56  # 1,512 characters of markup, 56 pictures
    assert not text_features(
        "GME", f"to the moon https://www.reddit.com/r/wallstreetbets {rockets}", None, "post"
    ).is_dd


def test_a_mentions_length_counts_an_emote_as_one_character() -> None:
    from common.mentions import mentions_from_item
    from tests.support.items import comment

    [(symbol, mention)] = mentions_from_item(comment("$GME " + "![img](emote|t5_2th52|4271)" * 4), sentiment=False)
    assert (symbol, mention.text_length, mention.emoji_count) == ("GME", 9, 4)


def test_a_dollar_sign_inside_a_link_is_no_cashtag() -> None:
    text = "$GME https://example.com/chart?s=$AMC&t=$BB and www.example.com/$TSLA"
    assert text_features("", text, None, "comment").cashtag_count == 1


def test_dd_flair_makes_a_dd_post_whatever_its_length() -> None:
    assert text_features("short", "tiny", "DD", "post").is_dd
    assert text_features("short", "tiny", "Due Diligence 📈", "post").is_dd
    assert not text_features("short", "tiny", "Discussion", "post").is_dd


def test_a_long_structured_post_is_dd_without_flair_but_a_long_rant_is_not() -> None:
    assert text_features("My thesis on $XYZ", STRUCTURED_DD, None, "post").is_dd
    assert not text_features("rant", "this stock is going nowhere and I hate it " * 60, None, "post").is_dd
    assert not text_features("", STRUCTURED_DD, None, "comment").is_dd


def test_cashtags_are_counted_once_per_symbol() -> None:
    assert text_features("$GME $AMC", "$gme and $BB, price $5", None, "post").cashtag_count == 3


def test_a_cashtag_ending_a_sentence_counts_and_a_domain_does_not() -> None:
    assert text_features("", "$AMC. $GME. $TSLA. $NIO. $BB...", None, "comment").cashtag_count == 5
    assert text_features("", "$BRK.B and $BB.TO, not $GME.com", None, "comment").cashtag_count == 2


def test_reposts_that_change_numbers_links_and_punctuation_share_the_exact_hash() -> None:
    a = text_features("", "GME to $420!!! see https://a.example/x", None, "comment")
    b = text_features("", "gme to $69 ... see http://b.example/y", None, "comment")
    assert a.text_hash == b.text_hash
    assert normalise("GME to $420!!!") == "gme to 0"


def test_copies_disguised_with_invisible_characters_and_look_alike_letters_share_the_exact_hash() -> None:
    """A campaign's copies dodge a copy check that compares code points: zero-width spaces,
    soft hyphens and joiners inside words, Cyrillic letters that look Latin, full-width and
    mathematical letters, accents. Folded, they are the text a reader sees."""
    clean = "XYZW is about to squeeze, buy before Monday and hold the line"
    disguised = (
        "X\u200bYZW is ab\u00adout to sq\u200dueeze, \ufeffbuy bef\u2060ore Monday "  # invisible inside words
        "\u0430nd h\u043eld th\u0435 line"  # Cyrillic a, o, e
    )
    drawn_alike = "XYZW is about to squeeze, bu\u0443 before Monda\u0443 and hold the line"  # Cyrillic y
    wide = (
        "\uff38\uff39\uff3a\u24cc is about to squeeze, "  # full-width XYZ, circled W
        "\U0001d41b\U0001d42e\U0001d432 before Mond\u00e1y and hold the line"  # bold "buy", an accent
    )
    want = text_features("", clean, None, "comment")
    for copy in (disguised, wide, drawn_alike):
        got = text_features("", copy, None, "comment")
        assert normalise(copy) == normalise(clean) == "xyzw is about to squeeze buy before monday and hold the line"
        assert (got.text_hash, got.minhash) == (want.text_hash, want.minhash)


def test_letters_are_folded_by_their_shape_where_a_transliteration_would_read_them_by_sound() -> None:
    """Cyrillic р, с, х, у and Greek ρ, ν look like p, c, x, y, p, v; read by sound they would
    be r, s, kh, u, r, n, and a copy written with them would read as another text."""
    assert normalise("\u0440\u0441\u0445\u0443 \u041d\u0412 \u03c1\u03bd") == normalise("pcxy HB pv") == "pcxy hb pv"
    # capital Cyrillic and Greek I (drawn like "l" in the table) stay an I, as in all-caps posts
    assert normalise("BUY \u0406T NOW \u0399N") == normalise("BUY IT NOW IN") == "buy it now in"


def test_folding_keeps_emoji_out_and_other_scripts_readable() -> None:
    assert normalise("XYZW \U0001f680\U0001f680 to the moon \U0001f44b\U0001f3fd\u200d") == "xyzw to the moon"
    assert normalise("don\u2019t \u00abbuy\u00bb \u2014 ok") == "don t buy ok"
    assert normalise("\u043f\u0440\u0438\u0432\u0435\u0442 \u4e2d\u6587") != ""


def test_a_one_word_edit_stays_a_near_duplicate_and_other_texts_do_not() -> None:
    base = "GME is going to squeeze so hard next week, shorts have not covered and the float is locked up"
    edited = base.replace("next week", "this week")
    other = "AMC earnings were a disaster, the debt is crushing them and management keeps diluting"
    sig = text_features("", base, None, "comment").minhash
    assert jaccard(sig, text_features("", edited, None, "comment").minhash) >= 0.7
    assert jaccard(sig, text_features("", other, None, "comment").minhash) < 0.3
    assert signature_values(sig).size == MINHASH_PERMUTATIONS


def test_empty_text_has_no_signature_and_no_sentiment() -> None:
    features = text_features("", "", None, "comment")
    assert (features.minhash, features.text_hash, features.sentiment) == ("", "", None)


def test_finance_slang_moves_sentiment_the_way_traders_mean_it() -> None:
    def tone(text: str) -> float:
        sentiment = text_features("", text, None, "comment").sentiment
        assert sentiment is not None
        return sentiment

    assert tone("loaded up on calls, this is going to the moon, tendies incoming") > 0.5
    assert tone("🚀🚀🚀") > 0
    assert tone("another bagholder here, total rug, buying puts now") < -0.5
    assert tone("bearish, this will keep tanking") < 0


def test_emoji_counting_agrees_with_the_library_on_keycaps_flags_and_tags() -> None:
    import emoji

    for text in ("1️⃣ #️⃣ *️⃣ 🇺🇸 🏴󠁧󠁢󠁳󠁣󠁴󠁿 café ©️", "GME🚀🚀to the moon🌕💎🙌🏽", "plain :) <3", "中文 🚀x🚀"):
        assert count_emoji(text) == emoji.emoji_count(text)
