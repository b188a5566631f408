"""Seeded generator of a realistic Reddit replay corpus with labelled scenarios.

``python -m devtools.replay.generate --seed 7 --days 14 --out /tmp/seed7`` writes
``items.jsonl.gz`` (posts and comments in time order), ``authors.jsonl.gz``, ``labels.json``
and ``manifest.json`` (format: docs/replay-format.md). Same seed and arguments, same bytes.

What is in it, and why it is not trivially separable:
- background traffic per subreddit with a diurnal and weekly rhythm, hundreds of tickers with
  a long-tailed popularity that also drifts day to day, a daily discussion thread, noise
  words in caps (IT, ALL, DD, YOLO, CEO, ON, GO...), news bursts on popular and tail tickers;
- organic breakouts: quiet tickers whose discussion grows over 2.5-4 days, starting in one
  subreddit and spreading, written by many (mostly old) accounts, with DD and links — but also
  a few new accounts and some rockets;
- pump campaigns: a handful of accounts (mostly new, some aged ones) posting copy-paste texts,
  rockets and cashtag stuffing, answered by real users calling it out; one in three is a
  quieter campaign with fewer emojis and more aged accounts;
- a late viral spike that rises within hours, and one ticker that is merely always popular.
"""

import argparse
import gzip
import json
import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path
from typing import Any

from devtools.replay import texts, universe

GENERATOR_VERSION = "2"  # 2: account ages drawn with no floor or ceiling at any detector bar
DEFAULT_START = 1767225600.0  # 2026-01-01T00:00:00Z, a Thursday
HOUR = 3600.0
DAY = 86400.0

# Reddit's finance subs follow the US trading day (UTC hours); weekends are quieter.
_DIURNAL_RAW = (
    0.55, 0.45, 0.38, 0.30, 0.24, 0.20, 0.18, 0.20, 0.25, 0.32, 0.42, 0.55,
    0.75, 0.95, 1.25, 1.45, 1.50, 1.45, 1.35, 1.25, 1.10, 0.95, 0.80, 0.65,
)  # fmt: skip
DIURNAL = tuple(v * 24 / sum(_DIURNAL_RAW) for v in _DIURNAL_RAW)
WEEKLY = (1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.65)  # Monday..Sunday

POSTS_PER_HOUR = 8.0  # per unit of subreddit weight, before rhythm
DAILY_THREAD_COMMENTS_PER_HOUR = 18.0


def rhythm(t: float) -> float:
    moment = datetime.fromtimestamp(t, UTC)
    return DIURNAL[moment.hour] * WEEKLY[moment.weekday()]


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class Author:
    name: str
    created_utc: float
    link_karma: int
    comment_karma: int
    suspended: bool = False


@dataclass
class Draft:
    """An item before ids are assigned (ids follow creation order, as on Reddit)."""

    kind: str
    subreddit: str
    author: str | None
    created: float
    title: str = ""
    body: str = ""
    url: str | None = None
    flair: str | None = None
    score: int = 1
    stickied: bool = False
    post: "Draft | None" = None
    parent: "Draft | None" = None
    comments: int = 0
    id36: str = ""
    slug: str = ""


@dataclass
class Corpus:
    items: list[dict[str, Any]]
    authors: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    manifest: dict[str, Any]


@dataclass
class _World:
    rng: random.Random
    start: float
    end: float
    tickers: list[tuple[str, str]]
    names: dict[str, str]
    authors: list[Author] = field(default_factory=list)
    regular: list[Author] = field(default_factory=list)
    regular_cum: list[float] = field(default_factory=list)
    newbies: list[Author] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    daily_threads: dict[int, Draft] = field(default_factory=dict)
    scale: float = 1.0  # background traffic and account pool multiplier (larger corpora)

    def hours(self) -> int:
        return int((self.end - self.start) // HOUR)

    def author_name(self) -> str:
        rng = self.rng
        while True:
            style = rng.random()
            first = rng.choice(_NAME_A)
            second = rng.choice(_NAME_B)
            if style < 0.4:
                name = f"{first}{second}{rng.randint(1, 9999)}"
            elif style < 0.7:
                name = f"{first}_{second}"
            elif style < 0.85:
                name = f"{second}-{first}-{rng.randint(10, 99)}"
            else:
                name = f"Throwaway{first}{rng.randint(100, 99999)}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def new_author(self, created: float, karma: tuple[int, int], *, suspended: bool = False) -> Author:
        link = int(self.rng.uniform(*karma))
        author = Author(
            self.author_name(), float(round(created)), link, int(link * self.rng.uniform(0.5, 4)), suspended
        )
        self.authors.append(author)
        return author

    def pick_regular(self) -> Author:
        return self.regular[bisect(self.regular_cum, self.rng.random() * self.regular_cum[-1])]

    def pick_author(self, new_share: float) -> Author:
        if self.newbies and self.rng.random() < new_share:
            return self.rng.choice(self.newbies)
        return self.pick_regular()

    def add(self, draft: Draft) -> Draft | None:
        if not self.start <= draft.created < self.end:
            return None
        if draft.author is not None and self.rng.random() < 0.01:
            draft.author = None  # [deleted]
        self.drafts.append(draft)
        if draft.post is not None:
            draft.post.comments += 1
        return draft


_NAME_A = (
    "Tendie", "Diamond", "Paper", "Bull", "Bear", "Theta", "Gamma", "Stonk", "Moon", "Ape", "Value",
    "Dividend", "Lazy", "Quiet", "Angry", "Happy", "Sleepy", "Rich", "Broke", "Smooth", "Wrinkle",
    "Retired", "Young", "Old", "Crypto", "Market", "Chart", "Candle", "Green", "Red",
)  # fmt: skip
_NAME_B = (
    "Hands", "Trader", "Investor", "Gambler", "Hodler", "Analyst", "Farmer", "Brain", "Wizard", "Goblin",
    "Capital", "Fund", "Guy", "Lady", "Dad", "Mom", "Chef", "Pilot", "Doctor", "Engineer", "Teacher",
    "Nurse", "Student", "Plumber", "Lawyer", "Monk", "Otter", "Panda", "Falcon", "Tiger",
)  # fmt: skip


def _authors(world: _World) -> None:
    rng = world.rng
    for _ in range(round(6000 * world.scale)):
        age_days = min(5000.0, max(1.0, math.exp(rng.gauss(math.log(900), 0.9))))
        world.regular.append(world.new_author(world.start - age_days * DAY, (50, 40000)))
    for _ in range(round(250 * world.scale)):  # new accounts joining normally (not all new accounts are pumpers)
        created = rng.uniform(world.start - 28 * DAY, world.end - DAY)
        world.newbies.append(world.new_author(created, (1, 300)))
    weights = [1.0 / (i + 10) ** 0.9 for i in range(len(world.regular))]
    world.regular_cum = list(accumulate(weights))


def _popularity(world: _World, ordered: list[str]) -> list[list[float]]:
    """Per day, each ticker's share of ticker talk: Zipf rank weight times a daily drift."""
    rng = world.rng
    base = [1.0 / (rank + 1.5) ** 1.15 for rank in range(len(ordered))]
    base[0] *= 3  # the always-popular ticker (first in order) leads every day
    days = world.hours() // 24 + 1
    return [[b * math.exp(rng.gauss(0, 0.25)) for b in base] for _ in range(days)]


def _zipf_pick(world: _World, cum: Sequence[float], ordered: Sequence[str]) -> str:
    return ordered[bisect(cum, world.rng.random() * cum[-1])]


def _comment_text(world: _World, symbol: str | None, *, context: bool) -> str:
    """A comment naming ``symbol``; in a thread about it, people mostly write the bare symbol."""
    if symbol is None:
        return texts.comment(world.rng, None)
    name = world.names[symbol]
    reference = texts.ref(world.rng, symbol, name, cashtag=0.25 if context else 0.5, bare=0.6 if context else 0.3)
    return texts.comment(world.rng, reference)


def _comments_for(world: _World, post: Draft, symbol: str | None, count: int) -> None:
    rng = world.rng
    thread: list[Draft] = []
    for _ in range(count):
        created = post.created + rng.expovariate(1 / 5400)
        r = rng.random()
        mention = symbol if (symbol and r < 0.35) else (None if r < 0.92 else "*")
        if mention == "*":
            mention = rng.choice(world.tickers)[0]
        parent = rng.choice(thread) if thread and rng.random() < 0.3 else post
        if parent.created > created:
            parent = post
        draft = Draft(
            "comment",
            post.subreddit,
            world.pick_author(0.03).name,
            created,
            body=_comment_text(world, mention, context=mention == symbol),
            score=max(0, int(rng.expovariate(1 / 6))),
            post=post,
            parent=parent,
        )
        if world.add(draft):
            thread.append(draft)


def _background(world: _World, ordered: list[str], popularity: list[list[float]]) -> None:
    rng = world.rng
    cums = [list(accumulate(day)) for day in popularity]
    for h in range(world.hours()):
        t0 = world.start + h * HOUR
        cum = cums[h // 24]
        rate = rhythm(t0)
        for subreddit, weight in universe.SUBREDDITS.items():
            for _ in range(poisson(rng, POSTS_PER_HOUR * world.scale * weight * rate)):
                created = t0 + rng.uniform(0, HOUR)
                roll = rng.random()
                author = world.pick_author(0.03).name
                lead: str | None = None
                if roll < 0.3:
                    draft = Draft(
                        "post", subreddit, author, created, title=texts.noise_text(rng, 1)[:90],
                        body=texts.noise_text(rng, rng.randint(1, 4)),
                    )  # fmt: skip
                else:
                    symbols = list(
                        dict.fromkeys(_zipf_pick(world, cum, ordered) for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))
                    )
                    lead = symbols[0]
                    if roll < 0.85:
                        refs = [texts.ref(rng, s, world.names[s]) for s in symbols]
                        title, body = texts.discussion_post(rng, refs)
                        flair = rng.choice((None, None, "Discussion", "Gain", "Loss", "YOLO"))
                        draft = Draft("post", subreddit, author, created, title=title, body=body, flair=flair)
                    elif roll < 0.93:
                        title, body, url = texts.news_post(rng, lead, world.names[lead])
                        draft = Draft("post", subreddit, author, created, title=title, body=body, url=url, flair="News")
                    else:
                        title, body = texts.dd_post(rng, lead, world.names[lead])
                        draft = Draft("post", subreddit, author, created, title=title, body=body, flair="DD")
                draft.score = int(math.exp(rng.gauss(1.5, 1.4)))
                if world.add(draft):
                    _comments_for(world, draft, lead, min(60, int(rng.expovariate(1 / 2.2))))
        _daily_thread(world, h, t0, cum=cum, ordered=ordered, rate=rate)


def _daily_thread(world: _World, h: int, t0: float, *, cum: list[float], ordered: list[str], rate: float) -> None:
    rng = world.rng
    day = h // 24
    if day not in world.daily_threads:
        moment = datetime.fromtimestamp(world.start + day * DAY, UTC)
        thread = Draft(
            "post",
            "wallstreetbets",
            "wsbapp",
            world.start + day * DAY + 1,
            title=f"Daily Discussion Thread for {moment:%B %d, %Y}",
            body="Your daily trading discussion thread. Please keep the shitposting to a minimum.",
            flair="Daily Discussion",
            score=300,
            stickied=True,
        )
        world.add(thread)
        world.daily_threads[day] = thread
    thread = world.daily_threads[day]
    for _ in range(poisson(rng, DAILY_THREAD_COMMENTS_PER_HOUR * world.scale * rate)):
        symbol = _zipf_pick(world, cum, ordered) if rng.random() < 0.45 else None
        world.add(
            Draft(
                "comment", "wallstreetbets", world.pick_author(0.04).name, t0 + rng.uniform(0, HOUR),
                body=_comment_text(world, symbol, context=False), score=max(0, int(rng.expovariate(1 / 3))),
                post=thread, parent=thread,
            )
        )  # fmt: skip


# --- scenarios ---------------------------------------------------------------------------


@dataclass
class _Scenario:
    kind: str
    symbol: str
    start: float
    notes: str
    counts: dict[int, int] = field(default_factory=dict)
    posts: list[Draft] = field(default_factory=list)

    def count(self, t: float) -> None:
        hour = int(t // HOUR)
        self.counts[hour] = self.counts.get(hour, 0) + 1

    def peak(self) -> float:
        """The hour with the most scenario items over a 3-hour moving window."""
        if not self.counts:
            return self.start
        best = max(self.counts, key=lambda h: (sum(self.counts.get(h + d, 0) for d in (-1, 0, 1)), -h))
        return best * HOUR


def _events(world: _World, rate_at: Any, begin: float, stop: float) -> list[float]:
    """Event times of an inhomogeneous Poisson process (rate per hour, shaped by the day)."""
    rng = world.rng
    times: list[float] = []
    t = begin - begin % HOUR
    while t < min(stop, world.end):
        lam = rate_at(t + HOUR / 2) * rhythm(t)
        times.extend(t + rng.uniform(0, HOUR) for _ in range(poisson(rng, lam)))
        t += HOUR
    return sorted(x for x in times if begin <= x < world.end)


def _thread_for(world: _World, scenario: _Scenario, subreddit: str, t: float) -> Draft | None:
    candidates = [p for p in scenario.posts[-12:] if p.subreddit == subreddit and p.created < t]
    if not candidates:
        candidates = [p for p in scenario.posts[-12:] if p.created < t]
    return world.rng.choice(candidates) if candidates else None


def _organic(world: _World, scenario: _Scenario, *, origin: str, rise_h: float, peak_rate: float) -> None:
    rng = world.rng
    s, symbol, name = scenario.start, scenario.symbol, world.names[scenario.symbol]
    p = s + rise_h * HOUR
    tau_up = rise_h / math.log(peak_rate / 0.15)
    tau_down = rng.uniform(10, 20)

    def rate(t: float) -> float:
        return peak_rate * math.exp((t - p) / HOUR / (tau_up if t < p else -tau_down))

    spread = {sub: rng.uniform(0.2, 0.75) for sub in universe.SUBREDDITS if sub != origin}
    spread["wallstreetbets"] = rng.uniform(0.5, 0.85)
    for t in _events(world, rate, s, p + 5 * tau_down * HOUR):
        x = min(1.0, (t - s) / (p - s))
        weights = {origin: 1.0} | {
            sub: universe.SUBREDDITS[sub] * 2 * min(1.0, (x - at) / 0.2) for sub, at in spread.items() if x > at
        }
        subreddit = rng.choices(list(weights), weights=list(weights.values()))[0]
        author = world.pick_author(0.05).name
        thread = _thread_for(world, scenario, subreddit, t)
        if thread is None or rng.random() < (0.35 if x < 0.5 else 0.22):
            if rng.random() < (0.45 if x < 0.5 else 0.2):
                title, body = texts.dd_post(rng, symbol, name)
                draft = Draft("post", subreddit, author, t, title=title, body=body, flair="DD")
            elif rng.random() < 0.15:
                title, body, url = texts.news_post(rng, symbol, name)
                draft = Draft("post", subreddit, author, t, title=title, body=body, url=url, flair="News")
            else:
                refs = [texts.ref(rng, symbol, name)]
                if rng.random() < 0.3:
                    other = rng.choice(world.tickers)
                    refs.append(texts.ref(rng, *other))
                title, body = texts.discussion_post(rng, refs)
                draft = Draft(
                    "post", subreddit, author, t, title=title, body=body, flair=rng.choice((None, "Discussion"))
                )
            draft.score = int(math.exp(rng.gauss(2 + 2 * x, 1.2)))
            if world.add(draft):
                scenario.posts.append(draft)
                scenario.count(t)
            continue
        body = _comment_text(world, symbol, context=True)
        if subreddit == "wallstreetbets" and rng.random() < 0.1:
            body += " " + "🚀" * rng.randint(1, 3)
        draft = Draft("comment", thread.subreddit, author, t, body=body, score=int(rng.expovariate(1 / 8)), post=thread)
        draft.parent = thread
        if world.add(draft):
            scenario.count(t)


def _late_viral(world: _World, scenario: _Scenario, *, rise_h: float, peak_rate: float) -> None:
    rng = world.rng
    s, symbol, name = scenario.start, scenario.symbol, world.names[scenario.symbol]
    p = s + rise_h * HOUR
    tau_up = rise_h / math.log(peak_rate / 0.3)

    def rate(t: float) -> float:
        return peak_rate * math.exp((t - p) / HOUR / (tau_up if t < p else -8.0))

    subs = {"wallstreetbets": 0.7, "stocks": 0.15, "StockMarket": 0.15}
    for t in _events(world, rate, s, p + 40 * HOUR):
        subreddit = rng.choices(list(subs), weights=list(subs.values()))[0]
        author = world.pick_author(0.1).name
        thread = _thread_for(world, scenario, subreddit, t)
        if thread is None or rng.random() < 0.25:
            if rng.random() < 0.3:
                title, body, url = texts.news_post(rng, symbol, name)
                draft = Draft("post", subreddit, author, t, title=title, body=body, url=url, flair="News")
            else:
                title, body = texts.discussion_post(rng, [texts.ref(rng, symbol, name)])
                draft = Draft("post", subreddit, author, t, title=title, body=body, flair=rng.choice((None, "YOLO")))
            draft.score = int(math.exp(rng.gauss(3, 1.5)))
            if world.add(draft):
                scenario.posts.append(draft)
                scenario.count(t)
            continue
        body = _comment_text(world, symbol, context=True)
        if rng.random() < 0.25:
            body += " " + "🚀" * rng.randint(1, 4)
        draft = Draft(
            "comment", thread.subreddit, author, t, body=body, score=int(rng.expovariate(1 / 10)), post=thread
        )
        draft.parent = thread
        if world.add(draft):
            scenario.count(t)


def _pump(world: _World, scenario: _Scenario, *, stealth: bool, peak_rate: float) -> None:
    rng = world.rng
    s, symbol = scenario.start, scenario.symbol
    ramp, hold = rng.uniform(3, 8), rng.uniform(4, 12)
    accounts: list[Author] = []
    new_share = rng.uniform(0.4, 0.6) if stealth else rng.uniform(0.6, 0.85)
    for _ in range(rng.randint(10, 25)):
        if rng.random() < new_share:
            # "new" as a campaign means it: days to two months, whatever any detector's bar is
            accounts.append(world.new_author(s - rng.uniform(1, 60) * DAY, (1, 80), suspended=rng.random() < 0.2))
        else:  # aged or bought accounts
            accounts.append(world.new_author(s - rng.uniform(200, 1500) * DAY, (10, 800)))
    activity = [rng.uniform(0.3, 3) for _ in accounts]
    scripts = rng.sample(texts.PUMP_SCRIPTS, k=2)
    emoji_share, stuffing_share = (0.3, 0.25) if stealth else (0.9, 0.55)

    def rate(t: float) -> float:
        hours = (t - s) / HOUR
        if hours < ramp:
            return 2 + (peak_rate - 2) * hours / ramp
        if hours < ramp + hold:
            return peak_rate
        return peak_rate * math.exp(-(hours - ramp - hold) / 3)

    subs = {"pennystocks": 0.45, "wallstreetbets": 0.25, "StockMarket": 0.15, "Daytrading": 0.15}
    for t in _events(world, rate, s, s + (ramp + hold + 18) * HOUR):
        subreddit = rng.choices(list(subs), weights=list(subs.values()))[0]
        thread = _thread_for(world, scenario, subreddit, t)
        if rng.random() < 0.2 and thread is not None:  # real users answering the spam
            body = texts.pump_reply(rng, symbol) if rng.random() < 0.6 else _comment_text(world, symbol, context=True)
            draft = Draft("comment", thread.subreddit, world.pick_regular().name, t, body=body, post=thread)
            draft.parent, draft.score = thread, int(rng.expovariate(1 / 5))
            if world.add(draft):
                scenario.count(t)
            continue
        author = rng.choices(accounts, weights=activity)[0].name
        text = texts.pump_text(
            rng, scripts, symbol, emoji=rng.random() < emoji_share, stuffing=rng.random() < stuffing_share
        )
        if thread is None or rng.random() < 0.4:
            title = texts.pump_title(rng, symbol)
            if not rng.random() < emoji_share:
                title = "".join(ch for ch in title if ord(ch) < 0x2000).strip()
            draft = Draft("post", subreddit, author, t, title=title, body=text, flair=rng.choice((None, "Catalyst")))
            draft.score = int(rng.expovariate(1 / 4))
            if world.add(draft):
                scenario.posts.append(draft)
                scenario.count(t)
            continue
        draft = Draft("comment", thread.subreddit, author, t, body=text, score=int(rng.expovariate(1 / 2)), post=thread)
        draft.parent = thread
        if world.add(draft):
            scenario.count(t)


def _news_bursts(world: _World, ordered: list[str], exclude: set[str], days: int) -> None:
    """Unlabelled noise: popular tickers with news (2-3x), a few tail tickers with a day of fame."""
    rng = world.rng
    popular = [s for s in ordered[:48] if s not in exclude]
    tail = [s for s in ordered[48:] if s not in exclude]
    plans = [(rng.choice(popular), rng.uniform(3, 10), rng.uniform(3, 12)) for _ in range(round(days * 0.6))]
    plans += [(rng.choice(tail), rng.uniform(2, 6), rng.uniform(2, 5)) for _ in range(max(1, days // 5))]
    for symbol, hours, extra in plans:
        begin = world.start + rng.uniform(1, days - 1) * DAY
        name = world.names[symbol]
        post: Draft | None = None
        for t in _events(world, lambda _t, e=extra: e, begin, begin + hours * HOUR):
            subreddit = rng.choice(list(universe.SUBREDDITS))
            if post is None or rng.random() < 0.3:
                title, body, url = texts.news_post(rng, symbol, name)
                post = Draft("post", subreddit, world.pick_author(0.03).name, t, title=title, body=body, url=url)
                post.flair, post.score = "News", int(math.exp(rng.gauss(2.5, 1.2)))
                world.add(post)
                continue
            draft = Draft("comment", post.subreddit, world.pick_author(0.03).name, t, post=post, parent=post)
            draft.body = _comment_text(world, symbol, context=True)
            world.add(draft)


def _plan(world: _World, days: int) -> tuple[list[_Scenario], list[str]]:
    """Scenario tickers and start times, and the ticker order that sets popularity."""
    rng = world.rng
    tiers = universe.tiers()
    always = rng.choice(universe.pool(universe.ALWAYS_POPULAR_POOL))
    breakout_pool = universe.pool(universe.BREAKOUT_POOL)
    rng.shuffle(breakout_pool)
    pumps = rng.sample(universe.pool(universe.PUMP_POOL), k=3)
    organic, viral = breakout_pool[:4], breakout_pool[4]
    special = {always, viral, *organic, *pumps}
    mega = [s for s, _ in tiers["mega"] if s != always]
    popular = [s for s, _ in tiers["popular"]]
    tail = [s for s, _ in tiers["tail"] if s not in special]
    rng.shuffle(mega)
    rng.shuffle(popular)
    rng.shuffle(tail)
    quiet = [viral, *organic, *pumps]
    # Scenario tickers sit deep in the tail before their moment, like real quiet names.
    ordered = [always, *mega, *popular, *tail[:150], *quiet, *tail[150:]]
    scenarios: list[_Scenario] = []
    slots = rng.sample(range(2, max(3, days - 4)), k=min(4, max(1, days - 6)))
    for symbol, day in zip(organic, sorted(slots), strict=False):
        start = world.start + (day + rng.uniform(0, 0.8)) * DAY
        scenarios.append(_Scenario("organic_breakout", symbol, start, "grows over days from one subreddit"))
    for i, symbol in enumerate(pumps):
        start = world.start + rng.uniform(1.5, days - 1.5) * DAY
        notes = "quiet campaign: fewer emojis, more aged accounts" if i == 0 else "loud campaign: rockets and stuffing"
        scenarios.append(_Scenario("pump", symbol, start, notes))
    viral_start = world.start + rng.uniform(max(1.0, days * 0.65), max(1.5, days - 1.5)) * DAY
    scenarios.append(_Scenario("late_viral", viral, viral_start, "no build-up: rises within hours in wallstreetbets"))
    scenarios.append(_Scenario("always_popular", always, world.start, "steady top ticker; must never alert"))
    return scenarios, ordered


def generate(seed: int = 7, days: int = 14, start: float = DEFAULT_START, scale: float = 1.0) -> Corpus:
    rng = random.Random(seed)
    tickers = [pair for tier in universe.tiers().values() for pair in tier]
    world = _World(rng, start, start + days * DAY, tickers, dict(tickers), scale=scale)
    _authors(world)
    scenarios, ordered = _plan(world, days)
    popularity = _popularity(world, ordered)
    _background(world, ordered, popularity)
    for scenario in scenarios:
        if scenario.kind == "organic_breakout":
            origin = rng.choice(("stocks", "investing", "pennystocks", "StockMarket", "options"))
            _organic(world, scenario, origin=origin, rise_h=rng.uniform(60, 96), peak_rate=rng.uniform(25, 45))
            scenario.notes += f" (starts in r/{origin})"
        elif scenario.kind == "pump":
            _pump(world, scenario, stealth=scenario.notes.startswith("quiet"), peak_rate=rng.uniform(20, 45))
        elif scenario.kind == "late_viral":
            _late_viral(world, scenario, rise_h=rng.uniform(5, 9), peak_rate=rng.uniform(50, 80))
    _news_bursts(world, ordered, {s.symbol for s in scenarios}, days)
    return _finish(world, scenarios, seed)


def _slug(title: str) -> str:
    words = "".join(ch.lower() if ch.isalnum() else " " for ch in title).split()
    return "_".join(words[:8]) or "post"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def _finish(world: _World, scenarios: list[_Scenario], seed: int) -> Corpus:
    drafts = sorted(world.drafts, key=lambda d: (d.created, d.kind != "post"))
    next_post, next_comment = int("1h00000", 36) + seed * 7919, int("m000000", 36) + seed * 7919
    for draft in drafts:  # Reddit ids grow with time
        draft.created = float(int(draft.created))
        if draft.kind == "post":
            draft.id36, next_post = _base36(next_post), next_post + world.rng.randint(1, 40)
            draft.slug = _slug(draft.title)
        else:
            draft.id36, next_comment = _base36(next_comment), next_comment + world.rng.randint(1, 9)
    items = [_item(d) for d in drafts]
    used = {d.author for d in drafts}
    authors = [
        {
            "name": a.name,
            "created_utc": a.created_utc,
            "link_karma": a.link_karma,
            "comment_karma": a.comment_karma,
            "suspended": a.suspended,
        }
        for a in sorted(world.authors, key=lambda a: a.name)
        if a.name in used
    ]
    labels = [
        {
            "scenario": s.kind,
            "ticker": s.symbol,
            "start": float(int(s.start)),
            "peak": float(int(world.end - HOUR)) if s.kind == "always_popular" else s.peak(),
            "notes": s.notes,
        }
        for s in sorted(scenarios, key=lambda s: (s.start, s.symbol))
    ]
    manifest = {
        "seed": seed,
        "start": world.start,
        "end": world.end,
        "items": len(items),
        "generator_version": GENERATOR_VERSION,
    }
    return Corpus(items, authors, labels, manifest)


def _item(d: Draft) -> dict[str, Any]:
    if d.kind == "post":
        permalink = f"/r/{d.subreddit}/comments/{d.id36}/{d.slug}/"
        return {
            "id": f"t3_{d.id36}",
            "kind": "post",
            "subreddit": d.subreddit,
            "author": d.author,
            "title": d.title,
            "body": d.body,
            "url": d.url or f"https://www.reddit.com{permalink}",
            "permalink": permalink,
            "flair": d.flair,
            "score": d.score,
            "num_comments": d.comments,
            "created_utc": d.created,
            "stickied": d.stickied,
        }
    assert d.post is not None and d.parent is not None
    return {
        "id": f"t1_{d.id36}",
        "kind": "comment",
        "subreddit": d.subreddit,
        "author": d.author,
        "body": d.body,
        "permalink": f"/r/{d.post.subreddit}/comments/{d.post.id36}/{d.post.slug}/{d.id36}/",
        "score": d.score,
        "created_utc": d.created,
        "parent_id": f"t3_{d.parent.id36}" if d.parent.kind == "post" else f"t1_{d.parent.id36}",
        "link_id": f"t3_{d.post.id36}",
    }


def _write_jsonl_gz(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")


def write(corpus: Corpus, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl_gz(out / "items.jsonl.gz", corpus.items)
    _write_jsonl_gz(out / "authors.jsonl.gz", corpus.authors)
    (out / "labels.json").write_text(json.dumps(corpus.labels, indent=2) + "\n")
    (out / "manifest.json").write_text(json.dumps(corpus.manifest, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--start", type=float, default=DEFAULT_START, help="epoch seconds of the first hour")
    parser.add_argument("--scale", type=float, default=1.0, help="background traffic multiplier (larger corpora)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    corpus = generate(args.seed, args.days, args.start, args.scale)
    write(corpus, args.out)
    print(json.dumps(corpus.manifest | {"authors": len(corpus.authors), "labels": len(corpus.labels)}))


if __name__ == "__main__":
    main()
