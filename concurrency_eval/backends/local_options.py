"""How the local stand-ins behave, and what they are called: the options of a local
deployment (the S3's latency and faults, the functions' settings), its bucket, its
function names and its credentials.

Apart from the deployment itself (backends.local) so that the command line can take
and check these options without importing the servers, the bundles and the SDK.
"""

from dataclasses import dataclass, field

from concurrency_eval.emulators.embedded_s3.faults import EXPRESS as EXPRESS_LATENCY
from concurrency_eval.emulators.embedded_s3.faults import PROFILES, FaultRule, Faults, Latency
from contracts.buckets import EXPRESS, GENERAL_PURPOSE
from contracts.function import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, DEPLOYED_LOG_FORMAT, FUNCTION_ENVIRONMENT
from s3fanout.buckets import DIRECTORY_SUFFIX

BUCKET = "concurrency-eval-local"
#: The zone the local directory bucket's name carries: any zone ID will do on loopback,
#: and this one says where it is.
LOCAL_ZONE = "local1-az1"
#: The local data bucket when the functions read a directory bucket (`--bucket-type express`).
EXPRESS_BUCKET = f"{BUCKET}--{LOCAL_ZONE}{DIRECTORY_SUFFIX}"
FUNCTION_PREFIX = "concurrency-eval-"
#: S3's latency as measured (see embedded_s3.faults): S3 Standard unless told otherwise.
DEFAULT_S3_PROFILE = "standard"
S3_PROFILES = tuple(PROFILES)
#: The latency profile of each kind of bucket, unless another is chosen.
BUCKET_PROFILES = {GENERAL_PURPOSE: DEFAULT_S3_PROFILE, EXPRESS: EXPRESS_LATENCY.profile}
#: The embedded S3 and the service accept any credentials; these keep the SDK away
#: from real ones.
LOCAL_KEY = "local"


@dataclass(frozen=True)
class LocalOptions:
    """How the local stand-ins behave: the S3's latency and faults, the functions' settings."""

    #: The kind of bucket the functions read: a general purpose one, or a directory bucket
    #: (S3 Express One Zone), which botocore reaches with its session auth.
    bucket_type: str = GENERAL_PURPOSE
    #: S3's latency as measured ("standard" or "express"), unless a fixed latency is given.
    s3_profile: str = DEFAULT_S3_PROFILE
    #: A fixed latency (plus up to `jitter_ms`) instead of the profile's distribution.
    latency_ms: float | None = None
    jitter_ms: float = 0.0
    #: HTTPS with a certificate made for the run, as the functions meet S3; False for HTTP.
    tls: bool = True
    #: A Lambda vCPU's speed against one of this machine's cores: "auto" measures it, a
    #: number is taken as it is (1.0: a core here is a Lambda vCPU).
    cpu_speed: str | float = 1.0
    error_rate: float = 0.0
    server_error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 1000.0
    fault_keys: tuple[str, ...] = ()
    #: The functions' timeout (seconds) and initial memory size, as the stack configures them.
    timeout_s: int = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    #: S3FANOUT_MAX_ATTEMPTS and S3FANOUT_RETRY_MODE; None keeps the framework's defaults.
    max_attempts: int | None = None
    retry_mode: str | None = None
    #: The functions' LoggingConfig.LogFormat: JSON, as the stacks deploy, or Text.
    log_format: str = DEPLOYED_LOG_FORMAT
    #: How the service enforces each environment's CPU share ("auto", "none", ...).
    cpu_limit: str = "auto"
    #: The runtime client's pure-Python transport even where its C extension loads.
    pure_python_client: bool = False
    #: Extra environment variables per model (from `--env-vars`, in SAM's format).
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def data_bucket(self) -> str:
        """The bucket the data set is seeded into and the functions read."""
        return EXPRESS_BUCKET if self.bucket_type == EXPRESS else BUCKET

    def function_settings(self) -> dict[str, str]:
        settings = dict(FUNCTION_ENVIRONMENT)
        if self.max_attempts is not None:
            settings["S3FANOUT_MAX_ATTEMPTS"] = str(self.max_attempts)
        if self.retry_mode is not None:
            settings["S3FANOUT_RETRY_MODE"] = self.retry_mode
        return settings

    def faults(self, seed: int) -> Faults:
        rules = [FaultRule(key=key, status=503, code="SlowDown") for key in self.fault_keys]
        if self.error_rate:
            rules.append(FaultRule(rate=self.error_rate, status=503, code="SlowDown"))
        if self.server_error_rate:
            rules.append(FaultRule(rate=self.server_error_rate, status=500, code="InternalError"))
        if self.slow_rate:
            rules.append(FaultRule(rate=self.slow_rate, delay_ms=self.slow_ms))
        return Faults(
            latency_ms=self.latency_ms or 0.0, jitter_ms=self.jitter_ms, rules=tuple(rules), seed=seed,
            latency=self.latency(),
        )  # fmt: skip

    def latency(self) -> Latency:
        """The latency model: the profile's, or none where a fixed latency replaces it."""
        return Latency(profile="fixed") if self.latency_ms is not None else PROFILES[self.s3_profile]


def function_name(model: str) -> str:
    return f"{FUNCTION_PREFIX}{model}"
