"""URLs and code are not prose: a URL counts only as a quote page (by its path, never its
query string or signature) and code only through quoted strings; both are blanked before
the prose rules read the text, so offsets stay valid."""

import bisect
import itertools
import re

from common.extraction.lexicon import _Found, _Kind
from common.extraction.universe import _Universe

# URLs with a scheme or "www.", and bare domains with a path ("stocktwits.com/symbol/ASTS").
# Both patterns start with a literal, so the regex engine skips ahead to candidates in C.
_URL = re.compile(r"(?:https?|HTTPS?)://\S+|(?:www|WWW)\.\S+")
_URLISH = re.compile(r"://|www\.|WWW\.|\.(?:com|org|net|gov|io|co|ai|app|finance|news|to|gg|ly|me)/")
_DOMAIN_PATH = re.compile(r"\.(?:com|org|net|gov|io|co|ai|app|finance|news|to|gg|ly|me)/")
# Quote pages name their symbol: /quote/GME, /symbol/ASTS, /symbols/NASDAQ-NVDA, ?t=PLTR,
# /market-activity/stocks/gme. Literal-led and case-sensitive (paths are lower case): fast.
_QUOTE_URL = re.compile(
    r"(?:/quote/|/symbols?/(?:[A-Z]+-)?|/stocks?/|/companies/|/market-activity/(?:stocks|etf)/|/quote\.ashx\?t=)"
    r"([A-Za-z]{1,5}(?:[.\-][A-Za-z])?)(?=[/?#)\]\s,;:!'\"]|\.(?:\s|$)|$)"
)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]+`|^(?: {4}|\t).*$", re.DOTALL | re.MULTILINE)
_CODE_STRING = re.compile(r"""['"]\$?([A-Z]{1,5}(?:\.[A-Z])?)['"]""")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by spaces: offsets stay valid."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        begin = max(start, last)  # overlapping spans (a URL inside code)
        parts.append(text[last:begin])
        parts.append(" " * max(0, end - begin))
        last = max(last, end)
    parts.append(text[last:])
    return "".join(parts)


def _not_prose(text: str, u: _Universe, found: dict[int, _Found]) -> str:
    """Read code (quoted strings only) and URLs (quote pages only) into ``found``; return the
    text with both blanked, for the prose rules."""
    skipped: list[tuple[int, int]] = []
    if "`" in text or "    " in text or "\t" in text:
        _read_code(text, u, found, skipped)
    if "/" in text:
        if "://" in text or "ww." in text or "WW." in text:
            urls = [m.span() for m in _URL.finditer(text)]
        else:  # bare domains with a path; inside a URL with a scheme they are part of it already
            urls = []
            for m in _DOMAIN_PATH.finditer(text):
                if urls and m.start() < urls[-1][1]:
                    continue  # inside the word already read: reading it again cost a walk each
                urls.append(_around(text, m.start()))
        code = sorted(skipped)
        code_starts = [a for a, _ in code]
        code_reach = list(itertools.accumulate((b for _, b in code), max))
        last = -1
        for start, end in urls:
            inside = bisect.bisect_right(code_starts, start)  # code spans that begin at or before it
            if start < last or (inside and code_reach[inside - 1] > start):
                continue  # the same bare domain twice, or a URL inside code
            last = end
            skipped.append((start, end))
            q = _QUOTE_URL.search(text, start, end)
            if q:
                symbol = q.group(1).upper().replace("-", ".")
                if symbol in u.names:
                    found[q.start(1)] = (symbol, q.start(1), q.start(1) + len(symbol), "symbol", 0.9, True)
    if not skipped:
        return text
    if len(skipped) == 1:
        start, end = skipped[0]
        return f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    return _blank(text, sorted(skipped))


def _read_code(text: str, u: _Universe, found: dict[int, _Found], skipped: list[tuple[int, int]]) -> None:
    """Code blocks and spans: skipped as prose; a quoted symbol in them ('TSLA') counts."""
    for m in _CODE.finditer(text):
        skipped.append(m.span())
        for s in _CODE_STRING.finditer(m.group(0)):
            symbol = s.group(1)
            if len(symbol) > 1 and u.kinds.get(symbol) in (_Kind.DISTINCT, _Kind.LOOSE):
                start = m.start() + s.start(1)
                found[start] = (symbol, start, start + len(symbol), "symbol", 0.8, True)


def _around(text: str, pos: int) -> tuple[int, int]:
    """The whitespace-delimited word around ``pos``: a bare domain and its path."""
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end
