"""A limit on the size of request bodies, declared or chunked.

A request whose ``Content-Length`` is over the limit is refused before its
body is read. A chunked request (no length) or one whose length lies is
counted as it is read: once the count passes the limit, the app's own answer
is dropped and a 413 problem detail is sent instead.
"""

from __future__ import annotations

import json
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker.api.problems import PROBLEM_JSON, problem_body

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """Raised inside the app when a body passes the limit while it is read."""


class BodySizeLimit:
    """ASGI middleware that answers 413 to bodies over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = Headers(scope=scope).get("content-length")
        if (
            declared is not None
            and declared.isdigit()
            and int(declared) > self.max_bytes
        ):
            await self._refuse(scope, send, int(declared))
            return

        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                # The app's answer to a body it could not finish reading.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
        if refused and not started:
            await self._refuse(scope, send, received)

    async def _refuse(self, scope: Scope, send: Send, size: int) -> None:
        detail = (
            f"the request body is over {self.max_bytes:,} bytes (at least {size:,} "
            "sent); send a smaller body, e.g. split an import into several files"
        )
        log.warning("refused a request body of at least %s bytes", size)
        body = problem_body(413, "Content too large", detail, instance=scope["path"])
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
