"""How fast a Lambda vCPU is against one core of this machine, on a fixed CPU-bound reference.

A vCPU here is not a Lambda vCPU: the local service gives an environment memory/1769 of
one of this machine's cores, which is Lambda's share only if the cores are as fast. The
reference is a published measurement of Lambda itself, repeated here: Chris Ebert's
aws-lambda-performance-benchmarks (github.com/cebert/aws-lambda-performance-benchmarks,
December 2025 results, us-east-2, mean warm Duration of 300 invocations at 1769 MB,
python3.13) chains 500,000 SHA-256 digests. Run with the functions' Python on one
unthrottled core here, it gives the factor `local / Lambda`: an environment's quota in
this machine's cores is its Lambda share times that factor (below 1 where this
machine's cores are faster than Lambda's).
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

ITERATIONS = 500_000
REFERENCE = f"""
import hashlib, time
started = time.perf_counter()
data = b"benchmark data for Lambda ARM vs x86 performance testing"
for _ in range({ITERATIONS}):
    data = hashlib.sha256(data).digest()
print((time.perf_counter() - started) * 1000)
"""
#: The published mean Duration (ms) of the reference at 1769 MB (one vCPU), python3.13.
LAMBDA_MS = {"arm64": 380.86, "x86_64": 386.10}
SOURCE = (
    "cebert/aws-lambda-performance-benchmarks, December 2025, python3.13 at 1769 MB: "
    "500,000 chained SHA-256 digests in 380.86 ms (arm64) and 386.10 ms (x86_64), mean of 300 warm runs"
)


@dataclass(frozen=True)
class CpuSpeed:
    """A Lambda vCPU's speed against one of this machine's cores, and how it was found."""

    factor: float
    #: "auto" (measured here), or "given" (from the command line).
    how: str
    local_ms: float | None = None
    lambda_ms: float | None = None
    architecture: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "factor": round(self.factor, 4),
            "how": self.how,
            "reference_local_ms": None if self.local_ms is None else round(self.local_ms, 1),
            "reference_lambda_ms": self.lambda_ms,
            "architecture": self.architecture,
            "source": SOURCE if self.how == "auto" else None,
        }


def reference_ms(python: Path, runs: int = 5) -> float:
    """The reference's duration on this machine, in the functions' Python: the least of
    `runs`, since other processes can only ever make a run slower, never faster."""
    durations = []
    for _ in range(runs):
        completed = subprocess.run(
            [str(python), "-I", "-S", "-c", REFERENCE],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        durations.append(float(completed.stdout))
    return min(durations)


def measure(python: Path, architecture: str) -> CpuSpeed:
    """This machine's factor, for functions of `architecture`."""
    lambda_ms = LAMBDA_MS.get(architecture, LAMBDA_MS["x86_64"])
    local_ms = reference_ms(python)
    return CpuSpeed(local_ms / lambda_ms, "auto", local_ms, lambda_ms, architecture)


def given(factor: float) -> CpuSpeed:
    return CpuSpeed(factor, "given")
