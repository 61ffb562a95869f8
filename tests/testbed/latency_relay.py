"""A slow link on loopback: a relay that holds every chunk for a fixed delay each way.

This kernel has no netem, so a link with latency is made in user space. The relay
listens on a UNIX socket and forwards to libvirtd's own socket; a client reaches it
as `qemu+unix:///system?socket=PATH`, libvirt's remote driver over a socket like any
remote host (the same RPCs as `qemu+tcp://` or `qemu+ssh://`, with no daemon config
changed and no auth to set up). Each chunk read from one side is written to the
other `delay` seconds after it arrived, in order: latency, not a bandwidth limit, so
a round trip costs 2 x delay.

    python tests/testbed/latency_relay.py LISTEN_PATH [--to /run/libvirt/libvirt-sock] [--delay 0.01]

In a test: `with LatencyRelay(path, delay=0.01): ...` runs it on a thread of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import threading
from pathlib import Path

LIBVIRT_SOCK = "/run/libvirt/libvirt-sock"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    held: asyncio.Queue = asyncio.Queue()

    async def release() -> None:
        while True:
            due, data = await held.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                with contextlib.suppress(OSError):
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    releaser = asyncio.create_task(release())
    try:
        while True:
            data = await reader.read(65536)
            held.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await releaser
    except (ConnectionError, OSError):
        pass
    finally:
        releaser.cancel()
        with contextlib.suppress(Exception):
            writer.close()


async def _serve(listen: str, target: str, delay: float, ready: threading.Event | None,
                 stop: asyncio.Event | None = None) -> None:
    clients: dict[asyncio.Task, tuple[asyncio.StreamWriter, ...]] = {}

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(target)
        except OSError:
            writer.close()
            return
        clients[task] = (writer, up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer, delay), _pipe(up_reader, writer, delay),
                                 return_exceptions=True)
        finally:
            clients.pop(task, None)

    with contextlib.suppress(FileNotFoundError):
        os.unlink(listen)
    server = await asyncio.start_unix_server(client, path=listen)
    os.chmod(listen, 0o600)
    if ready is not None:
        ready.set()
    async with server:
        if stop is None:
            await server.serve_forever()
        else:
            await stop.wait()
            # Hang up both ends: libvirtd must not wait for its keepalive to drop a dead connection.
            for sides in list(clients.values()):
                for side in sides:
                    side.close()
            if clients:
                await asyncio.wait(list(clients), timeout=5)


class LatencyRelay:
    """The relay on a daemon thread, for the span of a `with` block."""

    def __init__(self, listen: Path, delay: float = 0.01, target: str = LIBVIRT_SOCK) -> None:
        self.listen, self.delay, self.target = Path(listen), delay, target
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return f"qemu+unix:///system?socket={self.listen}"

    def __enter__(self) -> LatencyRelay:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._stop = asyncio.Event()
            self._loop.run_until_complete(_serve(str(self.listen), self.target, self.delay, ready, self._stop))

        self._thread = threading.Thread(target=run, name="latency-relay", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"the latency relay did not listen on {self.listen}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(5)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.listen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("listen")
    parser.add_argument("--to", default=LIBVIRT_SOCK)
    parser.add_argument("--delay", type=float, default=0.01, help="seconds each way (default 0.01)")
    args = parser.parse_args()
    asyncio.run(_serve(args.listen, args.to, args.delay, None))


if __name__ == "__main__":
    main()
