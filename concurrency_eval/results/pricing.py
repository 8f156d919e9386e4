"""What an invocation costs: billed duration x memory x the GB-second price, plus the request.

The built-in table holds AWS Lambda's published on-demand prices (first pricing tier)
as listed on the AWS Lambda pricing page (https://aws.amazon.com/lambda/pricing/) on
2025-06-01 (`REGION_PRICES`), for the regions that list the same prices as US East (N. Virginia):
x86_64 $0.0000166667 and arm64 $0.0000133334 per GB-second, $0.20 per million
requests. Regions with prices of their own (Cape Town, Hong Kong, Bahrain, Milan,
Osaka, the China and GovCloud regions, among others) are not in the table: a sweep
there warns and uses the us-east-1 prices; pass that region's prices with --prices.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.bundles import ARCHITECTURES

PRICES_DATE = "2025-06-01"
PRICES_SOURCE = "https://aws.amazon.com/lambda/pricing/"
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
        """USD for one invocation: its billed duration and the request."""
        return self.duration_cost(billed_ms, memory_mb, architecture) + self.request

    def duration_cost(self, billed_ms: float, memory_mb: int, architecture: str) -> float:
        """USD for a billed duration: Lambda bills memory in GB (1024 MB) times billed seconds."""
        try:
            per_gb_second = self.gb_second[architecture]
        except KeyError:
            raise ValueError(f"no GB-second price for architecture {architecture!r}") from None
        return billed_ms / 1000 * memory_mb / 1024 * per_gb_second

    @classmethod
    def from_dict(cls, data: Any) -> "Prices":
        """Prices as results.json records them (`dataclasses.asdict`), checked."""
        prices = cls(
            gb_second={str(k): _price(v) for k, v in data["gb_second"].items()},
            request=_price(data["request"]),
            region=str(data.get("region", "custom")),
            date=str(data.get("date", "custom")),
        )
        missing = [architecture for architecture in ARCHITECTURES if architecture not in prices.gb_second]
        if missing:
            raise ValueError(f"no GB-second price for {', '.join(missing)}")
        return prices

    @classmethod
    def load(cls, path: Path) -> "Prices":
        """Prices from a JSON file: {"gb_second": {"arm64": .., "x86_64": ..}, "request": ..}."""
        shape = (
            '{"gb_second": {"arm64": price, "x86_64": price}, "request": price, "region": ..., "date": ...}'
        )
        try:
            return cls.from_dict(json.loads(path.read_bytes().decode("utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise ValueError(f"{path}: expected {shape} ({type(error).__name__}: {error})") from None


def _price(value: object) -> float:
    """A price: a finite number, zero or more (NaN would make every comparison false)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} is not a price; prices are finite and zero or more")
    return float(value)


DEFAULT_PRICES = Prices(gb_second={"x86_64": 0.0000166667, "arm64": 0.0000133334}, request=0.20 / 1_000_000)
#: Each region's published prices (GB-second by architecture, and per request), as of
#: PRICES_DATE. A region with prices of its own gets an entry with its own figures.
_STANDARD_PRICE_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
    "sa-east-1",
)  # fmt: skip
REGION_PRICES: dict[str, tuple[dict[str, float], float]] = dict.fromkeys(
    _STANDARD_PRICE_REGIONS, (DEFAULT_PRICES.gb_second, DEFAULT_PRICES.request)
)


def prices_for(region: str | None) -> tuple[Prices, str | None]:
    """The published prices of `region`, and a warning when the table does not hold them."""
    if region is not None and region in REGION_PRICES:
        gb_second, request = REGION_PRICES[region]
        return Prices(dict(gb_second), request, region, PRICES_DATE), None
    return DEFAULT_PRICES, (
        f"no published prices for {region or 'an unknown region'} in the built-in table; "
        f"costs use {PRICES_REGION}'s of {PRICES_DATE}. Pass that region's prices with --prices FILE"
    )
