"""The names the stacks give and the tool finds: outputs, variants, the directory bucket."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.bundles import ARCHITECTURES, MODELS
from contracts.stack import (
    alias_output,
    express_bucket_name,
    express_bucket_problem,
    function_output,
    variant_function_name,
    variant_id,
)
from contracts.validation import zone_id
from s3fanout.buckets import is_directory_bucket, zone_of


@pytest.mark.parametrize(
    ("model", "architecture", "function", "alias"),
    [
        ("sync", None, "SyncFunctionName", "SyncAliasName"),
        ("sync", "arm64", "SyncArm64FunctionName", "SyncArm64AliasName"),
        ("asyncio", "x86_64", "AsyncioX8664FunctionName", "AsyncioX8664AliasName"),
    ],
)
def test_outputs_name_one_variant_or_each_of_two(
    model: str, architecture: str | None, function: str, alias: str
) -> None:
    assert function_output(model, architecture) == function  # type: ignore[arg-type]
    assert alias_output(model, architecture) == alias  # type: ignore[arg-type]


def test_every_variant_has_names_of_its_own() -> None:
    # CloudFormation logical IDs and output keys are alphanumeric: the variants stay apart
    ids = [variant_id(model, architecture) for model in MODELS for architecture in ARCHITECTURES]
    assert len(set(ids)) == len(ids)
    assert all(identifier.isalnum() for identifier in ids)
    names = [variant_function_name("Stack", m, a) for m in MODELS for a in ARCHITECTURES]
    assert "Stack-threaded-x86_64" in names
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("architecture", ["arm", "X86_64", ""])
def test_an_unknown_architecture_is_named(architecture: str) -> None:
    with pytest.raises(ValueError, match=f"{architecture!r} is not a Lambda architecture"):
        variant_id("sync", architecture)  # type: ignore[arg-type]


@given(
    stack=st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}Evaluation", fullmatch=True).filter(
        lambda s: "--" not in s
    ),
    account=st.from_regex(r"[0-9]{12}", fullmatch=True),
    zone=st.sampled_from(["use1-az4", "usw2-az1", "apne1-az4", "euw1-az3"]),
)
def test_the_directory_bucket_name_is_valid_and_carries_its_zone(stack: str, account: str, zone: str) -> None:
    # Given a stack whose name leaves room for it, When the directory bucket is named
    name = express_bucket_name(stack, account, zone)
    # Then S3 accepts the name, and botocore reads it as a directory bucket in that zone
    assert express_bucket_problem(stack, zone) is None
    assert is_directory_bucket(name)
    assert zone_of(name) == zone
    assert name.startswith(stack.lower())


def test_a_stack_name_too_long_for_the_directory_bucket_is_named() -> None:
    problem = express_bucket_problem("A" * 40, "use1-az4")
    assert problem is not None
    assert "it must be 3 to 63 characters long" in problem


@pytest.mark.parametrize("text", ["use1-az4", " usw2-az1 ", "usw2-lax1-az1"])
def test_zone_ids_are_accepted(text: str) -> None:
    assert zone_id(text) == text.strip()


@pytest.mark.parametrize("text", ["us-east-1a", "use1", "use1-az4--x-s3"])
def test_a_zone_name_is_not_a_zone_id(text: str) -> None:
    with pytest.raises(ValueError, match="is not a zone ID: use one like use1-az4"):
        zone_id(text)
