"""The app's settings, from cdk.json context and `-c key=value`, validated into types.

Plain Python (no aws_cdk import), so that bad settings are reported, all at once,
before any construct exists. Values given with `-c` arrive as strings and are parsed.
"""

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from concurrency_eval import validation
from concurrency_eval.build import ARCHITECTURES, BUNDLES

RUNTIMES = ("python3.13", "python3.12", "python3.14")
REMOVAL_POLICIES = ("retain", "destroy")
#: The retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_GITHUB_REF = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")
_OIDC_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$")
_STACK_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


#: Every context key the app reads; any other (but CDK's own) is reported as a typo.
SETTINGS = (
    "stackPrefix",
    "runtime",
    "architecture",
    "memory",
    "timeout",
    "reservedConcurrency",
    "provisionedConcurrency",
    "githubRepository",
    "githubBranch",
    "githubEnvironment",
    "oidcProviderArn",
    "artifactPrefix",
    "removalPolicy",
    "logRetentionDays",
    "publishedArtifacts",
    "frameworkSource",
)


def _belongs_to_cdk(key: str) -> bool:
    """Feature flags (`@aws-cdk/...`) and CDK's own keys (`aws:cdk:...`, `cdk-...`)."""
    return key.startswith(("@", "aws:", "cdk")) or ":" in key


class ConfigError(ValueError):
    """One or more context values are invalid; the message lists each with its fix."""


@dataclass(frozen=True)
class GitHubConfig:
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


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class PublishedObject:
    key: str
    version: str


@dataclass(frozen=True)
class PublishedArtifacts:
    """Layers and functions from the artifact bucket, pinned by key and version."""

    bucket: str
    objects: dict[str, PublishedObject]


@dataclass(frozen=True)
class AppConfig:
    stack_prefix: str = "ConcurrencyEval"
    runtime: str = "python3.13"
    architecture: Literal["arm64", "x86_64"] = "arm64"
    memory_mb: int = 1024
    timeout_seconds: int = 60
    reserved_concurrency: int | None = None
    provisioned_concurrency: int | None = None
    github: GitHubConfig | None = None
    oidc_provider_arn: str | None = None
    artifact_prefix: str = "artifacts/"
    removal_policy: Literal["retain", "destroy"] = "retain"
    log_retention_days: int = 30
    published: PublishedArtifacts | None = None
    #: A requirement uv installs the framework layer from instead of layers/framework.
    framework_source: str | None = None

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")


def from_context(context: Mapping[str, Any]) -> AppConfig:
    """Validate every setting, and report every bad one in a single error."""
    problems: list[str] = []
    values: dict[str, Any] = {}

    def take(key: str, parse: Callable[[Any], Any], hint: str) -> Any:
        raw = context.get(key)
        if raw is None or raw == "":
            return None
        try:
            return parse(raw)
        except ValueError as error:
            problems.append(f"context {key}={raw!r}: {error}; {hint}")
            return None

    def put(field: str, value: Any) -> None:
        if value is not None:
            values[field] = value

    put(
        "stack_prefix",
        take(
            "stackPrefix",
            _matching(_STACK_PREFIX, "a letter, then letters, digits or hyphens"),
            "for example ConcurrencyEval",
        ),
    )
    put("runtime", take("runtime", _one_of(RUNTIMES), f"use one of {', '.join(RUNTIMES)}"))
    put("architecture", take("architecture", _one_of(ARCHITECTURES), "use arm64 or x86_64"))
    put("memory_mb", take("memory", _int_between(128, 10240), "Lambda memory is 128 to 10240 MB"))
    put("timeout_seconds", take("timeout", _int_between(1, 900), "Lambda timeouts are 1 to 900 seconds"))
    put(
        "reserved_concurrency",
        take("reservedConcurrency", _int_between(0, 10000), "omit it for no reservation"),
    )
    put("provisioned_concurrency", take("provisionedConcurrency", _int_between(1, 10000), "omit it for none"))
    put(
        "oidc_provider_arn",
        take(
            "oidcProviderArn",
            _matching(_OIDC_ARN, "the ARN of the account's token.actions.githubusercontent.com provider"),
            "omit it to create the provider",
        ),
    )
    put(
        "artifact_prefix",
        take("artifactPrefix", _key_prefix, "for example artifacts/"),
    )
    put("removal_policy", take("removalPolicy", _one_of(REMOVAL_POLICIES), "use retain or destroy"))
    put(
        "log_retention_days",
        take(
            "logRetentionDays",
            _one_of_ints(LOG_RETENTION_DAYS),
            "CloudWatch accepts 1, 3, 5, 7, 14, 30, 60, 90, 365, ... days",
        ),
    )

    put(
        "published",
        take("publishedArtifacts", _published, "pass the manifest `concurrency-eval publish` writes"),
    )
    put(
        "framework_source",
        take(
            "frameworkSource",
            _framework_source,
            "for example 's3fanout @ git+https://github.com/org/s3fanout@v1.2.0'",
        ),
    )
    repository = take(
        "githubRepository",
        _matching(re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"), "owner/repo"),
        "for example octo-org/concurrency-eval",
    )
    branch = take("githubBranch", _matching(_GITHUB_REF, "a branch name"), "for example main") or "main"
    environment = (
        take("githubEnvironment", _matching(_GITHUB_NAME, "an environment name"), "for example production")
        or "production"
    )
    if repository is not None:
        owner, repo = repository.split("/")
        values["github"] = GitHubConfig(owner, repo, branch, environment)
    elif values.get("oidc_provider_arn"):
        problems.append(
            "context oidcProviderArn is set but githubRepository is not; set -c githubRepository=owner/repo"
        )

    reserved, provisioned = values.get("reserved_concurrency"), values.get("provisioned_concurrency")
    if reserved is not None and provisioned is not None and provisioned > reserved:
        problems.append(
            f"context provisionedConcurrency={provisioned} exceeds reservedConcurrency={reserved}; "
            "provisioned concurrency must fit inside the reservation"
        )
    for key in sorted(context):
        if key not in SETTINGS and not _belongs_to_cdk(key):
            close = difflib.get_close_matches(key, SETTINGS, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"the settings are {', '.join(SETTINGS)}"
            problems.append(f"context {key!r} is not a setting of this app; {hint}")
    if problems:
        raise ConfigError("invalid cdk context:\n  " + "\n  ".join(problems))
    return AppConfig(**values)


def _published(raw: Any) -> PublishedArtifacts:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValueError(f"is not JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("artifacts"), dict):
        raise ValueError(
            'must be an object {"bucket": ..., "artifacts": {name: {"key": ..., "version": ...}}}'
        )
    bucket = raw.get("bucket")
    if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
        raise ValueError(f"has no valid bucket name (got {bucket!r})")
    missing = [name for name in BUNDLES if name not in raw["artifacts"]]
    if missing:
        raise ValueError(f"lacks {', '.join(missing)}; it needs {', '.join(BUNDLES)}")
    objects = {}
    for name in BUNDLES:
        entry = raw["artifacts"][name]
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(f), str) and entry[f] for f in ("key", "version")
        ):
            raise ValueError(f"artifact {name!r} needs a key and a version")
        objects[name] = PublishedObject(entry["key"], entry["version"])
    return PublishedArtifacts(bucket, objects)


def _framework_source(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be a requirement for s3fanout, such as 's3fanout @ git+https://...@v1.2.0'")
    return validation.framework_source(raw)


def _key_prefix(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be a key prefix ending in '/', as 'artifacts/'")
    return validation.key_prefix(raw)


def _int_between(low: int, high: int) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if isinstance(raw, bool):
            raise ValueError("must be a whole number")
        try:
            value = int(raw) if isinstance(raw, int) else int(str(raw).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if str(raw) not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(raw)

    return parse


def _one_of_ints(choices: tuple[int, ...]) -> Callable[[Any], int]:
    whole = _int_between(min(choices), max(choices))

    def parse(raw: Any) -> int:
        value = whole(raw)
        if value not in choices:
            raise ValueError("is not a retention period CloudWatch Logs accepts")
        return value

    return parse


def _matching(pattern: re.Pattern[str], description: str) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        if not isinstance(raw, str) or not pattern.fullmatch(raw):
            raise ValueError(f"must be {description}")
        return raw

    return parse


def check_ci_repository(settings: "AppConfig", ci_repository: str | None) -> None:
    """Under GitHub Actions, cdk.json must name the repository CI runs for: a deploy
    without it would delete the OIDC roles it deploys with, and one that created them
    anew would add a second GitHub OIDC provider (IAM allows one per URL)."""
    github = settings.github
    configured = None if github is None else f"{github.owner}/{github.repo}"
    if ci_repository is not None and configured != ci_repository:
        raise ConfigError(
            f"invalid cdk context:\n  githubRepository={configured!r} in cdk.json, but CI runs for "
            f'{ci_repository!r}: set "githubRepository": "{ci_repository}" (and oidcProviderArn if '
            "the account already has GitHub's provider) in cdk.json's context and commit it, so that "
            "a laptop and CI deploy the same stacks"
        )
