"""What the embedded S3 does wrong on purpose: latency, and rules by operation and key."""

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

Operation = Literal["list", "get", "head", "put", "delete", "other"]
OPERATIONS: tuple[str, ...] = (*get_args(Operation), "any")


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
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rules: tuple[FaultRule, ...] = ()
    #: Keys deleted as soon as a listing that includes them has been answered.
    delete_after_list: tuple[str, ...] = ()
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Faults":
        rules = tuple(FaultRule(**rule) for rule in data.get("rules", ()))
        return cls(
            latency_ms=float(data.get("latency_ms", 0.0)),
            jitter_ms=float(data.get("jitter_ms", 0.0)),
            rules=rules,
            delete_after_list=tuple(data.get("delete_after_list", ())),
            seed=int(data.get("seed", 0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
