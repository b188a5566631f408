"""Text features of one Reddit item, computed once when its mentions are built: pure, no I/O.

Fetch (live) and the backtest (replay) both call :func:`text_features`, so the aggregator
and the detector see the same emoji, DD, duplicate and sentiment signals either way. It runs
on every item, so the expensive parts (the VADER analyzer, the MinHash permutations) are
built once per process, and long texts are cut before the slower steps.
"""

import base64
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import emoji
import numpy as np
from anyascii import anyascii
from datasketch import MinHash

from common.fields import MINHASH_WORDS

# MinHash: 32 permutations keep the signature small (128 bytes, 172 base64 characters) at a
# standard error of about 1/sqrt(32) ~ 0.18 on the Jaccard estimate, plenty to tell a
# copy-paste (J ~ 0.9) from an independent post (J ~ 0). Fixed seed: signatures made by
# different processes, or last month, stay comparable.
MINHASH_PERMUTATIONS = MINHASH_WORDS
MINHASH_SEED = 20261125
SHINGLE_WORDS = 2  # word bigrams: one changed word costs two shingles, not three
# Beyond these the text is cut before shingling and sentiment: the duplicate and tone
# signals are in the opening, and a 40 kB DD must not cost 40 kB of hashing (VADER costs
# ~25 µs per word).
FEATURE_TEXT_LIMIT = 4000
SENTIMENT_TEXT_LIMIT = 1500

# A mention is emoji heavy when emoji are a large part of what it says (one per ~5 words,
# i.e. per 30 characters), or there are many, or rockets repeat. Judged from counts a
# Mention carries, so the aggregator can recount it without the text.

# A "long structured post": long, and at least two kinds of structure.
DD_MIN_LENGTH = 1500
DD_MIN_STRUCTURE = 2

_DD_FLAIR = re.compile(r"\bDD\b|due\s*diligence", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NUMBER = re.compile(r"[$€£]?\d[\d,.]*[%kKmMbB]?")
_NON_WORD = re.compile(r"[^\w\s]+|_")
_SPACE = re.compile(r"\s+")
# ``^[^\S\n]*``, not ``^\s*``: from every line start, \s* ran on through all the blank lines
# after it (a post of newlines cost seconds a line); any other space still indents. The space
# after a heading is taken whole (``*+``): two runs of \s* around an optional colon split a
# line of spaces every way before failing (a 40 KB post cost 5 s).
_HEADING = re.compile(
    r"^[^\S\n]*(#{1,6}\s+\S|\*\*[^*\n]{3,80}\*\*[^\S\n]*+:?[^\S\n]*+$|[A-Z][A-Z0-9 &/-]{4,60}:?[^\S\n]*+$)",
    re.MULTILINE,
)
_BULLET = re.compile(r"^[^\S\n]*([-*•+]|\d{1,2}[.)])\s+\S", re.MULTILINE)
# Cashtags as extraction reads them: a full stop after one ends the sentence ("I bought $GME.")
_CASHTAG = re.compile(r"(?<![^\W_])(?<!\$)(?<![^\W_]_)\$([A-Za-z]{1,5}(?:\.[A-Za-z]{1,2})?)(?!_*+[^\W_]|\.\w)")
_ROCKET = "\U0001f680"
# Reddit's own emotes reach the API as image markup: "![img](emote|t5_2th52|4271)" (a
# subreddit's set: r/wallstreetbets has its rockets and apes there) or
# "![gif](emote|free_emotes_pack|shrug)". To a reader each is one picture: one emoji, and one
# character of the text's length, however long its markup.
_EMOTE = re.compile(r"!\[(?:img|gif)\]\(emote\|[^|()\s]{1,64}\|[^|()\s]{1,64}\)")
# Every emoji has a non-ASCII code point; a keycap ("1️⃣") starts with one ASCII character.
_NON_ASCII_RUN = re.compile(r"[#*0-9]?[^\x00-\x7f]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# Finance-Reddit words VADER does not know, on VADER's -4..+4 valence scale. Only words whose
# tone is unambiguous in these subreddits: "call"/"put" (also plain verbs) and "short" are
# left out, their plurals are not.
FINANCE_LEXICON: dict[str, float] = {
    "calls": 1.5,
    "puts": -1.5,
    "moon": 2.5,
    "mooning": 3.0,
    "moonshot": 2.5,
    "rocket": 1.5,  # VADER turns 🚀 into the word "rocket"
    "tendies": 2.5,
    "stonks": 1.2,
    "hodl": 1.5,
    "hodling": 1.5,
    "btfd": 1.5,
    "bullish": 2.5,
    "bull": 1.5,
    "bulls": 1.2,
    "squeeze": 1.5,
    "squeezing": 1.5,
    "undervalued": 2.0,
    "breakout": 1.8,
    "printing": 1.5,
    "lambo": 2.0,
    "ath": 1.5,
    "diamond": 1.0,
    "bearish": -2.5,
    "bear": -1.5,
    "bears": -1.2,
    "bagholder": -2.5,
    "bagholders": -2.5,
    "bagholding": -2.5,
    "rug": -2.5,
    "rugged": -3.0,
    "rugpull": -3.0,
    "overvalued": -2.0,
    "tank": -1.8,
    "tanking": -2.5,
    "tanked": -2.5,
    "drilling": -2.0,
    "dumping": -2.0,
    "dumped": -1.8,
    "rekt": -3.0,
    "guh": -2.5,
    "dilution": -2.0,
    "diluted": -1.5,
    "delisted": -3.0,
    "delisting": -3.0,
    "bankrupt": -3.0,
    "shorting": -1.2,
}


@dataclass(frozen=True, slots=True)
class TextFeatures:
    emoji_count: int
    rocket_count: int
    is_dd: bool
    cashtag_count: int
    text_hash: str  # exact-duplicate key of normalised text (lowercase, urls/numbers/punctuation folded)
    minhash: str  # near-duplicate signature: base64 of the uint32 MinHash values, "" for empty text
    sentiment: float | None  # VADER compound in -1..1 with FINANCE_LEXICON; None when there is no text


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(FINANCE_LEXICON)
    return analyzer


@lru_cache(maxsize=1)
def _template() -> MinHash:
    """One MinHash whose permutations every signature reuses (building them costs more
    than hashing a post)."""
    return MinHash(num_perm=MINHASH_PERMUTATIONS, seed=MINHASH_SEED, scheme="affine32")


def normalise(text: str) -> str:
    """Lowercase, URLs and numbers folded to placeholders, punctuation and emoji dropped,
    whitespace collapsed: reposts that change a price, a link or an emoji still match. Letters
    are folded as a reader sees them (:func:`_fold`), so copies disguised with invisible or
    look-alike characters match too."""
    if not text.isascii():
        text = _NON_ASCII.sub(_fold_run, text)
    text = _URL.sub(" url ", text.lower())
    text = _NUMBER.sub(" 0 ", text)
    text = _NON_WORD.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def _fold_run(match: re.Match[str]) -> str:
    return "".join(map(_fold, unicodedata.normalize("NFKC", match.group())))


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    """One character as the copy check compares it. Spam that dodges a copy check hides
    characters inside words (zero-width spaces and joiners, soft hyphens) and swaps letters
    for look-alikes (Cyrillic "р", Greek "ν", full-width "Ｇ", circled "Ⓖ"): after NFKC (which
    takes the full-width, circled and mathematical ones back to letters), invisible ones
    vanish, a letter drawn like a Latin one becomes that letter, other letters and digits of
    any script their ASCII transliteration (anyascii), and the rest (emoji, symbols,
    punctuation) a space, as ASCII punctuation does."""
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category[0] in "LMN":
        return _latin_look_alike(char) or anyascii(char)
    return " "


def _latin_look_alike(char: str) -> str | None:
    """The Latin letter ``char`` is drawn like (Unicode's confusables, TR39: Cyrillic "р" and
    Greek "ρ" look like "p", where a transliteration reads "r"), if any."""
    from confusable_homoglyphs import confusables  # 1 MB of tables: loaded only for such text

    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True)
    if not found:
        return None
    # of the same case: the table draws capital Cyrillic "І" like "l", which lower-cases to
    # another letter than the "I" it stands for (left to the transliteration, which says "I")
    return next(
        (
            c
            for h in found[0]["homoglyphs"]
            if (c := h["c"]).isascii() and c.isalnum() and (c.isupper() == char.isupper() or c.isdigit())
        ),
        None,
    )


def text_hash(normalised: str) -> str:
    return hashlib.blake2b(normalised.encode(), digest_size=8).hexdigest() if normalised else ""


def shingles(normalised: str) -> set[bytes]:
    """Word n-grams; texts shorter than one n-gram are their own single shingle."""
    words = normalised.split()
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)}


def minhash_signature(normalised: str) -> str:
    found = shingles(normalised)
    if not found:
        return ""
    template = _template()
    sketch = MinHash(
        num_perm=MINHASH_PERMUTATIONS, permutations=template.permutations, scheme="affine32", hashfunc=template.hashfunc
    )
    sketch.update_batch(found)
    return base64.b64encode(np.asarray(sketch.hashvalues, dtype="<u4").tobytes()).decode("ascii")


def signature_values(signature: str) -> np.ndarray[Any, np.dtype[np.uint32]]:
    """The hash values back from :func:`minhash_signature` (empty array for "")."""
    if not signature:
        return np.zeros(0, dtype=np.uint32)
    return np.frombuffer(base64.b64decode(signature), dtype="<u4").astype(np.uint32)


def jaccard(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two signatures (0.0 when either is empty)."""
    va, vb = signature_values(a), signature_values(b)
    if va.size == 0 or va.size != vb.size:
        return 0.0
    return float(np.count_nonzero(va == vb)) / float(va.size)


def is_dd(text: str, flair: str | None, kind: str) -> bool:
    """Due diligence: the flair says so, or a post is long and structured (headings,
    bullets, links, many figures) the way research write-ups are."""
    if flair and _DD_FLAIR.search(flair):
        return True
    if kind != "post" or visible_length(text) < DD_MIN_LENGTH:
        return False
    if "](emote|" in text:  # a picture: neither length nor figures ("t5_2th52|4271")
        text = _EMOTE.sub(" ", text)
    structure = (
        int(len(_HEADING.findall(text)) >= 2)
        + int(len(_BULLET.findall(text)) >= 3)
        + int(len(_URL.findall(text)) >= 1)
        + int(len(_NUMBER.findall(text)) >= 10)
    )
    return structure >= DD_MIN_STRUCTURE


def count_emoji(text: str) -> int:
    """Emoji by grapheme (skin tones and ZWJ sequences count once), via the emoji library;
    only the non-ASCII runs are handed to it, which spares its per-character tokenizer
    the (mostly ASCII) rest of the text."""
    if text.isascii():
        return 0
    runs = _NON_ASCII_RUN.findall(text)
    if sum(len(run) for run in runs) <= EMOJI_PIECE:
        return int(emoji.emoji_count(" ".join(runs)))
    return sum(int(emoji.emoji_count(piece)) for run in runs for piece in _pieces(run))


# The emoji tokenizer's time grows with the square of a run of joined characters (a chain of
# zero-width joiners, 40 KB of it took 12 s, even cut and joined by spaces again): runs are
# counted in pieces of at most this many characters, cut where no joiner or modifier binds
# the next character to the last. The
# longest real emoji sequence (a family, a flag of a region) is under a dozen.
EMOJI_PIECE = 32
# What binds to the character before it: a joiner, variation selectors, the keycap, skin
# tones, and the tag characters of a region's flag (England's, Scotland's).
_BINDS = (
    frozenset("\u200d\ufe0f\ufe0e\u20e3")
    | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
    | frozenset(chr(c) for c in range(0xE0020, 0xE0080))
)
_REGIONAL = range(0x1F1E6, 0x1F200)  # a country's flag is two of these


def _pieces(run: str) -> list[str]:
    if len(run) <= EMOJI_PIECE:
        return [run]
    pieces, begin = [], 0
    while len(run) - begin > EMOJI_PIECE:
        cut = begin + EMOJI_PIECE
        while cut > begin + 1 and not _cuttable(run, begin, cut):
            cut -= 1  # back to where nothing binds across
        if cut == begin + 1:  # a whole piece of joined characters: no real emoji is that long
            cut = begin + EMOJI_PIECE
        pieces.append(run[begin:cut])
        begin = cut
    pieces.append(run[begin:])
    return pieces


def _cuttable(run: str, begin: int, cut: int) -> bool:
    """Whether ``run`` may be cut before ``cut``: nothing there binds to what precedes, and no
    flag's pair of regional indicators is split (counted in pairs from the start of theirs)."""
    if run[cut] in _BINDS or run[cut - 1] == "\u200d":
        return False
    if ord(run[cut]) not in _REGIONAL or ord(run[cut - 1]) not in _REGIONAL:
        return True
    first = cut
    while first > begin and ord(run[first - 1]) in _REGIONAL:
        first -= 1
    return (cut - first) % 2 == 0


def count_emotes(text: str) -> int:
    """Reddit emotes written as their markup (:data:`_EMOTE`)."""
    return len(_EMOTE.findall(text)) if "](emote|" in text else 0


def visible_length(text: str) -> int:
    """The length a reader sees: each emote's markup counts as one character."""
    if "](emote|" not in text:
        return len(text)
    return len(text) - sum(len(m) - 1 for m in _EMOTE.findall(text))


def text_features(title: str, body: str, flair: str | None, kind: str, *, sentiment: bool = True) -> TextFeatures:
    text = f"{title}\n{body}" if title else body
    emoji_count = count_emoji(text) + count_emotes(text)
    rocket_count = text.count(_ROCKET)
    cut = text[:FEATURE_TEXT_LIMIT]
    normalised = normalise(cut)
    opening = cut[:SENTIMENT_TEXT_LIMIT]
    polarity = (
        round(float(_analyzer().polarity_scores(opening)["compound"]), 4) if sentiment and opening.strip() else None
    )
    return TextFeatures(
        emoji_count=emoji_count,
        rocket_count=rocket_count,
        is_dd=is_dd(text, flair, kind),
        # outside links: "$" in a URL's query is no cashtag a reader sees
        cashtag_count=len(
            {m.group(1).upper() for m in _CASHTAG.finditer(_URL.sub(" ", text) if "$" in text else text)}
        ),
        text_hash=text_hash(normalise(text)),
        minhash=minhash_signature(normalised),
        sentiment=polarity,
    )
