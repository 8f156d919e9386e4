"""The app's settings, from cdk.json context and `-c key=value`, validated into types.

Each setting is declared once, as a field of `AppSettings`: its context key, its parser,
the hint that says how to fix a bad value, and its default. Plain Python (no aws_cdk
import), so that bad settings are reported, all at once, before any construct exists.
Values given with `-c` arrive as strings and are parsed.
"""

import dataclasses
import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from contracts import validation
from contracts.bundles import ARCHITECTURES, DEFAULT_ARCHITECTURE, DEFAULT_RUNTIME, RUNTIMES
from contracts.function import (
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    MAX_REQUESTS_IN_FLIGHT,
    MIN_REQUESTS_IN_FLIGHT,
)
from contracts.lambda_limits import (
    LOG_RETENTION_PERIODS,
    MAX_MEMORY_MB,
    MAX_TIMEOUT_S,
    MIN_MEMORY_MB,
    MIN_TIMEOUT_S,
)
from contracts.manifest import PublishedArtifacts
from contracts.ranges import NotANumber, OutOfRange, int_between
from contracts.stack import DEFAULT_ARTIFACT_PREFIX, DEFAULT_STACK_PREFIX

REMOVAL_POLICIES = ("retain", "destroy")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_GITHUB_REF = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
_STACK_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


class SettingsError(ValueError):
    """One or more context values are invalid; the message lists each with its fix."""


@dataclass(frozen=True)
class Setting:
    """How one context key becomes one field: its parser, and the hint for a bad value."""

    key: str
    parse: Callable[[Any], Any]
    hint: str


def _setting(key: str, parse: Callable[[Any], Any], hint: str, default: Any = None) -> Any:
    return dataclasses.field(default=default, metadata={"setting": Setting(key, parse, hint)})


# -- parsers: each raises ValueError saying what a good value is -----------------------


def _whole(low: int, high: int) -> Callable[[Any], int]:
    parse = int_between(low, high)

    def whole(raw: Any) -> int:
        try:
            return parse(raw)
        except NotANumber:
            raise ValueError("must be a whole number") from None
        except OutOfRange:
            raise ValueError(f"must be between {low} and {high}") from None

    return whole


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if str(raw) not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(raw)

    return parse


def _retention(raw: Any) -> int:
    days = _whole(min(LOG_RETENTION_PERIODS), max(LOG_RETENTION_PERIODS))(raw)
    if days not in LOG_RETENTION_PERIODS:
        raise ValueError("is not a retention period CloudWatch Logs accepts")
    return days


def _matching(pattern: re.Pattern[str], description: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise ValueError(f"must be {description}")
        return raw

    return parse


def _text(check: Callable[[str], str], description: str) -> Callable[[Any], str]:
    """A check shared with the command line, for a value that must be text."""

    def parse(raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueError(f"must be {description}")
        return check(raw)

    return parse


@dataclass(frozen=True)
class GitHubSettings:
    owner: str
    repo: str
    branch: str
    environment: str

    @property
    def branch_subject(self) -> str:
        """The OIDC `sub` claim of a job on the branch without an environment."""
        return f"repo:{self.owner}/{self.repo}:ref:refs/heads/{self.branch}"

    @property
    def environment_subject(self) -> str:
        """The OIDC `sub` claim of a job that runs in the GitHub environment."""
        return f"repo:{self.owner}/{self.repo}:environment:{self.environment}"


@dataclass(frozen=True)
class AppSettings:
    """Every setting of the app: one field each, declared with its cdk.json key."""

    stack_prefix: str = _setting(
        "stackPrefix",
        _matching(_STACK_PREFIX, "a letter, then letters, digits or hyphens"),
        "for example ConcurrencyEval",
        DEFAULT_STACK_PREFIX,
    )
    runtime: str = _setting(
        "runtime", _one_of(RUNTIMES), f"use one of {', '.join(RUNTIMES)}", DEFAULT_RUNTIME
    )
    architecture: Literal["arm64", "x86_64"] = _setting(
        "architecture", _one_of(ARCHITECTURES), "use arm64 or x86_64", DEFAULT_ARCHITECTURE
    )
    memory_mb: int = _setting(
        "memory",
        _whole(MIN_MEMORY_MB, MAX_MEMORY_MB),
        f"Lambda memory is {MIN_MEMORY_MB} to {MAX_MEMORY_MB} MB",
        DEFAULT_MEMORY_MB,
    )
    timeout_seconds: int = _setting(
        "timeout",
        _whole(MIN_TIMEOUT_S, MAX_TIMEOUT_S),
        f"Lambda timeouts are {MIN_TIMEOUT_S} to {MAX_TIMEOUT_S} seconds",
        DEFAULT_TIMEOUT_S,
    )
    requests_in_flight: int | None = _setting(
        "requestsInFlight",
        _whole(MIN_REQUESTS_IN_FLIGHT, MAX_REQUESTS_IN_FLIGHT),
        "omit it for the functions' default, 64",
    )
    reserved_concurrency: int | None = _setting(
        "reservedConcurrency", _whole(0, 10000), "omit it for no reservation"
    )
    provisioned_concurrency: int | None = _setting(
        "provisionedConcurrency", _whole(1, 10000), "omit it for none"
    )
    github_repository: str | None = _setting(
        "githubRepository",
        _matching(_GITHUB_REPOSITORY, "owner/repo"),
        "for example octo-org/concurrency-eval",
    )
    github_branch: str = _setting(
        "githubBranch", _matching(_GITHUB_REF, "a branch name"), "for example main", "main"
    )
    github_environment: str = _setting(
        "githubEnvironment",
        _matching(_GITHUB_NAME, "an environment name"),
        "for example production",
        "production",
    )
    oidc_provider_arn: str | None = _setting(
        "oidcProviderArn",
        _matching(_OIDC_ARN, "the ARN of the account's token.actions.githubusercontent.com provider"),
        "omit it to create the provider",
    )
    artifact_prefix: str = _setting(
        "artifactPrefix",
        _text(validation.key_prefix, "a key prefix ending in '/', as 'artifacts/'"),
        "for example artifacts/",
        DEFAULT_ARTIFACT_PREFIX,
    )
    removal_policy: Literal["retain", "destroy"] = _setting(
        "removalPolicy", _one_of(REMOVAL_POLICIES), "use retain or destroy", "retain"
    )
    log_retention_days: int = _setting(
        "logRetentionDays", _retention, "CloudWatch accepts 1, 3, 5, 7, 14, 30, 60, 90, 365, ... days", 30
    )
    published: PublishedArtifacts | None = _setting(
        "publishedArtifacts",
        PublishedArtifacts.from_document,
        "pass the manifest `concurrency-eval publish` writes",
    )
    #: A requirement uv installs the framework layer from instead of layers/framework.
    framework_source: str | None = _setting(
        "frameworkSource",
        _text(
            validation.framework_source,
            "a requirement for s3fanout, such as 's3fanout @ git+https://...@v1.2.0'",
        ),
        "for example 's3fanout @ git+https://github.com/org/s3fanout@v1.2.0'",
    )

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def github(self) -> GitHubSettings | None:
        """The repository whose workflows may deploy and publish, if one is set."""
        if self.github_repository is None:
            return None
        owner, repo = self.github_repository.split("/")
        return GitHubSettings(owner, repo, self.github_branch, self.github_environment)


#: Every setting, in declaration order, by field name.
SETTINGS: dict[str, Setting] = {
    field.name: field.metadata["setting"] for field in dataclasses.fields(AppSettings)
}
#: Every context key the app reads; any other (but CDK's own) is reported as a typo.
SETTING_KEYS = tuple(setting.key for setting in SETTINGS.values())


def from_context(context: Mapping[str, Any]) -> AppSettings:
    """Validate every setting, and report every bad one in a single error."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, setting in SETTINGS.items():
        raw = context.get(setting.key)
        if raw is None or raw == "":
            continue
        try:
            values[name] = setting.parse(raw)
        except ValueError as error:
            problems.append(f"context {setting.key}={raw!r}: {error}; {setting.hint}")
    problems += _conflicts(values)
    problems += _strangers(context)
    if problems:
        raise SettingsError("invalid cdk context:\n  " + "\n  ".join(problems))
    return AppSettings(**values)


def _conflicts(values: Mapping[str, Any]) -> list[str]:
    """What is wrong between settings that are each right."""
    problems = []
    if values.get("oidc_provider_arn") and values.get("github_repository") is None:
        problems.append(
            "context oidcProviderArn is set but githubRepository is not; set -c githubRepository=owner/repo"
        )
    reserved, provisioned = values.get("reserved_concurrency"), values.get("provisioned_concurrency")
    if reserved is not None and provisioned is not None and provisioned > reserved:
        problems.append(
            f"context provisionedConcurrency={provisioned} exceeds reservedConcurrency={reserved}; "
            "provisioned concurrency must fit inside the reservation"
        )
    return problems


def _strangers(context: Mapping[str, Any]) -> list[str]:
    """Keys that are neither a setting nor CDK's own: most often a typo."""
    problems = []
    for key in sorted(context):
        if key not in SETTING_KEYS and not _belongs_to_cdk(key):
            close = difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"the settings are {', '.join(SETTING_KEYS)}"
            problems.append(f"context {key!r} is not a setting of this app; {hint}")
    return problems


def _belongs_to_cdk(key: str) -> bool:
    """Feature flags (`@aws-cdk/...`) and CDK's own keys (`aws:cdk:...`, `cdk-...`)."""
    return key.startswith(("@", "aws:", "cdk")) or ":" in key


def check_ci_repository(settings: AppSettings, ci_repository: str | None) -> None:
    """Under GitHub Actions, cdk.json must name the repository CI runs for: a deploy
    without it would delete the OIDC roles it deploys with, and one that created them
    anew would add a second GitHub OIDC provider (IAM allows one per URL)."""
    configured = settings.github_repository
    if ci_repository is not None and configured != ci_repository:
        raise SettingsError(
            f"invalid cdk context:\n  githubRepository={configured!r} in cdk.json, but CI runs for "
            f'{ci_repository!r}: set "githubRepository": "{ci_repository}" (and oidcProviderArn if '
            "the account already has GitHub's provider) in cdk.json's context and commit it, so that "
            "a laptop and CI deploy the same stacks"
        )
