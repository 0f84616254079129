"""What every request body must be before a route sees it: not too large, UTF-8, and JSON no
deeper than a complaint ever is. Python's JSON parser recurses, so a body of 100,000 opening
brackets would otherwise end in a RecursionError rather than a clear 4xx."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desk.api.problems import problem

MAX_BODY = 1_000_000  # a complaint with a 10,000-character description is about 40 KB
MAX_BATCH_BODY = 20_000_000  # a batch of 5,000 such rows
MAX_DEPTH = 32


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Nesting depth of a JSON text, skipping strings; cheap, and run before any parsing."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class BodyGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = MAX_BATCH_BODY if scope["path"].endswith("/batch") else MAX_BODY
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await problem(413, f"body: larger than {limit:,} bytes")(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        kind = headers.get("content-type", "")
        if "json" in kind or "yaml" in kind or kind.startswith("text/"):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as bad:
                await problem(400, f"body: not UTF-8 text (byte {bad.start})")(scope, receive, send)
                return
        if "json" in kind and too_deep(body):
            await problem(400, f"body: JSON nested deeper than {MAX_DEPTH} levels")(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
