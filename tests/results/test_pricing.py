"""What an invocation costs, from the built-in prices or a price file."""

import json
from pathlib import Path

import pytest

from concurrency_eval.results.pricing import DEFAULT_PRICES, Prices


@pytest.mark.parametrize(
    ("billed_ms", "memory", "architecture", "expected"),
    [
        # 1 s at 1 GB on arm64: 1 GB-s x $0.0000133334 + $0.0000002 per request
        (1000, 1024, "arm64", 0.0000133334 + 0.0000002),
        # 1.235 s at 128 MB on x86_64: 0.154375 GB-s x $0.0000166667 + $0.0000002
        (1235, 128, "x86_64", 0.154375 * 0.0000166667 + 0.0000002),
    ],
)
def test_cost_arithmetic(billed_ms: float, memory: int, architecture: str, expected: float) -> None:
    assert DEFAULT_PRICES.invocation_cost(billed_ms, memory, architecture) == pytest.approx(
        expected, rel=1e-12
    )


def test_prices_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    document = {"gb_second": {"arm64": 0.00001, "x86_64": 0.00002}, "request": 0.0, "region": "eu-west-1"}
    path.write_text(json.dumps(document))
    prices = Prices.load(path)
    assert prices.invocation_cost(2000, 512, "arm64") == pytest.approx(0.00001)
