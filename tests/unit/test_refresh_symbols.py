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


def _screened(count: int) -> list[dict[str, str]]:
    return [{"symbol": _symbol("S", i), "name": f"{_symbol('S', i)} Inc Common Stock"} for i in range(count)]


def test_a_screener_of_one_exchange_keeps_the_other_exchanges_stocks(tmp_path: Path) -> None:
    screener = tmp_path / "nasdaq_screener.json"
    screener.write_text(json.dumps([{"symbol": "NEWCO", "name": "New Co Common Stock"}, *_screened(700)]))
    listings, provenance = refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(screener)])
    symbols = {x.symbol: x for x in listings}
    assert "NEWCO" in symbols and "QAAB" not in symbols  # NASDAQ's stocks: the screener's
    assert symbols["NAAB"].exchange == "NYSE" and symbols["SPYX"].kind == "etf"  # the rest: the directory's
    assert "for NASDAQ" in provenance[-1]
    # the screener's API answer as downloaded reads the same; anything else is said, not a traceback
    screener.write_text(
        json.dumps({"data": {"rows": [{"symbol": "NEWCO", "name": "New Co Common Stock"}, *_screened(700)]}})
    )
    assert refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(screener)])[0] == listings
    screener.write_text(json.dumps({"status": {"rCode": 400}}))
    with pytest.raises(SystemExit, match="not a screener's rows"):
        refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(screener)])


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


def test_a_screener_is_read_as_the_exchange_its_file_names_and_never_thins_it_out(tmp_path: Path) -> None:
    american = tmp_path / "nyse_american_screener.json"
    american.write_text(json.dumps(_screened(10)))
    listings, _ = refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(american)])
    symbols = {x.symbol: x for x in listings}
    assert symbols["SAAB"].exchange == "NYSE American" and symbols["NAAB"].exchange == "NYSE"  # NYSE's stay
    empty = tmp_path / "nasdaq_screener.json"
    empty.write_text("[]")
    with pytest.raises(SystemExit, match="0 NASDAQ stocks against the directory's 1200"):
        refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(empty)])
    unnamed = tmp_path / "screener.json"
    unnamed.write_text(json.dumps(_screened(10)))
    with pytest.raises(SystemExit, match="name its exchange"):
        refresh.build(_nasdaq(tmp_path, 1200), _other(tmp_path, 1200), [str(unnamed)])


def test_what_is_traded_is_read_from_the_issue_not_the_issuers_name(tmp_path: Path) -> None:
    rows = [
        "PFBC|Preferred Bank - Common Stock|Q|N|N|100|N|N",
        "PFF|iShares Preferred and Income Securities ETF|G|N|N|100|Y|N",
        "FOOU|Foo Acquisition Corp - Units, each of one share of Class A Common Stock and one warrant|Q|N|N|100|N|N",
        "FOOW|Foo Acquisition Corp - Warrant|Q|N|N|100|N|N",
        "BARP|Bar Corp - Depositary Shares representing 1/1000th of 6.5% Series A Preferred Stock|Q|N|N|100|N|N",
        "BAZW|Baz Corp - Common Stock When Issued|Q|N|N|100|N|N",
        "BAZR|Baz Corp - Class A Common Stock Rights|Q|N|N|100|N|N",
        "BAZN|Baz Corp - Common Stock new|Q|N|N|100|N|N",
    ]
    path = Path(_nasdaq(tmp_path, 1200))
    path.write_text(path.read_text().replace(STAMP, "\n".join(rows) + f"\n{STAMP}"))
    other = Path(_other(tmp_path, 1200))
    other.write_text(
        other.read_text().replace(
            STAMP,
            "APTS|Preferred Apartment Communities Inc Common Stock|N|APTS|N|100|N|APTS\n"
            "BAZU|Baz Corp Units, each consisting of one share of Common Stock|N|BAZU|N|100|N|BAZU\n"
            "BAZX|Baz Corp 5.50% Notes due 2029 Exchangeable into Common Stock|N|BAZX|N|100|N|BAZX\n" + STAMP,
        )
    )
    listings, _ = refresh.build(str(path), str(other), [])
    kinds = {x.symbol: x.kind for x in listings}
    assert kinds["PFBC"] == "stock" and kinds["APTS"] == "stock" and kinds["PFF"] == "etf"
    assert kinds["BAZN"] == "stock"
    assert not {"FOOU", "FOOW", "BARP", "BAZU", "BAZW", "BAZR", "BAZX"} & set(kinds)
