"""Function settings from environment variables, read per invocation, never at import.

Reading a handful of variables costs microseconds, and reading them per invocation
means a configuration change always takes effect; clients are cached by the
settings they were built from, so an unchanged configuration reuses its client.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from s3fanout.errors import InvalidConfiguration
from s3fanout.event import MAX_CONCURRENCY, MIN_CONCURRENCY

PREFIX = "S3FANOUT_"
RetryMode = Literal["standard", "adaptive"]
RETRY_MODES: tuple[RetryMode, ...] = ("standard", "adaptive")


@dataclass(frozen=True)
class Settings:
    #: Requests in flight when the event does not say.
    default_concurrency: int = 64
    #: botocore retry mode; `legacy` is refused because it retries less and unevenly.
    retry_mode: RetryMode = "standard"
    #: Attempts per request, the first one included.
    max_attempts: int = 5
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    #: Stop starting new GETs when less than this is left before the Lambda deadline,
    #: so the function answers with a structured error instead of being killed.
    deadline_margin_ms: int = 2000
    #: Bytes read from a body at a time; memory per request in flight.
    chunk_size: int = 64 * 1024

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            default_concurrency=_read(
                env,
                "DEFAULT_CONCURRENCY",
                _int_between(MIN_CONCURRENCY, MAX_CONCURRENCY),
                defaults.default_concurrency,
            ),
            retry_mode=_read(env, "RETRY_MODE", _retry_mode, defaults.retry_mode),
            max_attempts=_read(env, "MAX_ATTEMPTS", _int_between(1, 20), defaults.max_attempts),
            connect_timeout=_read(
                env, "CONNECT_TIMEOUT", _seconds_between(0.1, 60), defaults.connect_timeout
            ),
            read_timeout=_read(env, "READ_TIMEOUT", _seconds_between(0.1, 300), defaults.read_timeout),
            deadline_margin_ms=_read(
                env, "DEADLINE_MARGIN_MS", _int_between(0, 60_000), defaults.deadline_margin_ms
            ),
            chunk_size=_read(env, "CHUNK_SIZE", _int_between(1024, 16 * 1024 * 1024), defaults.chunk_size),
        )


def _read[T](env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw.strip())
    except ValueError as error:
        raise InvalidConfiguration(
            f"environment variable {PREFIX}{name}={raw!r} is invalid: {error}; "
            f"unset it to use the default {default!r}",
            field=PREFIX + name,
        ) from None


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def _seconds_between(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high} seconds")
        return value

    return parse


def _retry_mode(raw: str) -> RetryMode:
    for mode in RETRY_MODES:
        if raw == mode:
            return mode
    raise ValueError(f"must be one of {', '.join(RETRY_MODES)}")
