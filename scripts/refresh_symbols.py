"""Rebuild ``common/data/symbols.csv`` (and optionally ``common/data/words.csv``).

The symbol universe comes from the NASDAQ Trader symbol directory, the exchanges' own list
of every security listed on NASDAQ, NYSE, NYSE American, NYSE Arca and Cboe BZX:

    https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt
    https://www.nasdaqtrader.com/dynamic/SymDir/otherlisted.txt

Optionally, newer stock listings from the NASDAQ stock screener export (the JSON rows of
``https://api.nasdaq.com/api/screener/stocks?exchange=nasdaq|nyse|amex&download=true``) can
be given with ``--screener``; then the common stocks of the exchanges those files cover come
from the screener (newer), and the other exchanges' stocks and the ETFs from the directory
(the screener has no ETFs); each file names its exchange in its file name (``nasdaq``,
``nyse``, ``amex``). Kept: common stocks, ADRs and ETFs/ETNs. Dropped: test issues,
warrants, rights, units, preferreds, notes (read from the issue, not the issuer's name). A
directory file of fewer than a thousand listings (an error page, a cut download), or a
screener listing fewer than half the stocks the directory lists for its exchange, stops it
before anything is written, and ``symbols.csv`` is replaced whole, never left half written.

Without internet access, ``scripts/build_universe.py`` builds a thinner universe from registry
packages and the curated lists in ``common/data`` instead. It also writes
``gone_before_2022.csv`` (symbols of a 2020 snapshot gone by 2022-12, for texts of those
years); this script leaves that file alone, and a symbol it lists again wins over it
(``common/listings.py``).

Usage (with internet)::

    python scripts/refresh_symbols.py                       # download the directory, write symbols.csv
    python scripts/refresh_symbols.py --nasdaq-listed a.txt --other-listed b.txt [--screener x.json ...]

``--words`` rebuilds ``words.csv`` (how common each 2-5 letter string is as a word, zipf
scale) from the ``wordfreq`` package, which is not a project dependency:
``pip install wordfreq==3.1.1`` in a scratch venv first. Words change slowly; symbols don't.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "common" / "data"
NASDAQ_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/nasdaqlisted.txt"
OTHER_LISTED_URL = "https://www.nasdaqtrader.com/dynamic/SymDir/otherlisted.txt"

_SYMBOL = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z])?$")
_NOT_EQUITY = re.compile(
    r"\b(warrants?|rights?|units?|preferred|depositary shares? represent|notes? due|debentures?|"
    r"subordinated|when issued|% senior|trust preferred)\b",
    re.IGNORECASE,
)
_NAME_TAIL = re.compile(
    r"\s*(?:-\s*)?(?:class [a-z] )?(?:common stock|common shares|ordinary shares|american depositary shares|"
    r"new common stock|common stock new|shares of beneficial interest|capital stock)\b.*$",
    re.IGNORECASE,
)
# A name is "Issuer - Issue" in nasdaqlisted, "Issuer Issue" in otherlisted and the screener.
# Only the issue says what is traded: "Preferred Bank - Common Stock" is a common stock.
_COMMON = (
    r"(?:class [a-z] )?(?:common stock|common shares|ordinary shares|american depositary shares|"
    r"shares of beneficial interest|capital stock)"
)
_COMMON_ALONE = re.compile(r"\s*" + _COMMON + r"(?: new)?\s*", re.IGNORECASE)
_COMMON_LAST = re.compile(_COMMON + r"(?: new)?\s*$", re.IGNORECASE)
# what _NOT_EQUITY names but "preferred": read in an issuer's name, the word is the issuer's
# ("Preferred Apartment Communities Inc Common Stock")
_NOT_EQUITY_BUT_PREFERRED = re.compile(
    r"\b(warrants?|rights?|units?|depositary shares? represent|notes? due|debentures?|"
    r"subordinated|when issued|% senior)\b",
    re.IGNORECASE,
)
_FUND = re.compile(r"\b(ETF|ETN|Exchange[- ]Traded)\b")
MIN_PER_DIRECTORY = 1000  # each directory file lists thousands (2025: about 5,000 and 6,000)
# A screener replaces its exchange's stocks: one listing fewer than half as many as the
# directory does (an empty answer, a cut download) would drop the rest without a word.
MIN_SCREENER_SHARE = 0.5
# Which exchange a screener file holds, from its name; NYSE American before NYSE.
_SCREENER_NAMES = (("amex", "NYSE American"), ("american", "NYSE American"), ("nasdaq", "NASDAQ"), ("nyse", "NYSE"))
_EXCHANGES = {"Q": "NASDAQ", "N": "NYSE", "A": "NYSE American", "P": "NYSE Arca", "Z": "Cboe BZX", "V": "IEX"}


@dataclass(frozen=True)
class Listing:
    symbol: str
    name: str
    kind: str  # "stock" | "etf"
    exchange: str


def _read(path_or_url: str) -> str:
    if path_or_url.startswith("https://"):
        with urllib.request.urlopen(path_or_url, timeout=60) as response:  # fixed https URLs only
            return str(response.read().decode("utf-8", errors="replace"))
    return Path(path_or_url).read_text(encoding="utf-8", errors="replace")


def _equity(name: str, fund: bool) -> bool:
    """Kept: funds ("iShares Preferred and Income Securities ETF"), common issues whatever
    their issuer is called ("Preferred Bank - Common Stock", "Preferred Bank Common Stock"),
    and anything else not named a warrant, right, unit, preferred or note."""
    if fund:
        return True
    _, dash, issue = name.partition(" - ")
    if dash:  # "Common Stock" alone, or an issue not named a warrant, right, unit, preferred...
        return bool(_COMMON_ALONE.fullmatch(issue)) or not _NOT_EQUITY.search(issue)
    if _COMMON_LAST.search(name):  # "Notes due 2029 exchangeable into Common Stock" is a note
        return not _NOT_EQUITY_BUT_PREFERRED.search(_COMMON_LAST.sub("", name))
    return not _NOT_EQUITY.search(name)


def _clean_name(name: str) -> str:
    return _NAME_TAIL.sub("", name).strip(" -,") or name.strip()


def _directory(text: str, symbol_column: str, exchange_column: str | None) -> tuple[list[Listing], str]:
    """Parse one pipe-separated directory file; also return its 'File Creation Time' line."""
    lines = text.splitlines()
    stamp = next((line.split("|")[0] for line in lines if line.startswith("File Creation Time")), "")
    digits = re.sub(r"\D", "", stamp)  # "File Creation Time: 0721202521:31" -> MMDDYYYYHHMM
    created = f"{digits[4:8]}-{digits[0:2]}-{digits[2:4]}" if len(digits) >= 8 else "unknown date"
    rows = csv.DictReader(
        io.StringIO("\n".join(line for line in lines if not line.startswith("File Creation"))), delimiter="|"
    )
    out = []
    for row in rows:
        symbol = (row.get(symbol_column) or "").strip()
        name = (row.get("Security Name") or "").strip()
        # grantor trusts such as IBIT are flagged ETF=N but trade and are discussed as ETFs
        fund = row.get("ETF") == "Y" or bool(_FUND.search(name))
        if row.get("Test Issue") != "N" or not _SYMBOL.match(symbol) or not _equity(name, fund):
            continue
        exchange = _EXCHANGES.get(row.get(exchange_column, "") if exchange_column else "Q", "NASDAQ")
        out.append(Listing(symbol, _clean_name(name), "etf" if fund else "stock", exchange))
    return out, created


def _screener(text: str, exchange: str) -> list[Listing]:
    """The screener's rows: the list the site's export writes, or its API's answer as
    downloaded ({"data": {"rows": [...]}}, or {"data": {"table": {"rows": [...]}}})."""
    loaded = json.loads(text)
    if isinstance(loaded, dict):
        data = loaded.get("data")
        data = data if isinstance(data, dict) else {}
        table = data.get("table")
        loaded = data.get("rows") or (table.get("rows") if isinstance(table, dict) else None)
    if not isinstance(loaded, list) or not all(isinstance(row, dict) for row in loaded):
        raise SystemExit(f"not a screener's rows for {exchange}: a list of objects, or the answer's data.rows")
    out = []
    for row in loaded:
        symbol = str(row.get("symbol", "")).strip().replace("/", ".")
        name = str(row.get("name", "")).strip()
        if _SYMBOL.match(symbol) and _equity(name, fund=False):
            out.append(Listing(symbol, _clean_name(name), "stock", exchange))
    return out


def _screener_exchange(path: str) -> str:
    """The exchange a screener file holds, named in its file name as the export names it."""
    file = Path(path).name.lower()
    found = next((exchange for key, exchange in _SCREENER_NAMES if key in file), None)
    if found is None:
        raise SystemExit(f"{Path(path).name}: name its exchange in the file name (nasdaq, nyse or amex)")
    return found


def build(
    nasdaq_listed: str, other_listed: str, screeners: list[str], screener_date: str = ""
) -> tuple[list[Listing], list[str]]:
    """The merged universe and the provenance lines for the file header."""
    nasdaq, nasdaq_created = _directory(_read(nasdaq_listed), "Symbol", None)
    other, other_created = _directory(_read(other_listed), "ACT Symbol", "Exchange")
    for name, found in (("nasdaqlisted", nasdaq), ("otherlisted", other)):
        if len(found) < MIN_PER_DIRECTORY:  # an error page, an empty or cut download: never a universe
            raise SystemExit(
                f"{name} gave {len(found)} listings (at least {MIN_PER_DIRECTORY} expected): nothing written"
            )
    directory = {x.symbol: x for x in nasdaq + other}
    provenance = [
        f"NASDAQ Trader symbol directory: nasdaqlisted.txt ({nasdaq_created}), otherlisted.txt ({other_created})",
    ]
    if screeners:
        stocks: dict[str, Listing] = {}
        covered: set[str] = set()
        for path in screeners:
            name = _screener_exchange(path)
            covered.add(name)
            for listing in _screener(_read(path), name):
                stocks.setdefault(listing.symbol, listing)
        for name in covered:
            listed = sum(1 for x in directory.values() if x.kind == "stock" and x.exchange == name)
            screened = sum(1 for x in stocks.values() if x.exchange == name)
            if screened < MIN_SCREENER_SHARE * listed:
                raise SystemExit(
                    f"the screener gave {screened} {name} stocks against the directory's {listed}: nothing written"
                )
        # the directory's stocks of exchanges no screener covered stay (one screener file given
        # must not drop the other exchanges' stocks), and its ETFs
        rest = {
            s: x for s, x in directory.items() if s not in stocks and (x.kind == "etf" or x.exchange not in covered)
        }
        merged = {**stocks, **rest}
        files = ", ".join(Path(p).name for p in screeners)
        when = screener_date or "date not given"
        provenance.append(
            f"stocks from the NASDAQ stock screener export ({files}; {when}) for {', '.join(sorted(covered))}; "
            "the other exchanges' stocks and ETFs from the directory"
        )
    else:
        merged = directory
    return sorted(merged.values(), key=lambda x: x.symbol), provenance


def write_symbols(listings: list[Listing], provenance: list[str], dest: Path) -> None:
    """Written beside ``dest`` and moved over it whole: a failure leaves the old universe."""
    partial = dest.with_name(dest.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as f:
        built = f"{datetime.now(UTC):%Y-%m-%d}"
        f.write(f"# US-listed stocks and ETFs for ticker extraction; built {built} by scripts/refresh_symbols.py\n")
        for line in provenance:
            f.write(f"# source: {line}\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "name", "kind", "exchange"])
        for x in listings:
            writer.writerow([x.symbol, x.name, x.kind, x.exchange])
    os.replace(partial, dest)


def write_words(dest: Path) -> None:
    """Every 2-5 letter English string with zipf >= 2.5, from wordfreq (a blend of Wikipedia,
    subtitles, news, books, web text, Twitter and Reddit)."""
    try:
        from wordfreq import top_n_list, zipf_frequency  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        sys.exit("--words needs wordfreq: pip install wordfreq==3.1.1 (in a scratch venv)")
    words = [w for w in top_n_list("en", 200_000) if re.fullmatch(r"[a-z]{2,5}", w)]
    with dest.open("w", encoding="utf-8", newline="") as f:
        f.write(
            f"# zipf frequency of 2-5 letter English words >= 2.5; wordfreq 3.1.1, built {datetime.now(UTC):%Y-%m-%d}\n"
        )
        f.write("word,zipf\n")
        for w in words:
            z = zipf_frequency(w, "en")
            if z >= 2.5:
                f.write(f"{w},{z:.2f}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nasdaq-listed", default=NASDAQ_LISTED_URL, help="path or URL of nasdaqlisted.txt")
    parser.add_argument("--other-listed", default=OTHER_LISTED_URL, help="path or URL of otherlisted.txt")
    parser.add_argument("--screener", action="append", default=[], help="NASDAQ screener JSON rows (repeatable)")
    parser.add_argument("--screener-date", default="", help="date of the screener export, for the header")
    parser.add_argument("--words", action="store_true", help="also rebuild words.csv (needs wordfreq)")
    args = parser.parse_args()
    listings, provenance = build(args.nasdaq_listed, args.other_listed, args.screener, args.screener_date)
    write_symbols(listings, provenance, DATA / "symbols.csv")
    print(f"wrote {len(listings)} symbols to {DATA / 'symbols.csv'}")
    if args.words:
        write_words(DATA / "words.csv")
        print(f"wrote {DATA / 'words.csv'}")


if __name__ == "__main__":
    main()
