"""The Lambda API, as boto3's `lambda` client and the AWS CLI call it.

REST-JSON over HTTP, with Lambda's paths, headers and error shapes (Lambda API
reference): Invoke, GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration,
ListFunctions, reserved concurrency (Put/Get/DeleteFunctionConcurrency), and versions
and aliases (PublishVersion, ListVersionsByFunction, DeleteFunction with a Qualifier,
Create/Get/Update/DeleteAlias, ListAliases).
Requests are not signature-checked: the service is for this machine only and binds
to loopback.
"""

import contextlib
import http
import json
import re
import threading
import traceback
import urllib.parse
from collections.abc import Callable
from typing import Any

from concurrency_eval.emulators.lambda_service.functions import (
    ACCOUNT,
    REGION,
    Configuration,
    LambdaApiError,
    is_version_number,
)
from concurrency_eval.emulators.lambda_service.loopback import KeepAliveHandler, LoopbackServer
from concurrency_eval.emulators.lambda_service.peers import peer_among
from concurrency_eval.emulators.lambda_service.service import LambdaService
from contracts.lambda_limits import ACCOUNT_CONCURRENCY, MAX_PAYLOAD_BYTES, MIN_UNRESERVED

#: Extra headers Invoke answers with, beyond Lambda's: what the service measured.
CPU_HEADER = "X-Local-Cpu-Ms"
INIT_CPU_HEADER = "X-Local-Init-Cpu-Ms"

_NAME = r"(?P<name>[^/]+)"
#: FunctionName as the Lambda API reference gives it (Invoke), and its length limit.
FUNCTION_NAME_PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?"
    r"([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)
MAX_FUNCTION_NAME = 170
#: An idle connection is closed after this long, as a load balancer in front of Lambda's
#: API would; an answer still being computed is not affected.
IDLE_TIMEOUT_S = 30
Route = tuple[str, re.Pattern[str], Callable[["_Handler", re.Match[str], dict[str, list[str]]], None]]


def _route(method: str, path: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(handler: Callable[..., None]) -> Callable[..., None]:
        _ROUTES.append((method, re.compile(f"^{path}$"), handler))
        return handler

    return register


_ROUTES: list[Route] = []


class LambdaApiServer(LoopbackServer):
    request_queue_size = 128

    def __init__(
        self,
        service: LambdaService,
        host: str = "127.0.0.1",
        port: int = 0,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
    ) -> None:
        super().__init__(_Handler, "lambda-api", host, port)
        self.service = service
        self.idle_timeout_s = idle_timeout_s

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}"


class _Handler(KeepAliveHandler):
    server: LambdaApiServer

    def setup(self) -> None:
        super().setup()
        # Reads and writes on a silent connection give up; an answer being computed does not.
        self.connection.settimeout(self.server.idle_timeout_s)
        # A function reaches the Lambda API on Lambda only with a role that allows it, and
        # these functions have none: from inside an environment, every call is refused.
        self._from_function = peer_among(self.connection, self.server.service.environment_processes())

    def do_GET(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("PATCH")

    def do_HEAD(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("HEAD")

    def do_OPTIONS(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            self._body = self._read_body()
            if self._from_function is not None:
                raise LambdaApiError(
                    403,
                    "AccessDeniedException",
                    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/function is not authorized to perform: "
                    f"lambda:{method} on resource: {url.path[:200]} (a function calling the Lambda API)",
                )
            # Routed on the path as sent: an escaped slash (%2F) stays inside its segment.
            for route_method, pattern, handler in _ROUTES:
                match = pattern.match(url.path)
                if match and route_method == method:
                    handler(self, match, query)
                    return
            raise LambdaApiError(
                404, "UnknownOperationException", f"Unknown operation {method} {url.path[:200]}"
            )
        except LambdaApiError as error:
            self._error(error)
        except TimeoutError:
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - a service fault answers 500, as Lambda's would
            # A fault of the service itself, not of the request: its traceback goes to the
            # service's standard error, where whoever started it can read what went wrong.
            traceback.print_exc()
            self._error(LambdaApiError(500, "ServiceException", f"{type(error).__name__}: {error}"))

    def _read_body(self) -> bytes:
        """The request body: by Content-Length or chunked, at most Lambda's 6 MB."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            self.close_connection = True
            raise LambdaApiError(
                400, "InvalidRequestContentException", f"Content-Length {raw[:32]!r} is not a byte count"
            )
        length = int(raw)
        if length >= MAX_PAYLOAD_BYTES:
            # Not read: the connection cannot be used again.
            self.close_connection = True
            raise _too_large()
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise LambdaApiError(
                400, "InvalidRequestContentException", f"the body ended after {len(body)} of {length} bytes"
            )
        return body

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self.close_connection = True
                raise LambdaApiError(
                    400, "InvalidRequestContentException", "a chunk of the body has no valid size"
                ) from None
            if size == 0:
                self.rfile.readline(1024)
                return bytes(body)
            if len(body) + size >= MAX_PAYLOAD_BYTES:
                self.close_connection = True
                raise _too_large()
            body += self.rfile.read(size)
            self.rfile.readline(1024)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a request line too long, a malformed request) as
        Lambda's JSON errors, never HTML."""
        self.close_connection = True
        phrase = message or http.HTTPStatus(code).phrase
        error_type = "ServiceException" if code >= 500 else "InvalidRequestContentException"
        with contextlib.suppress(OSError):
            self._error(LambdaApiError(code, error_type, phrase))

    # -- responses ------------------------------------------------------------------

    def _json(self, status: int, document: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(document).encode(), headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", (headers or {}).pop("x-amzn-RequestId", "local"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, error: LambdaApiError) -> None:
        document: dict[str, Any] = {"Type": "User", "message": error.message, **error.extra}
        self._json(error.status, document, {"x-amzn-ErrorType": error.error_type})

    def _payload(self) -> dict[str, Any]:
        try:
            document = json.loads(self._body or b"{}")
        except ValueError:
            raise LambdaApiError(
                400, "InvalidRequestContentException", "Could not parse request body"
            ) from None
        if not isinstance(document, dict):
            raise LambdaApiError(400, "InvalidRequestContentException", "The request body must be an object")
        return document


def _too_large() -> LambdaApiError:
    return LambdaApiError(
        413,
        "RequestTooLargeException",
        f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation",
    )


def _function_name(raw: str) -> tuple[str, str | None]:
    """A name, partial ARN or ARN, with an optional qualifier: the name and the qualifier.
    Checked as Lambda checks FunctionName; an ARN of another account or region names a
    function that does not exist here."""
    text = urllib.parse.unquote(raw)
    if len(text) > MAX_FUNCTION_NAME:
        raise _invalid(
            "functionName", text, f"Member must have length less than or equal to {MAX_FUNCTION_NAME}"
        )
    if not re.fullmatch(FUNCTION_NAME_PATTERN, text):
        raise _invalid(
            "functionName", text, f"Member must satisfy regular expression pattern: {FUNCTION_NAME_PATTERN}"
        )
    if text.startswith("arn:"):
        parts = text.split(":")
        # arn:aws:lambda:region:account:function:name[:qualifier]
        if len(parts) < 7 or parts[3] != REGION or parts[4] != ACCOUNT:
            raise LambdaApiError(404, "ResourceNotFoundException", f"Function not found: {text}")
        return parts[6], parts[7] if len(parts) > 7 else None
    parts = text.split(":")
    if len(parts) == 3:  # account:function:name
        if parts[0] != ACCOUNT:
            raise LambdaApiError(404, "ResourceNotFoundException", f"Function not found: {text}")
        return parts[2], None
    name, _, qualifier = text.partition(":")
    return name, qualifier or None


def _qualifier(query: dict[str, list[str]], named: str | None) -> str | None:
    """The Qualifier parameter, or the one in the function name; never empty."""
    values = query.get("Qualifier")
    if values is None:
        return named
    qualifier = values[0]
    if not qualifier:
        raise _invalid("qualifier", qualifier, "Member must have length greater than or equal to 1")
    return qualifier


def _invalid(field: str, value: str, constraint: str) -> LambdaApiError:
    return LambdaApiError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value[:100]}' at '{field}' failed to satisfy constraint: "
        f"{constraint}",
    )


@_route("POST", f"/2015-03-31/functions/{_NAME}/invocations")
def _invoke(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, qualifier = _function_name(match["name"])
    qualifier = _qualifier(query, qualifier)
    invocation_type = handler.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    service = handler.server.service
    if invocation_type not in ("RequestResponse", "Event", "DryRun"):
        raise _invalid(
            "invocationType",
            invocation_type,
            "Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
        )
    service.function(name).target(qualifier)
    if invocation_type == "DryRun":
        handler._send(204, b"")
        return
    if invocation_type == "Event":
        # Queued, as Lambda queues it: 202 at once, the function runs in the background.
        body = handler._body
        threading.Thread(
            target=lambda: service.invoke(name, qualifier, body, False), name=f"event-{name}", daemon=True
        ).start()
        handler._send(202, b"")
        return
    tail = handler.headers.get("X-Amz-Log-Type", "None") == "Tail"
    result = service.invoke(name, qualifier, handler._body, tail)
    headers = {
        "X-Amz-Executed-Version": result.version,
        "x-amzn-RequestId": result.request_id,
        CPU_HEADER: f"{result.cpu_ms:.3f}",
    }
    if result.init_cpu_ms is not None:
        headers[INIT_CPU_HEADER] = f"{result.init_cpu_ms:.3f}"
    if result.function_error is not None:
        headers["X-Amz-Function-Error"] = result.function_error
    if result.log_result is not None:
        headers["X-Amz-Log-Result"] = result.log_result
    handler._send(200, result.payload, headers)


@_route("GET", f"/2015-03-31/functions/{_NAME}/configuration")
def _get_configuration(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, qualifier = _function_name(match["name"])
    function = handler.server.service.function(name)
    handler._json(200, function.describe(_qualifier(query, qualifier)))


@_route("GET", f"/2015-03-31/functions/{_NAME}")
def _get_function(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, qualifier = _function_name(match["name"])
    function = handler.server.service.function(name)
    document: dict[str, Any] = {
        "Configuration": function.describe(_qualifier(query, qualifier)),
        "Code": {"RepositoryType": "Local", "Location": str(function.code.task_root)},
    }
    reserved = function.configuration.reserved_concurrency
    if reserved is not None:
        document["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    handler._json(200, document)


#: UpdateFunctionConfiguration fields the service applies, and how each maps.
_UPDATABLE: dict[str, Callable[[Any], tuple[str, Any]]] = {
    "MemorySize": lambda value: ("memory_mb", _integer(value, "MemorySize")),
    "Timeout": lambda value: ("timeout_s", _integer(value, "Timeout")),
    "Environment": lambda value: ("environment", _variables(value)),
    "LoggingConfig": lambda value: ("log_format", _log_format(value)),
}
#: Fields Lambda accepts that do not change how the local service runs a function.
_IGNORED = frozenset({"Description", "RevisionId", "TracingConfig", "Role"})


@_route("PUT", f"/2015-03-31/functions/{_NAME}/configuration")
def _update_configuration(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    changes: dict[str, object] = {}
    for key, value in handler._payload().items():
        if key in _UPDATABLE:
            field, parsed = _UPDATABLE[key](value)
            changes[field] = parsed
        elif key not in _IGNORED:
            raise LambdaApiError(
                400,
                "InvalidParameterValueException",
                f"{key} cannot be changed on the local Lambda service; it changes "
                f"{', '.join(sorted(_UPDATABLE))}",
            )
    handler._json(200, handler.server.service.update(name, changes).describe())


@_route("GET", "/2015-03-31/functions/?")
def _list_functions(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    functions = [function.describe() for function in handler.server.service.functions()]
    handler._json(200, {"Functions": functions})


@_route("PUT", f"/2017-10-31/functions/{_NAME}/concurrency")
def _put_concurrency(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    value = _integer(handler._payload().get("ReservedConcurrentExecutions"), "ReservedConcurrentExecutions")
    Configuration(reserved_concurrency=value)  # Lambda's range check
    service = handler.server.service
    function = service.function(name)
    others = sum(f.configuration.reserved_concurrency or 0 for f in service.functions() if f is not function)
    if ACCOUNT_CONCURRENCY - others - value < MIN_UNRESERVED:
        raise LambdaApiError(
            400,
            "InvalidParameterValueException",
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}].",
        )
    function.set_reserved_concurrency(value)
    handler._json(200, {"ReservedConcurrentExecutions": value})


@_route("GET", f"/2019-09-30/functions/{_NAME}/concurrency")
def _get_concurrency(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    reserved = handler.server.service.function(name).configuration.reserved_concurrency
    handler._json(200, {} if reserved is None else {"ReservedConcurrentExecutions": reserved})


@_route("DELETE", f"/2017-10-31/functions/{_NAME}/concurrency")
def _delete_concurrency(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    handler.server.service.function(name).set_reserved_concurrency(None)
    handler._send(204, b"")


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LambdaApiError(
            400, "InvalidParameterValueException", f"{name} must be an integer, not {value!r}"
        )
    return value


def _variables(value: object) -> dict[str, str]:
    variables = value.get("Variables", {}) if isinstance(value, dict) else None
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise LambdaApiError(
            400, "InvalidParameterValueException", 'Environment must be {"Variables": {name: string}}'
        )
    return variables


def _log_format(value: object) -> str:
    log_format = value.get("LogFormat") if isinstance(value, dict) else None
    if not isinstance(log_format, str):
        raise LambdaApiError(
            400, "InvalidParameterValueException", 'LoggingConfig must be {"LogFormat": "Text" or "JSON"}'
        )
    return log_format


# -- versions and aliases --------------------------------------------------------------

#: The patterns and lengths the Lambda API reference gives for an alias's name, a
#: version an alias names, and a description.
ALIAS_NAME_PATTERN = r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
MAX_ALIAS_NAME = 128
FUNCTION_VERSION_PATTERN = r"(\$LATEST|[0-9]+)"
MAX_DESCRIPTION = 256
#: ListVersionsByFunction and ListAliases: "Lambda returns up to 50 versions per call";
#: MaxItems is 1 to 10,000.
DEFAULT_PAGE, MAX_PAGE = 50, 10_000


@_route("POST", f"/2015-03-31/functions/{_NAME}/versions")
def _publish_version(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    body = handler._payload()
    description = _description(body)
    code_sha256, revision_id = _optional_text(body, "CodeSha256"), _optional_text(body, "RevisionId")
    function = handler.server.service.function(name)
    handler._json(201, function.publish(code_sha256, description, revision_id))


@_route("GET", f"/2015-03-31/functions/{_NAME}/versions")
def _list_versions(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    versions = handler.server.service.function(name).versions()
    for version in versions:
        # Lists leave out the state of each version, as Lambda's do.
        for key in ("State", "LastUpdateStatus"):
            version.pop(key, None)
    page, marker = _page(query, versions, lambda version: str(version["Version"]))
    handler._json(200, {"Versions": page, **marker})


@_route("POST", f"/2015-03-31/functions/{_NAME}/aliases")
def _create_alias(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    body = handler._payload()
    alias = _alias_name(body.get("Name"))
    version = _function_version(body.get("FunctionVersion"))
    if version is None:
        raise _invalid("functionVersion", "null", "Member must not be null")
    description = _description(body) or ""
    _no_routing(body)
    handler._json(201, handler.server.service.function(name).create_alias(alias, version, description))


@_route("GET", f"/2015-03-31/functions/{_NAME}/aliases")
def _list_aliases(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    version = _function_version(query["FunctionVersion"][0]) if "FunctionVersion" in query else None
    aliases = handler.server.service.function(name).aliases(version)
    page, marker = _page(query, aliases, lambda alias: str(alias["Name"]))
    handler._json(200, {"Aliases": page, **marker})


@_route("GET", f"/2015-03-31/functions/{_NAME}/aliases/(?P<alias>[^/]+)")
def _get_alias(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    alias = _alias_name(urllib.parse.unquote(match["alias"]))
    handler._json(200, handler.server.service.function(name).alias(alias))


@_route("PUT", f"/2015-03-31/functions/{_NAME}/aliases/(?P<alias>[^/]+)")
def _update_alias(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    alias = _alias_name(urllib.parse.unquote(match["alias"]))
    body = handler._payload()
    version = _function_version(body.get("FunctionVersion"))
    description, revision_id = _description(body), _optional_text(body, "RevisionId")
    _no_routing(body)
    function = handler.server.service.function(name)
    handler._json(200, function.update_alias(alias, version, description, revision_id))


@_route("DELETE", f"/2015-03-31/functions/{_NAME}/aliases/(?P<alias>[^/]+)")
def _delete_alias(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    alias = _alias_name(urllib.parse.unquote(match["alias"]))
    handler.server.service.function(name).delete_alias(alias)
    handler._send(204, b"")


@_route("DELETE", f"/2015-03-31/functions/{_NAME}")
def _delete_function(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, qualifier = _function_name(match["name"])
    qualifier = _qualifier(query, qualifier)
    service = handler.server.service
    service.function(name)
    if qualifier is None:
        raise LambdaApiError(
            400,
            "InvalidParameterValueException",
            "the local Lambda service hosts its functions for as long as it runs; name a version to delete "
            "with Qualifier",
        )
    service.delete_version(name, qualifier)
    handler._send(204, b"")


def _alias_name(value: object) -> str:
    if not isinstance(value, str):
        raise _invalid("name", "null", "Member must not be null")
    if len(value) > MAX_ALIAS_NAME:
        raise _invalid("name", value, f"Member must have length less than or equal to {MAX_ALIAS_NAME}")
    if not value or not re.fullmatch(ALIAS_NAME_PATTERN, value) or is_version_number(value):
        raise _invalid("name", value, f"Member must satisfy regular expression pattern: {ALIAS_NAME_PATTERN}")
    return value


def _function_version(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(FUNCTION_VERSION_PATTERN, value):
        raise _invalid(
            "functionVersion",
            str(value),
            f"Member must satisfy regular expression pattern: {FUNCTION_VERSION_PATTERN}",
        )
    return value


def _description(body: dict[str, Any]) -> str | None:
    description = _optional_text(body, "Description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise _invalid(
            "description", description, f"Member must have length less than or equal to {MAX_DESCRIPTION}"
        )
    return description


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise LambdaApiError(400, "InvalidParameterValueException", f"{key} must be a string, not {value!r}")
    return value


def _no_routing(body: dict[str, Any]) -> None:
    """An alias that splits its traffic between two versions is beyond the local service."""
    routing = body.get("RoutingConfig")
    if isinstance(routing, dict) and routing.get("AdditionalVersionWeights"):
        raise LambdaApiError(
            400,
            "InvalidParameterValueException",
            "the local Lambda service does not split an alias's traffic between versions "
            "(RoutingConfig.AdditionalVersionWeights)",
        )


def _page(
    query: dict[str, list[str]], items: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of a list, from the item `Marker` names, at most `MaxItems` long, and
    the marker of the next page if there is one. Lambda's markers are opaque; these are
    the key of the page's first item."""
    raw = query.get("MaxItems", [str(DEFAULT_PAGE)])[0]
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        bound = (
            "greater than or equal to 1"
            if raw.isdigit() and int(raw) < 1
            else f"less than or equal to {MAX_PAGE}"
        )
        raise _invalid("maxItems", raw, f"Member must have value {bound}")
    size = int(raw)
    start = 0
    if "Marker" in query:
        keys = [key(item) for item in items]
        if query["Marker"][0] not in keys:
            raise LambdaApiError(
                400, "InvalidParameterValueException", "Invalid Marker: it names no item of this list"
            )
        start = keys.index(query["Marker"][0])
    page = items[start : start + size]
    following = items[start + size : start + size + 1]
    return page, ({"NextMarker": key(following[0])} if following else {})
