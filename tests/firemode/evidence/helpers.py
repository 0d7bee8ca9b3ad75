"""Building multipart bodies and feeding them as a client would: in chunks of awkward sizes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from itertools import cycle

BOUNDARY = "----FireModeTestBoundary7MA4YWxk"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: bytes | str, *, filename: str | bytes | None = None) -> bytes:
    """One multipart part; ``filename`` as bytes is sent raw (to test non-UTF-8-clean names)."""
    disposition = f'Content-Disposition: form-data; name="{name}"'.encode()
    if filename is not None:
        raw = filename if isinstance(filename, bytes) else filename.encode()
        disposition += b'; filename="' + raw + b'"'
    body = value.encode() if isinstance(value, str) else value
    kind = b"Content-Type: application/octet-stream\r\n" if filename is not None else b""
    return b"--" + BOUNDARY.encode() + b"\r\n" + disposition + b"\r\n" + kind + b"\r\n" + body + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


class Feeder:
    """An async iterator over ``body`` in chunks cycling through ``sizes``; records how far it got.

    A class rather than an async generator so that a test can stop it half-way without leaving a
    suspended generator to be finalised later.
    """

    def __init__(self, body: bytes, sizes: Sequence[int] = (7, 4093), *, fail_after: int | None = None):
        self._body = body
        self._sizes = cycle(sizes)
        self._fail_after = fail_after
        self.consumed = 0
        self.exhausted = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        if self._fail_after is not None and self.consumed >= self._fail_after:
            raise ConnectionResetError("client went away")
        if self.consumed >= len(self._body):
            self.exhausted = True
            raise StopAsyncIteration
        chunk = self._body[self.consumed : self.consumed + next(self._sizes)]
        self.consumed += len(chunk)
        return chunk


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])
