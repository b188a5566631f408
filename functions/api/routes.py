"""The routes: each declares its models once (see openapi.py) and reads like its contract."""

import itertools
import time
from collections.abc import Iterator
from typing import Any

from common.extraction import company_name, is_listed
from common.fields import web_link
from common.notify import alert_subreddits, suspended
from common.trending import rank
from common.windows import WINDOWS
from functions.api import models as m
from functions.api.auth import Principal
from functions.api.errors import ApiError, not_found
from functions.api.history import counted
from functions.api.openapi import API
from functions.api.ratelimit import user_key
from functions.api.services import Services
from functions.api.store import alert_position, decode_cursor, encode_cursor

MAX_SCAN = 1000  # alerts examined per page when in-memory filters reject most of them
# A listing counts one more request against its caller's rate limit per this many alerts it
# examined past the first: a filtered scan reads up to MAX_SCAN, a page seldom more than 100,
# and a caller repeating scans of a thousand would otherwise read 120,000 alerts a minute.
ALERTS_PER_REQUEST = 100
# Likewise a history: one more request per this many hours read from Firestore, and an
# answer from the archive costs ARCHIVE_REQUESTS (its queries bill at least 10 MB each).
HOURS_PER_REQUEST = 100
ARCHIVE_REQUESTS = 10


@API.route("GET", "/v1/health", summary="Liveness", tag="meta", response=m.Health, auth=False, rate_limited=False)
def health(svc: Services) -> m.Health:
    return m.Health(version=svc.settings.function_name)


# ---------------------------------------------------------------- me


def _me(principal: Principal, user: dict[str, Any]) -> m.Me:
    return m.Me(
        id=principal.sub,
        email=principal.email,
        name=principal.name or user.get("name"),
        role=",".join(sorted(principal.roles)) or None,
        preferences=m.stored_preferences(user["preferences"], principal.sub),
        watchlist=user["watchlist"],
        suspended=_suspension(user),
    )


def _suspension(user: dict[str, Any]) -> m.Suspension | None:
    """The suspension as notify reads it, only while it lasts (a ban Better Auth ended by
    itself is not told to the API)."""
    if not suspended(user, time.time()):
        return None
    until = user["suspended"].get("until")
    return m.Suspension(until=float(until) if isinstance(until, int | float) and until >= 0 else None)


@API.route("GET", "/v1/me", summary="The caller, their preferences and watchlist", tag="me", response=m.Me)
def get_me(svc: Services, user: Principal) -> m.Me:
    return _me(user, svc.store.user(user))


@API.route(
    "DELETE",
    "/v1/me",
    summary="Delete the caller's data: watchlist, preferences, notification settings (idempotent)",
    tag="me",
    status=204,
    touches_user=False,  # again after a deletion (its answer lost): 204, so the web app can finish
    rate_window="deletion",  # an admin's removal of an account that spent its minute's requests
)
def delete_me(svc: Services, user: Principal) -> None:
    svc.store.delete_user(user.sub, time.time())


@API.route(
    "PATCH",
    "/v1/me/preferences",
    summary="Change alert filters (only the fields sent)",
    tag="me",
    body=m.PreferencesPatch,
    response=m.Preferences,
)
def patch_preferences(svc: Services, user: Principal, body: m.PreferencesPatch) -> m.Preferences:
    svc.store.update_preferences(user, body.model_dump(exclude_none=True))
    return m.stored_preferences(svc.store.user(user)["preferences"], user.sub)


@API.route("GET", "/v1/me/watchlist", summary="Watched symbols", tag="me", response=m.Watchlist)
def get_watchlist(svc: Services, user: Principal) -> m.Watchlist:
    return m.Watchlist(symbols=svc.store.user(user)["watchlist"])


@API.route("PUT", "/v1/me/watchlist", summary="Replace the watchlist", tag="me", body=m.Watchlist, response=m.Watchlist)
def put_watchlist(svc: Services, user: Principal, body: m.Watchlist) -> m.Watchlist:
    symbols = list(dict.fromkeys(body.symbols))
    unknown = [s for s in symbols if not is_listed(s)]
    if unknown:
        raise ApiError(422, "unknown_symbol", f"not US-listed symbols: {', '.join(unknown[:10])}")
    svc.store.set_watchlist(user, symbols)
    return m.Watchlist(symbols=symbols)


@API.route(
    "PUT",
    "/v1/me/watchlist/{symbol}",
    summary="Watch a symbol (idempotent)",
    tag="me",
    params=m.SymbolPath,
    response=m.Watchlist,
    may_404=True,
    may_409=True,
)
def watch_symbol(svc: Services, user: Principal, params: m.SymbolPath) -> m.Watchlist:
    if not is_listed(params.symbol):
        raise not_found(f"symbol {params.symbol}")
    if not svc.store.watch(user, params.symbol, m.MAX_WATCHLIST):
        raise ApiError(409, "watchlist_full", f"a watchlist holds at most {m.MAX_WATCHLIST} symbols")
    return m.Watchlist(symbols=svc.store.user(user)["watchlist"])


@API.route(
    "DELETE",
    "/v1/me/watchlist/{symbol}",
    summary="Stop watching a symbol (idempotent)",
    tag="me",
    params=m.SymbolPath,
    response=m.Watchlist,
)
def unwatch_symbol(svc: Services, user: Principal, params: m.SymbolPath) -> m.Watchlist:
    svc.store.unwatch(user, params.symbol)
    return m.Watchlist(symbols=svc.store.user(user)["watchlist"])


# ---------------------------------------------------------------- alerts


@API.route(
    "GET",
    "/v1/alerts",
    summary="Alerts, newest update first, filtered; cursor pagination",
    tag="alerts",
    query=m.AlertQuery,
    response=m.AlertPage,
    may_400=True,
)
def list_alerts(svc: Services, user: Principal, query: m.AlertQuery) -> m.AlertPage:
    after = decode_cursor(query.cursor) if query.cursor else None
    min_score, max_pump, watch_only = query.min_score, query.max_pump_risk, bool(query.watchlist_only)
    organic_max_pump: float | None = None  # the preference: as notify reads it, pump warnings always pass
    subreddits: set[str] = set()
    watchlist: list[str] = []
    if query.apply_preferences or watch_only:
        stored = svc.store.user(user)
        watchlist = stored["watchlist"]
        if query.apply_preferences:
            prefs = m.stored_preferences(stored["preferences"], user.sub)
            min_score = prefs.min_score if min_score is None else min_score
            organic_max_pump = prefs.max_pump_risk if max_pump is None else None
            watch_only = prefs.watchlist_only if query.watchlist_only is None else query.watchlist_only
            subreddits = set(prefs.subreddits)
    symbols = [query.symbol] if query.symbol else None
    if watch_only:
        symbols = [s for s in (symbols or watchlist) if s in watchlist]
        if not symbols:
            return m.AlertPage(alerts=[])

    def keep(doc: dict[str, Any]) -> bool:
        # As notify judges a resolution: by the alert it ends (its peak), not the quiet that ended it.
        ended = query.apply_preferences and doc.get("status") == "resolved"
        score = float((doc.get("peak_score") if ended else None) or doc.get("score") or 0.0)
        if min_score is not None and score < min_score:
            return False
        if max_pump is not None and float(doc.get("pump_risk") or 0.0) > max_pump:
            return False
        if (
            organic_max_pump is not None
            and not ended
            and doc.get("kind") == "organic"
            and float(doc.get("pump_risk") or 0.0) > organic_max_pump
        ):
            return False
        return not subreddits or bool(subreddits & alert_subreddits(doc))

    page: list[dict[str, Any]] = []
    scanned, last_scanned, more, reads = 0, after, False, [0]
    filtered = min_score is not None or max_pump is not None or organic_max_pump is not None or bool(subreddits)
    batch = min(100, max(25, 2 * (query.limit + 1))) if filtered else query.limit + 1
    for doc in _scan_alerts(svc, symbols, query, after, batch, reads=reads):
        if keep(doc):
            if len(page) == query.limit:
                more = True  # one more match exists: the page is full and there is a next one
                break
            page.append(doc)
        scanned, last_scanned = scanned + 1, alert_position(doc)
        if scanned >= MAX_SCAN:
            more = True  # stop scanning; the client continues from here
            break
    # what it examined, or what it read where that is more (a long watchlist's queries each
    # read a batch ahead of the merge), less the one read to know a next page exists
    examined = max(scanned, reads[0] - 1)
    svc.limiter.charge(
        user_key(user.sub), svc.settings.rate_limit_user_per_minute, max(0, examined - 1) // ALERTS_PER_REQUEST
    )
    cursor = None
    if more:
        resume = alert_position(page[-1]) if len(page) == query.limit else last_scanned
        cursor = encode_cursor(*resume) if resume else None
    return m.AlertPage(alerts=[m.AlertSummary.model_validate(d) for d in page], next_cursor=cursor)


# What a listing reads of each alert: its summary, and the evidence the subreddit filter
# reads (an alert's history, metrics and baseline are most of its bytes, and the first page
# of each view is kept in the instance's memory).
LISTED_FIELDS = (*m.AlertSummary.model_fields, "evidence")


def _scan_alerts(
    svc: Services,
    symbols: list[str] | None,
    query: m.AlertQuery,
    after: tuple[float, str] | None,
    batch: int,
    *,
    reads: list[int],
) -> Iterator[dict[str, Any]]:
    """The alerts ``list_alerts`` filters, newest first. The first batch of a listing from the
    top (no cursor) is shared per instance for ``ALERTS_CACHE_S``: every client polling the
    same view reads it once; later batches and cursors always read (counted in ``reads[0]``)."""

    def scan(start: tuple[float, str] | None) -> Iterator[dict[str, Any]]:
        return svc.store.scan_alerts(
            symbols=symbols,
            status=query.status,
            kind=query.kind,
            since=query.since,
            after=start,
            batch=batch,
            fields=LISTED_FIELDS,
            reads=reads,
        )

    if after is not None:
        yield from scan(after)
        return
    key = (tuple(symbols) if symbols is not None else None, query.status, query.kind, query.since, batch)
    first: list[dict[str, Any]] = svc.alerts.get(key, lambda: list(itertools.islice(scan(None), batch)))
    yield from first
    if len(first) == batch:
        yield from scan(alert_position(first[-1]))


@API.route(
    "GET",
    "/v1/alerts/{alert_id}",
    summary="One alert with its evidence and history",
    tag="alerts",
    params=m.AlertPath,
    response=m.Alert,
    may_404=True,
)
def get_alert(svc: Services, user: Principal, params: m.AlertPath) -> m.Alert:
    doc, verdict = svc.store.alert(params.alert_id, user.sub)
    if doc is None:
        raise not_found(f"alert {params.alert_id}")
    alert = m.Alert.model_validate(doc)
    alert.your_verdict = verdict
    for evidence in alert.evidence:
        evidence.url = web_link(evidence.permalink, svc.settings.reddit_web_url)
    return alert


# ---------------------------------------------------------------- tickers


@API.route(
    "GET",
    "/v1/tickers/trending",
    summary="Most mentioned tickers in the window ending now (the newest data); silent ones drop out",
    tag="tickers",
    query=m.TrendingQuery,
    response=m.Trending,
)
def trending(svc: Services, user: Principal, query: m.TrendingQuery) -> m.Trending:
    del user
    # One answer per window, as long as any limit asks: keyed by the limit too, 300 keys would
    # each cost a recount of up to 600 summaries and push the shared answers out of the cache.
    answer: m.Trending = svc.trending.get(query.window, lambda: _trending(svc, query.window))
    return answer.model_copy(update={"tickers": answer.tickers[: query.limit]})


def _trending(svc: Services, window: m.TrendingWindow) -> m.Trending:
    now = svc.store.newest_as_of()
    if now is None:
        return m.Trending(window=window, tickers=[])
    since = (int(now // 3600) - WINDOWS[window] + 1) * 3600
    # the longest list a caller may ask for: every shorter one is its start
    candidates = svc.store.trending_candidates(window, since, m.TRENDING_LIMIT_MAX)
    tickers = []
    for ranked in rank(candidates, now, window, m.TRENDING_LIMIT_MAX):
        doc = ranked.summary
        detection = m.Detection.model_validate(doc.get("detection") or {})
        stored = m.WindowMetrics.model_validate((doc.get("windows") or {}).get(window) or {})
        tickers.append(
            m.TrendingTicker(
                symbol=ranked.symbol,
                as_of=doc.get("as_of"),
                mentions=ranked.mentions,
                window=stored,
                score=detection.score,
                pump_risk=detection.pump_risk,
                alert_id=detection.alert_id,
            )
        )
    return m.Trending(window=window, now=now, tickers=tickers)


def _ticker(svc: Services, symbol: str) -> dict[str, Any]:
    doc = svc.store.ticker(symbol)
    if doc is None:
        if company_name(symbol) is None:
            raise ApiError(404, "unknown_symbol", f"{symbol} is not a US-listed symbol, now or in the past")
        if not is_listed(symbol):
            raise ApiError(404, "no_data_yet", f"{symbol} is no longer listed, and no mention of it has been counted")
        raise ApiError(404, "no_data_yet", f"{symbol} is listed, but no mention of it has been counted yet")
    return doc


@API.route(
    "GET",
    "/v1/tickers/{symbol}",
    summary="A ticker's current windows, baseline and scores",
    tag="tickers",
    params=m.SymbolPath,
    response=m.Ticker,
    may_404=True,
)
def get_ticker(svc: Services, user: Principal, params: m.SymbolPath) -> m.Ticker:
    del user
    return m.Ticker.model_validate({"symbol": params.symbol, **_ticker(svc, params.symbol)})


@API.route(
    "GET",
    "/v1/tickers/{symbol}/history",
    summary="Hourly series ending at the ticker's newest data",
    tag="tickers",
    params=m.SymbolPath,
    query=m.HistoryQuery,
    response=m.History,
    may_404=True,
)
def ticker_history(svc: Services, user: Principal, params: m.SymbolPath, query: m.HistoryQuery) -> m.History:
    doc = _ticker(svc, params.symbol)
    as_of = float(doc.get("as_of") or 0.0)
    end = int(as_of // 3600) * 3600
    start = end - (query.hours - 1) * 3600
    source, complete, rows = svc.history.read(params.symbol, start, end)
    archived = source != svc.history.recent.name
    extra = ARCHIVE_REQUESTS if archived else max(0, len(rows) - 1) // HOURS_PER_REQUEST
    svc.limiter.charge(user_key(user.sub), svc.settings.rate_limit_user_per_minute, extra)
    points = [m.HourPoint.model_validate(counted(row)) for row in rows]
    return m.History(symbol=params.symbol, start_utc=start, end_utc=end, source=source, complete=complete, hours=points)
