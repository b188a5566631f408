"""The local stack's mailbox: an SMTP sink (aiosmtpd) notify sends email to, a webhook
receiver users' webhooks can point at, and an HTTP view of what both received, for tests,
the demo and anyone trying notifications locally.

    python -m devtools.mailbox --port 8025 --smtp-port 1025

``GET /mail`` and ``GET /hooks`` list what arrived (oldest first); ``POST /hooks/{name}``
is a webhook endpoint (it answers 200, or the statuses queued by ``POST /_fail``
``{"status": 500, "times": 2}``); ``POST /_refuse`` ``{"address": "x@example.com"}`` makes
SMTP refuse that recipient (550 5.1.1, no such user); ``POST /_reset`` forgets everything.
"""

import argparse
import email
import email.policy
import threading
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mail: list[dict[str, Any]] = []
        self.hooks: list[dict[str, Any]] = []
        self.failures: list[int] = []
        self.refused: set[str] = set()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        del server, session, rcpt_options
        with self.lock:
            if address.lower() in self.refused:
                return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        del server, session
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        plain = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.mail.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(message["Subject"]),
                    "list_unsubscribe": str(message["List-Unsubscribe"] or ""),
                    "list_unsubscribe_post": str(message["List-Unsubscribe-Post"] or ""),
                    "text": plain.get_content() if plain is not None else "",
                    "html": message.get_body(preferencelist=("html",)) is not None,
                }
            )
        return "250 Message accepted for delivery"


def app(box: Mailbox) -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        with box.lock:
            status = box.failures.pop(0) if box.failures else 200
            box.hooks.append(
                {
                    "name": request.match_info["name"],
                    "headers": dict(request.headers),
                    "body": body.decode(errors="replace"),
                    "answered": status,
                }
            )
        return web.json_response({"ok": status < 300}, status=status)

    async def mail(request: web.Request) -> web.Response:
        del request
        with box.lock:
            return web.json_response(list(box.mail))

    async def hooks(request: web.Request) -> web.Response:
        del request
        with box.lock:
            return web.json_response(list(box.hooks))

    async def fail(request: web.Request) -> web.Response:
        spec = await request.json()
        with box.lock:
            box.failures.extend([int(spec.get("status", 500))] * int(spec.get("times", 1)))
        return web.json_response({"queued": len(box.failures)})

    async def refuse(request: web.Request) -> web.Response:
        spec = await request.json()
        with box.lock:
            box.refused.add(str(spec["address"]).lower())
        return web.json_response({"refused": sorted(box.refused)})

    async def reset(request: web.Request) -> web.Response:
        del request
        with box.lock:
            box.mail.clear()
            box.hooks.clear()
            box.failures.clear()
            box.refused.clear()
        return web.json_response({"ok": True})

    async def health(request: web.Request) -> web.Response:
        del request
        return web.json_response({"ok": True})

    application = web.Application()
    application.add_routes(
        [
            web.post("/hooks/{name}", hook),
            web.get("/mail", mail),
            web.get("/hooks", hooks),
            web.post("/_fail", fail),
            web.post("/_refuse", refuse),
            web.post("/_reset", reset),
            web.get("/health", health),
        ]
    )
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="HTTP: the view and the webhook receiver")
    parser.add_argument("--smtp-port", type=int, required=True)
    args = parser.parse_args()
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    try:
        web.run_app(app(box), host="127.0.0.1", port=args.port, print=None)
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
