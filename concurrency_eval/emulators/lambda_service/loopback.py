"""What both of the service's HTTP servers share: a threaded server on loopback (or the
address it is given), run in a background thread, quiet about clients that hang up, and
keep-alive handlers that send each response without waiting on Nagle's algorithm."""

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    # A port another server holds is refused, never shared with it (SO_REUSEPORT would
    # let a second service on the same port take half of the first one's requests).
    allow_reuse_port = False

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], name: str, host: str = "127.0.0.1", port: int = 0
    ):
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)
        self._thread = threading.Thread(target=self.serve_forever, name=name, daemon=True)

    @property
    def address(self) -> str:
        """host:port as a URL names it; an address every interface listens on is reached
        on loopback."""
        host, port = str(self.server_address[0]), self.server_address[1]
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up (a runtime killed mid-request, a caller gone) is
        # routine here, not worth a traceback on the console.
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm the second waits
    # for the client's delayed ACK, 40 ms a response on Linux.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # a line per request would cost more than the request
