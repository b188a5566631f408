"""A local Reddit: the part of Reddit's API that asyncpraw uses, over a replay corpus.

Reddit endpoints (what ``fetch`` calls through asyncpraw): ``POST /api/v1/access_token``,
``GET /r/{sub}/new|hot``, ``GET /r/{sub}/comments``, ``GET /comments/{id}`` (and
``/comments/{id}/_/{comment}``), ``POST /api/morechildren``, ``GET /user/{name}/about``,
``GET /api/user_data_by_account_ids``. Admin endpoints (tests, demo,
benchmark): ``/_replay/clock``, ``/_replay/load``, ``/_replay/faults``, ``/_replay/stats``.
Only items created at or before the server's "now" exist, so moving the clock forward
makes successive fetches see new posts and comments as they would have appeared.
"""

import asyncio
import html
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from emulators.reddit.corpus import Corpus, Json, listing, page

RATELIMIT_WINDOW = 600
RATELIMIT_BUDGET = 100_000  # generous: asyncprawcore then never sleeps between calls


@dataclass
class Fault:
    """One queued misbehaviour for requests whose path matches ``path`` (a regex)."""

    path: str
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"message": "injected fault"}'
    times: int = 1
    delay: float = 0.0  # seconds to wait before answering (a slow Reddit, for timeouts)
    method: str | None = None
    cut: bool = False  # the real answer, its connection closed halfway through the body

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and re.search(self.path, path) is not None

    @classmethod
    def from_json(cls, spec: Json) -> "Fault":
        body = spec.get("body", cls.body)
        if spec.get("malformed"):
            body, status = '{"kind": "Listing", "data": {"children": [', 200
        else:
            status = int(spec.get("status", 500))
        return cls(
            path=str(spec["path"]),
            status=status,
            headers={str(k): str(v) for k, v in (spec.get("headers") or {}).items()},
            body=body if isinstance(body, str) else json.dumps(body),
            times=int(spec.get("times", 1)),
            delay=float(spec.get("delay", 0.0)),
            method=spec.get("method"),
            cut=bool(spec.get("cut", False)),
        )


@dataclass
class Replay:
    """The server's state: corpus, clock, queued faults, request counts."""

    corpus: Corpus = field(default_factory=Corpus)
    now: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    tokens: set[str] = field(default_factory=set)
    window_started: float = field(default_factory=time.monotonic)
    window_used: int = 0  # requests in the window so far: the count Reddit's headers report
    corpus_path: str = ""

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def ratelimit_headers(self) -> dict[str, str]:
        elapsed = time.monotonic() - self.window_started
        if elapsed >= RATELIMIT_WINDOW:  # a new window counts from nothing, as Reddit's does
            self.window_started, elapsed, self.window_used = time.monotonic(), 0.0, 0
        used = self.window_used
        return {
            "x-ratelimit-used": str(used),
            "x-ratelimit-remaining": f"{max(RATELIMIT_BUDGET - used, 1)}.0",
            "x-ratelimit-reset": str(int(RATELIMIT_WINDOW - elapsed)),
        }


REPLAY = web.AppKey("replay", Replay)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        return default


Handler = Callable[[web.Request, Replay, re.Match[str]], Awaitable[web.StreamResponse]]


async def _token(request: web.Request, replay: Replay, _m: re.Match[str]) -> web.StreamResponse:
    if not request.headers.get("Authorization", "").lower().startswith("basic "):
        return web.json_response({"error": 401, "message": "Unauthorized"}, status=401)
    form = await request.post()
    if form.get("grant_type") not in ("client_credentials", "https://oauth.reddit.com/grants/installed_client"):
        return web.json_response({"error": "unsupported_grant_type"}, status=200)
    token = f"local-{secrets.token_hex(8)}"
    replay.tokens.add(token)
    return web.json_response({"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})


async def _listing(request: web.Request, replay: Replay, m: re.Match[str]) -> web.StreamResponse:
    subreddit, sort = m.group("sub"), m.group("sort")
    replay.stats[f"listing_{sort}"] += 1
    posts = replay.corpus.listing_posts(subreddit, sort, replay.now)
    limit = _int(request.query.get("limit"), 25, 1, 100)
    chosen, after = page(posts, limit=limit, after=request.query.get("after"), before=request.query.get("before"))
    return web.json_response(listing([replay.corpus.post_thing(p, replay.now) for p in chosen], after=after))


async def _comment_listing(request: web.Request, replay: Replay, m: re.Match[str]) -> web.StreamResponse:
    replay.stats["listing_comments"] += 1
    comments = replay.corpus.listing_comments(m.group("sub"), replay.now)
    limit = _int(request.query.get("limit"), 25, 1, 100)
    chosen, after = page(comments, limit=limit, after=request.query.get("after"), before=request.query.get("before"))
    return web.json_response(listing([replay.corpus.listed_comment_thing(c) for c in chosen], after=after))


async def _user_data(request: web.Request, replay: Replay, _m: re.Match[str]) -> web.StreamResponse:
    replay.stats["user_data"] += 1
    ids = [i for i in request.query.get("ids", "").split(",") if i]
    if len(ids) > 100:
        return web.json_response({"message": "Bad Request", "error": 400}, status=400)
    found = replay.corpus.user_data(ids)
    if not found:  # Reddit answers 404 when none of the ids is an active account
        return web.json_response({"message": "Not Found", "error": 404}, status=404)
    return web.json_response(found)


async def _comments(request: web.Request, replay: Replay, m: re.Match[str]) -> web.StreamResponse:
    replay.stats["comments"] += 1
    corpus, now = replay.corpus, replay.now
    post = corpus.posts.get(m.group("id"))
    if post is None or post["created_utc"] > now:
        return web.json_response({"message": "Not Found", "error": 404}, status=404)
    sort = request.query.get("sort", "confidence")
    limit = _int(request.query.get("limit"), 200, 1, 500)
    depth = _int(request.query.get("depth"), 10, 1, 10)
    focus = m.group("comment")
    if focus:  # "continue this thread": the one comment with its own subtree
        comment = corpus.comments.get(focus)
        if comment is None or comment["created_utc"] > now or comment["link_id"] != post["id"]:
            return web.json_response({"message": "Not Found", "error": 404}, status=404)
        below = corpus.comment_tree(comment["id"], sort=sort, now=now, limit=limit, depth=depth, level=1)
        tree = [corpus.comment_thing(comment, 0, listing(below) if below else "")]
    else:
        tree = corpus.comment_tree(post["id"], sort=sort, now=now, limit=limit, depth=depth)
    return web.json_response([listing([corpus.post_thing(post, now)]), listing(tree)])


async def _morechildren(request: web.Request, replay: Replay, _m: re.Match[str]) -> web.StreamResponse:
    replay.stats["morechildren"] += 1
    params: dict[str, str] = dict(request.query)
    if request.can_read_body:
        params.update({k: str(v) for k, v in (await request.post()).items()})
    ids = [i for i in params.get("children", "").split(",") if i]
    things = replay.corpus.more_children(ids, sort=params.get("sort", "confidence"), now=replay.now)
    return web.json_response({"json": {"errors": [], "data": {"things": things}}})


async def _user_about(_request: web.Request, replay: Replay, m: re.Match[str]) -> web.StreamResponse:
    replay.stats["user_about"] += 1
    about = replay.corpus.author_about(m.group("name"))
    if about is None:
        return web.json_response({"message": "Not Found", "error": 404}, status=404)
    return web.json_response(about)


REDDIT_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("POST", re.compile(r"^/api/v1/access_token/?$"), _token),
    ("GET", re.compile(r"^/r/(?P<sub>[A-Za-z0-9_]+)/(?P<sort>new|hot)(?:\.json)?/?$"), _listing),
    ("GET", re.compile(r"^/r/(?P<sub>[A-Za-z0-9_]+)/comments(?:\.json)?/?$"), _comment_listing),
    ("GET", re.compile(r"^/api/user_data_by_account_ids(?:\.json)?/?$"), _user_data),
    ("GET", re.compile(r"^/comments/(?P<id>[a-z0-9]+)(?:/[^/]*)?(?:/_/(?P<comment>[a-z0-9]+))?/?$"), _comments),
    ("POST", re.compile(r"^/api/morechildren/?$"), _morechildren),
    ("GET", re.compile(r"^/api/morechildren/?$"), _morechildren),
    ("GET", re.compile(r"^/user/(?P<name>[A-Za-z0-9_-]+)/about/?$"), _user_about),
]


async def _reddit(request: web.Request) -> web.StreamResponse:
    replay: Replay = request.app[REPLAY]
    path, method = request.path, request.method
    for route_method, pattern, handler in REDDIT_ROUTES:
        match = pattern.match(path)
        if match is None or route_method != method:
            continue
        replay.stats["reddit_requests"] += 1
        replay.window_used += 1
        fault = replay.take_fault(method, path)
        if fault is not None:
            replay.stats["faults_injected"] += 1
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.cut:
                return await _cut(request, await handler(request, replay, match))
            headers = {"content-type": "application/json; charset=UTF-8", **fault.headers}
            return web.Response(status=fault.status, text=fault.body, headers=headers)
        if handler is not _token:
            auth = request.headers.get("Authorization", "")
            if not auth.lower().startswith("bearer ") or auth.split(" ", 1)[1] not in replay.tokens:
                return web.json_response({"message": "Unauthorized", "error": 401}, status=401)
        response = await handler(request, replay, match)
        response.headers.update(replay.ratelimit_headers())
        return response
    return web.json_response({"message": "Not Found", "error": 404}, status=404)


async def _cut(request: web.Request, answer: web.StreamResponse) -> web.StreamResponse:
    """``answer`` with its whole length announced and half its body sent, then the connection
    closed: what a reader meets when a proxy or the network drops it mid-body."""
    text = answer.text if isinstance(answer, web.Response) else None
    body = text.encode() if text is not None else b""
    cut = web.StreamResponse(status=answer.status, headers={"content-type": answer.content_type})
    cut.content_length = len(body)
    await cut.prepare(request)
    await cut.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return cut


# ---------------------------------------------------------------------- admin endpoints


async def _body(request: web.Request) -> Json:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        error = json.dumps({"error": f"not JSON: {exc}"})
        raise web.HTTPBadRequest(text=error, content_type="application/json") from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "expected a JSON object"}', content_type="application/json")
    return data


def _clock_view(replay: Replay) -> Json:
    return {"now": replay.now, "corpus": replay.corpus_path, "items": replay.corpus.size}


async def clock(request: web.Request) -> web.Response:
    replay: Replay = request.app[REPLAY]
    if request.method == "POST":
        data = await _body(request)
        if "now" in data:
            replay.now = float(data["now"])
        if "advance" in data:
            replay.now += float(data["advance"])
    return web.json_response(_clock_view(replay))


def load_corpus(replay: Replay, path: str, now: float | str | None) -> None:
    """Replace the corpus; ``now`` is an epoch, ``"start"``/``"end"`` of its manifest, or
    None for "everything visible" (the newest item's time)."""
    corpus = Corpus.load(path) if path else Corpus()
    replay.corpus, replay.corpus_path = corpus, path
    manifest_path = Path(path) / "manifest.json" if path else None
    manifest = json.loads(manifest_path.read_text()) if manifest_path and manifest_path.exists() else {}
    newest = max((i["created_utc"] for i in [*corpus.posts.values(), *corpus.comments.values()]), default=0.0)
    if now in ("start", "end") and now in manifest:
        replay.now = float(manifest[now])
    elif now is None or now in ("start", "end"):
        replay.now = float(newest)
    else:
        replay.now = float(now)


async def load(request: web.Request) -> web.Response:
    replay: Replay = request.app[REPLAY]
    data = await _body(request)
    try:
        load_corpus(replay, str(data.get("path") or ""), data.get("now"))
    except (OSError, ValueError, KeyError) as exc:
        return web.json_response({"error": str(exc)}, status=400)
    replay.faults.clear()
    return web.json_response(_clock_view(replay))


async def faults(request: web.Request) -> web.Response:
    replay: Replay = request.app[REPLAY]
    if request.method == "DELETE":
        replay.faults.clear()
    elif request.method == "POST":
        data = await _body(request)
        specs = data.get("faults", [data])
        try:
            replay.faults.extend(Fault.from_json(spec) for spec in specs)
        except (KeyError, TypeError, ValueError, re.error) as exc:
            return web.json_response({"error": f"bad fault: {exc}"}, status=400)
    return web.json_response({"faults": [f.__dict__ for f in replay.faults]})


async def stats(request: web.Request) -> web.Response:
    replay: Replay = request.app[REPLAY]
    if request.method == "DELETE":
        replay.stats.clear()
    return web.json_response(dict(replay.stats))


async def item_page(request: web.Request) -> web.Response:
    """A replayed item as a reader sees it: the page an alert's evidence link opens when the
    corpus is replayed (its ids are the corpus's, so reddit.com would show something else)."""
    replay: Replay = request.app[REPLAY]
    wanted = "/" + request.match_info["tail"].strip("/") + "/"
    for item in [*replay.corpus.posts.values(), *replay.corpus.comments.values()]:
        if str(item.get("permalink") or "").rstrip("/") + "/" == wanted:
            when = datetime.fromtimestamp(float(item["created_utc"]), UTC).strftime("%Y-%m-%d %H:%M UTC")
            title = html.escape(str(item.get("title") or item.get("link_title") or ""))
            body = html.escape(str(item.get("body") or ""))
            by = html.escape(str(item.get("author") or "[deleted]"))
            sub = html.escape(str(item.get("subreddit") or ""))
            text = (
                f"<!doctype html><meta charset=utf-8><title>{title or html.escape(str(item['id']))}</title>"
                f"<p><small>replayed corpus item {html.escape(str(item['id']))}, not reddit.com</small></p>"
                f"<h1>{title}</h1><p>r/{sub} · u/{by} · {when}</p><pre style='white-space:pre-wrap'>{body}</pre>"
            )
            return web.Response(text=text, content_type="text/html")
    return web.Response(status=404, text="no such item in the replayed corpus", content_type="text/plain")


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def make_app(replay: Replay | None = None) -> web.Application:
    app = web.Application()
    app[REPLAY] = replay or Replay()
    app.router.add_get("/_replay/health", health)
    app.router.add_get("/_replay/page/{tail:.*}", item_page)
    app.router.add_route("*", "/_replay/clock", clock)
    app.router.add_post("/_replay/load", load)
    app.router.add_route("*", "/_replay/faults", faults)
    app.router.add_route("*", "/_replay/stats", stats)
    app.router.add_route("*", "/{tail:.*}", _reddit)
    return app


def serve(host: str, port: int, corpus: str, now: float | str | None) -> None:
    replay = Replay()
    load_corpus(replay, corpus, now)
    web.run_app(make_app(replay), host=host, port=port, print=None, access_log=None)
