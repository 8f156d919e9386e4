"""The Lambda Runtime API that one execution environment's runtime client talks to.

Each environment gets an HTTP server of its own on loopback, whose address is its
`AWS_LAMBDA_RUNTIME_API`: the runtime interface client long-polls `next` for an
event and posts the handler's response or error, or an init error, exactly as it
does on Lambda (Lambda developer guide, "Using the Lambda runtime API for custom
runtimes"). The server only translates HTTP; what an event or an answer means is the
environment's business (the `RuntimeSide` it is given).
"""

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Protocol

from concurrency_eval.emulators.lambda_service.loopback import KeepAliveHandler, LoopbackServer
from concurrency_eval.emulators.lambda_service.peers import peer_among

API_VERSION = "2018-06-01"
_NEXT = f"/{API_VERSION}/runtime/invocation/next"
_RESULT = re.compile(rf"^/{API_VERSION}/runtime/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
_INIT_ERROR = f"/{API_VERSION}/runtime/init/error"
#: The header that carries an error's type on `error` and `init/error` posts.
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class Invocation(Protocol):
    request_id: str
    payload: bytes

    def headers(self) -> dict[str, str]: ...


class RuntimeSide(Protocol):
    """What the environment does when its runtime client calls."""

    def next_invocation(self) -> Invocation | None:
        """Block until an invocation is due; None when the environment is shutting down."""

    def invocation_result(self, request_id: str, body: bytes, error_type: str | None) -> bool:
        """The handler's answer (or its error); False for an unknown request id."""

    def init_error(self, body: bytes, error_type: str | None) -> None: ...


class RuntimeApiServer(LoopbackServer):
    # The runtime client keeps one connection open; a backlog is never needed.
    request_queue_size = 8

    def __init__(self, side: RuntimeSide, owners: Callable[[], set[int]] = set) -> None:
        """`owners`: the processes of the environment, the only ones answered (all, when
        it names none: where no cgroup says which they are)."""
        super().__init__(_Handler, "runtime-api")
        self.side = side
        self.owners = owners


class _Handler(KeepAliveHandler):
    server: RuntimeApiServer

    def setup(self) -> None:
        super().setup()
        owners = self.server.owners()
        # On Lambda no other sandbox can reach this API: a process of another environment
        # could take this one's events and answer in its place.
        self._stranger = bool(owners) and peer_among(self.connection, owners) is None

    def handle_one_request(self) -> None:
        if not self._stranger:
            super().handle_one_request()
            return
        self.raw_requestline = self.rfile.readline(65537)
        if self.raw_requestline and self.parse_request():
            self._send(
                HTTPStatus.FORBIDDEN, {"errorMessage": "this Runtime API answers its own environment only"}
            )
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the names http.server calls
        if self.path != _NEXT:
            self._send(HTTPStatus.NOT_FOUND, {"errorMessage": f"no such resource: {self.path}"})
            return
        invocation = self.server.side.next_invocation()
        if invocation is None:
            # The environment is going away; Lambda answers a runtime in this state
            # with a container error, after which the runtime exits.
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"errorMessage": "environment shutting down"})
            return
        self.send_response(HTTPStatus.OK)
        for name, value in invocation.headers().items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(invocation.payload)))
        self.end_headers()
        self.wfile.write(invocation.payload)
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802 - the names http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        error_type = self.headers.get(ERROR_TYPE_HEADER)
        if self.path == _INIT_ERROR:
            self.server.side.init_error(body, error_type)
            self._send(HTTPStatus.ACCEPTED, {"status": "OK"})
            return
        match = _RESULT.match(self.path)
        if match is None:
            self._send(HTTPStatus.NOT_FOUND, {"errorMessage": f"no such resource: {self.path}"})
            return
        error = (error_type or "Unhandled") if match["kind"] == "error" else None
        if not self.server.side.invocation_result(match["id"], body, error):
            self._send(
                HTTPStatus.BAD_REQUEST,
                {"errorMessage": f"invalid request id {match['id']}", "errorType": "InvalidRequestID"},
            )
            return
        self._send(HTTPStatus.ACCEPTED, {"status": "OK"})

    def _send(self, status: HTTPStatus, document: dict[str, str]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
