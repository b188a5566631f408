"""Ticker extraction: the hard cases, pinned. Each test name says the behaviour it holds."""

import csv
import io
import json
import math
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import emoji
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common import extraction, ingest
from common.adapters.reddit import listed_comment_from
from common.extraction import TickerMention, cli, company_name, extract, is_listed, listing, symbols
from common.features import count_emoji, is_dd, text_features
from common.listings import Listings

ROOT = Path(__file__).resolve().parents[2]


# --- cashtags ----------------------------------------------------------------------------


def test_a_cashtag_is_a_ticker_in_any_letter_case() -> None:
    assert symbols("$GME and $gme and $Gme") == ["GME"]


def test_class_shares_keep_their_dot() -> None:
    assert symbols("$BRK.B is boring, $brk.b even more") == ["BRK.B"]


def test_a_sentence_ending_after_a_cashtag_does_not_change_it() -> None:
    assert symbols("I bought $TSLA. Then I sold $NVDA!") == ["TSLA", "NVDA"]


def test_a_delisted_cashtag_is_kept_but_marked_unknown() -> None:
    mentions = extract("$BBBY bagholders unite")
    assert [(m.symbol, m.method, m.known) for m in mentions] == [("BBBY", "cashtag", False)]
    assert symbols("$BBBY bagholders unite") == []


def test_dollar_amounts_are_not_cashtags() -> None:
    assert extract("I lost $5k on $10 calls, down $300") == []


def test_a_dollar_glued_to_a_word_is_not_a_cashtag() -> None:
    assert symbols("x$GME") == []
    assert symbols("$GME_calls and $$AMC") == []  # an identifier, a typo
    assert extract("$GME__calls diamond_$hands $Café é$GME $GME²") == []  # inside a word, in any script


def test_a_cashtag_in_markdown_emphasis_is_a_cashtag() -> None:
    assert symbols("__$GME__ and _$AMC_ are it, **_$TSLA_**") == ["GME", "AMC", "TSLA"]
    assert text_features("", "__$GME__ __$AMC__", None, "comment").cashtag_count == 2


def test_mentions_carry_offsets_that_point_at_the_symbol() -> None:
    text = "Loaded up on $pltr and Nvidia 🚀🚀GME🚀"
    for mention in extract(text):
        assert isinstance(mention, TickerMention)
        assert mention.symbol.lower() in text[mention.start : mention.end].lower() or mention.method == "name"
        assert 0 <= mention.start < mention.end <= len(text)
        assert 0.0 < mention.confidence <= 1.0


# --- words that are tickers -------------------------------------------------------------


def test_the_word_it_is_not_a_ticker_in_an_all_caps_rant() -> None:
    assert symbols("IT IS ALL GOING TO ZERO AND I AM STILL BUYING") == []


def test_common_words_in_capitals_are_not_tickers_without_evidence() -> None:
    for text in ["IT is what it is", "ALL IN baby", "Turn ON notifications", "NOW is the time", "Market OPEN soon"]:
        assert symbols(text) == [], text


def test_jargon_is_never_a_ticker_as_a_bare_word() -> None:
    assert symbols("DD: the CEO said EPS beat, new ATH IMO, YOLO, USA") == []


def test_a_word_ticker_right_next_to_calls_is_the_ticker() -> None:
    assert symbols("Bought ON calls before earnings") == ["ON"]
    assert symbols("AI 30c for earnings") == ["AI"]


def test_ai_as_a_topic_is_not_c3_ai() -> None:
    assert symbols("AI is going to eat every software company's lunch") == []
    assert symbols("Every earnings call is AI AI AI") == []


def test_the_company_name_next_to_a_word_ticker_makes_it_the_ticker() -> None:
    assert symbols("Allstate (ALL) is cheap after the catastrophe losses") == ["ALL"]
    assert symbols("Grocery Outlet (GO) got smoked after guidance") == ["GO"]


def test_a_cashtag_elsewhere_in_the_thread_makes_a_bare_word_the_ticker() -> None:
    assert symbols("ON is my biggest position", thread_symbols=frozenset({"ON"})) == ["ON"]
    assert symbols("ON is my biggest position") == []


def test_a_cashtag_elsewhere_in_the_same_text_makes_a_bare_word_the_ticker() -> None:
    assert symbols("NOW beat again. $NOW to 1000") == ["NOW"]


# --- bare symbols --------------------------------------------------------------------------


def test_a_distinct_symbol_in_capitals_is_a_ticker_in_mixed_case_text() -> None:
    assert symbols("sold PLTR at 30, biggest mistake of my life") == ["PLTR"]


def test_a_well_known_ticker_counts_in_an_all_caps_post() -> None:
    assert symbols("GME TO THE MOON!!! APES TOGETHER STRONG") == ["GME"]


def test_a_list_of_tickers_is_its_own_context() -> None:
    assert symbols("JNJ, PG, KO: the holy trinity of sleeping well") == ["JNJ", "PG", "KO"]


def test_a_symbol_followed_by_a_hyphen_and_a_number_is_a_model_or_drug_name() -> None:
    assert symbols("LLY and NVO are fighting over the GLP-1 market") == ["LLY", "NVO"]
    assert symbols("$GLP is a fuel distributor") == ["GLP"]


def test_one_letter_symbols_only_count_as_cashtags() -> None:
    assert symbols("$F dividend is juicy") == ["F"]
    assert symbols("I got an F in econ and Plan B failed") == []


# --- names and aliases -----------------------------------------------------------------


def test_company_names_map_to_their_symbols() -> None:
    assert symbols("GameStop and Tesla earnings are next week") == ["GME", "TSLA"]
    assert symbols("gamestop, nvidia and palantir") == ["GME", "NVDA", "PLTR"]


def test_a_name_that_is_an_everyday_word_only_counts_as_written_for_the_company() -> None:
    assert symbols("Apple is up 3% today") == ["AAPL"]
    assert symbols("I had an apple for lunch and lost 4k") == []


def test_multi_word_names_match_whole() -> None:
    assert symbols("Bank of America and Rocket Lab") == ["BAC", "RKLB"]


# --- URLs, code, emoji ---------------------------------------------------------------------


def test_a_quote_page_url_names_its_ticker() -> None:
    assert symbols("look https://finance.yahoo.com/quote/GME/ volume") == ["GME"]
    assert symbols("screen: https://finviz.com/quote.ashx?t=PLTR") == ["PLTR"]


def test_other_urls_are_not_read_for_tickers() -> None:
    assert symbols("https://i.imgur.com/ALLd0nAI.png and https://www.sec.gov/cgi-bin/browse-edgar?action=GME") == []


def test_code_counts_only_through_quoted_symbols() -> None:
    assert symbols("```python\ntickers = ['TSLA', 'AMD']\nfor ALL in IT: pass\n```") == ["TSLA", "AMD"]
    assert symbols("my bot: `if RSI < 30: BUY else: HOLD`") == []


def test_tickers_inside_emoji_runs_are_found() -> None:
    assert symbols("🚀🚀GME🚀🚀") == ["GME"]
    assert symbols("🚀$TSLA🚀$RIVN🚀") == ["TSLA", "RIVN"]
    assert symbols("📈📈📈 IT 📈📈📈") == []


# --- the universe and the data ------------------------------------------------------------


def test_the_universe_holds_us_stocks_and_etfs_with_names() -> None:
    assert is_listed("GME") and is_listed("SPY") and is_listed("BRK.B")
    assert company_name("GME") == "GameStop Corporation"
    assert not is_listed("BBBY")


def test_the_universe_knows_recent_listings_etfs_and_drops_delisted_symbols() -> None:
    assert all(is_listed(s) for s in ("ARM", "RDDT", "CRWV", "CRCL", "KVUE", "TQQQ", "IBIT", "XYZ", "GAP", "IMO"))
    assert not any(is_listed(s) for s in ("SIVB", "NKLA", "SQ", "GPS", "DWAC"))
    assert company_name("SPY") == "SPDR S&P 500 ETF Trust"


def test_every_alias_points_at_a_listed_symbol() -> None:
    with (ROOT / "common" / "data" / "aliases.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert len(rows) > 150
    assert [r["alias"] for r in rows if company_name(r["symbol"]) is None] == []  # listed then or now
    assert {r["match"] for r in rows} == {"any", "exact"}


def test_the_evaluation_set_is_large_varied_and_labelled_with_listed_symbols() -> None:
    with (ROOT / "eval" / "tickers" / "texts.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) >= 600
    assert sum(r["origin"] == "handwritten" for r in rows) >= 150
    assert {r["bucket"] for r in rows} >= {
        "easy_cashtag",
        "bare_symbol_context",
        "ambiguous_word",
        "all_caps",
        "names_aliases",
        "urls_code",
        "emoji",
        "no_ticker",
        "one_letter",
    }
    assert [s for r in rows for s in r["expected"] if not is_listed(s)] == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_gives_well_formed_mentions_in_order(text: str) -> None:
    mentions = extract(text, thread_symbols=frozenset({"ON", "GME"}))
    starts = [m.start for m in mentions]
    assert starts == sorted(starts)
    for m in mentions:
        assert 0 <= m.start < m.end <= len(text)
        assert m.method in {"cashtag", "symbol", "name"}
        assert m.symbol == m.symbol.upper()
    assert len(symbols(text)) == len(set(symbols(text)))


_TICKER_TALK = st.lists(
    st.sampled_from(
        [
            "$GME",
            "$gme",
            "$BRK.B",
            "$brk.b",
            "$GME.Then",
            "$BBBY",
            "x$TSLA",
            "$$NVDA",
            "$5",
            "GME",
            "IT",
            "ON",
            "calls",
            "shares of",
            "Tesla",
            "gamestop",
            "(ALL)",
            "Allstate",
            "30c",
            "🚀",
            "é",
            "`AMD`",
            ".",
            ",",
            "\n",
        ]
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_TICKER_TALK)
def test_symbols_are_the_known_mentions_of_extract_in_order(text: str) -> None:
    """symbols() takes a shortcut for cashtag-only texts; it must say what extract() says."""
    for thread in (frozenset(), frozenset({"ON", "IT"})):
        expected = list(dict.fromkeys(m.symbol for m in extract(text, thread_symbols=thread) if m.known))
        assert symbols(text, thread_symbols=thread) == expected, text


# --- point in time ------------------------------------------------------------------------


def _at(day: str) -> float:
    return datetime.fromisoformat(f"{day}T15:00:00+00:00").timestamp()


def test_a_text_written_before_a_symbol_listed_never_yields_it() -> None:
    text = "HOOD calls, LCID shares and ARKX, all bought today"
    assert symbols(text, at=_at("2021-01-15")) == []
    assert symbols("Robinhood IPO next week, Robinhood stock will dump", at=_at("2021-07-20")) == []
    assert symbols(text, at=_at("2021-07-27")) == ["LCID", "ARKX"]  # LCID listed on Jul 26 ...
    assert symbols(text, at=_at("2021-07-30")) == ["HOOD", "LCID", "ARKX"]  # ... HOOD on Jul 29
    # days are New York's, where it listed: the evening before (past midnight UTC) is before it
    evening, morning = (
        datetime.fromisoformat(t).timestamp() for t in ("2021-07-28T21:00-04:00", "2021-07-29T09:00-04:00")
    )
    assert symbols("$HOOD calls", at=evening) == [] and symbols("$HOOD calls", at=morning) == ["HOOD"]
    # and FB was Facebook's symbol to the end of its last day, 2022-06-08, New York time
    last = datetime.fromisoformat("2022-06-08T22:00-04:00").timestamp()
    assert symbols("Facebook earnings beat", at=last) == ["FB"]


def test_a_delisted_symbol_is_found_in_texts_from_its_listed_years() -> None:
    assert symbols("APHA shares and $CCIV calls", at=_at("2020-12-01")) == ["APHA", "CCIV"]
    assert symbols("$BBBY squeeze, BBBY calls", at=_at("2023-01-10")) == ["BBBY"]
    assert symbols("$BBBY squeeze, BBBY calls", at=_at("2023-06-10")) == []
    assert symbols("APHA shares", at=_at("2021-06-01")) == []  # merged into Tilray in May 2021
    # PerkinElmer traded as PKI to 2023-05-15 and as Revvity's RVTY from the 16th; Signature
    # Bank's last day was 2023-03-10: the day, not the year, they stopped
    assert symbols("PKI calls", at=_at("2023-05-15")) == ["PKI"]
    assert symbols("PKI calls", at=_at("2023-06-01")) == []
    assert symbols("RVTY calls", at=_at("2023-05-16")) == ["RVTY"]
    assert symbols("SBNY puts", at=_at("2023-03-09")) == ["SBNY"]
    assert symbols("SBNY puts", at=_at("2023-04-01")) == []
    # Hertz left the NYSE in its bankruptcy (over the counter as HTZGQ, then HTZZ) and came
    # back to Nasdaq as HTZ on 2021-11-09: neither its symbol nor its name is a listed stock between
    assert symbols("Hertz and HTZ calls", at=_at("2020-06-10")) == ["HTZ"]
    assert symbols("Hertz and HTZ calls", at=_at("2021-06-10")) == []
    assert symbols("Hertz and HTZ calls", at=_at("2021-11-09")) == ["HTZ"]
    assert symbols("HTZ calls") == ["HTZ"]  # the universe as shipped: listed


def test_a_company_name_follows_its_company_through_a_symbol_change() -> None:
    # Facebook traded as FB until 2022-06-08 and as META from 2022-06-09; its old name still
    # names the company, while "Meta" named no company of ours before the rename.
    assert symbols("Facebook earnings beat", at=_at("2021-06-01")) == ["FB"]
    assert symbols("Facebook earnings beat", at=_at("2023-03-01")) == ["META"]
    assert symbols("Facebook earnings beat") == ["META"]  # the universe as shipped
    assert symbols("Meta Platforms earnings beat", at=_at("2021-06-01")) == []
    assert symbols("FB calls printing", at=_at("2023-03-01")) == []  # a symbol is its day's
    assert symbols("fb calls printing", at=_at("2023-03-01")) == []  # in any case
    assert symbols("FB post earnings dump was brutal", at=_at("2021-06-01")) == ["FB"]  # the symbol is no site
    # a new symbol the universe does not date from the change is another company's, or unknown
    assert symbols("Faraday Future stock") == []


def test_a_new_name_taken_before_the_new_symbol_names_the_old_symbol_meanwhile() -> None:
    # Facebook became Meta Platforms on 2021-10-28 and kept FB until 2022-06-08: "Meta" then is FB
    assert symbols("Meta is going to moon after earnings, loading calls", at=_at("2022-01-15")) == ["FB"]
    assert symbols("Meta Platforms earnings beat", at=_at("2022-02-03")) == ["FB"]
    assert symbols("Meta Platforms earnings beat", at=_at("2021-10-27")) == []  # the day before the rename
    assert symbols("Meta Platforms earnings beat", at=_at("2021-10-29")) == ["FB"]
    assert symbols("Meta Platforms earnings beat", at=_at("2022-07-15")) == ["META"]
    # the new symbol itself did not trade yet: in capitals, or as a cashtag, it names nothing listed
    assert symbols("META is going to moon after earnings, loading calls", at=_at("2022-01-15")) == []
    assert symbols("$META calls", at=_at("2022-01-15")) == []


def test_a_symbol_gone_in_2022_and_missing_from_the_2022_list_is_found_in_its_2021_texts() -> None:
    # ChemoCentryx (bought by Amgen, Oct 2022) and Sanderson Farms (Jul 2022) left before the
    # 2022-12-01 base list; the 2020 snapshot (gone_before_2022.csv) brings them back.
    text = "Loading up on CCXI and SAFM before earnings"
    assert symbols(text, at=_at("2021-06-01")) == ["CCXI", "SAFM"]
    assert symbols(text, at=_at("2023-03-01")) == []
    assert symbols(text) == []  # the universe as shipped: gone
    assert company_name("CCXI") is not None and not is_listed("CCXI")
    window = listing("CCXI")
    assert window is not None and window.valid(_at("2020-04-01")) and not window.valid(_at("2022-12-01"))


def test_a_word_like_symbol_from_the_2020_snapshot_is_gated_like_any_word() -> None:
    # Zendesk (ZEN, taken private Nov 2022) is also a word: it needs the context any
    # somewhat word-like symbol needs, and a finance abbreviation that was briefly a symbol
    # (APY, Apergy until 2020) stays jargon.
    assert symbols("ZEN calls printing after earnings", at=_at("2021-06-01")) == ["ZEN"]
    assert symbols("ZEN calls printing after earnings", at=_at("2023-06-01")) == []
    assert symbols("Stay ZEN and hodl, my friends", at=_at("2021-06-01")) == []
    assert symbols("High yield savings at 0.5% APY", at=_at("2020-06-01")) == []


def test_a_cashtag_of_a_symbol_that_did_not_trade_that_day_is_kept_as_unknown() -> None:
    [mention] = extract("$LCID to the moon", at=_at("2021-02-01"))
    assert (mention.symbol, mention.known) == ("LCID", False)


def test_a_listing_says_when_and_what_it_became() -> None:
    window = listing("CCIV")
    assert window is not None and window.successor == "LCID"
    assert window.valid(_at("2021-02-18")) and not window.valid(_at("2021-08-01"))
    assert not is_listed("CCIV") and is_listed("CCIV", at=_at("2021-02-18"))


# --- context: ambiguous symbols, names that are not securities, URLs, pairs ---------------


def test_a_strike_or_a_count_of_contracts_or_shares_and_asking_about_a_symbol_are_ticker_talk() -> None:
    may = _at("2021-05-26")
    assert symbols("thinking about KEY 22 calls for June", at=may) == ["KEY"]
    assert symbols("Positions: KEY 100 shares, WISH 10 shares", at=may) == ["KEY", "WISH"]
    assert symbols("I sold ALL 100 shares, and my KEY 100 SHARES too", at=may) == []  # always a word; capitals
    assert symbols("Since JAN 2021 shares of most banks doubled", at=may) == []  # a month's year
    assert symbols("now I own KEY 2000 shares", at=may) == ["KEY"]
    assert symbols("thoughts on FAST food", at=may) == []  # the symbol does not end the phrase
    assert symbols("EDIT: 5 calls expired", at=may) == []  # a count needs the symbol right before it
    assert symbols("Any thoughts on GOLD?", at=may) == []  # always a word
    assert symbols("Any thoughts on RIDE? Or DD on ROOT", at=may) == ["RIDE", "ROOT"]
    assert symbols("rolled my AMC 22c into BB 10c JAN 2022 calls", at=may) == ["AMC", "BB"]  # a year is no strike


def test_bb_is_blackberry_in_lists_options_and_positions_but_not_bollinger_bands() -> None:
    for text in ("GME BB NOK", "BB calls printing", "all in BB", "BB FEB21 23C", "I bought one share of BB"):
        assert symbols(text, at=_at("2021-06-03")) == [s for s in ("GME", "BB", "NOK") if s in text], text
    assert symbols("price touched the lower BB, RSI oversold", at=_at("2021-06-03")) == []


def test_a_word_in_a_list_of_tickers_is_one_but_a_preposition_before_a_ticker_is_not() -> None:
    assert symbols("F stocks: FUBO, FUTU, FOUR, FROG") == ["FUBO", "FUTU", "FOUR", "FROG"]
    assert symbols("ITS TIME FOR NIO TO SHINE") == ["NIO"]
    assert symbols("WAITING FOR THE SHORT SQUEEZE ON BB THIS WEEK") == ["BB"]


def test_a_very_common_word_after_a_ticker_is_no_list_without_a_separator() -> None:
    """A space after a ticker joins "GME BB NOK", but a sentence goes on past a ticker in
    everyday words, some of which are tickers too (OR, AT, GET, NEW)."""
    at = _at("2021-06-01")
    assert symbols("Torn between AMC OR nothing at all", at=at) == ["AMC"]
    assert symbols("still holding GME AT 40", at=at) == ["GME"]
    assert symbols("watching AAPL NEW TSLA", at=at) == ["AAPL", "NEW", "TSLA"]  # a ticker after it: a list
    assert symbols("GME BB NOK AMC", at=at) == ["GME", "BB", "NOK", "AMC"]
    assert symbols("GME and HAS and ALL", at=at) == ["GME", "HAS", "ALL"]  # written separators still join


def test_brokers_banks_and_verbs_are_not_their_stock() -> None:
    cases = {
        "I keep 134 shares of AMC on Robinhood": ["AMC"],
        "Charles Schwab vanguard or fidelity": [],
        "my TD Ameritrade account is up": [],
        "RBC Capital downgrades BB to underperform": ["BB"],
        "that 55 target was set by Wells Fargo": [],
        "Google is your friend": [],
        "Google Trends says retail is back": [],
        "they advertise on Facebook": [],
        "the Facebook group says to buy": [],
        "Facebook earnings beat": ["FB"],
        "bullish on Facebook and Google": ["FB", "GOOGL"],
        "I spent way too long on Facebook": [],
        "GOOGL is up 5% after earnings": ["GOOGL"],
        "what happens to my puts post BK?": [],
        "Happy to share my positions via DM": [],
        "Wells Fargo earnings beat": ["WFC"],
        "Robinhood stock is dumping after the IPO": ["HOOD"],
        "TD said I'm smart enough to trade options now": [],
        "TD HALTED TRADING ON AMC": ["AMC"],
        "bought TD shares for the dividend": ["TD"],
        "TD Bank reported Q2 earnings": ["TD"],
        "JP Morgan expects a 21% rise in apparel revenue": [],
        "Bank of America beat earnings estimates": ["BAC"],
        "Morgan Stanley shares jumped after earnings": ["MS"],
        # a bank or broker where the money is kept, not its stock
        "my emergency fund sits in savings at Wells Fargo": [],
        "my Bank of America app logged me out again": [],
        "my JP Morgan self-directed fees went up": [],
        "SoFi app downloads hit a record": ["SOFI"],  # the business
        "SoFi savings accounts grew 40% last quarter": ["SOFI"],
        "just use Google, then buy the index": [],
        "Google isn't going to pick your stocks for you": [],
        # a broker's symbol before the app's parts is the app; before a stock word, the stock
        "IBKR platform keeps logging me out": [],
        "HOOD app crashed at the open again": [],
        "my HOOD account got restricted": [],
        "IBKR shares up 5% after earnings": ["IBKR"],
        "HOOD support at 18 held nicely": ["HOOD"],  # the chart's support
        "HOOD accounts grew 10% last quarter": ["HOOD"],  # the business
        # a bank's symbol before a rating word is the analyst of the other ticker named beside...
        "loaded CLF calls after JPM overweight note": ["CLF"],
        "GS downgrades TSLA and my puts print": ["TSLA"],
        # ... and, with no other ticker, or rating itself, may be about its own stock
        "JPM overweight in my portfolio": ["JPM"],
        "JPM calls and CLF calls": ["JPM", "CLF"],
        "JPM upgrades its dividend, BAC next?": ["JPM", "BAC"],
        "GS analyst day next week and NVDA earnings": ["GS", "NVDA"],
        "JPM turns green after earnings, BAC next": ["JPM", "BAC"],
    }
    for text, expected in cases.items():
        assert symbols(text, at=_at("2021-09-01")) == expected, text


def test_an_account_at_a_bank_is_not_its_stock_but_its_shares_are() -> None:
    text = "my SoFi account pays 4.5% and my SoFi shares are up"
    assert [(m.symbol, m.start) for m in extract(text, at=_at("2021-09-01"))] == [("SOFI", text.rindex("SoFi"))]
    assert symbols("opened a SoFi Invest account", at=_at("2021-09-01")) == []  # a product's name first


def test_urls_give_quote_pages_by_path_only() -> None:
    assert symbols("https://preview.redd.it/x1.png?width=640&s=a1b2c3d4e5f6") == []
    assert symbols("https://finance.yahoo.com/quote/GS2C.F/") == []  # a Frankfurt line, not GS
    assert symbols("https://example.com/stocks/best-this-week") == []
    assert symbols("read https://ycharts.com/companies/AAPL/free_cash_flow") == ["AAPL"]


def test_slash_pairs_keep_both_symbols() -> None:
    assert symbols("GME/AMC to the moon") == ["GME", "AMC"]
    assert symbols("$GLD/IAU ratio") == ["GLD", "IAU"]
    assert symbols("PLTR/TSLA calls") == ["PLTR", "TSLA"]
    assert symbols("see r/GME and u/NVDA") == []
    assert symbols("GME/AMC/BB/NOK gang") == ["GME", "AMC", "BB", "NOK"]
    assert symbols("VOO/VXUS/BND three-fund portfolio", at=_at("2024-05-10")) == ["VOO", "VXUS", "BND"]
    assert symbols("see r/GME/comments") == []
    run = "NVDA/AMD/INTC/QCOM/AVGO/MRVL/ASML/TSLA/AAPL/MSFT"
    assert symbols(run, at=_at("2024-05-10")) == run.split("/")
    assert symbols("PE/PS/PB ratios for AMD, dates as MM/DD/YY") == ["AMD"]  # jargon, unlisted
    funds = "a mix of FSKAX/VTI in one account and FXAIX/VOO in the other"
    assert symbols(funds, at=_at("2024-05-10")) == ["VTI", "VOO"]  # unlisted mutual funds open the runs
    assert symbols("AMD/NVDA/TSLA/ALL IN") == ["AMD", "NVDA", "TSLA"]  # always a word, mid-clause
    mixed = "TSLA/NIO/ANY EV play, and I hold GME/WISH and some cash"
    assert symbols(mixed, at=_at("2021-06-01")) == ["TSLA", "NIO", "GME", "WISH"]
    assert symbols("DD/PLTR inside, #GOOGL/AMD/TSLA") == ["PLTR", "GOOGL", "AMD", "TSLA"]
    assert symbols("AMC/WISH TO THE MOON", at=_at("2021-06-01")) == ["AMC", "WISH"]  # a shouting line
    assert symbols("my picks: AMC/WISH CLOV", at=_at("2021-06-01")) == ["AMC", "WISH", "CLOV"]  # a ticker follows
    assert symbols("x_AMD/NVDA") == []  # glued
    assert symbols("a cult on R/AMC and U/NVDA") == []  # Reddit's paths, as a phone capitalises them
    assert symbols("VZ/T/TMUS are cheap") == ["VZ", "T", "TMUS"]  # a one-letter link
    assert symbols("10 calls w/AMD, YOLO W/GME") == ["AMD", "GME"]  # w/: with, not a path
    assert symbols("AMD P/CF is 20") == ["AMD"]  # a price ratio, not CF Industries


def test_a_one_letter_symbol_is_a_ticker_only_between_two_in_a_list() -> None:
    assert symbols("Holding LMT, GDX, HD, V, UNH, PEP") == ["LMT", "GDX", "HD", "V", "UNH", "PEP"]
    assert symbols("I like VZ, T, F, and TMUS") == ["VZ", "T", "F", "TMUS"]  # two letters, ", and" closing
    assert symbols("HD, V or UNH") == ["HD", "V", "UNH"]
    assert symbols("I hold MSFT, AAPL, V") == ["MSFT", "AAPL"]  # one side only: V could be anything
    at = _at("2021-06-01")  # before "I" (Intelsat) was delisted
    assert symbols("GME, I, AMC", at=at) == symbols("GME, A, AMC", at=at) == ["GME", "AMC"]  # words
    # a space says nothing: grades, tiers, option sides, slang, a dump's stripped apostrophes
    assert symbols("Tier list: NVDA S, AMD A, INTC F, QCOM B, AAPL C") == ["NVDA", "AMD", "INTC", "QCOM", "AAPL"]
    assert symbols("Bought SPY C, QQQ P") == symbols("SPY C QQQ P") == ["SPY", "QQQ"]
    assert symbols("rip TSLA F NIO") == ["TSLA", "NIO"]
    assert symbols("Earnings week: AMC ROKU ETSY Z PTON") == ["AMC", "ROKU", "ETSY", "PTON"]
    assert symbols("TSLA S, AMC S and GME S runs") == ["TSLA", "AMC", "GME"]
    assert symbols("HD V, UNH") == ["HD", "UNH"]  # two separators: no list
    assert symbols("NVDA, B, AMD, C, INTC") == ["NVDA", "AMD", "INTC"]  # pairs: each ticker's letter
    assert symbols("If you buy AAPL, X, Y and MSFT", at=at) == ["AAPL", "MSFT"]  # placeholders
    assert symbols("GME, F, T, V, C, AMC") == ["GME", "AMC"]  # a run of capitals: an enumeration
    assert symbols("Scores: NVDA, B; AMD") == ["NVDA", "AMD"]  # two separators: no list
    assert symbols("bonds rated CCC/B/BB are junk", at=at) == []  # a rating, not Barnes Group
    assert symbols("rated B/BB by the agencies", at=at) == symbols("Class A/B shares") == []
    assert "B" not in symbols("bonds rated CCC, B, BB", at=at)
    # a neighbour that is no ticker on the text's day, or no ticker at all, holds up no letter
    assert symbols("BBBY, F, GME", at=at) == ["BBBY", "F", "GME"]
    assert symbols("BBBY, F, GME", at=_at("2024-06-01")) == symbols("$BBBY, F, $GME", at=_at("2024-06-01")) == ["GME"]
    assert symbols("$FAKE, T, $MOON") == []
    assert symbols("Tickers: BBBY, F, GME", at=_at("2024-06-01")) == ["F", "GME"]  # its label says so
    padded = "| BBBY" + " " * 30 + "| F | GME |"  # a padded table: the day's check reads it whole
    assert symbols(padded, at=at) == ["BBBY", "F", "GME"]


def test_a_company_named_only_as_a_partner_is_a_secondary_mention() -> None:
    roles = {m.symbol: m.role for m in extract("BlackBerry expands partnership with Baidu", at=_at("2020-12-01"))}
    assert roles == {"BB": "primary", "BIDU": "secondary"}
    assert {m.role for m in extract("BIDU earnings beat, Baidu calls")} == {"primary"}


def test_the_command_line_reads_json_lines_and_answers_one_line_each() -> None:
    lines = [
        json.dumps({"text": "HOOD calls and $APHA", "created_utc": _at("2020-12-01")}),
        "not json",
        json.dumps({"text": "lol BB", "thread_text": "GME BB NOK"}),
    ]
    out = io.StringIO()
    assert extraction.main(io.StringIO("\n".join(lines) + "\n"), out) == 1
    first, bad, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {"symbols": ["APHA"], "secondary": []}
    assert "line 2" in bad["error"]
    assert third == {"symbols": ["BB"], "secondary": []}


def test_the_command_line_answers_a_bad_field_or_a_blank_line_in_its_place_and_goes_on() -> None:
    lines = [
        json.dumps({"text": "GME calls", "thread_text": ["x"]}),  # not a string
        "",
        '{"text": "$AAPL", "created_utc": 1e400}',  # infinite
        json.dumps({"text": "$AAPL", "created_utc": 10**400}),  # an int no float holds
        json.dumps({"text": 5}),
        '{"text": "$AAPL \\ud800"}',  # valid JSON with a lone surrogate: mended, as the pipeline mends it
        json.dumps({"text": "$TSLA", "created_utc": _at("2020-12-01")}),
    ]
    out = io.StringIO()
    assert extraction.main(io.StringIO("\n".join(lines) + "\n"), out) == 1
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == len(lines)
    for number, bad in enumerate(answers[:5], start=1):
        assert bad["error"].startswith(f"line {number}: "), bad
    assert answers[5] == {"symbols": ["AAPL"], "secondary": []}
    assert "thread_text" in answers[0]["error"] and "created_utc" in answers[2]["error"]
    assert all("not a valid line" in answers[n]["error"] for n in (0, 2, 3, 4))  # a field, not the JSON
    assert "created_utc" in answers[3]["error"]
    assert answers[6] == {"symbols": ["TSLA"], "secondary": []}


def test_the_command_line_reads_bytes_line_by_line_so_no_bad_line_ends_the_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = (
        b'{"text": "$GME", "created_utc": ' + b"9" * 5000 + b"}\n"  # past int's digit limit
        + b"[" * 100_000 + b"\n"  # past the parser's stack
        + b'{"text": "caf\xe9 $AMC"}\n'  # Latin-1, not UTF-8
        + json.dumps({"text": "$TSLA", "created_utc": _at("2020-12-01")}).encode() + b"\n"
    )  # fmt: skip
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8"))
    out = io.StringIO()
    assert extraction.main(sys.stdin, out) == 1
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a.get("error", "")[:7] for a in answers[:3]] == ["line 1:", "line 2:", "line 3:"]
    assert "UTF-8" in answers[2]["error"]
    assert answers[3] == {"symbols": ["TSLA"], "secondary": []}


def test_the_command_line_reads_times_as_dumps_write_them_reads_past_a_bom_and_names_no_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Milliseconds, digits as text and ISO dates are the same day (APHA, gone since, was
    trading then); a time in no year of Reddit's is refused; an editor's byte-order mark is
    no part of the first line; a file named is refused, not ignored while the command waits
    on stdin."""
    at = _at("2020-12-01")
    given: list[object] = [at, at * 1000, str(int(at)), "2020-12-01T12:00:00Z", "2020-12-01 12:00"]
    lines = "\ufeff" + "".join(json.dumps({"text": "$APHA", "created_utc": g}) + "\n" for g in given)
    lines += json.dumps({"text": "$APHA", "created_utc": "1999-01-01"}) + "\n"
    lines += json.dumps({"text": "$APHA", "created_utc": True}) + "\n"  # no time
    lines += json.dumps({"text": "$TSLA", "created_utc": None, "thread_text": None}) + "\n"  # null: none given
    out = io.StringIO()
    assert extraction.main(io.StringIO(lines), out) == 1
    *read, before, boolean, null = (json.loads(line) for line in out.getvalue().splitlines())
    assert null == {"symbols": ["TSLA"], "secondary": []}
    assert read == [{"symbols": ["APHA"], "secondary": []}] * len(given)
    assert before["error"].startswith(f"line {len(given) + 1}: not a valid line: created_utc")
    assert boolean["error"].startswith(f"line {len(given) + 2}: not a valid line: created_utc")
    with pytest.raises(SystemExit) as named:
        cli.run(["texts.jsonl"])
    assert named.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err


def test_the_command_line_answers_a_line_the_extractor_fails_on_in_its_place_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(text: str, **kwargs: Any) -> Any:
        if "boom" in text:
            raise KeyError("a bug of ours")
        return extract(text, **kwargs)

    monkeypatch.setattr(cli, "extract", failing)
    lines = "".join(json.dumps({"text": t}) + "\n" for t in ("$GME", "boom $AMC", "$TSLA"))
    out = io.StringIO()
    assert extraction.main(io.StringIO(lines), out) == 1
    first, failed, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["symbols"] == ["GME"] and third["symbols"] == ["TSLA"]
    assert failed["error"].startswith("line 2: extraction failed: KeyError")


def test_the_command_line_answers_each_line_before_it_reads_the_next() -> None:
    """A program that writes a line and waits for its answer (a co-process) gets it."""

    class Sink(io.StringIO):
        flushed = ""

        def flush(self) -> None:
            self.flushed = self.getvalue()

    out = Sink()

    def lines() -> Iterator[str]:
        yield json.dumps({"text": "$GME"}) + "\n"
        assert out.flushed.count("\n") == 1, "the first answer is still in the buffer"
        yield json.dumps({"text": "$AMC"}) + "\n"

    assert cli.main(lines(), out) == 0  # type: ignore[arg-type]
    assert out.flushed.count("\n") == 2


@pytest.mark.parametrize(
    "text",
    [
        "Positions:\nGME" + " " * 3000 + "100 shares @ 40\nIT is what it is",  # three runs of blanks
        "Positions:\n" + " " * 3000 + "- GME\nIT is",
        "KO" + " " * 3000 + "- 4% PEP",
        "a.com/" * 7000,  # bare domains without a space
        "x\n" + "GME\t" * 10_000 + "\nhello ON there",  # one table row of many cells
        "Nvidia and NVDA calls. " * 20_000,  # every symbol against every name found
        "`x` http://a.co/b " * 40_000,  # every link against every code span
        "**Price target**" + " " * 100_000 + "see below",  # a heading's trailing spaces split every way
        "x\n" + "BUY AEHR HYMC " * 10_000,  # a long shouted line: its words counted per symbol
    ],
)
@pytest.mark.timeout(20)
def test_texts_built_to_make_the_reader_backtrack_are_read_in_one_pass(text: str) -> None:
    """Each of these took from seconds to minutes (a comment's run of spaces after a ticker:
    26 s for 1.8 KB, a fetch run lost), so one item could hold a subreddit back every run.
    A hang guard (pytest-timeout), not a speed claim: `make bench` measures speed."""
    extract(text)
    text_features("", text, None, "post")


@pytest.mark.timeout(20)
def test_a_post_of_blank_lines_or_a_chain_of_joiners_is_read_in_one_pass() -> None:
    assert not is_dd("x" * 1600 + "\n" * 40_000, None, "post")
    assert count_emoji("\U0001f468\u200d" * 20_000) == 20_000


def test_an_everyday_word_after_a_ticker_needs_a_separator_to_join_its_list() -> None:
    for text in ("NVDA AI chips", "Bought AMC ON Monday", "TSLA NOW is the time"):
        assert len(symbols(text)) == 1, text
    assert symbols("COST of living is crazy") == []


def test_a_very_long_list_is_read_whole() -> None:
    text = "my watchlist: " + ", ".join(["FOUR"] * 2000) + ", GME"
    assert symbols(text) == ["FOUR", "GME"]
    assert sum(m.symbol == "FOUR" for m in extract(text)) == 2000


def test_what_a_community_named_as_a_ticker_lasts_a_day() -> None:
    t0 = 1_622_505_600.0  # 2021-06-01 00:00 UTC, when WISH was a meme stock
    hour = int(t0 // 3600)
    community = extraction.Community()
    community.add(extraction.community_counts([(f"$WISH position {i}", t0 + i, f"u{i}") for i in range(3)]))
    last = (hour + extraction.COMMUNITY_HOURS - 1) * 3600.0  # the day's last hour still reads t0's
    assert "WISH" in community.symbols(t0) and "WISH" in community.symbols(last)
    assert "WISH" not in community.symbols(last + 3600)
    assert community.since(last).hours and community.since(last + 3600).hours == {}
    assert community.since(t0 - 3600).hours == {}  # nothing after the moment it is kept for


def test_one_author_repeating_a_cashtag_is_not_a_community() -> None:
    t0 = 1_622_505_600.0
    community = extraction.Community()
    community.add(extraction.community_counts([(f"$WISH position {i}", t0 + i, "same") for i in range(5)]))
    assert "WISH" not in community.symbols(t0)
    community.add(extraction.community_counts([("$WISH again", t0 + 7200, "other"), ("$WISH", t0 + 9000, "third")]))
    assert "WISH" in community.symbols(t0 + 9000)  # three authors over the day


def test_a_cursor_keeps_the_community_hours_still_read() -> None:
    t0 = 1_622_505_600.0
    community = extraction.Community()
    community.add({int(t0 // 3600): {"WISH": ["a", "b", "c"]}, int(t0 // 3600) - 48: {"BB": ["a"]}})
    doc = ingest.Cursor().with_named(community, t0).to_doc()
    named = doc["community"]
    assert isinstance(named, dict)
    again = ingest.Cursor.from_doc({**doc, "community": {**named, "bad": {}}})  # a key that is no hour: skipped
    assert again.named().hours == {int(t0 // 3600): {"WISH": ["a", "b", "c"]}}


def test_a_well_known_ticker_spelled_letter_by_letter_is_the_ticker() -> None:
    assert symbols("G M E to the moon") == ["GME"]
    assert symbols("A M C EXPLODING AGAIN TODAY") == ["AMC"]
    assert symbols("I M A bit lost here") == []  # a run of capitals that spells no well-known ticker
    assert symbols("made in the U S A") == []  # a spelled abbreviation stays one
    assert symbols("X G M E Y") == []  # only a whole run counts


def test_a_yolo_or_a_profit_beside_a_somewhat_word_like_ticker_is_ticker_context() -> None:
    # BA, UWMC: one needs a finance word in its clause, the other one in a long shouting line
    assert symbols("made 300 profit from a small BA gamble") == ["BA"]
    assert symbols("50K UWMC YOLO AAAAAAAAAAAAH LETS SEE IF IT GOES") == ["UWMC"]
    assert symbols("this BA thing was a gamble") == []


def test_a_name_that_lost_its_apostrophe_is_still_the_company() -> None:
    # punctuation-stripping dumps (May-July 2021) write "Wendy's" as "Wendy s"
    assert symbols("Wendy s earnings beat", at=_at("2021-06-10")) == ["WEN"]
    assert symbols("mcdonald s is boring but pays", at=_at("2021-06-10")) == ["MCD"]
    assert symbols("Wendy said she sold", at=_at("2021-06-10")) == []


def test_a_word_like_symbol_right_after_its_company_name_is_the_ticker() -> None:
    # "Name (SYMBOL)" once the parentheses are stripped, and every ranked list's row
    at = _at("2021-07-07")
    assert symbols("Winners Central Garden amp Pet Company CENT 2 80 and GME", at=at) == ["CENT", "GME"]
    assert symbols("Losers Dana Incorporated DAN 1 10 and GME", at=at) == ["DAN", "GME"]
    assert symbols("Central banks say CENT 2 80 and GME", at=at) == ["GME"]  # the name must run up to it


def test_a_word_like_symbol_before_a_deal_word_is_the_company() -> None:
    assert symbols("the GM partnership with them is the key", at=_at("2020-12-01")) == ["GM"]
    assert symbols("everyone waits for the UPS deal", at=_at("2020-12-01")) == ["UPS"]
    assert symbols("the AI partnership is all hype", at=_at("2020-12-01")) == []  # a word that is always a word
    assert symbols("GM everyone, good deal today", at=_at("2020-12-01")) == []


def test_a_symbol_its_thread_names_counts_in_lower_case_where_it_is_no_word() -> None:
    thread = frozenset({"NEGG", "WISH"})
    assert extraction.symbols("negg puts", thread_symbols=thread) == ["NEGG"]
    assert extraction.symbols("Negg to the moon", thread_symbols=thread) == ["NEGG"]
    assert extraction.symbols("negg is a funny word") == []  # no thread naming it, no trade: a stray word
    assert extraction.symbols("I wish I had bought", thread_symbols=thread) == []  # a word stays a word


def test_a_word_its_community_names_counts_in_lower_case_next_to_a_trade() -> None:
    community, june = frozenset({"WISH", "PLUG"}), _at("2021-06-08")
    assert extraction.symbols("thinking I should buy wish tomorrow", thread_symbols=community, at=june) == ["WISH"]
    assert extraction.symbols("why aren't people buying Wish", thread_symbols=community, at=june) == ["WISH"]
    assert extraction.symbols("Plug calls printing", thread_symbols=community, at=june) == ["PLUG"]
    assert extraction.symbols("buy wish today", at=june) == []  # nobody around calls it a ticker: a word
    for text in (
        "I wish I had sold",
        "make a wish",
        "pull the plug on it",
        "Wish me luck",
        "I wish calls were cheaper",
    ):
        assert extraction.symbols(text, thread_symbols=community, at=june) == [], text


def test_a_symbol_that_is_no_word_counts_in_lower_case_next_to_a_trade() -> None:
    assert extraction.symbols("down 1M on a negg YOLO") == ["NEGG"]
    assert extraction.symbols("Negg puts it is") == ["NEGG"]
    assert extraction.symbols("bought clne at the dip") == ["CLNE"]
    for text in ("itm calls only", "bought some lmao", "negg is a funny word", "idk calls"):
        assert extraction.symbols(text) == [], text


def test_a_word_stays_a_word_in_lower_case_even_when_the_thread_names_its_ticker() -> None:
    thread = frozenset({"SHOP", "COIN", "PLUG", "SPY"})
    for text in ("I went to the shop", "flip a coin", "pull the plug", "he is a spy"):
        assert extraction.symbols(text, thread_symbols=thread) == [], text


def test_squeeze_jargon_is_no_ticker_unless_cashtagged() -> None:
    june = _at("2021-06-09")
    assert symbols("WKHS has 40 SI of the float and the CTB is 46", at=june) == ["WKHS"]
    assert symbols("ARR was 412 million at quarter end and TTM growth 19", at=june) == []
    july = _at("2021-07-15")  # MMAT traded from 2021-06-28
    assert symbols("MMAT stays on the SHO threshold list while DTC shows a record low", at=july) == ["MMAT"]
    assert symbols("$SI calls are cheap", at=june) == ["SI"]


def test_a_spac_is_its_own_ticker_until_its_merger_closed_and_the_successor_after() -> None:
    assert symbols("$SOAC to the moon", at=_at("2021-03-01")) == ["SOAC"]  # TMC only from 2021-09
    assert symbols("DM calls", at=_at("2020-11-02")) == []  # Trine until December 2020
    assert symbols("DM calls", at=_at("2021-01-05")) == ["DM"]


def test_a_spac_successor_is_no_ticker_before_the_merger_closed() -> None:
    assert symbols("Momentus to the moon, vote your SRAC shares", at=_at("2021-06-20")) == ["SRAC"]
    assert symbols("MNTS calls and $EVGO shares", at=_at("2021-05-20")) == []
    assert symbols("MNTS calls and $EVGO shares", at=_at("2021-09-01")) == ["MNTS", "EVGO"]


def test_every_successor_has_a_listing_date_unless_it_traded_before_or_after_the_data() -> None:
    windows = Listings.load().windows
    successors = {w.successor for w in windows.values() if w.successor}
    dated = {s for s in successors if s in windows and windows[s].listed > -math.inf}
    traded_before = {"TLRY", "AMC"}  # the merger's other side, trading long before
    after_2022 = {"FFAI", "GAP", "ASAP", "SPRU", "POL", "ERNA", "ML"}  # renames after the data's years
    assert not successors - dated - traded_before - after_2022


def test_odd_capitals_spell_a_well_known_ticker_only_where_its_letters_are_no_word() -> None:
    june = _at("2021-06-02")
    assert symbols("LaTe AgAiN tHiS tImE fOr Bb AnD NiO", at=june) == ["NIO"]
    assert symbols("xPev, CLOv and SNdL", at=june) == ["XPEV", "CLOV", "SNDL"]
    assert symbols("read the DDs on those ETFs, the MMs and OGs know, PaaS and SaaS", at=june) == []
    assert symbols("mRNA vaccines work", at=june) == []


def test_a_direct_message_and_a_volatility_range_are_no_tickers() -> None:
    june = _at("2021-06-02")
    for text in ("DM for details", "DM me if you want the DD", "I will DM you the ticker"):
        assert symbols(text, at=june) == [], text
    for text in ("All in DM and UONE", "my DM shares are up 20%", "Should I buy MVIS or DM?"):
        assert "DM" in symbols(text, at=june), text
    assert symbols("the ATR is 3.5 and RSI is low", at=june) == []


def test_sp_global_as_a_data_vendor_and_apt_as_a_word_are_no_tickers() -> None:
    june = _at("2021-06-02")
    assert symbols("S&P Global Manufacturing PMI came in at 47", at=june) == []
    assert symbols("S&P Global earnings beat", at=june) == ["SPGI"]
    assert symbols("rent for my APT went up 10%", at=june) == []
    assert symbols("Schrödinger's cat: this squeeze is both on and off", at=june) == []


def test_a_name_with_an_ampersand_is_read_whole_and_as_a_dump_strips_it() -> None:
    june = _at("2021-06-02")
    assert symbols("AT&T is cheap", at=june) == ["T"]
    assert symbols("AT amp T will spin off WarnerMedia", at=june) == ["T"]  # "&amp;" stripped
    assert symbols("Johnson amp Johnson vaccine news", at=june) == ["JNJ"]


def test_spacs_of_2020_and_nyse_american_names_missing_from_the_base_lists_are_known() -> None:
    assert symbols("VACQ shares before the Rocket Lab vote", at=_at("2021-06-02")) == ["VACQ"]
    assert symbols("CRTD next squeeze, 66% of the float shorted", at=_at("2021-06-02")) == ["CRTD"]
    assert symbols("Mask housing play: Alpha Pro Tech", at=_at("2021-06-02")) == ["APT"]


def test_a_name_in_capitals_counts_only_where_the_line_shouts() -> None:
    june = _at("2021-06-02")
    assert symbols("NOKIA CALLS ARE CHEAP", at=june) == ["NOK"]
    assert symbols("WORKHORSE SHORTED 48% START SQUEEZING", at=june) == ["WKHS"]
    assert symbols("NOKIA THE INDESTRUCTIBLE", at=june) == []  # no finance word: a phone, maybe
    assert symbols("my old NOKIA phone still works, unlike my portfolio", at=june) == []
    assert symbols("AFFIRM YOUR CONVICTION APES", at=june) == []
    assert symbols("DELTA VARIANT IS HERE", at=june) == []  # a common word stays one


def test_a_symbol_that_abbreviates_the_words_before_it_is_a_term_not_a_ticker() -> None:
    june = _at("2021-06-02")
    text = "Clean Energy sells Renewable Natural Gas RNG to fleets, and RNG costs less than diesel"
    assert "RNG" not in symbols(text, at=june)
    assert symbols("Advanced Micro Devices AMD is up", at=june) == ["AMD"]  # its own name
    assert "BB" in symbols("Big Brother BB is watching", at=june)  # two letters: chance
    assert "RNG" not in symbols("Renewable Natural\nGas RNG is a cheap fuel", at=june)
    assert "AMC" in symbols("APE MAKING CAKE AMC", at=june)


def test_a_symbol_inside_a_name_already_found_is_not_a_second_company() -> None:
    assert symbols("Sirius XM is in every car", at=_at("2021-06-02")) == ["SIRI"]


def test_to_the_moon_is_ticker_context_for_a_symbol_typed_as_a_word() -> None:
    june = _at("2021-06-02")
    assert symbols("Hexo to the moon", at=june) == ["HEXO"]
    assert symbols("We RIDE to the moon", at=june) == []  # a word in capitals needs more
    assert symbols("Lets GO to the moon!", at=june) == []
    assert symbols("hexo is a word nobody knows", at=june) == []
    named = frozenset({"WISH"})  # what the community called a ticker that day
    assert symbols("it all begins in wish to the mooooon", thread_symbols=named, at=june) == ["WISH"]
    assert symbols("it all begins in wish to the mooooon", at=june) == []
    assert symbols("I wish we all went to the moon", thread_symbols=named, at=june) == []


def test_brand_names_that_are_no_dictionary_word_are_their_company() -> None:
    june = _at("2021-06-02")
    assert symbols("GoPro is our next move", at=june) == ["GPRO"]
    assert symbols("Are CVS and Walgreens in trouble", at=june) == ["CVS", "WBA"]
    assert symbols("SPLUNK TO THA MOOOOOON", at=june) == ["SPLK"]
    assert symbols("PLTR Partners With IBM. PLTR calls printing", at=june) == ["PLTR", "IBM"]


def test_an_everyday_word_is_read_by_what_follows_it_not_by_a_trade_before_it() -> None:
    june = _at("2021-06-02")
    assert symbols("WE HOLD AND LIVE LONG WITH AMC", at=june) == ["AMC"]
    assert symbols("ALL IN ON BB today", at=june) == ["BB"]
    assert symbols("Loaded up on shares of NOW before earnings", at=june) == ["NOW"]
    assert "ON" in symbols("ON calls are printing", at=june)


def test_a_symbol_that_names_a_firm_a_currency_or_slang_where_it_stands_is_no_ticker() -> None:
    june = _at("2021-06-02")
    assert symbols("my guess is HIG Capital wants EHTH lower", at=june) == ["EHTH"]
    assert symbols("raised cash from 2.7B NOK to 7B NOK, AAL next", at=june) == ["AAL"]
    assert symbols("NOK 0.75 BB 9.50", at=june) == ["NOK", "BB"]
    assert symbols("I bought 5k NOK at 4.20", at=june) == ["NOK"]  # a share count
    assert symbols("earned 5 billion NOK last year. NOK calls are cheap", at=june) == ["NOK"]
    assert symbols("WEN LAMBO", at=june) == []
    assert symbols("post BK people were selling HTZZ", at=june) == []
    assert symbols("CEL SCI Corporation files its annual report", at=june) == ["CVM"]
    assert symbols("He earned an MBA from Kellogg School of Management", at=june) == []  # an institution
    assert symbols("Kellogg beat earnings; its CEO went to Kellogg School", at=june) == ["K"]
    assert symbols("people buy their own LTC insurance", at=june) == []  # long-term care (or Litecoin)


def test_symbols_listed_in_2021_and_2022_are_not_found_before_their_listing() -> None:
    assert symbols("they own Mobileye, a self driving company", at=_at("2020-12-02")) == []
    assert symbols("Mobileye IPO pops", at=_at("2022-11-02")) == ["MBLY"]
    assert symbols("Weedmaps is now public MAPS", at=_at("2021-06-16")) == ["MAPS"]
    assert "MAPS" not in symbols("MAPS calls", at=_at("2021-05-02"))
    assert symbols("Solid Power, a competitor of QS, got new funding", at=_at("2021-05-03")) == ["QS"]  # private then
    assert symbols("SPAC NSH (NavSight) plans to merge with BlackSky", at=_at("2021-05-20")) == ["NSH"]
    assert symbols("BlackSky stock and Spire Global shares", at=_at("2021-10-01")) == ["BKSY", "SPIR"]
    assert symbols("space startups like Planet Labs", at=_at("2021-07-20")) == []  # listed 2021-12
    assert symbols("Planet Labs shares are cheap", at=_at("2022-03-01")) == ["PL"]


def test_a_hashtag_of_a_symbol_is_read_as_the_bare_symbol() -> None:
    jan = _at("2022-01-20")
    assert symbols("#SRNE looks cheap here", at=jan) == ["SRNE"]
    assert [m.method for m in extract("#SRNE and #Tesla", at=jan)] == ["symbol", "name"]  # no cashtag
    assert symbols("Buy #GME and #Tesla!", at=jan) == ["GME", "TSLA"]
    assert symbols("#GMEARMY forever", at=jan) == []  # another tag
    assert symbols("we #WIN, issue#AMD, ##PLTR", at=jan) == []  # a word, glued, doubled


def test_spy_typed_as_the_word_is_the_fund_where_the_market_moves() -> None:
    jan = _at("2022-01-21")
    assert symbols("Spy wants to dump today, let it", at=jan) == ["SPY"]
    assert symbols("Spy may give us one more rally before it fades", at=jan) == ["SPY"]
    assert symbols("I will get back in spy next week", at=jan) == ["SPY"]
    assert symbols("weekly spy puts", at=jan) == ["SPY"]
    assert symbols("I spy with my little eye something red", at=jan) == []
    assert symbols("they spy on us while stocks drop", at=jan) == []
    assert symbols("interested in spy movies that rise above the rest", at=jan) == []


def test_popular_etfs_beyond_the_index_funds_are_known() -> None:
    jan = _at("2022-01-19")
    assert symbols("Small caps look weak, so IWO (the Russell 2000 growth fund) is my hedge", at=jan) == ["IWO"]
    assert symbols("loading $SILJ for the silver move", at=jan) == ["SILJ"]


def test_a_lower_case_symbol_that_is_no_word_needs_a_finance_word_nearby() -> None:
    june = _at("2021-06-02")
    assert symbols("this could squeeze like blnk did once heavily shorted", at=june) == ["BLNK"]
    assert symbols("blnk blnk, said the cursor", at=june) == []
    assert symbols("juicy fat gainz and green candles for our portfolio", at=june) == []  # slang
    # a finance word alone, with no trade word or option beside any symbol, is evidence too
    assert symbols("blnk revenue grew a lot this quarter", at=june) == ["BLNK"]


def test_a_store_named_as_the_place_and_a_data_service_as_the_source_are_not_the_company() -> None:
    jan = _at("2022-01-21")
    assert symbols("my cousin sleeps behind Wendy's", at=jan) == []
    assert symbols("I got a job at Walmart and bought more GME", at=jan) == ["GME"]
    assert symbols("Wendy's shares are up after earnings", at=jan) == ["WEN"]
    assert symbols("volume was thin, according to Morningstar", at=jan) == []
    assert symbols("short interest per Capital IQ is 40%", at=jan) == []
    assert symbols("SELLER TAKES PAYPAL TRANSFERS ONLY", at=jan) == []
    assert symbols("PayPal stock tanked after earnings", at=jan) == ["PYPL"]


def test_a_site_in_a_url_a_dump_stripped_of_punctuation_is_no_mention() -> None:
    assert symbols("see https www airbnb com rooms 123", at=_at("2021-07-10")) == []


def test_a_word_like_symbol_opening_a_squeeze_title_is_its_subject() -> None:
    june = _at("2021-06-02")
    assert symbols("ROOT SHORT SQUEEZE SOON", at=june) == ["ROOT"]
    assert symbols("WISH SHORT SELLERS GET SQUEEZED", at=june) == ["WISH"]
    assert symbols("BIG SHORT SQUEEZE INCOMING", at=june) == []  # an everyday word
    assert symbols("ALL SHORTS MUST COVER", at=june) == []
    assert symbols("BODY SHORTS ARE TRAPPED NOW", at=_at("2021-07-10")) == ["BODY"]  # no trade word beside it


def test_a_company_named_in_another_companys_dealings_is_a_ticker() -> None:
    june = _at("2021-06-02")
    assert symbols("the startup signed deals with UPS last year", at=june) == ["UPS"]
    assert symbols("our partner GM will build the trucks", at=june) == ["GM"]
    assert symbols("a partnership with AI companies", at=june) == []  # always a word
    assert symbols("table row: Penn National Gaming Inc PENN 2 17", at=june) == ["PENN"]  # its old name


def test_the_meme_stocks_of_2021_count_bare_in_a_shouting_title() -> None:
    assert symbols("THE WHOLE STORY OF BBBY THIS WEEK IN ONE CHART", at=_at("2021-06-20")) == ["BBBY"]


def test_a_symbol_naming_a_technology_or_a_term_where_it_stands_is_not_the_company() -> None:
    june = _at("2021-06-02")
    assert symbols("they make OLED display panels", at=june) == []
    assert symbols("gaming laptops with rtx acceleration", at=june) == []
    assert symbols("PRPL holds its IR day next week", at=june) == ["PRPL"]
    assert symbols("BYD makes electric vehicles in China", at=june) == []  # the carmaker, not Boyd Gaming
    assert symbols("once the MSM picks this up we squeeze", at=june) == []  # the mainstream media
    assert symbols("OLED calls are cheap", at=june) == ["OLED"]


def test_the_new_rules_leave_ordinary_sentences_alone() -> None:
    june = _at("2021-06-10")
    assert symbols("tsla coming back, gme community is strong", at=june) == ["TSLA", "GME"]  # no URL
    assert symbols("I invested in Walmart", at=june) == ["WMT"]  # an investment, not the place
    assert symbols("guidance from Walmart was weak", at=june) == ["WMT"]
    assert symbols("HUGE SHORT SQUEEZE INCOMING", at=june) == []  # sizes the squeeze
    assert symbols("CAR SHORTAGE IS HERE", at=june) == []
    assert symbols("#LUNA to zero", at=june) == []  # a word-like symbol: some other tag
    assert symbols("#Robinhood sucks", at=june) == []  # the app, read as the name is
    assert symbols("got my stim, gonna buy calls", at=june) == []  # slang
    assert symbols("Palantir has a contract with ICE", at=june) == ["PLTR"]  # an agency
    assert symbols("A corporate spy got caught, stock dropped 5%", at=june) == []  # another clause
    assert symbols("spy balloons falling", at=june) == []
    assert symbols("PYPL balance sheet is solid", at=june) == ["PYPL"]
    assert symbols("Morningstar raised its dividend", at=june) == ["MORN"]  # the company, not a citation
    assert symbols("LiveWire Ergogenics gets a cannabis license", at=june) == []  # LVWR listed 2022-09
    assert symbols("EXPR to the moon", at=_at("2025-03-01")) == []  # Express was delisted in 2024


def test_a_list_written_one_ticker_a_line_or_with_weights_is_its_own_context() -> None:
    may = _at("2024-05-10")
    column = "Watchlist for next week:\nAMD (chips)\nKO\nHAS\nPEP - 5%\n\nSONY"
    assert symbols(column, at=may) == ["AMD", "KO", "HAS", "PEP", "SONY"]
    weights = "what I hold: ABNB 5% MO 4% KO 3% CL 6% COST 2% UPS 8%"
    assert symbols(weights, at=may) == ["ABNB", "MO", "KO", "CL", "COST", "UPS"]


def test_a_table_column_of_tickers_holds_the_words_in_it() -> None:
    may = _at("2024-05-10")
    table = "| Ticker | Shares | Cost |\n|:--|--:|--:|\n| AMD | 10 | 200 |\n| KEY | 100 | 20 |\n| **PLTR** | 50 | 38 |"
    assert symbols(table, at=may) == ["AMD", "KEY", "PLTR"]
    assert symbols("Ticker\tShares\nAMD\t10\nKEY\t100\nPLTR\t50", at=may) == ["AMD", "KEY", "PLTR"]
    assert symbols("| Ticker | Shares |\n|:--|--:|\n| AMD | 10 |\nKEY | 5 |", at=may) == ["AMD", "KEY"]
    assert symbols("Ticker | Shares\n---|---\nAMD | 10\nKEY | 100", at=may) == ["AMD", "KEY"]
    # a cell with more than the symbol, the symbol in another column, or a header row joins nothing
    assert symbols("|Ticker|x|\n|-|-|\n|AMD|chips|\n|KEY points|banks|", at=may) == ["AMD"]
    assert symbols("|Ticker|x|\n|-|-|\n|AMD|chips|\n|banks|KEY|", at=may) == ["AMD"]
    assert symbols("| Metric | AAPL | MSFT |\n|---|---|---|\n| Verdict | NICE | SAFE |", at=may) == ["AAPL", "MSFT"]
    assert symbols("TSLA | NVDA | AMD\nALL | ARE | GOOD", at=may) == ["TSLA", "NVDA", "AMD"]  # no table


def test_a_line_of_words_or_a_lone_weight_is_no_list() -> None:
    may = _at("2024-05-10")
    assert symbols("NVDA\nGET more cash first", at=may) == ["NVDA"]
    assert symbols("NVDA is my biggest position\nEDIT: thanks all", at=may) == ["NVDA"]
    assert symbols("NVDA to 200\nNEXT 2 weeks are key", at=may) == ["NVDA"]
    assert symbols("TOP 3 picks for 2025\nNVDA\nAMD", at=may) == ["NVDA", "AMD"]
    assert symbols("VOO 60% QQQ 30% CASH 10%", at=may) == ["VOO", "QQQ"]  # an allocation's cash
    assert symbols("Today NVDA is UP 5% AMD is flat", at=may) == ["NVDA", "AMD"]


def test_a_symbol_its_writer_labels_as_one_counts_even_in_a_code_block() -> None:
    may = _at("2024-05-10")
    assert symbols("Screen output:\n\n\tTicker Symbol: M\n\tScore: 12.3\n\n\tTicker: TSM\n", at=may) == ["M", "TSM"]
    assert symbols("Ticker: M. Cheap on sales.", at=may) == ["M"]
    assert symbols("ticker: A lot of people ask", at=may) == []  # the article
    assert symbols("Ticker:\nA few thoughts", at=may) == []  # the label's line ends
    assert symbols("Tickers: KEY, CAT and ON\nmore later", at=may) == ["KEY", "CAT", "ON"]
    assert symbols("Tickers: A lot of them", at=may) == []
    assert symbols("Tickers: N/A, just funds", at=may) == []  # no list after all
    assert symbols("Tickers: KEY and TBD", at=may) == []  # an item no symbol
    assert symbols("Tickers: KEY, CEO", at=may) == []  # an item jargon
    assert symbols("Tickers: KEY, CAT, and ON", at=may) == ["KEY", "CAT", "ON"]
    assert symbols("Tickers: F, GM and T", at=may) == ["F", "GM", "T"]
    assert symbols("Symbols: ALL and nothing else matters", at=may) == []  # words after it: no list


def test_a_us_exchange_labels_a_symbol_as_press_releases_and_charts_write_it() -> None:
    may = _at("2024-05-10")
    assert symbols("KeyCorp (NYSE: KEY) raised its dividend", at=may) == ["KEY"]
    assert symbols("chart of NYSE:CAT looks ready", at=may) == ["CAT"]
    assert symbols("the chipmaker (Nasdaq: ON) beat estimates", at=may) == ["ON"]
    assert symbols("NASDAQ: UP 2% today", at=may) == []  # a label needs its colon glued or brackets


def test_a_share_class_written_with_a_hyphen_is_the_share() -> None:
    july = _at("2024-07-31")
    assert symbols("BRK-B has beaten my VOO this year", at=july) == ["BRK.B", "VOO"]


def test_etfs_beyond_the_curated_list_and_new_funds_in_their_time() -> None:
    july = _at("2024-07-26")
    assert symbols("I hold AVUV, AVDV and IXN", at=july) == ["AVUV", "AVDV", "IXN"]
    assert symbols("$NANC tracks what congress buys", at=july) == ["NANC"]
    assert symbols("$NANC tracks what congress buys", at=_at("2021-06-02")) == []  # launched in 2023
    assert symbols("I hold TSLY and VOO", at=_at("2021-06-02")) == ["VOO"]  # TSLY launched in 2022
    assert symbols("I sold my TVIX a long time ago", at=july) == []  # closed in 2020


def test_a_fund_only_a_package_lists_needs_context_and_acronyms_stay_words() -> None:
    july = _at("2024-07-26")
    assert symbols("the IXN fund is up 30% this year", at=july) == ["IXN"]
    assert symbols("I only trade during RTH", at=july) == []
    assert symbols("landlords are drowning and CMBS delinquencies keep climbing", at=july) == []
    assert symbols("most of my alts are down", at=july) == []  # a fund never read in lower case


def test_slang_plans_products_and_brands_are_not_tickers() -> None:
    june = _at("2024-06-10")
    assert symbols("the FUD about this stock is wild", at=june) == []
    assert symbols("my TSP match is decent, the rest goes to VOO", at=june) == ["VOO"]
    assert symbols("TSP calls printed", at=_at("2021-06-02")) == ["TSP"]  # TuSimple, with a trade beside it
    assert symbols("Tesla FSD is not there yet", at=june) == ["TSLA"]
    assert symbols("I pay for Amazon Prime every month", at=june) == []
    assert symbols("Amazon Prime Day sales lifted the stock", at=june) == ["AMZN"]
    assert symbols("the VLN® line is a brand name, nothing more", at=june) == []


def test_byd_is_the_carmaker_where_cars_come_up_and_boyd_gaming_where_casinos_do() -> None:
    june = _at("2024-06-10")
    assert symbols("BYD opened a showroom near me and the cars look nice", at=june) == []
    assert symbols("BYD to sell more cars abroad next year", at=june) == []
    assert symbols("bought BYD shares, their cars are great", at=june) == ["BYD"]  # the stock a reader can trade
    assert symbols("Boyd Gaming (BYD) is my favorite casino stock, cheap on EV/EBITDA", at=june) == ["BYD"]


def test_a_coins_symbol_among_crypto_words_is_the_coin_not_its_listed_namesake() -> None:
    september = _at("2021-09-01")
    assert symbols("SOL just pumped 20%, crypto season", at=september) == []  # Solana, not ReneSola
    assert symbols("SOL and LINK coins pumping on binance", at=september) == []
    assert symbols("LUNA crashed, terra is dead", at=_at("2022-05-10")) == []
    assert symbols("ReneSola reported, SOL shares up 10% on solar demand", at=september) == ["SOL"]
    assert symbols("ATOM calls, Atomera to the moon", at=september) == ["ATOM"]
    assert symbols("my portfolio: AAPL, DASH, BTC", at=september) == ["AAPL", "DASH"]  # DoorDash beside a coin
    # the company's stock where a trade or a stock word stands beside it, crypto nearby or not
    assert symbols("Sold my crypto and bought SOL shares, solar is the future", at=september) == ["SOL"]
    assert symbols("LINK shares after earnings, sold my ETH for it", at=september) == ["LINK"]
    assert symbols("I have a big stake in ATOM now", at=september) == ["ATOM"]  # a stake is no coin's word
    assert symbols("COIN and SOL both up today", at=september) == ["COIN", "SOL"]  # Coinbase is no coin
    assert symbols("Luna Innovations LUNA fiber optic sensing, added on the dip", at=september) == ["LUNA"]


def test_futures_and_connectors_are_not_the_companies_of_their_letters() -> None:
    june = _at("2021-06-01")
    assert symbols("ES futures are red, SPY puts printing", at=june) == ["SPY"]  # the S&P E-mini, not Eversource
    assert symbols("ES and NQ red overnight", at=june) == []
    assert symbols("USB C cable broke, need a new USB hub", at=june) == []
    assert symbols("USB shares dropped after earnings, bought calls", at=june) == ["USB"]  # U.S. Bancorp
    assert symbols("USB-C cable broke", at=june) == []
    assert symbols("Is USB a buy here?", at=june) == ["USB"]
    assert symbols("USB key takeaways from earnings", at=june) == ["USB"]
    assert symbols("Eversource stock fell overnight", at=june) == ["ES"]  # named, never the future
    assert symbols("Eversource is cheap, ES yields 3.5%, bought more", at=june) == ["ES"]


def test_flags_and_joined_emoji_count_as_the_emoji_library_counts_them_past_a_piece() -> None:
    for text in (
        "GME to the moon \U0001f680" + "\U0001f1fa\U0001f1f8" * 16,  # country flags: pairs of regional letters
        "\U0001f680" * 30 + "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 " * 12 + "#\ufe0f\u20e3" * 20,
    ):
        assert count_emoji(text) == emoji.emoji_count(text), text


def test_a_comments_thread_title_is_mended_before_the_extractor_reads_it() -> None:
    comment = SimpleNamespace(
        id="c1", subreddit="stocks", author=None, body="$GME", permalink="/r/stocks/c1", score=1,
        created_utc=1.7e9, parent_id="t3_p", link_id="t3_p", link_title="GME \ud83d news",
    )  # fmt: skip
    listed = listed_comment_from(comment)
    assert listed.link_title == "GME \ufffd news"
    assert symbols(listed.link_title) == ["GME"]
