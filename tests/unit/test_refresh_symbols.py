"""scripts/refresh_symbols.py on directory files of our own: what a partial or broken download
must never do to the universe."""

import json
from pathlib import Path

import pytest

from tests.support import scripts

refresh = scripts.load("refresh_symbols")
STAMP = "File Creation Time: 0721202521:31|||||||"


def _symbol(first: str, i: int) -> str:
    """``first`` and three letters counting ``i`` (symbols are letters only)."""
    return first + "".join(chr(65 + (i // 26**k) % 26) for k in (2, 1, 0))


def _nasdaq(tmp_path: Path, count: int) -> str:
    rows = [f"{_symbol('Q', i)}|{_symbol('Q', i)} Corp - Common Stock|Q|N|N|100|N|N" for i in range(count)]
    text = "Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares\n"
    path = tmp_path / "nasdaqlisted.txt"
    path.write_text(text + "\n".join(rows) + f"\n{STAMP}\n")
    return str(path)


def _other(tmp_path: Path, count: int) -> str:
    rows = [f"{(n := _symbol('N', i))}|{n} Inc Common Stock|N|{n}|N|100|N|{n}" for i in range(count)]
    rows.append("SPYX|SPDR Example ETF|P|SPYX|Y|100|N|SPYX")
    text = "ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|Round Lot Size|Test Issue|NASDAQ Symbol\n"
    path = tmp_path / "otherlisted.txt"
    path.write_text(text + "\n".join(rows) + f"\n{STAMP}\n")
    return str(path)


def test_a_download_too_small_to_be_the_directory_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("<html>Service Unavailable</html>\n")
    with pytest.raises(SystemExit, match="otherlisted gave 0 listings"):  # an error page
        refresh.build(_nasdaq(tmp_path, 1200), str(tmp_path / "empty.txt"), [])


def test_a_screener_of_one_exchange_keeps_the_other_exchanges_stocks(tmp_path: Path) -> None:
    screener = tmp_path / "nasdaq_screener.json"
    screener.write_text(json.dumps([{"symbol": "NEWCO", "name": "New Co Common Stock"}]))
    listings, provenance = refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(screener)])
    symbols = {x.symbol: x for x in listings}
    assert "NEWCO" in symbols and "QAAB" not in symbols  # NASDAQ's stocks: the screener's
    assert symbols["NAAB"].exchange == "NYSE" and symbols["SPYX"].kind == "etf"  # the rest: the directory's
    assert "for NASDAQ" in provenance[-1]


def test_the_universe_is_replaced_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "symbols.csv"
    dest.write_text("symbol,name,kind,exchange\nGME,GameStop,stock,NYSE\n")
    listings, provenance = refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [])

    class Full(Exception):
        pass

    def full(*_: object, **__: object) -> None:
        raise Full

    monkeypatch.setattr(refresh.csv, "writer", full)
    with pytest.raises(Full):
        refresh.write_symbols(listings, provenance, dest)
    assert "GME,GameStop" in dest.read_text()  # the old universe, not a header alone
    monkeypatch.undo()
    refresh.write_symbols(listings, provenance, dest)
    assert "NBUD" in dest.read_text() and not (tmp_path / "symbols.csv.partial").exists()
