"""API latency and throughput on loopback: p50/p99 and requests/s at fixed concurrency for
``/v1/alerts`` (its first page, which the api caches for seconds as production runs it, and
the next page, read from Firestore every time) and ``/v1/tickers/trending``, with
``/v1/health`` in the same run as the ceiling (same process, same server, no token, no
Firestore), so the ratios say what authentication, the rate-limit write and the Firestore
reads cost on this machine.

The server is the api function as the local stack runs it (functions-framework on
gunicorn, its own process) against the Firestore emulator, seeded with alerts and tickers
of the documented shapes; the client keeps one HTTP/1.1 connection per thread.

The endpoints take turns, round after round, each round in another of their orders, and
each one's latencies are pooled over the rounds: a p99 is a handful of the slowest
requests, so an endpoint measured alone in a slow second of a shared machine would move the
ratio more than anything the api does.
"""

import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from google.cloud import firestore

from devtools import devauth
from emulators.stack import Stack

CONCURRENCY = 8
REQUESTS = 400  # per endpoint and round, after WARMUP
WARMUP = 40
ROUNDS = 8  # each endpoint first twice: rotations of their order, forwards then backwards
ALERTS = 300
TICKERS = 150
NOW = 1_760_000_000.0


def seed(project: str) -> None:
    db = firestore.Client(project=project)
    batch = db.batch()
    for n in range(ALERTS):
        symbol = f"S{n % TICKERS:03d}"
        alert_id = f"{symbol}-{n}"
        batch.set(
            db.collection("alerts").document(alert_id),
            {
                "alert_id": alert_id,
                "symbol": symbol,
                "kind": "organic",
                "status": "open" if n % 4 else "resolved",
                "level": 1,
                "rule": "volume_spike",
                "reasons": ["mentions 4x baseline"],
                "score": (n % 30) / 10,
                "pump_risk": (n % 10) / 10,
                "opened_at": NOW - n * 60 - 3600,
                "updated_at": NOW - n * 60,
                "evidence": [{"item_id": f"t3_{n}", "permalink": f"/r/stocks/{n}", "subreddit": "stocks"}],
                "history": [],
            },
        )
        if n % 400 == 399:
            batch.commit()
            batch = db.batch()
    for t in range(TICKERS):
        window = {"mentions": t, "posts": t // 2, "comments": t - t // 2, "distinct_authors": t // 2}
        batch.set(
            db.collection("tickers").document(f"S{t:03d}"),
            {
                "symbol": f"S{t:03d}",
                "as_of": NOW,
                "windows": {w: {**window, "mentions": t * k} for w, k in (("1h", 1), ("6h", 5), ("24h", 20))},
                "detection": {"score": t / 100, "pump_risk": 0.1},
            },
        )
    batch.commit()


class Sample:
    """One endpoint's requests over the rounds: latencies after the warm-up, wall time, errors."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.wall_s = 0.0
        self.requests = 0
        self.errors = 0

    def figures(self) -> dict[str, float]:
        cuts = statistics.quantiles(self.latencies, n=100)
        return {
            "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000,
            "rps": self.requests / self.wall_s,
            "errors": float(self.errors),
        }


def measure(url: str, path: str, headers: dict[str, str], into: Sample) -> None:
    """One round of ``path``: CONCURRENCY threads, REQUESTS + WARMUP requests between them."""
    parts = urlsplit(url)
    lock = threading.Lock()
    per_thread = (REQUESTS + WARMUP) // CONCURRENCY

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        mine: list[float] = []
        failed = 0
        try:
            for i in range(per_thread):
                began = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - began
                failed += response.status != 200
                if i >= WARMUP // CONCURRENCY and response.status == 200:  # an error's latency is no answer's
                    mine.append(elapsed)
        except (OSError, http.client.HTTPException):
            failed += 1  # a dropped connection ends this thread's share of the round, counted
        finally:
            conn.close()
            with lock:
                into.latencies.extend(mine)
                into.errors += failed

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    into.wall_s += time.perf_counter() - began
    into.requests += per_thread * CONCURRENCY


def rotations(names: list[str], rounds: int) -> list[list[str]]:
    """``rounds`` orders of ``names``: each rotation forwards, then each backwards, so every
    endpoint runs first, last and beside each other as often as the rounds allow."""
    orders = [names[i:] + names[:i] for i in range(len(names))]
    orders += [list(reversed(o)) for o in orders]
    return [orders[i % len(orders)] for i in range(rounds)]


def next_cursor(url: str, headers: dict[str, str]) -> str:
    """The cursor of the first page of alerts after it."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", "/v1/alerts?limit=20", headers=headers)
        page = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    cursor = page.get("next_cursor")
    if not isinstance(cursor, str):
        raise AssertionError(f"the seeded alerts fill no second page: {page.get('next_cursor')!r}")
    return quote(cursor, safe="")


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(
            log_dir=Path(tmp) / "logs",
            functions=["api"],
            extra_env={"RATE_LIMIT_USER_PER_MINUTE": "10000000", "LOG_LEVEL": "WARNING"},
        )
        stack.start()
        saved = dict(os.environ)
        try:
            os.environ.update(stack.env)  # this process's Firestore client seeds the stack's emulator
            assert stack.emulators is not None
            seed(stack.emulators.project)
            token = devauth.mint(devauth.current_key(Path(stack.env["DEVAUTH_DIR"])), ttl_s=3600)
            auth = {"Authorization": f"Bearer {token}"}
            url = stack.services["api"].url
            figures: dict[str, Any] = {
                "concurrency": CONCURRENCY,
                "rounds": ROUNDS,
                "requests_per_endpoint": REQUESTS * ROUNDS,
            }
            paths: dict[str, tuple[str, dict[str, str]]] = {
                "health": ("/v1/health", {}),
                "alerts": ("/v1/alerts?limit=20", auth),
                "trending": ("/v1/tickers/trending?window=24h&limit=20", auth),
                # the next page: read from Firestore every time (the first page of a listing
                # is cached for ALERTS_CACHE_S, as production runs it)
                "alerts_next": (f"/v1/alerts?limit=20&cursor={next_cursor(url, auth)}", auth),
            }
            samples = {name: Sample() for name in paths}
            for order in rotations(list(paths), ROUNDS):
                for name in order:
                    path, headers = paths[name]
                    measure(url, path, headers, samples[name])
            results = {name: sample.figures() for name, sample in samples.items()}
            for name, result in results.items():
                for key, value in result.items():
                    figures[f"{name}_{key}"] = round(value, 2)
            for name in ("alerts", "trending", "alerts_next"):
                figures[f"{name}_rps_vs_health"] = round(results[name]["rps"] / results["health"]["rps"], 3)
                figures[f"{name}_p50_vs_health"] = round(results[name]["p50_ms"] / results["health"]["p50_ms"], 2)
            return figures
        finally:
            stack.stop()
            os.environ.clear()  # the modules measured after this one start their own stacks
            os.environ.update(saved)


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
