"""A real reverse proxy on loopback that signs people in the way an authenticating proxy does (oauth2-proxy,
a load balancer with SSO): it sets the identity header on every request it forwards, HTTP and the
websocket upgrade alike, and drops any copy of that header the browser sent.

    with identity_proxy("127.0.0.1", app_port, "X-Forwarded-User", "carol") as url:
        ...  # url reaches the app as carol

It works on the request head only and then pipes bytes both ways, so Streamlit's websocket passes through
unchanged. Plain requests are forwarded with `Connection: close`, so every request gets its own head (and
the header). Started in a thread with its own event loop; always stopped when the block ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

HEAD_LIMIT = 64 * 1024


def _rewrite(head: bytes, header: str, user: str) -> bytes:
    lines = head.decode("latin-1").split("\r\n")
    request, fields = lines[0], [f for f in lines[1:] if f]
    name = header.lower()
    fields = [f for f in fields if f.split(":", 1)[0].strip().lower() != name]
    upgrade = any(f.split(":", 1)[0].strip().lower() == "upgrade" for f in fields)
    if not upgrade:
        fields = [f for f in fields if f.split(":", 1)[0].strip().lower() != "connection"] + ["Connection: close"]
    fields.append(f"{header}: {user}")
    return ("\r\n".join([request, *fields]) + "\r\n\r\n").encode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def identity_proxy(host: str, port: int, header: str, user: str) -> Iterator[str]:
    """A proxy to host:port that says every request comes from `user`; yields its URL."""
    loop = asyncio.new_event_loop()
    listen = _free_port()
    ready = threading.Event()
    server_box: list[asyncio.base_events.Server] = []

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_w.close()
            return
        try:
            app_r, app_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        app_w.write(_rewrite(head[:-4], header, user))
        await app_w.drain()
        await asyncio.gather(_pipe(client_r, app_w), _pipe(app_r, client_w))

    async def start() -> None:
        server_box.append(await asyncio.start_server(handle, "127.0.0.1", listen, limit=HEAD_LIMIT))
        ready.set()

    thread = threading.Thread(target=loop.run_forever, name="identity-proxy", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{listen}"
    finally:
        async def stop() -> None:
            server_box[0].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
