"""A TCP proxy a test can cut: in front of PostgreSQL, it drops every connection on `cut()` and
then accepts new ones without ever answering (a hung network: clients wait for their connect
timeout), until `restore()`.

Threads, not asyncio, so it runs beside pytest without an event loop; one pump thread per
direction per connection is plenty for a few dozen connections.
"""

import socket
import struct
import threading


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    try:
        if reset:  # RST on close: the peer's next read or write fails at once
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)  # wakes the pump thread blocked in recv()
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class CuttableProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._is_cut = False
        self._live: list[socket.socket] = []  # both ends of every forwarded connection
        self._held: list[socket.socket] = []  # accepted while cut, never answered
        self._is_running = True
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="proxy-accept", daemon=True
        )

    def __enter__(self) -> "CuttableProxy":
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def cut(self) -> None:
        with self._lock:
            self._is_cut = True
            live, self._live = self._live, []
        for sock in live:
            _close(sock, reset=True)

    def restore(self) -> None:
        with self._lock:
            self._is_cut = False
            held, self._held = self._held, []
        for sock in held:
            _close(sock, reset=True)

    def stop(self) -> None:
        self._is_running = False
        _close(self._listener)
        self.cut()
        self.restore()
        self._acceptor.join(timeout=5)

    def _accept_loop(self) -> None:
        while self._is_running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._is_cut:
                    self._held.append(client)
                    continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _close(client, reset=True)
                continue
            with self._lock:
                if self._is_cut:  # cut while connecting upstream
                    _close(server)
                    self._held.append(client)
                    continue
                self._live.extend((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)
            with self._lock:
                for sock in (source, target):
                    if sock in self._live:
                        self._live.remove(sock)
