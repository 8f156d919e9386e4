"""What an invocation costs: billed duration x memory x the GB-second price, plus the request.

The default prices are AWS Lambda's published on-demand prices for US East (N.
Virginia), first pricing tier, as listed on the AWS Lambda pricing page on
2025-06-01. Other regions and later price changes: pass your own with --prices.
"""

import json
from dataclasses import dataclass
from pathlib import Path

PRICES_DATE = "2025-06-01"
PRICES_REGION = "us-east-1"


@dataclass(frozen=True)
class Prices:
    #: USD per GB-second of billed duration, by architecture.
    gb_second: dict[str, float]
    #: USD per request.
    request: float
    region: str = PRICES_REGION
    date: str = PRICES_DATE

    def invocation_cost(self, billed_ms: float, memory_mb: int, architecture: str) -> float:
        """USD for one invocation: Lambda bills memory in GB (1024 MB) times billed seconds."""
        try:
            per_gb_second = self.gb_second[architecture]
        except KeyError:
            raise ValueError(f"no GB-second price for architecture {architecture!r}") from None
        return billed_ms / 1000 * memory_mb / 1024 * per_gb_second + self.request

    @classmethod
    def load(cls, path: Path) -> "Prices":
        """Prices from a JSON file: {"gb_second": {"arm64": .., "x86_64": ..}, "request": ..}."""
        try:
            data = json.loads(path.read_text())
            prices = cls(
                gb_second={str(k): float(v) for k, v in data["gb_second"].items()},
                request=float(data["request"]),
                region=str(data.get("region", "custom")),
                date=str(data.get("date", "custom")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(
                f'{path}: expected {{"gb_second": {{"arm64": price, "x86_64": price}}, "request": price}} '
                f"({type(error).__name__}: {error})"
            ) from None
        if not prices.gb_second or any(v < 0 for v in prices.gb_second.values()) or prices.request < 0:
            raise ValueError(f"{path}: prices must be zero or more")
        return prices


DEFAULT_PRICES = Prices(gb_second={"x86_64": 0.0000166667, "arm64": 0.0000133334}, request=0.20 / 1_000_000)
