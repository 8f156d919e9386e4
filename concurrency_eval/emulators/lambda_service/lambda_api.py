"""The Lambda API, as boto3's `lambda` client and the AWS CLI call it.

REST-JSON over HTTP, with Lambda's paths, headers and error shapes (Lambda API
reference): Invoke, GetFunction, GetFunctionConfiguration, UpdateFunctionConfiguration,
ListFunctions, GetAlias, and reserved concurrency (Put/Get/DeleteFunctionConcurrency).
Requests are not signature-checked: the service is for this machine only and binds
to loopback.
"""

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from concurrency_eval.emulators.lambda_service.functions import (
    QUALIFIERS,
    Configuration,
    LambdaApiError,
    function_arn,
)
from concurrency_eval.emulators.lambda_service.loopback import KeepAliveHandler, LoopbackServer
from concurrency_eval.emulators.lambda_service.service import LambdaService

#: Extra headers Invoke answers with, beyond Lambda's: what the service measured.
CPU_HEADER = "X-Local-Cpu-Ms"
INIT_CPU_HEADER = "X-Local-Init-Cpu-Ms"

_NAME = r"(?P<name>[^/]+)"
Route = tuple[str, re.Pattern[str], Callable[["_Handler", re.Match[str], dict[str, list[str]]], None]]


def _route(method: str, path: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(handler: Callable[..., None]) -> Callable[..., None]:
        _ROUTES.append((method, re.compile(f"^{path}$"), handler))
        return handler

    return register


_ROUTES: list[Route] = []


class LambdaApiServer(LoopbackServer):
    request_queue_size = 128

    def __init__(self, service: LambdaService, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(_Handler, "lambda-api", host, port)
        self.service = service

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}"


class _Handler(KeepAliveHandler):
    server: LambdaApiServer

    def do_GET(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802 - the names http.server calls
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            for route_method, pattern, handler in _ROUTES:
                match = pattern.match(path)
                if match and route_method == method:
                    handler(self, match, query)
                    return
            raise LambdaApiError(404, "UnknownOperationException", f"Unknown operation {method} {path}")
        except LambdaApiError as error:
            self._error(error)
        except Exception as error:  # noqa: BLE001 - a service fault answers 500, as Lambda's would
            self._error(LambdaApiError(500, "ServiceException", f"{type(error).__name__}: {error}"))

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


def _function_name(raw: str) -> tuple[str, str | None]:
    """A name, partial ARN or ARN, with an optional qualifier: the name and the qualifier."""
    if raw.startswith("arn:"):
        parts = raw.split(":")
        # arn:aws:lambda:region:account:function:name[:qualifier]
        if len(parts) >= 7:
            return parts[6], parts[7] if len(parts) > 7 else None
    name, _, qualifier = raw.partition(":")
    return name, qualifier or None


@_route("POST", f"/2015-03-31/functions/{_NAME}/invocations")
def _invoke(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, qualifier = _function_name(match["name"])
    qualifier = query.get("Qualifier", [qualifier])[0]
    invocation_type = handler.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    service = handler.server.service
    if invocation_type == "DryRun":
        service.function(name)
        handler._send(204, b"")
        return
    if invocation_type != "RequestResponse":
        raise LambdaApiError(
            400,
            "InvalidParameterValueException",
            f"The local service runs RequestResponse and DryRun invocations only, not {invocation_type}",
        )
    tail = handler.headers.get("X-Amz-Log-Type", "None") == "Tail"
    result = service.invoke(name, qualifier, handler._body, tail)
    headers = {
        "X-Amz-Executed-Version": "$LATEST",
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
    name, _ = _function_name(match["name"])
    handler._json(200, handler.server.service.function(name).describe())


@_route("GET", f"/2015-03-31/functions/{_NAME}")
def _get_function(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    function = handler.server.service.function(name)
    document: dict[str, Any] = {
        "Configuration": function.describe(),
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


@_route("GET", f"/2015-03-31/functions/{_NAME}/aliases/(?P<alias>[^/]+)")
def _get_alias(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    handler.server.service.function(name)
    if match["alias"] not in QUALIFIERS[1:]:
        raise LambdaApiError(
            404, "ResourceNotFoundException", f"Alias not found: {function_arn(name)}:{match['alias']}"
        )
    handler._json(
        200,
        {
            "AliasArn": f"{function_arn(name)}:{match['alias']}",
            "Name": match["alias"],
            "FunctionVersion": "$LATEST",
        },
    )


@_route("PUT", f"/2017-10-31/functions/{_NAME}/concurrency")
def _put_concurrency(handler: _Handler, match: re.Match[str], query: dict[str, list[str]]) -> None:
    name, _ = _function_name(match["name"])
    value = _integer(handler._payload().get("ReservedConcurrentExecutions"), "ReservedConcurrentExecutions")
    Configuration(reserved_concurrency=value)  # Lambda's range check
    handler.server.service.function(name).set_reserved_concurrency(value)
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
