"""A socketserver on a daemon thread, on 127.0.0.1, that can go down and come back on its port."""
from __future__ import annotations

import socketserver
import threading


class Reusable(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class ServedOnThread:
    """Subclasses give ``handler`` (a request handler class; it finds this object as ``server.fake``)."""

    handler: type
    server_class: type = Reusable

    def __init__(self) -> None:
        self.port = 0
        self._server = None
        self._thread = None

    def start(self):
        server = self.server_class(("127.0.0.1", self.port), self.handler)
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (it was just free)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
