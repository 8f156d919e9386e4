"""A hosted function: what it is made of, its configuration, and how that changes.

The code and layers are fixed when the service starts (they are the bundles the
deployment uses); the configuration is what the Lambda API can read and update, with
Lambda's limits and its asynchronous update: `LastUpdateStatus` is InProgress for a
while, then Successful, and only then does the new configuration reach new execution
environments.
"""

import base64
import datetime
import hashlib
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bundling.reproducible_zip import zip_bytes
from contracts.lambda_limits import (
    LOG_FORMATS,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_S,
    MIN_MEMORY_MB,
    MIN_TIMEOUT_S,
    environment_problem,
)
from contracts.lambda_logs import JSON

ACCOUNT = "000000000000"
REGION = "us-east-1"
#: Qualifiers an Invoke may name: the unpublished version and the stacks' alias.
QUALIFIERS = ("$LATEST", "live")
#: The log levels Lambda sets when a function's LogFormat is JSON and none is given
#: (the stacks give none); a Text function has no levels.
JSON_LOG_LEVELS = {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}


class LambdaApiError(Exception):
    """An error the Lambda API answers with: HTTP status, error type and message."""

    def __init__(self, status: int, error_type: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.extra = extra


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def not_found(name: str) -> LambdaApiError:
    return LambdaApiError(404, "ResourceNotFoundException", f"Function not found: {function_arn(name)}")


def check_qualifier(name: str, qualifier: str | None) -> None:
    """A qualifier names a version or alias that exists: the unpublished one, or `live`."""
    if qualifier is not None and qualifier not in QUALIFIERS:
        raise LambdaApiError(
            404, "ResourceNotFoundException", f"Function not found: {function_arn(name)}:{qualifier}"
        )


@dataclass(frozen=True)
class Code:
    """Where a function's code and layers are, and how its environments start."""

    #: The function's own code directory (/var/task).
    task_root: Path
    #: Each layer's directory whose `python/` folder Lambda would put on the path (/opt).
    layers: tuple[Path, ...]
    handler: str = "handler.handler"
    runtime: str = "python3.13"
    architecture: str = "x86_64"


@dataclass(frozen=True)
class Configuration:
    """The part of a function the Lambda API reads and updates."""

    memory_mb: int = 128
    timeout_s: int = 3
    environment: Mapping[str, str] = field(default_factory=dict)
    log_format: str = "Text"
    #: None when the function has no reserved concurrency.
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        validate(self)


def validate(configuration: Configuration) -> None:
    """Lambda's own checks, with its error types and wording."""
    problems = [
        problem
        for problem in (
            _outside("memorySize", configuration.memory_mb, MIN_MEMORY_MB, MAX_MEMORY_MB),
            _outside("timeout", configuration.timeout_s, MIN_TIMEOUT_S, MAX_TIMEOUT_S),
        )
        if problem is not None
    ]
    if problems:
        count = len(problems)
        raise LambdaApiError(
            400,
            "ValidationException",
            f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(problems)}",
        )
    if configuration.log_format not in LOG_FORMATS:
        raise LambdaApiError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{configuration.log_format[:64]}' at "
            "'loggingConfig.logFormat' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(sorted(LOG_FORMATS))}]",
        )
    problem = environment_problem(dict(configuration.environment))
    if problem is not None:
        raise LambdaApiError(400, *problem)
    if configuration.reserved_concurrency is not None and configuration.reserved_concurrency < 0:
        raise LambdaApiError(
            400,
            "ValidationException",
            f"1 validation error detected: Value '{configuration.reserved_concurrency}' at "
            "'reservedConcurrentExecutions' failed to satisfy constraint: "
            "Member must have value greater than or equal to 0",
        )


def _outside(field: str, value: int, low: int, high: int) -> str | None:
    """Lambda's wording for a value outside its range, or None when it is inside."""
    if low <= value <= high:
        return None
    bound = f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
    return f"Value '{value}' at '{field}' failed to satisfy constraint: Member must have value {bound}"


class HostedFunction:
    """One function: fixed code, a configuration with a generation, and its update state.

    `generation` grows with every configuration that takes effect: an execution
    environment records the generation it was made for, and one made for an older
    generation is retired instead of reused, as Lambda retires environments after a
    configuration change.
    """

    def __init__(self, name: str, code: Code, configuration: Configuration, update_seconds: float) -> None:
        self.name = name
        self.code = code
        self._configuration = configuration
        #: What the API shows: an update's values from the moment it is accepted, while
        #: environments keep running on `_configuration` until it is Successful.
        self._described = configuration
        self._update_seconds = update_seconds
        self._lock = threading.Lock()
        self._pending: threading.Timer | None = None
        self.generation = 0
        self.last_update_status = "Successful"
        self.revision_id = str(uuid.uuid4())
        self.last_modified = _now()
        # What Lambda describes of the deployment package: the zip the function's code
        # directory would be published as (its layers are described apart).
        package = zip_bytes(code.task_root)
        self.code_size = len(package)
        self.code_sha256 = base64.b64encode(hashlib.sha256(package).digest()).decode()

    @property
    def configuration(self) -> Configuration:
        with self._lock:
            return self._configuration

    def snapshot(self) -> tuple[Configuration, int]:
        """The configuration in effect and its generation, read together."""
        with self._lock:
            return self._configuration, self.generation

    def update(self, changes: Mapping[str, Any], on_applied: Any = None) -> None:
        """Start an update: InProgress now, Successful (and in effect) after a while.

        A second update while one is in progress fails, as on Lambda, with
        ResourceConflictException.
        """
        with self._lock:
            if self.last_update_status == "InProgress":
                raise LambdaApiError(
                    409,
                    "ResourceConflictException",
                    "The operation cannot be performed at this time. An update is in progress "
                    f"for resource: {function_arn(self.name)}",
                )
            updated = replace(self._described, **changes)  # validates
            self._described = updated
            self.last_update_status = "InProgress"
            self.revision_id = str(uuid.uuid4())
            self.last_modified = _now()

            def apply() -> None:
                with self._lock:
                    # Reserved concurrency is no part of the update: one set meanwhile stays.
                    self._configuration = replace(
                        updated, reserved_concurrency=self._described.reserved_concurrency
                    )
                    self.generation += 1
                    self.last_update_status = "Successful"
                    self._pending = None
                if on_applied is not None:
                    on_applied(self)

            self._pending = threading.Timer(self._update_seconds, apply)
            self._pending.daemon = True
            self._pending.start()

    def set_reserved_concurrency(self, value: int | None) -> None:
        """Reserved concurrency takes effect at once, without an update cycle."""
        with self._lock:
            self._configuration = replace(self._configuration, reserved_concurrency=value)
            self._described = replace(self._described, reserved_concurrency=value)

    def cancel_pending(self) -> None:
        with self._lock:
            if self._pending is not None:
                self._pending.cancel()

    def describe(self) -> dict[str, Any]:
        """GetFunctionConfiguration's answer, with Lambda's field names."""
        with self._lock:
            configuration, status = self._described, self.last_update_status
            revision, modified = self.revision_id, self.last_modified
        return {
            "FunctionName": self.name,
            "FunctionArn": function_arn(self.name),
            "Runtime": self.code.runtime,
            "Role": f"arn:aws:iam::{ACCOUNT}:role/{self.name}",
            "Handler": self.code.handler,
            "CodeSize": self.code_size,
            "Description": "hosted by the concurrency-eval local Lambda service",
            "Timeout": configuration.timeout_s,
            "MemorySize": configuration.memory_mb,
            "LastModified": modified,
            "CodeSha256": self.code_sha256,
            "Version": "$LATEST",
            "Environment": {"Variables": dict(configuration.environment)},
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": revision,
            "Layers": [
                {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer.name}:1", "CodeSize": 0}
                for layer in self.code.layers
            ],
            "State": "Active",
            "LastUpdateStatus": status,
            "PackageType": "Zip",
            "Architectures": [self.code.architecture],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": logging_config(self.name, configuration.log_format),
        }


def logging_config(name: str, log_format: str) -> dict[str, str]:
    """LoggingConfig as Lambda describes it: the format, the levels a JSON function
    filters at, and the log group."""
    levels = JSON_LOG_LEVELS if log_format == JSON else {}
    return {"LogFormat": log_format, **levels, "LogGroup": f"/aws/lambda/{name}"}


def _now() -> str:
    # Lambda's LastModified format: 2026-11-23T10:15:30.123+0000
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
