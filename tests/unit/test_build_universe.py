"""Steps of ``scripts/build_universe.py``: only shares of companies that left before the 2022
base list become ``gone_before_2022.csv`` rows, so a warrant, a fund or a surviving issuer's
note never turns into a symbol of 2020-22 texts; the ETFs read from a package are US-listed
and no English word."""

import csv
import importlib.util
import sqlite3
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

from common.listings import Listings

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "common" / "data"


def _build_universe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_universe", ROOT / "scripts" / "build_universe.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_universe"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _wheel(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    db = tmp_path / "Stocks.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE stocks (symbol text, name text)")
        conn.executemany("INSERT INTO stocks VALUES (?, ?)", rows)
    wheel = tmp_path / "ticker_terms-0.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.write(db, "ticker_terms/DB/Stocks.db")
    return wheel


def test_only_shares_of_companies_gone_before_2022_are_kept(tmp_path: Path) -> None:
    build = _build_universe()
    wheel = _wheel(
        tmp_path,
        [
            ("CCXI", "Chemocentryx Inc"),  # left in 2022: kept
            ("GME", "Gamestop Corp"),  # in the 2022 list: not gone
            ("ACAM", "Acamar Partners Acquisition Corp Cl A"),  # a SPAC share: kept
            ("ACAMU", "Acamar Partners Acquisition Corp Units"),
            ("ACAMW", "Acamar Partners Acquisition Corp WT"),
            ("AFINP", "American Finance Trust Inc Pfd Ser A"),
            ("UTX.P", "United Technologies Corp [Utx/I]"),
            ("CARR", "Carrier Global Corporation [Carr/I]"),  # when-issued
            ("AAXJ", "All Country Asia Ex Japan Ishares MSCI ETF"),  # funds are not in the 2022 list
            ("TDS", "Telephone and Data Systems"),
            ("TDA", "Telephone and Data Systems Inc"),  # TDS's note: its issuer still trades
            ("AGM-A", "Federal Agricultural Mortgage Corp [Agm/Pa]"),
        ],
    )
    snapshot = build.snapshot_2020(wheel)
    assert set(snapshot) == {"CCXI", "GME", "ACAM", "AAXJ", "TDS", "TDA"}
    assert snapshot["AAXJ"].kind == "etf" and snapshot["CCXI"].name == "Chemocentryx Inc"
    gone = build.gone_before_2022(snapshot, known={"GME", "TDS"})
    assert [x.symbol for x in gone] == ["ACAM", "CCXI"]


def test_the_shipped_file_names_its_source_and_adds_only_symbols_nothing_else_dates() -> None:
    path = DATA / "gone_before_2022.csv"
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    assert any("ticker-terms 0.3" in line and "MIT" in line for line in header)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert len(rows) > 500
    assert {(r["traded_on"], r["gone_by"]) for r in rows} == {("2020-04-01", "2022-12-01")}
    elsewhere: set[str] = set()
    for name in ("symbols.csv", "symbol_history.csv", "delisted_since_2022.csv", "listings_since_2022.csv"):
        with (DATA / name).open(encoding="utf-8") as f:
            elsewhere |= {r["symbol"] for r in csv.DictReader(line for line in f if not line.startswith("#"))}
    assert not {r["symbol"] for r in rows} & elsewhere


def test_a_symbol_listed_again_today_is_todays_company(tmp_path: Path) -> None:
    files = {
        "symbols.csv": "symbol,name,kind,exchange\nZEN,New Zen Corp,stock,NYSE\n",
        "gone_before_2022.csv": "# 2020\nsymbol,name,kind,traded_on,gone_by\n"
        "ZEN,Zendesk Inc,stock,2020-04-01,2022-12-01\nCCXI,Chemocentryx Inc,stock,2020-04-01,2022-12-01\n",
        "listings_since_2022.csv": "symbol,name,kind,exchange,listed\n",
        "delisted_since_2022.csv": "symbol,what happened,year\n",
        "symbol_history.csv": "symbol,name,listed,delisted,successor,precision,change\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    listings = Listings.load(tmp_path)
    assert listings.valid("ZEN", None) and listings.valid("ZEN", 1.9e9)
    assert not listings.valid("CCXI", None) and listings.valid("CCXI", 1.62e9)  # 2021-05
    assert listings.names == {"CCXI": "Chemocentryx Inc"}


def test_etfs_of_the_package_are_us_listed_funds_whose_symbols_are_no_word(tmp_path: Path) -> None:
    build = _build_universe()
    rows = [  # made-up funds, in the package's columns
        ("united states", "Alpha Sector Fund", "ZQXA", "NYSE"),
        ("united states", "Beta Moon Fund", "MOON", "NYSE Arca"),  # a word: curated or nothing
        ("united states", "Gamma Fund", "ZQXB", "OTC Markets"),  # not an exchange
        ("australia", "Delta Fund", "ZQXC", "Sydney"),
        ("united states", "VS 2X VIX Short Term", "TVIX", "NASDAQ"),  # closed in 2020
    ]
    source = tmp_path / "etfs.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["country", "name", "full_name", "symbol", "stock_exchange"])
        out.writerows((country, name, name, symbol, exchange) for country, name, symbol, exchange in rows)
    sdist = tmp_path / "investpy-1.0.8.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        tar.add(source, "investpy-1.0.8/investpy/resources/etfs.csv")
    etfs = build._investpy_etfs(sdist)
    assert list(etfs) == ["ZQXA"]
    assert (etfs["ZQXA"].name, etfs["ZQXA"].kind, etfs["ZQXA"].exchange) == ("Alpha Sector Fund", "fund", "NYSE")
