"""What the embedded S3 does on purpose: latency as S3 has it, and faults by operation and key."""

import math
import random
from dataclasses import asdict, dataclass, field
from functools import cached_property
from statistics import NormalDist
from typing import Any, Literal, get_args

Operation = Literal["list", "get", "head", "put", "delete", "other"]
OPERATIONS: tuple[str, ...] = (*get_args(Operation), "any")
_NORMAL = NormalDist()
#: The most keys a listing page holds on S3.
MAX_PAGE_KEYS = 1000


@dataclass(frozen=True)
class Latency:
    """S3's latency as a client meets it: a time to first byte with a tail, then the body at
    a per-connection throughput.

    The time to first byte follows the published percentiles exactly: between two of
    them it is log-normal (its logarithm linear in the standard normal's quantile), and
    beyond the outermost ones it goes on with the nearest segment's slope, bounded by
    the fastest and the slowest answer measured (`floor_ms`, `cap_ms`).
    """

    profile: str = "none"
    #: (quantile, milliseconds) pairs, in increasing order: the measured percentiles.
    percentiles: tuple[tuple[float, float], ...] = ()
    floor_ms: float = 0.0
    cap_ms: float = 0.0
    #: Bytes per second on one connection; 0 for no transfer time.
    throughput_bytes_s: float = 0.0
    #: Where the figures come from, recorded with the results.
    source: str = ""

    def __post_init__(self) -> None:
        quantiles = [q for q, _ in self.percentiles]
        values = [ms for _, ms in self.percentiles]
        if any(not 0 < q < 1 for q in quantiles) or quantiles != sorted(set(quantiles)):
            raise ValueError("latency percentiles need increasing quantiles between 0 and 1")
        if any(ms <= 0 for ms in values) or values != sorted(values):
            raise ValueError("latency percentiles need positive milliseconds that never decrease")
        if values and not self.floor_ms <= values[0] <= values[-1] <= (self.cap_ms or values[-1]):
            raise ValueError("latency floor_ms and cap_ms must bound the percentiles")
        if self.throughput_bytes_s < 0:
            raise ValueError("latency throughput_bytes_s must not be negative")

    @property
    def median_ms(self) -> float:
        return self.quantile_ms(0.5) if self.percentiles else 0.0

    def quantile_ms(self, quantile: float) -> float:
        """The time to first byte at `quantile` of the model's distribution."""
        return self._at(_NORMAL.inv_cdf(quantile))

    def first_byte_ms(self, rng: random.Random) -> float:
        """One request's time to first byte."""
        return self._at(rng.gauss()) if self.percentiles else 0.0

    @cached_property
    def _knots(self) -> list[tuple[float, float]]:
        """Each percentile as (standard normal quantile, log milliseconds), computed once:
        every request draws from them."""
        return [(_NORMAL.inv_cdf(q), math.log(ms)) for q, ms in self.percentiles]

    def _at(self, z: float) -> float:
        knots = self._knots
        if len(knots) == 1:
            return math.exp(knots[0][1])
        index = next((i for i in range(1, len(knots) - 1) if z < knots[i][0]), len(knots) - 1)
        (z0, low), (z1, high) = knots[index - 1], knots[index]
        drawn = math.exp(low + (high - low) * (z - z0) / (z1 - z0))
        return min(max(drawn, self.floor_ms), self.cap_ms or math.inf)

    def transfer_ms(self, body_bytes: int) -> float:
        """How long a body of this size takes on one connection."""
        return body_bytes / self.throughput_bytes_s * 1000 if self.throughput_bytes_s else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Latency":
        return cls(
            profile=str(data.get("profile", "none")),
            percentiles=tuple((float(q), float(ms)) for q, ms in data.get("percentiles", ())),
            floor_ms=float(data.get("floor_ms", 0.0)),
            cap_ms=float(data.get("cap_ms", 0.0)),
            throughput_bytes_s=float(data.get("throughput_bytes_s", 0.0)),
            source=str(data.get("source", "")),
        )


#: S3 Standard, from dvassallo/s3-benchmark (an a1.2xlarge in us-west-2, April 2019, 1 KB
#: objects, 16 threads, each GETting its own key): time to first byte p25 8.5, p50 9.7,
#: p75 15.8, p90 22.2, p99 68.4 and max 95.9 ms; the fastest 1 KB answer measured took
#: 5.8 ms. Its README: "S3's 90th percentile time to first byte is typically around 20 ms
#: regardless of the object size", and "about 93 MB/s per thread".
STANDARD = Latency(
    profile="standard",
    percentiles=((0.25, 8.5), (0.5, 9.7), (0.75, 15.8), (0.9, 22.2), (0.99, 68.4)),
    floor_ms=5.8,
    cap_ms=95.9,
    throughput_bytes_s=93e6,
    source="dvassallo/s3-benchmark, a1.2xlarge us-west-2, 1 KB, 16 threads: TTFB p25 8.5, p50 9.7, "
    "p75 15.8, p90 22.2, p99 68.4, max 95.9 ms; 93 MB/s per connection",
)
#: S3 Express One Zone: "consistent single-digit millisecond first-byte read and write
#: request latencies—up to 10x faster than S3 Standard" (Amazon S3 User Guide, "Optimizing
#: S3 Express One Zone performance"). AWS publishes no percentiles; the model keeps the
#: tail within single digits, as promised, and S3 Standard's per-connection rate.
EXPRESS = Latency(
    profile="express",
    percentiles=((0.5, 4.0), (0.9, 6.0), (0.99, 9.0)),
    floor_ms=2.0,
    cap_ms=20.0,
    throughput_bytes_s=93e6,
    source="Amazon S3 User Guide, Optimizing S3 Express One Zone performance: consistent single-digit "
    "millisecond first-byte latency, up to 10x faster than S3 Standard (modelled: p50 4, p90 6, p99 9 ms); "
    "93 MB/s per connection as S3 Standard",
)
PROFILES = {latency.profile: latency for latency in (STANDARD, EXPRESS)}


@dataclass(frozen=True)
class FaultRule:
    """Answer matching requests with an S3 error, or slowly, at a given rate.

    With `status` set, a matching request gets that status and S3 error `code`; with
    only `delay_ms`, it is answered normally after that extra delay.
    """

    operation: str = "get"
    key: str | None = None
    rate: float = 1.0
    status: int | None = None
    code: str = "InternalError"
    delay_ms: float = 0.0
    #: How many times the rule fires at most; None for no limit.
    times: int | None = None

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.status is None and self.delay_ms <= 0:
            raise ValueError("a rule needs a status, a delay_ms, or both")


@dataclass(frozen=True)
class Faults:
    """The latency model, a fixed latency on top of it, and the fault rules."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rules: tuple[FaultRule, ...] = ()
    #: Keys deleted as soon as a listing that includes them has been answered.
    delete_after_list: tuple[str, ...] = ()
    #: At most this many keys in a listing page, where the client asks for more; 0 for as
    #: many as it asks (up to S3's 1,000). S3 may answer with fewer keys than MaxKeys ("The
    #: response might contain fewer keys but will never contain more", ListObjectsV2), and
    #: a short page lets a test reach a listing's second page without 1,000 objects.
    page_keys: int = 0
    seed: int = 0
    latency: Latency = field(default_factory=Latency)

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must not be negative")
        if not 0 <= self.page_keys <= MAX_PAGE_KEYS:
            raise ValueError(f"page_keys must be between 0 (as asked) and {MAX_PAGE_KEYS}")

    @property
    def waits(self) -> bool:
        """Whether any request waits before its answer."""
        return bool(self.latency_ms or self.jitter_ms or self.latency.median_ms)

    def first_byte_ms(self, rng: random.Random) -> float:
        """One request's wait before its answer: the model's draw, the fixed part, its jitter."""
        jitter = rng.random() * self.jitter_ms if self.jitter_ms else 0.0
        return self.latency_ms + jitter + self.latency.first_byte_ms(rng)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Faults":
        rules = tuple(FaultRule(**rule) for rule in data.get("rules", ()))
        return cls(
            latency_ms=float(data.get("latency_ms", 0.0)),
            jitter_ms=float(data.get("jitter_ms", 0.0)),
            rules=rules,
            delete_after_list=tuple(data.get("delete_after_list", ())),
            page_keys=int(data.get("page_keys", 0)),
            seed=int(data.get("seed", 0)),
            latency=Latency.from_dict(data.get("latency", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
