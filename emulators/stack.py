"""Start, provision and stop the local stack.

The same code serves ``make up`` (emulators/supervisor.py runs it in the background until
``make down``), the demo and the test session (a context manager). Pub/Sub and Firestore are the real Google emulators;
every function runs as its own functions-framework process; topics and push subscriptions
come from terraform/ (see provision.py).
"""

import contextlib
import dataclasses
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from emulators import bq_provision, jars, provision
from emulators.files import create_private
from emulators.processes import Service, free_port, open_local
from emulators.reddit.corpus import LOAD_ITEMS_PER_S, manifest_items

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".stack"
PROJECT = "akleao-local"
LOCAL_HOSTS = ",".join(filter(None, [os.environ.get("NO_PROXY") or os.environ.get("no_proxy"), "127.0.0.1,localhost"]))


@dataclass
class Emulators:
    """The Pub/Sub and Firestore emulator pair."""

    log_dir: Path
    project: str = PROJECT
    pubsub: Service | None = None
    firestore: Service | None = None
    bigquery: Service | None = None

    def start(self) -> "Emulators":
        pubsub_port, firestore_port = free_port(), free_port()
        self.pubsub = Service(
            "pubsub-emulator",
            ["java", "-jar", str(jars.find_pubsub_jar()), "--host=127.0.0.1", f"--port={pubsub_port}"],
            pubsub_port,
            self.log_dir / "pubsub-emulator.log",
        )
        self.firestore = self.firestore_service(firestore_port)
        self.bigquery = bigquery_service(self.log_dir, self.project)
        try:
            self.pubsub.start(ready_timeout=60)
            self.firestore.start(ready_timeout=60)
            self.bigquery.start(ready_timeout=60)
            bq_provision.provision_bigquery(self.bigquery_host, self.project)
        except BaseException:  # a test's timeout too: a half-started stack must not run on
            self.stop()
            raise
        return self

    def firestore_service(self, port: int, *options: str) -> Service:
        """The Firestore emulator on ``port``; ``options`` such as ``--import-data``. Its UI's
        WebSocket port is given too: left to itself, the emulator picks a free one, which can
        be ``port`` (free until the emulator binds it), and then fails to start."""
        websocket = free_port()
        return Service(
            "firestore-emulator",
            [
                "java",
                "-Duser.language=en",
                "-cp",
                str(jars.find_firestore_jar()),
                "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                "start",
                "--host=127.0.0.1",
                f"--port={port}",
                f"--websocket_port={websocket}",
                "--database-mode=firestore-native",
                *options,
            ],
            port,
            self.log_dir / "firestore-emulator.log",
        )

    def restart_firestore(self, export_dir: Path) -> None:
        """Restart the Firestore emulator with its data, as a production restart keeps it:
        export every document (the emulator's export endpoint; the jar's own
        ``--export-on-exit`` writes nothing when it is stopped by a signal), stop it, start a
        new one on the same port (the clients' address does not change) importing that
        export. Writes acknowledged between the export and the stop would be lost: the
        caller keeps the writers paused meanwhile."""
        assert self.firestore
        export_dir.mkdir(parents=True, exist_ok=True)  # the endpoint exports into a folder below it
        request = urllib.request.Request(
            f"{self.firestore.url}/emulator/v1/projects/{self.project}:export",
            data=json.dumps(
                {"database": f"projects/{self.project}/databases/(default)", "export_directory": str(export_dir)}
            ).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with open_local(request, timeout=60):
            pass
        [metadata] = export_dir.glob("*/*.overall_export_metadata")
        port = self.firestore.port
        self.firestore.stop()
        self.firestore = self.firestore_service(port, f"--import-data={metadata}")
        self.firestore.start(ready_timeout=60)

    @property
    def bigquery_host(self) -> str:
        assert self.bigquery
        return f"127.0.0.1:{self.bigquery.port}"

    @property
    def env(self) -> dict[str, str]:
        assert self.pubsub and self.firestore
        return {
            "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{self.pubsub.port}",
            "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{self.firestore.port}",
            "GOOGLE_CLOUD_PROJECT": self.project,
            **({"BIGQUERY_EMULATOR_HOST": self.bigquery_host} if self.bigquery else {}),
            # gRPC and requests follow http(s)_proxy: on a proxied machine the emulators, the
            # local Reddit and the functions must still be reached directly
            **dict.fromkeys(("NO_PROXY", "no_proxy"), LOCAL_HOSTS),
        }

    def clear_firestore(self) -> None:
        """Delete every document (the emulator's own reset endpoint)."""
        assert self.firestore
        request = urllib.request.Request(
            f"{self.firestore.url}/emulator/v1/projects/{self.project}/databases/(default)/documents",
            method="DELETE",
        )
        with open_local(request, timeout=10):
            pass

    def stop(self) -> None:
        for service in (self.bigquery, self.firestore, self.pubsub):
            if service is not None:
                service.terminate()
        for service in (self.bigquery, self.firestore, self.pubsub):
            if service is not None:
                service.stop()


BQ_PYTHON = ROOT / ".venv-bq" / "bin" / "python"


def bigquery_service(log_dir: Path, project: str) -> Service:
    """bqemulator, from its own virtualenv (it pins protobuf), through the offline launcher."""
    if not BQ_PYTHON.exists():
        raise RuntimeError(f"{BQ_PYTHON} is missing: run `make bq-venv` to install bqemulator")
    rest_port, grpc_port = free_port(), free_port()
    return Service(
        "bigquery-emulator",
        [
            str(BQ_PYTHON),
            str(ROOT / "emulators" / "bq_launcher.py"),
            f"--rest-port={rest_port}",
            f"--grpc-port={grpc_port}",
            f"--project={project}",
            "--log-level=warning",
        ],
        rest_port,
        log_dir / "bigquery-emulator.log",
        ready_path="/readyz",
    )


WEB_APP = ROOT / "frontend"
WEB_APP_BUILD = WEB_APP / ".next" / "BUILD_ID"  # written by `next build` (make frontend)


@dataclass(frozen=True)
class Account:
    """A Better Auth account the stack seeds in the web app's database."""

    email: str
    password: str
    name: str
    role: str = "user"


# Local accounts with printed passwords: what `make up` and `make demo` seed (never deployed).
DEMO_ACCOUNTS = (
    Account("demo@example.com", "demo-password-1", "Demo user"),
    Account("admin@example.com", "admin-password-1", "Demo admin", role="admin"),
)


class WebAppClient:
    """Better Auth's HTTP API, as a browser uses it: email sign-in sets the session cookie,
    then the jwt plugin's ``/api/auth/token`` answers the Bearer token the api accepts."""

    def __init__(self, url: str, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url.rstrip("/")
        self.sleep = sleep
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(  # straight to the local web app (no proxy)
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def call(self, path: str, body: Mapping[str, object] | None = None) -> dict[str, object]:
        """GET ``path`` (POST ``body`` as JSON) with the session's cookies; its JSON answer."""
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode() if body is not None else None,
            method="POST" if body is not None else "GET",
            headers={"Content-Type": "application/json", "Origin": self.url},
        )
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def sign_in(self, email: str, password: str, *, tries: int = 4) -> dict[str, object]:
        """Signs in, waiting out Better Auth's sign-in limit (3 per 10 s from one address:
        locally the demo, its tests and a person's browser share it) as it asks
        (``X-Retry-After``, seconds)."""
        body = {"email": email, "password": password}
        for _ in range(tries - 1):
            try:
                return self.call("/api/auth/sign-in/email", body)
            except urllib.error.HTTPError as exc:
                if exc.code != 429:
                    raise
                asked = exc.headers.get("X-Retry-After") or exc.headers.get("Retry-After") or ""
                self.sleep(min(15.0, float(asked)) if asked.isdigit() else 10.0)
        return self.call("/api/auth/sign-in/email", body)

    def token(self) -> str:
        return str(self.call("/api/auth/token")["token"])


def signed_in_token(url: str, account: Account) -> str:
    client = WebAppClient(url)
    client.sign_in(account.email, account.password)
    return client.token()


def function_names() -> list[str]:
    """Every entry point the deployable archive exports (main.py's ``__all__``)."""
    import main

    return list(main.__all__)


@dataclass
class Stack:
    """Emulators + one functions-framework process per function + provisioning."""

    log_dir: Path = STATE_DIR / "logs"
    functions: Iterable[str] | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    emulators: Emulators | None = None
    services: dict[str, Service] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    devauth_dir: Path | None = None  # the api's local signing key (default: in log_dir, this run's own)
    jwks: Service | None = None
    # The local Reddit (emulators/reddit) that fetch reads; off when real credentials are set.
    local_reddit: bool = True
    reddit_corpus: Path | None = None  # None: empty until a test or the demo loads one
    reddit_now: str | None = None  # initial clock: epoch, "start"/"end" of the manifest
    reddit: Service | None = None
    mailbox: Service | None = None  # where notify's email and the local webhooks land
    # The web app (frontend/, Better Auth) as the api's token issuer instead of devauth's key:
    # `make up` and `make demo`; the tests that mint development tokens leave it off.
    web_app: bool = False
    web_app_dir: Path | None = None  # its SQLite database and secret (default: .stack/webapp)
    web_accounts: Sequence[Account] = DEMO_ACCOUNTS
    web: Service | None = None
    max_delivery_attempts: int | None = None  # the Terraform variable, overridden (provision.py)

    def start(self) -> "Stack":
        began = time.monotonic()
        self.emulators = Emulators(self.log_dir).start()
        assert self.emulators.pubsub and self.emulators.firestore
        self.timings["pubsub_emulator_s"] = self.emulators.pubsub.started_in
        self.timings["firestore_emulator_s"] = self.emulators.firestore.started_in
        try:
            names = list(self.functions) if self.functions is not None else function_names()
            if "fetch" in names and self.local_reddit:
                self.reddit = self.start_reddit()
            if "notify" in names:
                self.mailbox = self.start_mailbox()
            ports: dict[str, int] = {}
            if "api" in names and self.web_app:
                # The api must know the app's URL and the app the api's: the app starts now on
                # its port, then the api first of the functions on the one chosen for it here
                # (free_port never hands either out again).
                web_port, ports["api"] = free_port(), free_port()
                self.trust_web_app(f"http://127.0.0.1:{web_port}")
                self.web = self.start_web_app(web_port, f"http://127.0.0.1:{ports['api']}")
                self.timings["web_app_s"] = self.web.started_in
            elif "api" in names:
                self.jwks = self.start_jwks()
                ports["api"] = free_port()
            if "api" in names:
                # the links notify's emails carry (unsubscribe) lead to this api, not the default
                self.extra_env = {"API_URL": f"http://127.0.0.1:{ports['api']}", **self.extra_env}
                names.sort(key=lambda name: name != "api")
            for name in names:
                self.services[name] = self.start_function(name, ports.get(name))
            provision.provision(
                self.emulators.env["PUBSUB_EMULATOR_HOST"],
                self.emulators.project,
                {name: service.url for name, service in self.services.items()},
                self.max_delivery_attempts,
            )
        except BaseException:  # a test's timeout too: a half-started stack must not run on
            self.stop()
            raise
        self.timings["stack_s"] = time.monotonic() - began
        return self

    @property
    def env(self) -> dict[str, str]:
        assert self.emulators
        return {**self.emulators.env, **self.extra_env}

    def start_function(self, name: str, port: int | None = None) -> Service:
        port = port or free_port()
        service = Service(
            name,
            [
                sys.executable,
                "-m",
                "functions_framework",
                "--source",
                str(ROOT / "devtools" / "stack_main.py"),  # main.py, with Firestore operations counted
                "--target",
                name,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            port,
            self.log_dir / f"{name}.log",
            env={**self.env, "K_SERVICE": name, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
            cwd=ROOT,
        )
        return service.start(ready_timeout=60)

    def kill_function(self, name: str) -> None:
        """SIGKILL the function's whole process group (functions-framework and its workers),
        as a crashed instance dies: no shutdown, no acknowledgement of what it was handling."""
        service = self.services[name]
        assert service.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.process.pid, signal.SIGKILL)
        service.process.wait(10)
        service.stop()  # closes its log file

    def restart_function(self, name: str) -> Service:
        """Start the function again on its port, so its push subscription reaches it again
        (as Cloud Run brings up a new instance behind the same URL); stopping it first if
        it still runs."""
        old = self.services[name]
        old.stop()
        self.services[name] = self.start_function(name, old.port)
        return self.services[name]

    @property
    def devauth_directory(self) -> Path:
        """Where the development key the api trusts lives: the one given, else this run's own."""
        return self.devauth_dir or self.log_dir / "devauth"

    def start_jwks(self) -> Service:
        """Serve the development signing key's JWKS (devtools/devauth.py) and point the
        api at it, so `make token` prints tokens the local api accepts."""
        port = free_port()
        directory = self.devauth_directory
        service = Service(
            "devauth-jwks",
            [sys.executable, "-m", "devtools.devauth", "serve", "--port", str(port), "--dir", str(directory)],
            port,
            self.log_dir / "devauth-jwks.log",
            env={"PYTHONPATH": str(ROOT)},
            ready_path="/api/auth/jwks",
            cwd=ROOT,
        )
        service.start(ready_timeout=30)
        self.extra_env = {
            **self.extra_env,
            "AUTH_JWKS_URL": f"{service.url}/api/auth/jwks",
            "DEVAUTH_DIR": str(directory),
        }
        return service

    def trust_web_app(self, url: str) -> None:
        """Point the api at the web app: its JWKS, its issuer and audience (Better Auth's jwt
        plugin uses the app's base URL for both), and its origin in the CORS allow-list, since
        the browser calls the api directly."""
        origins = self.extra_env.get("CORS_ORIGINS") or os.environ.get("CORS_ORIGINS") or ""
        self.extra_env = {
            "APP_URL": url,  # where notify's messages and the api's links send a reader
            **self.extra_env,
            "AUTH_JWKS_URL": f"{url}/api/auth/jwks",
            "AUTH_ISSUER": url,
            "AUTH_AUDIENCE": url,
            # the app trusts its localhost spelling too (frontend/lib/auth.ts): so does the api
            "CORS_ORIGINS": ",".join(
                [o for o in origins.split(",") if o.strip()]
                + list(dict.fromkeys([url, url.replace("127.0.0.1", "localhost")]))
            ),
        }

    def start_web_app(self, port: int, api_url: str) -> Service:
        """``next start`` on the build `make frontend` made; at start the app runs Better Auth's
        migrations on its SQLite file, seeds ``web_accounts`` and makes its first signing key
        (frontend/lib/setup.ts), so the JWKS answering is the readiness probe."""
        if not WEB_APP_BUILD.exists():
            raise RuntimeError(f"{WEB_APP_BUILD} is missing: run `make frontend` (npm ci and next build)")
        directory = self.web_app_dir or STATE_DIR / "webapp"
        directory.mkdir(parents=True, exist_ok=True)
        secret_file = directory / "secret"
        # encrypts the JWKS private keys in the database: kept with it, made once, never empty
        create_private(secret_file, secrets.token_urlsafe(32).encode())
        url = f"http://127.0.0.1:{port}"
        accounts = [dataclasses.asdict(a) for a in self.web_accounts]
        next_bin = WEB_APP / "node_modules" / "next" / "dist" / "bin" / "next"
        service = Service(
            "web-app",
            ["node", str(next_bin), "start", "--hostname", "127.0.0.1", "--port", str(port)],
            port,
            self.log_dir / "web-app.log",
            env={
                "NODE_ENV": "production",
                "NEXT_TELEMETRY_DISABLED": "1",
                "BETTER_AUTH_URL": url,
                "BETTER_AUTH_SECRET": secret_file.read_text().strip(),
                "AKLEAO_AUTH_DB": str(directory / "auth.sqlite"),
                "AKLEAO_API_URL": api_url,
                "AKLEAO_SEED_ACCOUNTS": json.dumps(accounts),
                # address-confirmation links go to the mailbox, as notify's mail does; a stack
                # without one (no notify) logs them
                **{k: v for k, v in self.extra_env.items() if k in ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM")},
                **({} if "SMTP_HOST" in self.extra_env else {"AKLEAO_MAIL_LOG_ONLY": "1"}),
            },
            ready_path="/api/auth/jwks",
            cwd=WEB_APP,
        )
        return service.start(ready_timeout=60)

    def start_mailbox(self) -> Service:
        """The SMTP sink and webhook receiver (devtools/mailbox.py); notify sends email there."""
        port, smtp_port = free_port(), free_port()
        service = Service(
            "mailbox",
            [sys.executable, "-m", "devtools.mailbox", "--port", str(port), "--smtp-port", str(smtp_port)],
            port,
            self.log_dir / "mailbox.log",
            env={"PYTHONPATH": str(ROOT)},
            ready_path="/health",
            cwd=ROOT,
        )
        service.start(ready_timeout=30)
        self.extra_env = {
            **self.extra_env,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "MAILBOX_URL": service.url,
            "WEBHOOK_ALLOW_PRIVATE": "1",  # the local webhooks land here, on this machine
        }
        return service

    def start_reddit(self) -> Service:
        """Serve the replay corpus through Reddit's API and point fetch's asyncpraw at it."""
        port = free_port()
        command = [sys.executable, "-m", "emulators.reddit", "--port", str(port)]
        if self.reddit_corpus is not None:
            command += ["--corpus", str(self.reddit_corpus)]
        if self.reddit_now is not None:
            command += ["--now", self.reddit_now]
        service = Service(
            "reddit",
            command,
            port,
            self.log_dir / "reddit.log",
            env={"PYTHONPATH": str(ROOT)},
            ready_path="/_replay/health",
            cwd=ROOT,
        )
        # it answers once its corpus is loaded: an imported month takes longer than the bundled one
        items = manifest_items(self.reddit_corpus) if self.reddit_corpus is not None else None
        service.start(ready_timeout=30 + (items or 0) / LOAD_ITEMS_PER_S)
        self.extra_env = {
            **self.extra_env,
            "REDDIT_OAUTH_URL": service.url,
            "REDDIT_URL": service.url,
            "REDDIT_WEB_URL": f"{service.url}/_replay/page",
        }
        return service

    def stop(self) -> None:
        everyone = [self.web, *self.services.values(), self.reddit, self.jwks, self.mailbox]
        for service in everyone:  # all at once: a sequential stop costs each one's shutdown in turn
            if service is not None:
                service.terminate()
        if self.web is not None:
            self.web.stop()
        for service in self.services.values():
            service.stop()
        if self.reddit is not None:
            self.reddit.stop()
        if self.jwks is not None:
            self.jwks.stop()
        if self.mailbox is not None:
            self.mailbox.stop()
        if self.emulators is not None:
            self.emulators.stop()

    def dead(self) -> list[Service]:
        """Its processes that have exited: an emulator the kernel killed for memory, a function
        that crashed. Nothing restarts them, so whoever waits on the stack must stop waiting."""
        emulators = self.emulators
        everyone = [
            self.web,
            *self.services.values(),
            self.reddit,
            self.jwks,
            self.mailbox,
            *((emulators.pubsub, emulators.firestore, emulators.bigquery) if emulators is not None else ()),
        ]
        return [s for s in everyone if s is not None and s.process is not None and s.process.poll() is not None]

    def check_alive(self) -> None:
        """Raise :class:`StackDied`, naming the first dead process and its log's last lines."""
        if gone := self.dead():
            first = gone[0]
            names = ", ".join(s.name for s in gone)
            raise StackDied(f"{names} exited\n--- last lines of {first.log_path}:\n{first.log_tail()}")

    def web_app_state(self) -> dict[str, object] | None:
        """Where the web app is and the seeded accounts (local, printed passwords)."""
        if self.web is None:
            return None
        return {"url": self.web.url, "accounts": [dataclasses.asdict(a) for a in self.web_accounts]}

    def describe(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "env": self.env,
            "functions": {name: service.url for name, service in self.services.items()},
            "web_app": self.web_app_state(),
            "logs": str(self.log_dir),
            "timings": self.timings,
        }


@contextlib.contextmanager
def running(**kwargs: object) -> Iterator[Stack]:
    stack = Stack(**kwargs)  # type: ignore[arg-type]
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


# ---------------------------------------------------------------- command line (make up/down)


DEFAULT_REPLAY_CORPUS = ROOT / "data" / "replay" / "default"


def with_local_reddit_options(stack: Stack) -> Stack:
    """``make up``: the local Reddit serves ``REDDIT_REPLAY_CORPUS`` (default: the bundled
    corpus, clock at its start) unless real Reddit credentials are in the environment."""
    corpus = Path(os.environ.get("REDDIT_REPLAY_CORPUS") or DEFAULT_REPLAY_CORPUS)
    stack.local_reddit = not os.environ.get("REDDIT_CLIENT_SECRET")
    stack.reddit_corpus = corpus if corpus.is_dir() else None
    stack.reddit_now = os.environ.get("REDDIT_REPLAY_NOW") or "start"
    return stack


def with_auth_option(stack: Stack) -> Stack:
    """``make up``: the web app signs the api's tokens; ``STACK_AUTH=devauth`` keeps the
    development key instead (no Node needed)."""
    stack.web_app = os.environ.get("STACK_AUTH", "web-app") != "devauth"
    return stack


class StackDied(RuntimeError):
    """A process of the stack exited while the stack ran."""


def fresh_log_dir(parent: Path, keep: int = 3) -> Path:
    """A new folder for this run's logs under ``parent`` (named by the time it started), with
    ``parent/latest`` pointing at it; only the newest ``keep`` runs are kept."""
    parent.mkdir(parents=True, exist_ok=True)
    run = parent / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run.mkdir(exist_ok=True)
    latest = parent / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(run.name)
    runs = sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink() and p.name[:8].isdigit())
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return run


def web_app_lines(state: Mapping[str, object]) -> list[str]:
    """The web app's address and the seeded accounts, for a person to sign in with."""
    web = state.get("web_app")
    if not isinstance(web, dict):
        return []
    lines = [f"web app    {web['url']}"]
    for account in web.get("accounts", []):
        lines.append(f"  sign in as {account['email']} / {account['password']} ({account['role']})")
    return lines


if __name__ == "__main__":  # the command line moved: say where, rather than succeed silently
    sys.exit("the local stack's command line is python -m emulators.supervisor (make up, down, status, token)")
