#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that injects network faults on real sockets, for end-to-end scripts.

    fault-proxy.py LISTEN_PORT UPSTREAM_PORT MODE_FILE

MODE_FILE holds one word, read whenever it changes (checked every 50 ms):
  up       forward bytes both ways
  down     accept and close at once, as a network that is gone would
  drop     forward the request, let the server answer, and cut the connection before the client
           sees a byte of the answer (the server has committed; the client does not know)
A change of mode cuts the connections already open, as a network change would. Prints
"fault-proxy: listening" once it accepts connections.
"""
import asyncio
import sys


async def main(listen_port: int, upstream_port: int, mode_file: str) -> None:
    state = {"mode": "up"}
    changed = asyncio.Event()

    def read_mode() -> None:
        # Read whole each time (a few bytes): a write caught half-way reads as nothing and is
        # read again at the next poll.
        try:
            with open(mode_file, encoding="utf-8") as f:
                mode = f.read().strip()
        except FileNotFoundError:
            return
        if not mode:
            return
        if mode not in ("up", "down", "drop"):
            print(f"fault-proxy: unknown mode {mode!r} in {mode_file}", file=sys.stderr)
            return
        if mode != state["mode"]:
            state["mode"] = mode
            changed.set()
            print(f"fault-proxy: {mode}", file=sys.stderr, flush=True)

    async def watch_mode() -> None:
        nonlocal changed
        while True:
            read_mode()
            if changed.is_set():
                old, changed = changed, asyncio.Event()
                old.set()
            await asyncio.sleep(0.05)

    async def pipe(reader, writer, limit=None) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data or limit is not None:
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            try:
                writer.close()
            except OSError:
                pass

    async def handle(client_reader, client_writer) -> None:
        mode, cut = state["mode"], changed
        if mode == "down":
            client_writer.close()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            client_writer.close()
            return
        # In "drop" mode the answer's first bytes are read and thrown away: the connection ends.
        upward = asyncio.ensure_future(pipe(client_reader, server_writer))
        downward = asyncio.ensure_future(
            pipe(server_reader, client_writer, limit=0 if mode == "drop" else None))
        cutting = asyncio.ensure_future(cut.wait())
        await asyncio.wait([downward, cutting], return_when=asyncio.FIRST_COMPLETED)
        for task in (upward, downward, cutting):
            task.cancel()
        for writer in (client_writer, server_writer):
            try:
                writer.close()
            except OSError:
                pass

    read_mode()
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("fault-proxy: listening", file=sys.stderr, flush=True)
    async with server:
        await asyncio.gather(server.serve_forever(), watch_mode())


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
