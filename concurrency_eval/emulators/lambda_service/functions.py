"""A hosted function: what it is made of, its configuration, and how that changes.

The code and layers are fixed when the service starts (they are the bundles the
deployment uses); the configuration is what the Lambda API can read and update, with
Lambda's limits and its asynchronous update: `LastUpdateStatus` is InProgress for a
while, then Successful, and only then does the new configuration reach new execution
environments. As on Lambda, $LATEST is the configuration that changes; a published
version freezes it under a number that is never used again, and an alias names a
version. A qualifier (a version number, an alias, or $LATEST) says which one runs.
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
#: The log levels Lambda sets when a function's LogFormat is JSON and none is given
#: (the stacks give none); a Text function has no levels.
JSON_LOG_LEVELS = {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
#: The unpublished version, whose configuration updates change.
LATEST = "$LATEST"


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


def qualifier_not_found(name: str, qualifier: str) -> LambdaApiError:
    """Lambda's answer to a version or alias a function does not have."""
    return LambdaApiError(
        404, "ResourceNotFoundException", f"Function not found: {function_arn(name)}:{qualifier}"
    )


def is_version_number(qualifier: str) -> bool:
    """A published version's qualifier is its number; anything else but $LATEST is an alias."""
    return qualifier.isascii() and qualifier.isdigit()


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


@dataclass(frozen=True)
class Version:
    """A published version: $LATEST's configuration as it was when published."""

    number: str
    configuration: Configuration
    description: str
    revision_id: str
    last_modified: str


@dataclass(frozen=True)
class Alias:
    """A name for a version, which UpdateAlias may move."""

    name: str
    function_version: str
    description: str
    revision_id: str


@dataclass(frozen=True)
class Target:
    """What a qualifier runs: the version ($LATEST or a number), its configuration, and
    the generation of that configuration (a published version's never changes)."""

    version: str
    configuration: Configuration
    generation: int


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
        self._versions: dict[str, Version] = {}
        self._aliases: dict[str, Alias] = {}
        #: Version numbers are never used twice, even after a version is deleted.
        self._last_number = 0

    @property
    def configuration(self) -> Configuration:
        with self._lock:
            return self._configuration

    def target(self, qualifier: str | None) -> Target:
        """What `qualifier` runs now: $LATEST's configuration in effect and its generation
        (no qualifier is $LATEST), a version's, or the version an alias names."""
        with self._lock:
            if qualifier is None or qualifier == LATEST:
                return Target(LATEST, self._configuration, self.generation)
            version = self._version_locked(qualifier)
            return Target(version.number, version.configuration, 0)

    def runs(self, target: Target) -> bool:
        """Whether an environment made for `target` may serve again: its version still
        exists and, for $LATEST, no configuration has taken effect since."""
        with self._lock:
            if target.version == LATEST:
                return target.generation == self.generation
            return target.version in self._versions

    def update(self, changes: Mapping[str, Any], on_applied: Any = None) -> None:
        """Start an update: InProgress now, Successful (and in effect) after a while.

        A second update while one is in progress fails, as on Lambda, with
        ResourceConflictException.
        """
        with self._lock:
            if self.last_update_status == "InProgress":
                raise self._update_in_progress()
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

    def describe(self, qualifier: str | None = None) -> dict[str, Any]:
        """GetFunctionConfiguration's answer for $LATEST (no qualifier), a version or an
        alias, with Lambda's field names; the ARN carries the qualifier as given."""
        with self._lock:
            configuration, status = self._described, self.last_update_status
            revision, modified = self.revision_id, self.last_modified
            version, description = LATEST, _DESCRIPTION
            if qualifier is not None and qualifier != LATEST:
                published = self._version_locked(qualifier)
                configuration, status, version = published.configuration, "Successful", published.number
                revision, modified, description = (
                    published.revision_id,
                    published.last_modified,
                    published.description,
                )
        return {
            "FunctionName": self.name,
            "FunctionArn": function_arn(self.name) + ("" if qualifier is None else f":{qualifier}"),
            "Runtime": self.code.runtime,
            "Role": f"arn:aws:iam::{ACCOUNT}:role/{self.name}",
            "Handler": self.code.handler,
            "CodeSize": self.code_size,
            "Description": description,
            "Timeout": configuration.timeout_s,
            "MemorySize": configuration.memory_mb,
            "LastModified": modified,
            "CodeSha256": self.code_sha256,
            "Version": version,
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

    # -- versions and aliases ----------------------------------------------------------

    def publish(
        self, code_sha256: str | None, description: str | None, revision_id: str | None
    ) -> dict[str, Any]:
        """PublishVersion: $LATEST as it is now, under the next number; the newest version
        again when nothing changed since it was published (Lambda publishes no duplicate)."""
        with self._lock:
            if self.last_update_status == "InProgress":
                raise self._update_in_progress()
            if revision_id is not None and revision_id != self.revision_id:
                raise _revision_mismatch()
            if code_sha256 is not None and code_sha256 != self.code_sha256:
                raise LambdaApiError(
                    400,
                    "InvalidParameterValueException",
                    f"CodeSHA256 ({code_sha256[:100]}) is different from current CodeSHA256 in $LATEST "
                    f"({self.code_sha256}). Please try again with the CodeSHA256 in $LATEST.",
                )
            frozen = replace(self._configuration, reserved_concurrency=None)
            newest = self._versions[max(self._versions, key=int)] if self._versions else None
            if newest is None or newest.configuration != frozen:
                self._last_number += 1
                newest = Version(
                    str(self._last_number), frozen, _DESCRIPTION if description is None else description,
                    str(uuid.uuid4()), _now(),
                )  # fmt: skip
                self._versions[newest.number] = newest
                # Publishing is a change to the function: $LATEST's revision moves on.
                self.revision_id = str(uuid.uuid4())
            number = newest.number
        return self.describe(number)

    def versions(self) -> list[dict[str, Any]]:
        """ListVersionsByFunction's entries: $LATEST first, then each version by number."""
        with self._lock:
            numbers = sorted(self._versions, key=int)
        return [self.describe(LATEST), *(self.describe(number) for number in numbers)]

    def delete_version(self, qualifier: str) -> None:
        """DeleteFunction with a Qualifier: a version that no alias names. $LATEST and
        aliases cannot be deleted so; a version that is not there is no error."""
        if qualifier == LATEST:
            raise LambdaApiError(
                400,
                "InvalidParameterValueException",
                "$LATEST version cannot be deleted without deleting the function.",
            )
        if not is_version_number(qualifier):
            raise LambdaApiError(
                400, "InvalidParameterValueException", "Deletion of aliases is not currently supported."
            )
        with self._lock:
            naming = sorted(
                alias.name for alias in self._aliases.values() if alias.function_version == qualifier
            )
            if naming:
                raise LambdaApiError(
                    409,
                    "ResourceConflictException",
                    "Unable to delete version because the following aliases reference it: "
                    f"[{', '.join(naming)}]",
                )
            self._versions.pop(qualifier, None)

    def create_alias(self, name: str, function_version: str, description: str) -> dict[str, Any]:
        with self._lock:
            if name in self._aliases:
                raise LambdaApiError(
                    409, "ResourceConflictException", f"Alias already exists: {self._alias_arn(name)}"
                )
            self._check_version_locked(function_version)
            self._aliases[name] = Alias(name, function_version, description, str(uuid.uuid4()))
            return self._alias_document(self._aliases[name])

    def update_alias(
        self, name: str, function_version: str | None, description: str | None, revision_id: str | None
    ) -> dict[str, Any]:
        with self._lock:
            alias = self._aliases.get(name)
            if alias is None:
                raise LambdaApiError(
                    404, "ResourceNotFoundException", f"Alias not found: {self._alias_arn(name)}"
                )
            if revision_id is not None and revision_id != alias.revision_id:
                raise _revision_mismatch()
            if function_version is not None:
                self._check_version_locked(function_version)
            alias = replace(
                alias,
                function_version=alias.function_version if function_version is None else function_version,
                description=alias.description if description is None else description,
                revision_id=str(uuid.uuid4()),
            )
            self._aliases[name] = alias
            return self._alias_document(alias)

    def alias(self, name: str) -> dict[str, Any]:
        with self._lock:
            alias = self._aliases.get(name)
            if alias is None:
                raise LambdaApiError(
                    404, "ResourceNotFoundException", f"Cannot find alias arn: {self._alias_arn(name)}"
                )
            return self._alias_document(alias)

    def delete_alias(self, name: str) -> None:
        """DeleteAlias: Lambda answers 204 for an alias that is not there, too."""
        with self._lock:
            self._aliases.pop(name, None)

    def aliases(self, function_version: str | None = None) -> list[dict[str, Any]]:
        """ListAliases' entries by name, only those naming `function_version` if given."""
        with self._lock:
            return [
                self._alias_document(alias)
                for _, alias in sorted(self._aliases.items())
                if function_version is None or alias.function_version == function_version
            ]

    def _version_locked(self, qualifier: str) -> Version:
        number = self._aliases[qualifier].function_version if qualifier in self._aliases else qualifier
        version = self._versions.get(number)
        if version is None:
            raise qualifier_not_found(self.name, qualifier)
        return version

    def _check_version_locked(self, function_version: str) -> None:
        if function_version != LATEST and function_version not in self._versions:
            raise qualifier_not_found(self.name, function_version)

    def _alias_arn(self, name: str) -> str:
        return f"{function_arn(self.name)}:{name}"

    def _alias_document(self, alias: Alias) -> dict[str, Any]:
        return {
            "AliasArn": self._alias_arn(alias.name),
            "Name": alias.name,
            "FunctionVersion": alias.function_version,
            "Description": alias.description,
            "RevisionId": alias.revision_id,
        }

    def _update_in_progress(self) -> LambdaApiError:
        return LambdaApiError(
            409,
            "ResourceConflictException",
            "The operation cannot be performed at this time. An update is in progress "
            f"for resource: {function_arn(self.name)}",
        )


#: The hosted functions' own description, which a published version keeps unless told otherwise.
_DESCRIPTION = "hosted by the concurrency-eval local Lambda service"


def _revision_mismatch() -> LambdaApiError:
    return LambdaApiError(
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. "
        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
    )


def logging_config(name: str, log_format: str) -> dict[str, str]:
    """LoggingConfig as Lambda describes it: the format, the levels a JSON function
    filters at, and the log group."""
    levels = JSON_LOG_LEVELS if log_format == JSON else {}
    return {"LogFormat": log_format, **levels, "LogGroup": f"/aws/lambda/{name}"}


def _now() -> str:
    # Lambda's LastModified format: 2026-11-23T10:15:30.123+0000
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
