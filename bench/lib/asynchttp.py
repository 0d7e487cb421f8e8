"""Minimal keep-alive HTTP/1.1 over asyncio for benchmarks: a stub backend and a load
client that cost far less CPU than the server under test (2 cores are shared)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["serve_stub", "Connection"]


def serve_stub(port: int, body_for: Callable[[bytes, bytes], bytes]) -> None:
    """Run forever: every request gets 200 with ``body_for(path, body)`` as JSON."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    class Stub(asyncio.Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self.transport, self.buf = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while True:
                head_end = self.buf.find(b"\r\n\r\n")
                if head_end < 0:
                    return
                head = self.buf[:head_end]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(self.buf) < head_end + 4 + length:
                    return
                body = self.buf[head_end + 4: head_end + 4 + length]
                path = head.split(b" ", 2)[1]
                self.buf = self.buf[head_end + 4 + length:]
                out = body_for(path, body)
                self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                                     + str(len(out)).encode() + b"\r\n\r\n" + out)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Stub, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Connection:
    """One keep-alive client connection; ``post`` returns (status, body, seconds)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        assert self.reader is not None and self.writer is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        request = (f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
                   f"content-length: {len(body)}\r\n{extra}\r\n").encode() + body
        start = time.perf_counter()
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, data, time.perf_counter() - start

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
