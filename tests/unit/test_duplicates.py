from common.aggregation import Tuning, fresh, plan
from common.detection_config import DEFAULT_CONFIG
from common.duplicates import SIGNATURES_MAX, Signature, find_duplicates, keep_recent, rules_of
from common.features import text_features
from common.messages import Mention
from functions.aggregate.store import signatures_doc, signatures_from_doc

T0 = 1_764_000_000.0
PUMP = "this stock will explode next week, shorts are trapped and the float is tiny, get in now"
OTHER = "earnings were fine but the guidance disappointed me, I am trimming my position for now"

RULES = rules_of(DEFAULT_CONFIG)


def mention(item: str, author: str | None, text: str, at: float = T0) -> Mention:
    f = text_features("", text, None, "comment")
    return Mention(
        item_id=item,
        kind="comment",
        subreddit="stocks",
        author=author,
        created_utc=at,
        text_length=len(text),
        text_hash=f.text_hash,
        minhash=f.minhash,
        sentiment=f.sentiment,
    )


def test_the_second_copy_from_a_different_author_is_a_duplicate() -> None:
    batch = [mention("t1_b", "bob", PUMP + "!!", T0 + 60), mention("t1_a", "alice", PUMP, T0)]
    assert find_duplicates([], batch, **RULES) == {"t1_b"}


def test_a_lightly_edited_copy_is_a_near_duplicate() -> None:
    edited = PUMP.replace("next week", "this week")
    assert find_duplicates([], [mention("t1_a", "alice", PUMP), mention("t1_b", "bob", edited, T0 + 1)], **RULES) == {
        "t1_b"
    }


def test_an_author_repeating_themselves_is_not_a_duplicate_campaign() -> None:
    assert (
        find_duplicates([], [mention("t1_a", "alice", PUMP), mention("t1_b", "alice", PUMP, T0 + 1)], **RULES) == set()
    )


def test_copies_further_apart_than_the_window_do_not_match() -> None:
    old = Signature.of(mention("t1_a", "alice", PUMP))
    assert find_duplicates([old], [mention("t1_b", "bob", PUMP, T0 + 25 * 3600)], **RULES) == set()
    assert find_duplicates([old], [mention("t1_b", "bob", PUMP, T0 + 23 * 3600)], **RULES) == {"t1_b"}


def test_different_texts_short_texts_and_deleted_authors_never_match() -> None:
    assert find_duplicates([], [mention("t1_a", "alice", PUMP), mention("t1_b", "bob", OTHER)], **RULES) == set()
    assert (
        find_duplicates([], [mention("t1_a", "alice", "$GME 🚀"), mention("t1_b", "bob", "$GME 🚀")], **RULES) == set()
    )
    assert find_duplicates([], [mention("t1_a", None, PUMP), mention("t1_b", None, PUMP)], **RULES) == set()


def test_an_item_already_remembered_is_not_its_own_duplicate() -> None:
    first = mention("t1_a", "alice", PUMP)
    assert find_duplicates([Signature.of(first)], [first], **RULES) == set()


def test_remembered_signatures_stay_bounded_and_recent() -> None:
    many = [Signature(f"t1_{i}", "x", T0 + i, "h", "") for i in range(SIGNATURES_MAX + 50)]
    kept = keep_recent([*many, Signature("t1_old", "y", T0 - 2 * 86400, "h", "")], T0 + SIGNATURES_MAX + 49)
    assert len(kept) == SIGNATURES_MAX
    assert "t1_old" not in {s.item_id for s in kept}
    assert kept[0].item_id == f"t1_{SIGNATURES_MAX + 49}"


def test_signatures_survive_their_document_form() -> None:
    sigs = [Signature.of(mention("t1_a", "alice", PUMP)), Signature.of(mention("t1_b", None, OTHER, T0 + 1))]
    assert signatures_from_doc(signatures_doc(sigs, T0 + 1)) == sigs
    assert signatures_from_doc({}) == []


def test_a_plan_counts_only_unseen_mentions_and_remembers_their_signatures() -> None:
    batch = [mention("t1_a", "alice", PUMP), mention("t1_b", "bob", PUMP, T0 + 5), mention("t1_a", "alice", PUMP)]
    new = fresh(batch, {"t1_z"}, None, Tuning())
    assert [m.item_id for m in new] == ["t1_a", "t1_b"]
    effect = plan("GME", new, hours={}, days={}, recent=[], previous_as_of=None)
    assert effect.duplicates == {"t1_b"}
    assert [w.after.mentions for w in effect.hours] == [2]
    assert [w.after.duplicate_mentions for w in effect.days] == [1]
    assert {s.item_id for s in effect.signatures} == {"t1_a", "t1_b"}
    assert effect.summary is not None and effect.summary.as_of == T0 + 5
    again = fresh(batch, {"t1_a", "t1_b"}, effect.as_of, Tuning())
    assert again == []


def test_a_late_mention_never_moves_as_of_backwards_and_very_old_ones_are_dropped() -> None:
    late = mention("t1_c", "carol", OTHER, T0 - 3600)
    effect = plan("GME", [late], hours={}, days={}, recent=[], previous_as_of=T0)
    assert effect.as_of == T0
    ancient = mention("t1_d", "dan", OTHER, T0 - 40 * 86400)
    assert fresh([ancient], set(), T0, Tuning()) == []
    # in one message with a newer item, whatever the order and however the message is cut
    newer = mention("t1_e", "eve", OTHER, T0)
    for batch in ([ancient, newer], [newer, ancient]):
        assert fresh(batch, set(), None, Tuning(), newest=T0) == [newer]
    assert fresh([ancient], set(), None, Tuning(), newest=T0) == []  # the chunk that holds it alone
