"""Parts of the system made unreachable for a test: a port nothing listens on, a
redis-server of the test's own to stop, and the threads that race each other in
the concurrency tests.

The fixtures (``broker_down``, ``cache_down``) live in tests/conftest.py."""

import contextlib
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest
from django.db import connection


def closed_port() -> int:
    """A local port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def race(work, *, threads=2, timeout=60):
    """Run ``work()`` in ``threads`` threads released together; returns (results, errors).

    Each thread closes its own database connection, as a worker process would."""
    results, errors, barrier = [], [], threading.Barrier(threads)

    def run():
        try:
            barrier.wait(10)
            results.append(work())
        except Exception as exc:  # reported to the test
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout)
    return results, errors


class TcpProxy:
    """A TCP proxy in front of a server (PostgreSQL here) that a test can take down.

    It keeps its port for its whole life (a port given up could be taken by any
    outgoing connection on the machine) and switches what it does: ``up()`` forwards
    every connection to the target; ``down()`` cuts every open connection and resets
    new ones at once (the server is gone); ``silent()`` accepts connections and never
    answers (a server behind a dead network: only a client's timeout ends the wait)."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, int(target_port))
        self.mode = "up"
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def up(self):
        self._switch("up")

    def down(self):
        self._switch("down")

    def silent(self):
        self._switch("silent")

    def close(self):
        self._open = False
        self._switch("down")
        self._listener.close()

    def _switch(self, mode):
        self.mode = mode
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _cut(sock)

    def _accept(self):
        while self._open:
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            if self.mode == "down":
                _cut(client)
                continue
            with self._lock:
                self._sockets.append(client)
            if self.mode == "silent":
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _cut(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def _cut(sock):
    """Close with a reset, as a vanished server's host would answer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


REDIS_PORTS = range(6391, 6400)


def _free(port) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RedisServer:
    """A redis-server of the test's own, without persistence, on a spare port (one of
    ``REDIS_PORTS`` unless given one); kill() and start() again."""

    def __init__(self, tmp_path, port=None):
        if not shutil.which("redis-server"):
            pytest.fail("this test needs redis-server (apt-get install redis-server)")
        self.port = port or next((port for port in REDIS_PORTS if _free(port)), None)
        if self.port is None:
            pytest.fail(f"no free port for redis-server in {REDIS_PORTS}")
        self.tmp_path, self.process = tmp_path, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.tmp_path), "--logfile", str(self.tmp_path / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not answer on port {self.port}")
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
