"""Changing the functions' configuration for each step, and restoring it, always.

Lambda applies a configuration update asynchronously (`LastUpdateStatus` InProgress,
then Successful or Failed) and refuses another update meanwhile with
ResourceConflictException. So every update waits for the one before it, conflicts
are retried after waiting, and the restore at the end waits for whatever is still in
progress, restores every function even when one fails, and is not cut short by a
second Ctrl-C.
"""

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from concurrency_eval.system import signals

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

#: Set on each function during a sweep, with a value per step, so that every step's
#: first invocation meets a new execution environment.
SWEEP_VARIABLE = "CONCURRENCY_EVAL_SWEEP"
_CONFLICT_ATTEMPTS = 10


class ConfigurationError(RuntimeError):
    """A function could not be updated or restored; the message names it."""


class RestoreFailed(ConfigurationError):
    """Some functions could not be restored; `failures` maps each to its error."""

    def __init__(self, failures: dict[str, str]) -> None:
        listed = "; ".join(f"{name}: {error}" for name, error in failures.items())
        super().__init__(
            f"could not restore {', '.join(failures)} ({listed}); set their memory size and environment "
            "back by hand (the original configurations are in results.json under environment.functions)"
        )
        self.failures = failures


class Configurator:
    def __init__(
        self,
        client: "LambdaClient",
        functions: dict[str, str],
        originals: dict[str, dict[str, Any]],
        poll_seconds: float = 1.0,
        on_step: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._client = client
        self._functions = functions
        self._originals = originals
        self._poll_seconds = poll_seconds
        self._on_step = on_step

    def configure(self, models: tuple[str, ...], memory_mb: int, marker: str) -> None:
        """Set memory size and the sweep marker on each model's function, then wait for all."""
        for model in models:
            variables = dict(variables_of(self._originals[model]))
            variables[SWEEP_VARIABLE] = marker
            self._update(model, memory_mb, variables)
        for model in models:
            self._wait(model)

    def restore(self) -> int | None:
        """Every function back to its original memory size and environment, whatever it
        takes; the signal that came meanwhile (noted, not obeyed), if one did."""
        self._on_step("restoring the original configurations")
        failures: dict[str, str] = {}
        with signals.shielded(lambda: self._on_step("still restoring; please wait")) as noted:
            for model in self._functions:
                try:
                    self._wait(model)
                    original = self._originals[model]
                    self._update(model, int(original["MemorySize"]), dict(variables_of(original)))
                except (ClientError, BotoCoreError, WaiterError, ConfigurationError) as error:
                    failures[self._functions[model]] = str(error)
            for model in self._functions:
                if self._functions[model] in failures:
                    continue
                try:
                    self._wait(model)
                except (ClientError, BotoCoreError, WaiterError) as error:
                    failures[self._functions[model]] = str(error)
        if failures:
            raise RestoreFailed(failures)
        return noted[0] if noted else None

    def _update(self, model: str, memory_mb: int, variables: dict[str, str]) -> None:
        update_configuration(self._client, self._functions[model], memory_mb, variables, self._poll_seconds)

    def _wait(self, model: str) -> None:
        wait_until_updated(self._client, self._functions[model], self._poll_seconds)


def update_configuration(
    client: "LambdaClient", name: str, memory_mb: int, variables: dict[str, str], poll_seconds: float
) -> None:
    """Set a function's memory size and environment, after any update still in progress."""
    for attempt in range(_CONFLICT_ATTEMPTS):
        try:
            client.update_function_configuration(
                FunctionName=name, MemorySize=memory_mb, Environment={"Variables": variables}
            )
            return
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceConflictException":
                raise
            # Another update is still in progress: let it finish, then try again.
            wait_until_updated(client, name, poll_seconds)
            time.sleep(poll_seconds * (attempt + 1))
    raise ConfigurationError(f"{name}: an update stayed in progress through {_CONFLICT_ATTEMPTS} attempts")


def wait_until_updated(client: "LambdaClient", name: str, poll_seconds: float) -> None:
    """Until the function's last update is done (WaiterError if it failed)."""
    client.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=waiter_config(poll_seconds))


def waiter_config(poll_seconds: float) -> Any:
    """A waiter polling every `poll_seconds`, for up to ten minutes. Any: botocore sleeps
    for a fraction of a second as readily as for a whole one, where the stubs allow an int."""
    return {"Delay": poll_seconds, "MaxAttempts": int(600 / poll_seconds)}


def variables_of(configuration: dict[str, Any]) -> dict[str, str]:
    variables: dict[str, str] = configuration.get("Environment", {}).get("Variables", {})
    return variables
