"""``make eval-pumps``: pump campaigns injected into real Reddit history, the detector's pump
figures on a real background.

The development corpus (``wsb-2021-05-07``) carries no pump campaign we know of, no account
ages and no emoji. So campaigns are written into it: each promotes a quiet, listed stock
(never mentioned in the window) through a few to a few dozen accounts over hours to days, in
posts that mix copy-paste, emoji and cashtag stuffing in doses drawn independently per
campaign. Every range below was set before reading the detector's thresholds, wide enough to
hold subtle campaigns as well as blatant ones, and this module imports nothing from the
detector's configuration (a test checks): the campaigns are not written to be caught.

    accounts per campaign        3 – 40          posts per account      1 – 6
    share of new accounts        0.2 – 1.0       new account's age      0 – 60 days
    aged account's age           1 – 8 years     campaign length        6 – 72 hours
    share of copy-paste posts    0.2 – 0.9       emoji per post         0 – 12
    share of cashtag-stuffed     0.0 – 0.6       cashtags when stuffed  3 – 8

The backtest then replays the window with the production configuration and scores, per
campaign: flagged as a pump (a pump alert on its symbol from its start to two days after its
end), and alerted as organic (any organic alert announced on it in that time: a user told a
pump was organic growth). The real events labelled in the window are scored too: a pump alert
on one is an organic surge called a pump.

Injected texts keep their punctuation and emoji (live Reddit does) although the background's
source stripped them: read the figures as "campaigns as they are posted, inside real
activity", not as an imitation of that corpus.

``--chatter`` draws the campaigns' symbols from names the community already talks about
(``CHATTER`` mentions in the window's first days; none the background alone alerts on), the
case the newcomer rule cannot help with. Those draws are recorded apart
(``real_injected_pumps_chatter``) and pooled on their own.
"""

import argparse
import csv
import json
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import extraction
from common.detection import backtest
from common.messages import RedditItem
from eval.real import ages, corpus, results
from eval.real.run import EVENTS, event_names

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "out"  # pumps_seed<S>.json (chatter_seed<S>.json): each draw its own
SYMBOLS = HERE.parents[1] / "common" / "data" / "symbols.csv"
WORDS = HERE.parents[1] / "common" / "data" / "words.csv"
HOUR = 3600.0
DAY = 24 * HOUR
WINDOW_DAYS = 35  # of the corpus, from its start: five weeks, the meme-stock frenzy of June included
FIRST_DAY, LAST_DAY = 8, 31  # campaigns start in these days of the window (after the baseline has data)
AFTER = 2 * DAY  # how long after a campaign its pump alert still counts
CAMPAIGNS = 24
# ``--chatter``: campaigns on names mentioned this often in the window's first days (chosen
# before any chatter draw was run: a small following, not a meme stock).
CHATTER = (3, 20)
CHATTER_KEY = "real_injected_pumps_chatter"
RECENT_DAYS = 7.0  # a reporting split of the chatter campaigns: their name talked of within a week
# The development seed is the one looked at while changing the detector; the test seed was
# meant as the held-out one, but rules were written from its first reading and it was read
# after each change since, so it is no longer clean. Any other seed is a draw of its own
# (``--seed``), pooled with the rest in ``pooled``; the UNREAD_SEEDS were first measured after
# the last detector change any draw was read for (``pooled.untouched``: the figure to trust).
# Named one by one: a later draw joins them only once someone says it was never read. (The
# newcomer rule was written from draws up to 20261226, one of the earlier unread six among
# them; these six were first run with it in force.)
DEV_SEED, TEST_SEED = 1, 20261202
UNREAD_SEEDS = frozenset(range(20261227, 20261233))

HYPE = (
    "{t} is about to explode, get in before it's too late",
    "{t} short squeeze incoming, this is the next big one",
    "Loading up on {t} today, 10x is easy from here",
    "Insiders are buying {t}, huge announcement next week",
    "Don't miss {t}: tiny float, massive news coming",
    "{t} to the moon, price target $12 by Friday",
    "Why nobody is talking about {t}?? Undervalued gem",
    "{t} breakout confirmed, last chance to buy cheap",
    "Just went all in on {t}, who's with me",
    "{t} partnership leak!! This will run hard",
)
BODY = (
    "Do your own research but the chart speaks for itself.",
    "Shorts are trapped and the float is tiny. Hold the line.",
    "I've been following this for weeks and the volume is insane.",
    "Not financial advice, but I'm buying more on Monday.",
    "This is the easiest money you'll ever make. Get in now.",
    "Big players are accumulating quietly. When it pops it pops.",
    "",
)
EMOJI = ("🚀", "💎", "🙌", "🔥", "💰", "🌕", "📈")
OTHER_CASHTAGS = ("AMC", "GME", "TSLA", "AAPL", "PLTR", "NIO", "BB", "SNDL", "SPY", "AMD")


@dataclass(frozen=True)
class Campaign:
    symbol: str
    start: float
    hours: float
    accounts: int
    posts_per_account: int
    new_share: float
    copy_share: float
    emoji_max: int
    stuffed_share: float

    @property
    def end(self) -> float:
        return self.start + self.hours * HOUR


def _pumpable() -> list[str]:
    """Listed, distinct-looking stocks (3–4 letters, no English word), never an ETF: its price
    follows its holdings, so nobody pumps one (closed-end funds stay, as the list of stocks
    holds them)."""
    with WORDS.open(encoding="utf-8") as f:
        words = {r["word"].upper() for r in csv.DictReader(line for line in f if not line.startswith("#"))}
    with SYMBOLS.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        listed = sorted(
            r["symbol"]
            for r in rows
            if r["kind"] == "stock"
            and 3 <= len(r["symbol"]) <= 4
            and r["symbol"].isalpha()
            and r["symbol"] not in words
        )
    return listed


def _quiet_symbols(window_items: list[RedditItem], at: float) -> list[str]:
    """Pumpable stocks never mentioned in the window: what a promoter picks, a small company
    nobody here talks about."""
    named = _mentions(window_items)
    return [s for s in _pumpable() if s not in named and extraction.is_listed(s, at)]


def _mentions(items: list[RedditItem]) -> dict[str, list[float]]:
    """When each symbol was mentioned, oldest first."""
    times: dict[str, list[float]] = {}
    for i in sorted(items, key=lambda i: i.created_utc):
        for s in extraction.symbols(f"{i.title}\n{i.body}", at=i.created_utc):
            times.setdefault(s, []).append(i.created_utc)
    return times


def _chatter_symbols(mentions: dict[str, list[float]], window_start: float, alerted: set[str]) -> list[str]:
    """Pumpable stocks with a small following (``CHATTER`` mentions in the window's first
    ``FIRST_DAY`` days, before any campaign starts) that the background alone never alerts on:
    the campaigns of ``--chatter``, on names the community already talks about."""
    before = window_start + FIRST_DAY * DAY
    low, high = CHATTER
    return [
        s
        for s in _pumpable()
        if low <= sum(t < before for t in mentions.get(s, [])) <= high
        and s not in alerted
        and extraction.is_listed(s, before)
    ]


def _days_quiet(mentions: dict[str, list[float]], symbol: str, at: float) -> float | None:
    """Days from the symbol's last mention before ``at`` to ``at`` (None: never mentioned)."""
    last = max((t for t in mentions.get(symbol, []) if t < at), default=None)
    return None if last is None else round((at - last) / DAY, 1)


def draw(rng: random.Random, quiet: list[str], window_start: float) -> list[Campaign]:
    symbols = rng.sample(quiet, CAMPAIGNS)
    return [
        Campaign(
            symbol=symbol,
            start=window_start + rng.uniform(FIRST_DAY, LAST_DAY) * DAY,
            hours=rng.uniform(6, 72),
            accounts=rng.randint(3, 40),
            posts_per_account=rng.randint(1, 6),
            new_share=rng.uniform(0.2, 1.0),
            copy_share=rng.uniform(0.2, 0.9),
            emoji_max=rng.randint(0, 12),
            stuffed_share=rng.uniform(0.0, 0.6),
        )
        for symbol in symbols
    ]


def write(rng: random.Random, c: Campaign, index: int) -> tuple[list[RedditItem], list[dict[str, Any]]]:
    """The campaign's posts and its accounts (``authors.jsonl`` rows)."""
    authors = []
    for a in range(c.accounts):
        new = rng.random() < c.new_share
        age = rng.uniform(0, 60) * DAY if new else rng.uniform(365, 8 * 365) * DAY
        karma = rng.randint(0, 200) if new else rng.randint(100, 20_000)
        authors.append({"name": f"pump{index}_{a}", "created_utc": c.start - age, "karma": karma})
    master_title = rng.choice(HYPE).format(t=f"${c.symbol}")
    master_body = rng.choice(BODY)
    items = []
    for a, author in enumerate(authors):
        for p in range(c.posts_per_account):
            if rng.random() < c.copy_share:
                title, body = master_title, master_body
            else:
                title, body = rng.choice(HYPE).format(t=rng.choice((f"${c.symbol}", c.symbol))), rng.choice(BODY)
            title += " " + "".join(rng.choice(EMOJI) for _ in range(rng.randint(0, c.emoji_max)))
            if rng.random() < c.stuffed_share:
                body += " " + " ".join(f"${s}" for s in rng.sample(OTHER_CASHTAGS, rng.randint(3, 8)))
            at = c.start + rng.uniform(0, c.hours) * HOUR
            post_id = f"t3_pump{index}x{a}x{p}"
            items.append(
                RedditItem(
                    id=post_id,
                    kind="post",
                    subreddit="wallstreetbets",
                    author=author["name"],
                    author_created_utc=author["created_utc"],
                    author_karma=author["karma"],
                    title=title.strip(),
                    body=body.strip(),
                    permalink=f"/r/wallstreetbets/comments/{post_id[3:]}/",
                    created_utc=at,
                )
            )
    return items, authors


def score(records: list[dict[str, Any]], campaigns: list[Campaign], events: list[dict[str, Any]]) -> dict[str, Any]:
    """Per campaign: flagged as pump, alerted as organic; per real event in the window: called a
    pump (pure: tested on its own)."""
    announced = [r for r in records if r["event"] in ("opened", "reopened", "escalated", "reclassified")]
    rows = []
    for c in campaigns:
        mine = [r for r in announced if r["symbol"] == c.symbol and c.start <= r["at"] <= c.end + AFTER]
        flagged = [r["at"] for r in mine if r["kind"] == "pump"]
        organic = [r for r in mine if r["kind"] == "organic" and r["event"] != "reclassified"]
        rows.append(
            {
                **asdict(c),
                "flagged": bool(flagged),
                "hours_to_flag": round((min(flagged) - c.start) / HOUR, 1) if flagged else None,
                "alerted_as_organic": bool(organic),
                "organic_alert": {k: organic[0].get(k) for k in ("at", "score", "pump_risk", "reasons")}
                if organic
                else None,
            }
        )
    called_pump = sorted(
        {
            name
            for e, name in zip(events, event_names(events), strict=True)
            for r in announced
            if r["symbol"] == e["ticker"]
            and r["kind"] == "pump"
            and e["discussion_start"] - 3 * DAY <= r["at"]
            and r["at"] <= e["peak"] + 3 * DAY
        }
    )
    return {
        "campaigns": rows,
        "pumps_total": len(rows),
        "pumps_flagged": sum(r["flagged"] for r in rows),
        "pump_recall": round(sum(r["flagged"] for r in rows) / len(rows), 3) if rows else 0.0,
        "pumps_alerted_as_organic": sum(r["alerted_as_organic"] for r in rows),
        "real_events_in_window": len(events),
        "real_events_called_pump": called_pump,
    }


def _replay(items: list[RedditItem]) -> list[dict[str, Any]]:
    replay = backtest.Replay()  # the production configuration
    for batch in backtest.hours(iter(items)):
        replay.hour(batch)
    return [r.to_json() for r in replay.records]


def run(
    corpus_dir: Path, seed: int = TEST_SEED, *, estimated_ages: bool = True, chatter: bool = False
) -> dict[str, Any]:
    corpus = backtest.load(corpus_dir)
    if estimated_ages:
        corpus = ages.with_estimated_ages(corpus, ages.corpus_model(corpus))
    start = float(corpus.manifest["start"])
    end = start + WINDOW_DAYS * DAY
    background = [i for i in corpus.items() if i.created_utc < end]
    events = [e for e in json.loads(EVENTS.read_text())["events"] if e["discussion_start"] < end]
    rng = random.Random(seed)
    if chatter:  # names the background alone alerts on, or a labelled event's, are not the campaign's to judge
        alerted = {r["symbol"] for r in _replay(background)} | {e["ticker"] for e in events}
        mentions = _mentions(background)
        campaigns = draw(rng, _chatter_symbols(mentions, start, alerted), start)
    else:
        campaigns = draw(rng, _quiet_symbols(background, start + FIRST_DAY * DAY), start)
    injected: list[RedditItem] = []
    for index, campaign in enumerate(campaigns):
        injected.extend(write(rng, campaign, index)[0])
    items = sorted([*background, *injected], key=lambda i: (i.created_utc, i.id))
    started = time.perf_counter()
    records = _replay(items)
    seconds = time.perf_counter() - started
    result = score(records, campaigns, events)
    if chatter:  # how long each name had been quiet when its campaign began
        for row in result["campaigns"]:
            row["days_since_last_mention"] = _days_quiet(mentions, row["symbol"], row["start"])
    result.update(
        corpus=corpus_dir.name,
        symbols="chatter" if chatter else "quiet",
        window_days=WINDOW_DAYS,
        seed=seed,
        background_items=len(background),
        injected_items=len(injected),
        backtest_seconds=round(seconds, 1),
        account_ages="estimated" if estimated_ages else "neutral",
    )
    return result


def _pool(draws: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum(d["pumps_total"] for d in draws)
    flagged = sum(d["pumps_flagged"] for d in draws)
    return {
        "draws": len(draws),
        "pumps_total": total,
        "pumps_flagged": flagged,
        "pump_recall": round(flagged / total, 3) if total else 0.0,
        "pumps_alerted_as_organic": sum(d["pumps_alerted_as_organic"] for d in draws),
        "draws_flagging_90_percent": sum(10 * d["pumps_flagged"] >= 9 * d["pumps_total"] for d in draws),
        "real_event_pump_calls": sum(len(d["real_events_called_pump"]) for d in draws),
    }


def pooled(draws: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every recorded draw together (``all``), without the development and test draws the
    detector was changed and reported on (``others``), and only those first measured after the
    last change any draw was read for (``untouched``, :data:`UNREAD_SEEDS`): one draw of 24
    campaigns moves by a campaign or two, so a single draw says little. Each block is pooled as
    recorded, so a block measured by older code counts as it was then; a seed recorded twice
    counts once."""
    by_seed = {d["seed"]: d for d in draws.values()}
    return {
        "all": _pool(list(by_seed.values())),
        "others": _pool([d for seed, d in by_seed.items() if seed not in (DEV_SEED, TEST_SEED)]),
        "untouched": _pool([d for seed, d in by_seed.items() if seed in UNREAD_SEEDS]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.real.pumps", description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder holding the corpora (default ../shared/data)")
    parser.add_argument("--seed", type=int, default=TEST_SEED, help=f"campaign draw (development: {DEV_SEED})")
    parser.add_argument(
        "--refresh", action="store_true", help="write the block (and the pooled figures) into eval/results.json"
    )
    parser.add_argument(
        "--neutral-ages", action="store_true", help="background accounts two years old, as the corpus stores them"
    )
    parser.add_argument(
        "--chatter", action="store_true", help="campaigns on names the community already talks about (CHATTER)"
    )
    args = parser.parse_args(argv)
    corpus_dir = corpus.find(args.data)
    if corpus_dir is None:
        return 1
    result = run(corpus_dir, args.seed, estimated_ages=not args.neutral_ages, chatter=args.chatter)
    for c in result["campaigns"]:
        print(
            f"{c['symbol']:<5} {c['accounts']:>2} accounts x {c['posts_per_account']} posts, new {c['new_share']:.2f}, "
            f"copy {c['copy_share']:.2f}, emoji <= {c['emoji_max']:>2}, stuffed {c['stuffed_share']:.2f}, "
            f"{c['hours']:.0f} h: flagged {c['flagged']} ({c['hours_to_flag']} h), organic {c['alerted_as_organic']}"
        )
    print(
        f"pumps flagged {result['pumps_flagged']}/{result['pumps_total']}, alerted as organic "
        f"{result['pumps_alerted_as_organic']}; real events called pump {result['real_events_called_pump']} of "
        f"{result['real_events_in_window']}; {result['injected_items']} posts injected into "
        f"{result['background_items']:,} real ones; backtest {result['backtest_seconds']} s"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    scratch = OUT / f"{'chatter' if args.chatter else 'pumps'}_seed{args.seed}.json"
    scratch.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.refresh and args.chatter:
        record_chatter({f"seed_{args.seed}": result})
    elif args.refresh:
        draws = json.loads(results.RESULTS.read_text()).get("real_injected_pumps", {})
        draws[{DEV_SEED: "dev", TEST_SEED: "test"}.get(args.seed, f"seed_{args.seed}")] = (
            result  # another draw: its own
        )
        results.record("real_injected_pumps", draws)
        results.record("real_injected_pumps_pooled", pooled(draws))
    return 0


def record_chatter(new: dict[str, dict[str, Any]]) -> None:
    """Chatter draws beside the recorded ones, and all of them pooled: kept apart from the
    quiet-name draws, whose pooled figures they must not move."""
    draws = json.loads(results.RESULTS.read_text()).get(CHATTER_KEY, {}) | new
    results.record(CHATTER_KEY, draws)
    results.record(f"{CHATTER_KEY}_pooled", chatter_pooled(draws))


def chatter_pooled(draws: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every chatter draw once (each counts as unread: no rule in force was written from one),
    and its campaigns by how long their name had been quiet when they began: talked of in the
    week before (``RECENT_DAYS``), or quiet longer, when the detector may take the name for
    one new to the community."""
    unique = list({d["seed"]: d for d in draws.values()}.values())
    rows = [c for d in unique for c in d["campaigns"]]

    def part(recent: bool) -> dict[str, int]:
        mine = [
            c
            for c in rows
            if (c["days_since_last_mention"] is not None and c["days_since_last_mention"] < RECENT_DAYS) == recent
        ]
        return {
            "pumps_total": len(mine),
            "pumps_flagged": sum(c["flagged"] for c in mine),
            "pumps_alerted_as_organic": sum(c["alerted_as_organic"] for c in mine),
        }

    return {**_pool(unique), "talked_of_in_the_week_before": part(True), "quiet_a_week_or_more": part(False)}


if __name__ == "__main__":
    sys.exit(main())
