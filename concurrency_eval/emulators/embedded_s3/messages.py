"""One HTTP request and one answer as the embedded S3 passes them around, and the way
an answer reaches moto's WSGI app and comes back (the environ werkzeug's own server
would build, so that moto sees exactly what it saw behind werkzeug)."""

import io
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from concurrency_eval.emulators.embedded_s3.faults import Operation
from concurrency_eval.emulators.embedded_s3.instrument import classify

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Request:
    method: str
    #: The request target as sent: the percent-encoded path and the query.
    target: str
    #: Header names lower-cased; a repeated header's values joined by commas.
    headers: dict[str, str]
    body: bytes = b""
    scheme: str = "http"
    server: tuple[str, int] = ("127.0.0.1", 0)
    client: tuple[str, int] = ("127.0.0.1", 0)

    @cached_property
    def raw_path(self) -> str:
        return self.target.partition("?")[0]

    @cached_property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @cached_property
    def path(self) -> str:
        """The percent-decoded path, as UTF-8 text."""
        return urllib.parse.unquote(self.raw_path, errors="replace")

    @cached_property
    def classified(self) -> tuple[Operation, str, str]:
        return classify(self.method, self.path, self.query)


@dataclass
class Answer:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    #: HEAD and 304 answers carry the headers of a body they do not send.
    send_body: bool = True
    #: `headers` as they go on the wire, where they were encoded once for many answers.
    encoded: bytes = b""


#: Headers the server writes itself, whatever an answer says.
SERVER_HEADERS = ("connection", "transfer-encoding", "date", "server")


def encode_headers(headers: list[tuple[str, str]], body_length: int) -> bytes:
    """Header lines as they go on the wire, with a Content-Length if none is there."""
    lines = [f"{name}: {value}\r\n" for name, value in headers if name.lower() not in SERVER_HEADERS]
    if not any(name.lower() == "content-length" for name, _ in headers):
        lines.append(f"Content-Length: {body_length}\r\n")
    return "".join(lines).encode("latin-1", "replace")


def call_wsgi(app: WsgiApp, request: Request) -> Answer:
    """`request` through a WSGI app, its whole answer read."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    response = app(_environ(request), start_response)
    try:
        body = b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()
    code, _, reason = str(captured["status"]).partition(" ")
    status = int(code)
    return Answer(
        status, reason, list(captured["headers"]), body, request.method != "HEAD" and status not in (204, 304)
    )


def _environ(request: Request) -> dict[str, Any]:
    def latin1(text: str) -> str:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")

    path = urllib.parse.unquote_to_bytes(request.raw_path).decode("latin-1")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": latin1(request.query),
        "REQUEST_URI": latin1(request.target),
        "RAW_URI": latin1(request.target),
        "REMOTE_ADDR": request.client[0],
        "REMOTE_PORT": request.client[1],
        "SERVER_NAME": request.server[0],
        "SERVER_PORT": str(request.server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        # The body arrives whole and de-chunked: its length is what it is.
        "CONTENT_LENGTH": str(len(request.body)),
    }
    for name, value in request.headers.items():
        if "_" in name or name in ("content-length", "transfer-encoding"):
            continue
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = latin1(value)
    return environ
