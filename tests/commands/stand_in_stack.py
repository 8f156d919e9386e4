"""A deployed evaluation stack as the commands that need AWS find it, on loopback: its
outputs on moto's CloudFormation server, and the environment that points a command at
it and at the local Lambda service (`AWS_ENDPOINT_URL_<SERVICE>`, as botocore reads it)."""

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

STACK = "ConcurrencyEvalEvaluation"
#: moto makes nothing of the stand-in stack's one resource, and says so; only its outputs matter.
IGNORE_WAIT_CONDITION = "ignore:Tried to parse AWS.+WaitConditionHandle"


@contextlib.contextmanager
def stand_in_stack(outputs: dict[str, str], stack: str = STACK) -> Iterator[str]:
    """moto's CloudFormation on loopback, holding `stack` with `outputs`: its endpoint.
    moto's servers in one process share their state: stacks of one name, one test apart,
    would be one. The stack is deleted on the way out, so that a module's fixture made
    again in the same process (pytest-xdist's work stealing splits a module's tests
    between workers, and a worker may come back to it) can create it again."""
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        template = {
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        client = boto3.client(
            "cloudformation", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
        )  # fmt: skip
        client.create_stack(StackName=stack, TemplateBody=json.dumps(template))
        try:
            yield endpoint
        finally:
            client.delete_stack(StackName=stack)
    finally:
        server.stop()


def aws_environment(tmp_path: Path, **endpoints: str) -> dict[str, str]:
    """This process's environment without its AWS settings, with local credentials and
    each of `endpoints` (cloudformation=..., lambda=..., s3=...) as the service's URL."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return clean | {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        **{f"AWS_ENDPOINT_URL_{service.upper()}": url for service, url in endpoints.items()},
    }  # fmt: skip


def listed(client: Any, name: str) -> tuple[list[str], list[str]]:
    """A function's aliases and versions, by name, as the Lambda API lists them."""
    aliases = [a["Name"] for a in client.list_aliases(FunctionName=name)["Aliases"]]
    versions = [v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]]
    return aliases, versions
