"""Request bodies read with a limit: a body over it is refused before it is held in memory."""

from __future__ import annotations

from fastapi import Request

MAX_BODY = 1024 * 1024


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, *, limit: int = MAX_BODY) -> bytes:
    """The body, read chunk by chunk; BodyTooLarge as soon as it (or its declared length)
    passes `limit`, so that a client cannot make Baton hold more than that."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
