"""The range parsers the command line and cdk.json's settings share."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.ranges import NotANumber, OutOfRange, float_between, int_between


@given(st.integers(-10_000, 10_000), st.integers(-100, 100), st.integers(0, 200))
def test_a_whole_number_is_taken_exactly_when_in_range(value: int, low: int, width: int) -> None:
    # Given a range and a whole number, as a number or as text with spaces around it
    parse = int_between(low, low + width)
    for raw in (value, str(value), f" {value} "):
        # When it is parsed; Then it is that number if in range, and refused as out of range if not
        if low <= value <= low + width:
            assert parse(raw) == value
        else:
            with pytest.raises(OutOfRange) as raised:
                parse(raw)
            assert (raised.value.value, raised.value.low, raised.value.high) == (value, low, low + width)


@pytest.mark.parametrize("raw", [True, False, 1.0, "1.5", "one", "", None, "0x10"])
def test_what_is_not_a_whole_number_is_refused_as_such(raw: object) -> None:
    # Given a value that is not a whole number (True is not 1 here)
    # When it is parsed; Then it is refused as not a number, whatever the range
    with pytest.raises(NotANumber):
        int_between(-100, 100)(raw)


@given(st.floats(allow_nan=False, allow_infinity=True))
def test_a_number_is_taken_exactly_when_in_range(value: float) -> None:
    # Given any number, infinities included; When it is parsed against [0, 1]
    parse = float_between(0, 1)
    # Then it is the number if in range, and out of range otherwise
    if 0 <= value <= 1:
        assert parse(str(value)) == value
    else:
        with pytest.raises(OutOfRange):
            parse(str(value))


@pytest.mark.parametrize("raw", ["nan", "NaN", math.nan, True, "ten", None])
def test_nan_and_non_numbers_are_refused_as_not_numbers(raw: object) -> None:
    # Given NaN (which compares false with every bound) or no number at all
    # When it is parsed; Then it is refused, never let through a range check
    with pytest.raises(NotANumber):
        float_between(0, 1)(raw)


def test_the_stacks_requests_in_flight_are_the_frameworks() -> None:
    # Given the variable and range the stack's requestsInFlight setting writes, and the framework's
    from contracts import function
    from s3fanout import event, settings

    # Then the framework reads that variable, over the same range
    assert f"{settings.PREFIX}DEFAULT_CONCURRENCY" == function.REQUESTS_IN_FLIGHT_VARIABLE
    assert (function.MIN_REQUESTS_IN_FLIGHT, function.MAX_REQUESTS_IN_FLIGHT) == (
        event.MIN_CONCURRENCY,
        event.MAX_CONCURRENCY,
    )
    assert (
        settings.Settings.from_environ({function.REQUESTS_IN_FLIGHT_VARIABLE: "128"}).default_concurrency
        == 128
    )
