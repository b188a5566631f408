"""The values messages and settings share, checked where they enter. A value outside these
would fail later, where the failure is retried instead of dead-lettered: a path separator or
a reserved id ("__x__", "..") as a Firestore document id, a time no hour key can hold, or a
future no real item has, which would stop a ticker from counting for good."""

import base64
import binascii
import math
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints, ValidationError

from common.timekeys import hour_start

# A subreddit names its ``cursors/`` document: it starts with a letter or digit, as Reddit's
# names do, so none is a reserved id.
Subreddit = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_]*$"),
]
# Where an item was posted: a subreddit, or a user's profile (u_name, whose name may hold a
# hyphen). Only items carry it; what is configured and fetched is a Subreddit.
ItemSubreddit = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
# A run's id names its ``runs/`` document: no path separator, no reserved or dotted id.
RunId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Ticker = Annotated[str, StringConstraints(min_length=1, max_length=12, pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]*$")]
# An item's id keys its ``items/`` records and names documents: Reddit's fullnames (t3_...,
# t1_...) and the importer's prefixed ids fit; a path separator, a dot or a "__x__" would not.
# An hour bucket names up to 8,000 of them (functions/aggregate/store.py ITEMS_MAX): at 64
# characters that is half of Firestore's 1 MiB a document, at 128 more than all of it.
ITEM_ID_MAX = 64
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=ITEM_ID_MAX, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]
# Firestore keeps integers as int64: a larger count would fail every write of its batch.
Int64 = Annotated[int, Field(ge=-(2**63), lt=2**63)]
Count = Annotated[int, Field(ge=0, lt=2**63)]
# What an hour bucket sums over its mentions (text length, score, comments): each bounded so
# the sum of a million stays inside int64, where a Firestore Increment past it fails the whole
# commit on every redelivery. Reddit's own values are many orders of magnitude smaller.
SUMMED_MAX = 2**43
Summed = Annotated[int, Field(ge=-SUMMED_MAX, le=SUMMED_MAX)]
SummedCount = Annotated[int, Field(ge=0, le=SUMMED_MAX)]
REDDIT_BEGAN = 1117584000.0  # 2005-06-01: no Reddit item is older
DATA_TIME_LIMIT = 4102444800.0  # 2100-01-01
DataTime = Annotated[float, Field(ge=REDDIT_BEGAN, lt=DATA_TIME_LIMIT)]


def _an_hour(key: str) -> str:
    hour_start(key)  # raises ValueError for "2021023112": pydantic reports it as invalid
    return key


HourKey = Annotated[str, StringConstraints(pattern=r"^\d{10}$"), AfterValidator(_an_hour)]


# The MinHash permutations of a near-duplicate signature (common.features reads it from
# here): a signature is that many 32-bit words, 172 base64 characters. Changing it refuses
# the mentions in flight at the rollout, and stored signatures of the old width are skipped.
MINHASH_WORDS = 32


def check_signature(value: str) -> str:
    """A near-duplicate signature is base64 of ``MINHASH_WORDS`` 32-bit words
    (common.features), or empty: one that does not decode would fail every later batch that
    compares against it, and a wider one, kept hundreds of times in a ticker's state, could
    push that document past Firestore's 1 MiB on every later write."""
    if value:
        try:
            raw = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"not base64: {exc}") from exc
        if not raw or len(raw) % 4:
            raise ValueError("not a whole number of 32-bit words")
        if len(raw) != 4 * MINHASH_WORDS:
            raise ValueError(f"{len(raw) // 4} 32-bit words, not {MINHASH_WORDS}")
    return value


SIGNATURE_MAX = 4 * -(-4 * MINHASH_WORDS // 3)  # base64 of the signature's bytes: 172
Signature = Annotated[str, StringConstraints(max_length=SIGNATURE_MAX), AfterValidator(check_signature)]


def well_formed(text: str) -> str:
    """``text`` with its lone surrogates (which JSON lets in as escapes) replaced by U+FFFD and
    split pairs joined: as they were, the first encode (the extractor's, a message's) raised,
    and the item came back every run to fail it again."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


Text = Annotated[str, AfterValidator(well_formed)]

# What a mention carries into its ticker's state document (evidence, duplicate signatures),
# rewritten on every later batch: within Reddit's own bounds (a username has 3 to 20
# characters, a title at most 300), so no message can push that document toward Firestore's
# 1 MiB and fail every write of the ticker until it is dead-lettered. A longer author, link or
# hash is from no Reddit item and refused; a longer title, only ever cited, is cut.
AUTHOR_MAX = 64
LINK_MAX = 1000
HASH_MAX = 64
TITLE_MAX = 300
Author = Annotated[Text, Field(max_length=AUTHOR_MAX)]
Link = Annotated[Text, Field(max_length=LINK_MAX)]
TextHash = Annotated[str, StringConstraints(max_length=HASH_MAX)]
Title = Annotated[Text, AfterValidator(lambda text: text[:TITLE_MAX])]


def problems(exc: ValidationError, limit: int = 2000) -> str:
    """What failed and why, one ``where: why`` per problem, without the values: pydantic's own
    message quotes the input, which may be large or a credential (a chat webhook's URL)."""
    said = (
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors(include_url=False, include_input=False)
    )
    return "; ".join(said)[:limit]


def number(value: object) -> float | None:
    """A count or a time as JSON gives it (Reddit's answers, stored documents); None for
    anything else (a string, a bool, not finite), which reads as unknown, never as a failure."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        found = float(value)  # an int of hundreds of digits is no float
    except OverflowError:
        return None
    return found if math.isfinite(found) else None


def karma(link: object, comment: object) -> int | None:
    """An account's karma from its two parts as given: known when every part given is a
    number (one not given counts 0), else None; a value that is no number is unknown."""
    given = [v for v in (link, comment) if v is not None]
    parts = [number(v) for v in given]
    if not given or None in parts:
        return None
    total = sum(p for p in parts if p is not None)
    if not (math.isfinite(total) and -(2**63) <= total < 2**63):
        return None  # past what Firestore and the messages hold (Int64): unknown, not an error downstream
    return int(total)


def epoch(value: object) -> float | None:
    """A time as an export writes it: epoch seconds as a number or as text, or an ISO 8601
    date (UTC when it names no zone); None for anything else (a bool, "nan", a word)."""
    if isinstance(value, int | float):  # a bool too: number() refuses it
        return number(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        found = float(text)
    except ValueError:
        pass
    else:
        return found if math.isfinite(found) else None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def in_seconds(at: float) -> tuple[float, bool]:
    """``at`` in seconds, and whether it was given in milliseconds (pandas' ``to_json`` writes
    dates so): no second of Reddit's years is a number that large, so one is never taken for
    the other."""
    if REDDIT_BEGAN * 1000 <= at < DATA_TIME_LIMIT * 1000:
        return at / 1000, True
    return at, False


def web_link(permalink: str, web: str) -> str | None:
    """Where a cited item opens: Reddit's page (``web``, or the local Reddit's in a replay) of
    a permalink that is a path there, or a full link to that site or reddit.com; None for
    anything else. A stored or replayed permalink is data: "@other.site/x" after the site's
    name would be another site, and a link in an alert must not lead there."""
    site = urlsplit(web).hostname or ""
    if permalink.startswith(("http://", "https://")):
        try:
            host = urlsplit(permalink).hostname or ""
        except ValueError:  # "https://[x": no URL at all
            return None
        ours = host in {site, "reddit.com"} or host.endswith(".reddit.com")
        return permalink if ours and "\\" not in permalink else None
    if permalink.startswith("/") and not permalink.startswith(("//", "/\\")) and "\\" not in permalink:
        return f"{web.rstrip('/')}{permalink}"
    return None
