"""The versions and aliases a sweep measures: published before, removed after, found again.

As AWS Lambda Power Tuning does, a sweep publishes a version of each function for every
configuration it measures (a memory size, and a step of its own so that the first
invocation meets a new execution environment), behind an alias, so that versions of
different sizes and models can be invoked at once: $LATEST is updated, the sweep waits
until the update is Successful, publishes it (guarded by $LATEST's RevisionId and the
code's CodeSha256, so that a deploy meanwhile is noticed, not measured) and names the
version with an alias.

What a sweep made carries its marks: aliases are named `ce-sweep-<run>-...` and
versions described `concurrency-eval sweep <run>: ...`. A sweep removes what it made as
each group finishes and, whatever stops it, at the end; `clean_up` finds what a killed
sweep left by those marks and removes it, never touching an alias of another name (the
stacks' `live`) or a version such an alias names.
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from concurrency_eval.sweep.updates import (
    SWEEP_VARIABLE,
    ConfigurationError,
    update_configuration,
    variables_of,
    wait_until_updated,
    waiter_config,
)
from concurrency_eval.system import signals

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

#: The mark of a sweep's aliases (Lambda's alias names: letters, digits, - and _, at
#: most 128) and of its versions' descriptions.
ALIAS_PREFIX = "ce-sweep-"
DESCRIPTION_PREFIX = "concurrency-eval sweep "


def alias_name(run_id: str, memory_mb: int, concurrency: int | None, start: int) -> str:
    """The alias of one published configuration: run, memory size, concurrency step, cold start."""
    return f"{ALIAS_PREFIX}{run_id}-{memory_mb}mb-c{concurrency or 'd'}-{start}"


@dataclass
class _Made:
    model: str
    version: str
    alias: str | None = None


class VersionsLeft(ConfigurationError):
    """Some versions or aliases could not be removed; the message names them."""


@dataclass
class Publisher:
    """Publishes versions behind aliases for one sweep, and removes them again."""

    client: "LambdaClient"
    functions: dict[str, str]
    run_id: str
    #: Each function's code as the sweep found it: a version of other code is refused.
    code_sha256: dict[str, str]
    poll_seconds: float = 1.0
    _made: list[_Made] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, model: str, memory_mb: int, marker: str, alias: str) -> None:
        """Publish $LATEST (updated to `memory_mb` with `marker`, the update done) as a
        version, and name it `alias`."""
        name = self.functions[model]
        latest = self.client.get_function_configuration(FunctionName=name)
        try:
            published = self.client.publish_version(
                FunctionName=name,
                RevisionId=latest["RevisionId"],
                CodeSha256=self.code_sha256[model],
                Description=f"{DESCRIPTION_PREFIX}{self.run_id}: {alias}",
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailedException", "InvalidParameterValueException"):
                raise ConfigurationError(
                    f"{name} changed while the sweep published its versions ({error}); is a deploy or "
                    "another sweep running? Run again when it is done"
                ) from None
            raise
        version = str(published["Version"])
        # Lambda gives back the newest version when nothing changed since it was published:
        # only a version with this step's marker and size is this sweep's, to measure and to
        # remove (another, such as the stack's, is left alone).
        if (
            variables_of(dict(published)).get(SWEEP_VARIABLE) != marker
            or published["MemorySize"] != memory_mb
        ):
            raise ConfigurationError(
                f"{name}: version {version} is not the configuration the sweep published"
            )
        made = _Made(model, version)
        with self._lock:
            self._made.append(made)
        self.client.create_alias(
            FunctionName=name,
            Name=alias,
            FunctionVersion=version,
            Description=f"{DESCRIPTION_PREFIX}{self.run_id}",
        )
        made.alias = alias

    def wait_active(self) -> None:
        """Every published version ready to invoke (a version in a VPC is Pending a while)."""
        waiter = self.client.get_waiter("function_active_v2")
        for made in list(self._made):
            waiter.wait(
                FunctionName=self.functions[made.model],
                Qualifier=made.version,
                WaiterConfig=waiter_config(self.poll_seconds),
            )

    def remove(self, model: str, aliases: tuple[str, ...]) -> None:
        """Remove what a finished group used: its aliases and their versions."""
        with self._lock:
            made = [m for m in self._made if m.model == model and m.alias in aliases]
        for one in made:
            self._remove(one)

    def remove_all(self, on_step: Callable[[str], None]) -> int | None:
        """Remove everything the sweep made and has not removed, each alias before its
        version, all of it even when one fails (VersionsLeft names those), not cut short by
        a second Ctrl-C; the signal that came meanwhile, if one did."""
        with self._lock:
            left = list(self._made)
        if not left:
            return None
        on_step(f"removing the sweep's {len(left)} published versions and their aliases")
        failures: list[str] = []
        with signals.shielded(lambda: on_step("still removing versions; please wait")) as noted:
            for made in left:
                try:
                    self._remove(made)
                except (ClientError, BotoCoreError) as error:
                    failures.append(f"{self.functions[made.model]} version {made.version} ({error})")
        if failures:
            raise VersionsLeft(
                f"could not remove {'; '.join(failures)}; `concurrency-eval run --cleanup` removes them later"
            )
        return noted[0] if noted else None

    def _remove(self, made: _Made) -> None:
        name = self.functions[made.model]
        if made.alias is not None:
            self.client.delete_alias(FunctionName=name, Name=made.alias)
        self.client.delete_function(FunctionName=name, Qualifier=made.version)
        with self._lock:
            self._made.remove(made)


@dataclass(frozen=True)
class CleanedUp:
    """What `clean_up` removed or put back, per function name."""

    aliases: dict[str, list[str]]
    versions: dict[str, list[str]]
    restored: list[str]

    @property
    def nothing(self) -> bool:
        return not any(self.aliases.values()) and not any(self.versions.values()) and not self.restored


def clean_up(
    client: "LambdaClient", functions: dict[str, str], stack_alias: str, poll_seconds: float = 1.0
) -> CleanedUp:
    """Remove what killed sweeps left on `functions`: aliases with the sweep's prefix, then
    the versions a sweep described as its own that no other alias names; and put back a
    $LATEST left with the sweep's variable, as the version `stack_alias` names holds it."""
    aliases: dict[str, list[str]] = {}
    versions: dict[str, list[str]] = {}
    restored: list[str] = []
    for name in functions.values():
        every_alias = [
            a
            for page in client.get_paginator("list_aliases").paginate(FunctionName=name)
            for a in page["Aliases"]
        ]
        ours = [a for a in every_alias if a["Name"].startswith(ALIAS_PREFIX)]
        kept = {a["FunctionVersion"] for a in every_alias if not a["Name"].startswith(ALIAS_PREFIX)}
        for alias in ours:
            client.delete_alias(FunctionName=name, Name=alias["Name"])
        aliases[name] = [a["Name"] for a in ours]
        pages = client.get_paginator("list_versions_by_function").paginate(FunctionName=name)
        left = [
            str(v["Version"])
            for page in pages
            for v in page["Versions"]
            if v["Version"] != "$LATEST"
            and str(v.get("Description", "")).startswith(DESCRIPTION_PREFIX)
            and v["Version"] not in kept
        ]
        for version in left:
            client.delete_function(FunctionName=name, Qualifier=version)
        versions[name] = left
        if _restore_latest(client, name, stack_alias, poll_seconds):
            restored.append(name)
    return CleanedUp(aliases, versions, restored)


def _restore_latest(client: "LambdaClient", name: str, stack_alias: str, poll_seconds: float) -> bool:
    """$LATEST back to the deployed configuration (the version the stacks' alias names)
    when a killed sweep left its variable there."""
    latest = client.get_function_configuration(FunctionName=name)
    if SWEEP_VARIABLE not in variables_of(dict(latest)):
        return False
    deployed = client.get_function_configuration(FunctionName=name, Qualifier=stack_alias)
    update_configuration(client, name, deployed["MemorySize"], variables_of(dict(deployed)), poll_seconds)
    wait_until_updated(client, name, poll_seconds)
    return True


def describe_cleaned(cleaned: CleanedUp) -> Iterator[str]:
    """A line per function for what `clean_up` did."""
    for name in cleaned.aliases:
        parts = []
        if cleaned.aliases[name]:
            parts.append(f"removed aliases {', '.join(cleaned.aliases[name])}")
        if cleaned.versions[name]:
            parts.append(f"removed versions {', '.join(cleaned.versions[name])}")
        if name in cleaned.restored:
            parts.append("put $LATEST's memory size and environment back as deployed")
        yield f"{name}: {'; '.join(parts) if parts else 'nothing left by a sweep'}"
