"""The embedded S3's HTTP/1.1 server: asyncio, one event loop, HTTP or HTTPS.

A request is parsed by httptools (the C parser uvicorn uses), waits its drawn time to
first byte on the loop (a timer, not a sleeping thread), and is answered by the fast
path, by an injected fault, by what a directory bucket does that moto does not
(`directory_buckets`), or by moto's WSGI app on a worker thread (a listing asked for at
most the fault's `page_keys` keys a page); the body then
takes its transfer time at the connection's throughput. Requests on one connection
are answered in order, one at a time, as HTTP/1.1 requires.

Measured on a 2-core machine (benchmarks/embedded_s3.py), a small GetObject costs 0.16
ms of this process's CPU over HTTP and 0.20 over HTTPS, against 2.8 behind werkzeug's
threaded server and moto's dispatcher.
"""

import asyncio
import collections
import contextlib
import dataclasses
import datetime
import email.utils
import json
import ssl
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import cast

import httptools

from concurrency_eval.emulators.embedded_s3 import directory_buckets
from concurrency_eval.emulators.embedded_s3.fast_path import FastPath
from concurrency_eval.emulators.embedded_s3.instrument import CONTROL_PREFIX, Draw, Instrument, error_body
from concurrency_eval.emulators.embedded_s3.messages import (
    Answer,
    Request,
    WsgiApp,
    call_wsgi,
    encode_headers,
)
from s3fanout.buckets import is_directory_bucket

#: Threads for what moto answers (listings, PUTs, everything but plain GETs).
MOTO_THREADS = 16
_SERVER = "AmazonS3"


class S3Server:
    """Answers each request: control API, fault, fast path or moto."""

    def __init__(self, app: WsgiApp, instrument: Instrument, ssl_context: ssl.SSLContext | None) -> None:
        self.app = app
        self.instrument = instrument
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context is not None else "http"
        self._executor = ThreadPoolExecutor(MOTO_THREADS, thread_name_prefix="moto")
        self._fast_path = FastPath()
        self._connections: set[_Connection] = set()
        self._date = (0, "")
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, host: str, port: int) -> asyncio.Server:
        self._loop = asyncio.get_running_loop()
        return await self._loop.create_server(lambda: _Connection(self), host, port, ssl=self.ssl_context)

    def close(self) -> None:
        for connection in list(self._connections):
            connection.close()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def date(self) -> str:
        """The Date header, formatted once a second."""
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        return self._date[1]

    # -- answering ------------------------------------------------------------------

    def handle(self, request: Request, reply: "_Reply") -> None:
        if request.raw_path.startswith(CONTROL_PREFIX):
            action = request.raw_path[len(CONTROL_PREFIX) :]
            status, document = self.instrument.control(action, request.method, request.body)
            reply.send(_json_answer(status, document))
            return
        operation, _, key = request.classified
        draw = self.instrument.draw(operation, key)
        self.instrument.enter(operation)
        if draw.delay_s > 0:
            assert self._loop is not None
            self._loop.call_later(draw.delay_s, self._answer, request, draw, reply)
        else:
            self._answer(request, draw, reply)

    def _answer(self, request: Request, draw: Draw, reply: "_Reply") -> None:
        error = draw.error
        if error is not None:
            _, bucket, key = request.classified
            self._deliver(_error_answer(*error, key or bucket), reply)
            return
        if directory_buckets.is_create_session(request):
            self._deliver(directory_buckets.session_answer(datetime.datetime.now(datetime.UTC)), reply)
            return
        answer = self._fast_path.answer(request)
        if answer is not None:
            self.instrument.served_fast()
            self._deliver(answer, reply)
            return
        changes = request.method not in ("GET", "HEAD") or bool(self.instrument.faults.delete_after_list)
        if changes:
            self._fast_path.forget()
        assert self._loop is not None
        future = self._loop.run_in_executor(self._executor, self._moto, request)
        future.add_done_callback(lambda done: self._moto_done(done, reply, changes))

    def _moto(self, request: Request) -> Answer:
        operation, bucket, _ = request.classified
        page_keys = self.instrument.faults.page_keys
        if operation == "list" and page_keys:
            request = _with_page_keys(request, page_keys)
        answer = call_wsgi(self.app, request)
        doomed = self.instrument.faults.delete_after_list
        if operation == "list" and doomed and answer.status == 200:
            for key in doomed:
                target = "/" + urllib.parse.quote(f"{bucket}/{key}")
                call_wsgi(self.app, Request("DELETE", target, dict(request.headers), b"", request.scheme))
        if operation == "list" and answer.status == 200 and is_directory_bucket(bucket):
            return directory_buckets.unordered_listing(answer)
        return answer

    def _moto_done(self, done: "asyncio.Future[Answer]", reply: "_Reply", changes: bool) -> None:
        if changes:
            self._fast_path.forget()
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            self._deliver(_error_answer(500, "InternalError", f"the embedded S3 failed: {error}"), reply)
            return
        self._deliver(done.result(), reply)

    def _deliver(self, answer: Answer, reply: "_Reply") -> None:
        """Leave the in-flight count with the answer complete, then send it at the
        connection's throughput: a client cannot have its next request in flight before
        it has this answer, so the peak counted is never above the client's own."""
        self.instrument.leave()
        transfer = self.instrument.transfer_s(len(answer.body)) if answer.send_body else 0.0
        if transfer > 0:
            assert self._loop is not None
            self._loop.call_later(transfer, reply.send, answer)
        else:
            reply.send(answer)


class _Reply:
    """Sends the answer to one request on its connection, once."""

    __slots__ = ("_connection", "_keep_alive")

    def __init__(self, connection: "_Connection", keep_alive: bool) -> None:
        self._connection, self._keep_alive = connection, keep_alive

    def send(self, answer: Answer) -> None:
        self._connection.send(answer, self._keep_alive)


class _Connection(asyncio.Protocol):
    """One client connection: parse its requests, answer them in order."""

    def __init__(self, server: S3Server) -> None:
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._queue: collections.deque[tuple[Request, bool]] = collections.deque()
        self._busy = False
        self._closing = False
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._client: tuple[str, int] = ("127.0.0.1", 0)
        self._local: tuple[str, int] = ("127.0.0.1", 0)

    # -- asyncio ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's and uvloop's TCP and TLS transports are all Transports.
        self._transport = cast(asyncio.Transport, transport)
        self._client = transport.get_extra_info("peername")[:2]
        self._local = transport.get_extra_info("sockname")[:2]
        self._server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(HTTPStatus.NOT_IMPLEMENTED, "protocol upgrades are not supported")
        except httptools.HttpParserError as error:
            self._refuse(HTTPStatus.BAD_REQUEST, f"malformed HTTP request: {error}")

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # -- httptools' callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", {}, []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.lower().decode("latin-1")
        text = value.decode("latin-1")
        headers = self._headers
        headers[key] = f"{headers[key]},{text}" if key in headers else text

    def on_headers_complete(self) -> None:
        if self._headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        request = Request(
            method=self._parser.get_method().decode("latin-1"),
            target=self._url.decode("latin-1"),
            headers=self._headers,
            body=b"".join(self._body),
            scheme=self._server.scheme,
            server=self._local,
            client=self._client,
        )
        self._queue.append((request, self._parser.should_keep_alive()))
        self._next()

    # -- answering in order -------------------------------------------------------------

    def _next(self) -> None:
        if self._busy or not self._queue or self._closing:
            return
        self._busy = True
        request, keep_alive = self._queue.popleft()
        try:
            self._server.handle(request, _Reply(self, keep_alive))
        except Exception as error:  # noqa: BLE001 - a bug answers 500, never drops the client
            self.send(_error_answer(500, "InternalError", f"the embedded S3 failed: {error}"), False)

    def send(self, answer: Answer, keep_alive: bool) -> None:
        transport = self._transport
        self._busy = False
        if transport is None or transport.is_closing():
            return
        head, body = _encode(answer, keep_alive, self._server.date())
        transport.writelines([head, body] if body else [head])
        if not keep_alive:
            self._closing = True
            transport.close()
            return
        self._next()

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self._queue.clear()
        self._busy = True
        if self._transport is not None:
            head, body = _encode(_json_answer(status.value, {"error": message}), False, self._server.date())
            self._transport.writelines([head, body])
            self._transport.close()


def _with_page_keys(request: Request, page_keys: int) -> Request:
    """The listing request asking for at most `page_keys` keys: its own max-keys where that
    is fewer, every other parameter as sent (a value moto refuses is left for it to refuse)."""
    parameters = [parameter for parameter in request.query.split("&") if parameter]
    asked = [p.partition("=")[2] for p in parameters if p.partition("=")[0] == "max-keys"]
    if asked and (not asked[0].isdigit() or int(asked[0]) <= page_keys):
        return request
    kept = [p for p in parameters if p.partition("=")[0] != "max-keys"]
    target = f"{request.raw_path}?{'&'.join([*kept, f'max-keys={page_keys}'])}"
    return dataclasses.replace(request, target=target)


def _encode(answer: Answer, keep_alive: bool, date: str) -> tuple[bytes, bytes]:
    body = answer.body if answer.send_body else b""
    headers = answer.encoded or encode_headers(answer.headers, len(answer.body))
    status = f"HTTP/1.1 {answer.status} {answer.reason}\r\nDate: {date}\r\nServer: {_SERVER}\r\n"
    closing = b"" if keep_alive else b"Connection: close\r\n"
    return b"".join((status.encode("latin-1"), headers, closing, b"\r\n")), body


def _json_answer(status: int, document: object) -> Answer:
    body = json.dumps(document).encode()
    return Answer(status, HTTPStatus(status).phrase, [("Content-Type", "application/json")], body)


#: S3's own reason phrase where it differs from HTTP's.
_REASONS = {503: "Slow Down"}


def _error_answer(status: int, code: str, resource: str) -> Answer:
    reason = "Error"
    with contextlib.suppress(ValueError):
        reason = HTTPStatus(status).phrase
    reason = _REASONS.get(status, reason)
    return Answer(status, reason, [("Content-Type", "application/xml")], error_body(code, resource))
