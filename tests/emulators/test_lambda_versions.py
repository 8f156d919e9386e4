"""Versions and aliases on the local Lambda service, through boto3 as a user calls them.

Every answer is checked against Lambda's, as AWS's own API reference and recorded
answers of the live service give them: what PublishVersion freezes, how versions and
aliases are listed, named, moved and deleted, and which errors say no.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from concurrency_eval.emulators.lambda_service.server import LocalLambda
from contracts.lambda_logs import decode_tail, parse_report
from tests.emulators.conftest import lambda_client, set_configuration, spec_for
from tests.emulators.test_lambda_api_http import error_of

pytestmark = pytest.mark.timeout(300)
ARN = "arn:aws:lambda:us-east-1:000000000000:function"
#: A function per test that counts what it finds, so that no test sees another's versions.
FUNCTIONS = ("frozen", "republished", "guarded", "listed", "aliased", "deleted", "named")


@pytest.fixture(scope="module")
def service(function_dirs: dict[str, Path], runtime_dir: Path) -> Iterator[LocalLambda]:
    echo = function_dirs["echo"]
    with LocalLambda(spec_for(dict.fromkeys(FUNCTIONS, echo), runtime_dir)) as running:
        yield running


@pytest.fixture
def client(service: LocalLambda) -> Any:
    return lambda_client(service.endpoint)


@pytest.fixture
def unchecked(service: LocalLambda) -> Any:
    """A client that sends what it is given, so that the service's own checks answer."""
    return lambda_client(service.endpoint, parameter_validation=False)


def configure(client: Any, name: str, **changes: Any) -> dict[str, Any]:
    set_configuration(client, name, **changes)
    configuration: dict[str, Any] = client.get_function_configuration(FunctionName=name)
    return configuration


def invoke(client: Any, name: str, qualifier: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    extra = {} if qualifier is None else {"Qualifier": qualifier}
    response = client.invoke(FunctionName=name, Payload=b"{}", LogType="Tail", **extra)
    return response, json.loads(response["Payload"].read())


def test_the_stacks_live_alias_names_a_published_version(client: Any) -> None:
    # Given the service as it starts, with each function deployed as the stacks deploy it
    alias = client.get_alias(FunctionName="frozen", Name="live")
    # Then `live` names version 1, which holds the function's configuration
    assert alias["FunctionVersion"] == "1"
    assert alias["AliasArn"] == f"{ARN}:frozen:live"
    assert client.get_function_configuration(FunctionName="frozen", Qualifier="1")["MemorySize"] == 256


def test_a_published_version_runs_with_the_configuration_it_froze(client: Any) -> None:
    # Given a version published at 512 MB with a variable, and $LATEST moved on since
    configure(client, "frozen", MemorySize=512, Environment={"Variables": {"EXTRA": "then"}})
    published = client.publish_version(FunctionName="frozen", Description="at 512 MB")
    configure(client, "frozen", MemorySize=1024, Environment={"Variables": {"EXTRA": "now"}})
    version = published["Version"]
    client.create_alias(FunctionName="frozen", Name="at-512", FunctionVersion=version)
    # Then the version describes itself as published
    assert published["FunctionArn"] == f"{ARN}:frozen:{version}"
    assert (published["MemorySize"], published["Description"]) == (512, "at 512 MB")
    assert published["Environment"] == {"Variables": {"EXTRA": "then"}}
    # When the version, its alias and $LATEST are invoked
    by_version, answer = invoke(client, "frozen", version)
    by_alias, through_alias = invoke(client, "frozen", "at-512")
    latest, now = invoke(client, "frozen")
    # Then each runs with its own configuration, in environments of its own, and says
    # which version ran
    assert (answer["memory"], answer["extra"], answer["version"]) == ("512", "then", version)
    assert (now["memory"], now["extra"], now["version"]) == ("1024", "now", "$LATEST")
    assert by_version["ExecutedVersion"] == by_alias["ExecutedVersion"] == version
    assert latest["ExecutedVersion"] == "$LATEST"
    assert through_alias["invoked_arn"] == f"{ARN}:frozen:at-512"
    assert through_alias["pid"] == answer["pid"] != now["pid"]
    # And Lambda's report of the version's first invocation is a cold start at its memory size
    report = parse_report(decode_tail(by_version["LogResult"]))
    assert (report.memory_size_mb, report.init_ms is not None) == (512, True)
    assert parse_report(decode_tail(by_alias["LogResult"])).init_ms is None


def test_publishing_an_unchanged_function_gives_the_newest_version_again(client: Any) -> None:
    # Given a function just published
    first = client.publish_version(FunctionName="republished")
    revision = client.get_function_configuration(FunctionName="republished")["RevisionId"]
    # When it is published again with nothing changed, Then the answer is the same version
    again = client.publish_version(FunctionName="republished", Description="ignored")
    assert (again["Version"], again["Description"]) == (first["Version"], first["Description"])
    # And after a change, a new number
    configure(client, "republished", Timeout=7)
    assert int(client.publish_version(FunctionName="republished")["Version"]) == int(first["Version"]) + 1
    # (publishing moved $LATEST's revision on, as Lambda's does)
    assert client.get_function_configuration(FunctionName="republished")["RevisionId"] != revision


@pytest.mark.parametrize(
    ("arguments", "status", "code", "message"),
    [
        ({"RevisionId": "not-the-revision"}, 412, "PreconditionFailedException",
         "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
         "to retrieve the latest Revision Id"),
        ({"CodeSha256": "somenonexistentsha256"}, 400, "InvalidParameterValueException",
         "CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST ({sha}). Please "
         "try again with the CodeSHA256 in $LATEST."),
        ({"Description": "x" * 257}, 400, "ValidationException",
         "1 validation error detected: Value '" + "x" * 100 + "' at 'description' failed to satisfy "
         "constraint: Member must have length less than or equal to 256"),
    ],
    ids=["stale-revision", "other-code", "long-description"],
)  # fmt: skip
def test_publish_refuses_what_lambda_refuses(
    client: Any, unchecked: Any, arguments: dict[str, Any], status: int, code: str, message: str
) -> None:
    sha = client.get_function_configuration(FunctionName="guarded")["CodeSha256"]
    assert error_of(lambda: unchecked.publish_version(FunctionName="guarded", **arguments)) == (
        status, code, message.format(sha=sha),
    )  # fmt: skip


def test_publish_waits_for_an_update_and_keeps_to_the_revision_it_was_given(client: Any) -> None:
    # Given an update still in progress, Then publishing is refused as Lambda refuses it
    client.update_function_configuration(FunctionName="guarded", Timeout=9)
    assert error_of(lambda: client.publish_version(FunctionName="guarded")) == (
        409, "ResourceConflictException",
        "The operation cannot be performed at this time. An update is in progress for resource: "
        f"{ARN}:guarded",
    )  # fmt: skip
    # When the update is done, Then publishing with its revision and code gives that configuration
    client.get_waiter("function_updated_v2").wait(FunctionName="guarded", WaiterConfig={"Delay": 0.1})
    latest = client.get_function_configuration(FunctionName="guarded")
    published = client.publish_version(
        FunctionName="guarded", RevisionId=latest["RevisionId"], CodeSha256=latest["CodeSha256"]
    )
    assert published["Timeout"] == 9


def test_versions_are_listed_latest_first_a_page_at_a_time(client: Any, unchecked: Any) -> None:
    # Given a function with versions 1 (the stack's), 2 and 3
    for timeout in (4, 5):
        configure(client, "listed", Timeout=timeout)
        client.publish_version(FunctionName="listed")
    # When they are listed two at a time
    first = client.list_versions_by_function(FunctionName="listed", MaxItems=2)
    second = client.list_versions_by_function(FunctionName="listed", MaxItems=2, Marker=first["NextMarker"])
    # Then $LATEST comes first, then each version by number, with a qualified ARN each
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"]
    assert [v["Version"] for v in second["Versions"]] == ["2", "3"]
    assert "NextMarker" not in second
    assert first["Versions"][0]["FunctionArn"] == f"{ARN}:listed:$LATEST"
    assert [v["Timeout"] for v in second["Versions"]] == [4, 5]
    # And boto3's paginator walks them all
    pages = client.get_paginator("list_versions_by_function").paginate(FunctionName="listed")
    assert [v["Version"] for page in pages for v in page["Versions"]] == ["$LATEST", "1", "2", "3"]
    # And a page size outside 1 to 10,000 is refused
    assert error_of(lambda: unchecked.list_versions_by_function(FunctionName="listed", MaxItems=0))[:2] == (
        400, "ValidationException",
    )  # fmt: skip


def test_an_alias_is_made_read_moved_listed_and_deleted(client: Any) -> None:
    # Given two versions of a function
    configure(client, "aliased", Timeout=11)
    second = client.publish_version(FunctionName="aliased")["Version"]
    # When an alias is made on version 1
    made = client.create_alias(FunctionName="aliased", Name="blue", FunctionVersion="1", Description="d")
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert {k: made[k] for k in ("AliasArn", "Name", "FunctionVersion", "Description")} == {
        "AliasArn": f"{ARN}:aliased:blue", "Name": "blue", "FunctionVersion": "1", "Description": "d",
    }  # fmt: skip
    # Then a second alias of that name is a conflict
    again = {"FunctionName": "aliased", "Name": "blue", "FunctionVersion": "1"}
    assert error_of(lambda: client.create_alias(**again)) == (
        409, "ResourceConflictException", f"Alias already exists: {ARN}:aliased:blue",
    )  # fmt: skip
    # When it is moved to the second version, only with the revision it has
    assert error_of(
        lambda: client.update_alias(
            FunctionName="aliased", Name="blue", FunctionVersion=second, RevisionId="x"
        )
    )[:2] == (412, "PreconditionFailedException")
    moved = client.update_alias(
        FunctionName="aliased", Name="blue", FunctionVersion=second, RevisionId=made["RevisionId"]
    )
    # Then it names the second, with a new revision, and lists with it
    assert (moved["FunctionVersion"], moved["Description"]) == (second, "d")
    assert moved["RevisionId"] != made["RevisionId"]
    assert client.get_alias(FunctionName="aliased", Name="blue")["FunctionVersion"] == second
    listed = client.list_aliases(FunctionName="aliased")["Aliases"]
    assert [(a["Name"], a["FunctionVersion"]) for a in listed] == [("blue", second), ("live", "1")]
    only = client.list_aliases(FunctionName="aliased", FunctionVersion=second)["Aliases"]
    assert [a["Name"] for a in only] == ["blue"]
    # When it is deleted (twice: Lambda answers 204 for an alias that is not there)
    for _ in range(2):
        deleted = client.delete_alias(FunctionName="aliased", Name="blue")
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    # Then reading or moving it is not found, each in Lambda's words
    assert error_of(lambda: client.get_alias(FunctionName="aliased", Name="blue")) == (
        404, "ResourceNotFoundException", f"Cannot find alias arn: {ARN}:aliased:blue",
    )  # fmt: skip
    assert error_of(lambda: client.update_alias(**again)) == (
        404, "ResourceNotFoundException", f"Alias not found: {ARN}:aliased:blue",
    )  # fmt: skip
    assert error_of(lambda: invoke(client, "aliased", "blue"))[:2] == (404, "ResourceNotFoundException")


@pytest.mark.parametrize(
    ("name", "version", "status", "code", "message"),
    [
        ("2024", "1", 400, "ValidationException",
         "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: Member must "
         "satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"),
        ("no spaces", "1", 400, "ValidationException", "regular expression pattern"),
        ("a" * 129, "1", 400, "ValidationException", "Member must have length less than or equal to 128"),
        ("fine", "99", 404, "ResourceNotFoundException", f"Function not found: {ARN}:named:99"),
        ("fine", "one", 400, "ValidationException", r"pattern: (\$LATEST|[0-9]+)"),
    ],
    ids=["a-number", "a-space", "too-long", "no-such-version", "not-a-version"],
)  # fmt: skip
def test_an_alias_needs_a_lambda_name_and_a_version_that_exists(
    unchecked: Any, name: str, version: str, status: int, code: str, message: str
) -> None:
    got = error_of(lambda: unchecked.create_alias(FunctionName="named", Name=name, FunctionVersion=version))
    assert got[:2] == (status, code)
    assert message in got[2]


def test_a_version_is_deleted_only_when_no_alias_names_it(client: Any) -> None:
    # Given a version with an alias on it, invoked once (an environment of its own)
    configure(client, "deleted", Timeout=12)
    version = client.publish_version(FunctionName="deleted")["Version"]
    client.create_alias(FunctionName="deleted", Name="pinned", FunctionVersion=version)
    invoke(client, "deleted", version)
    # Then deleting it is a conflict that names the alias
    assert error_of(lambda: client.delete_function(FunctionName="deleted", Qualifier=version)) == (
        409, "ResourceConflictException",
        "Unable to delete version because the following aliases reference it: [pinned]",
    )  # fmt: skip
    # When the alias goes first, Then the version can go, and is gone
    client.delete_alias(FunctionName="deleted", Name="pinned")
    client.delete_function(FunctionName="deleted", Qualifier=version)
    listed = client.list_versions_by_function(FunctionName="deleted")["Versions"]
    assert [v["Version"] for v in listed] == ["$LATEST", "1"]
    assert error_of(lambda: invoke(client, "deleted", version)) == (
        404, "ResourceNotFoundException", f"Function not found: {ARN}:deleted:{version}",
    )  # fmt: skip
    # And its number is never given again
    configure(client, "deleted", Timeout=13)
    assert client.publish_version(FunctionName="deleted")["Version"] == str(int(version) + 1)


@pytest.mark.parametrize(
    ("qualifier", "status", "code", "message"),
    [
        ("$LATEST", 400, "InvalidParameterValueException",
         "$LATEST version cannot be deleted without deleting the function."),
        ("live", 400, "InvalidParameterValueException", "Deletion of aliases is not currently supported."),
        ("1", 409, "ResourceConflictException",
         "Unable to delete version because the following aliases reference it: [live]"),
    ],
    ids=["latest", "an-alias", "the-stacks-version"],
)  # fmt: skip
def test_delete_function_refuses_what_lambda_refuses(
    client: Any, qualifier: str, status: int, code: str, message: str
) -> None:
    assert error_of(lambda: client.delete_function(FunctionName="deleted", Qualifier=qualifier)) == (
        status, code, message,
    )  # fmt: skip


def test_deleting_a_version_that_is_not_there_succeeds_as_on_lambda(client: Any) -> None:
    assert (
        client.delete_function(FunctionName="deleted", Qualifier="1233")["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    assert error_of(lambda: client.delete_function(FunctionName="nowhere", Qualifier="1")) == (
        404, "ResourceNotFoundException", f"Function not found: {ARN}:nowhere",
    )  # fmt: skip


def test_a_whole_function_is_not_deleted_and_the_message_says_why(client: Any) -> None:
    status, code, message = error_of(lambda: client.delete_function(FunctionName="deleted"))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "Qualifier" in message
    assert client.get_function(FunctionName="deleted")["Configuration"]["FunctionName"] == "deleted"
