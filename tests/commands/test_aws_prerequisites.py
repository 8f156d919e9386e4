"""The commands that need AWS say what is missing, and exit 3, without a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))


def _run(
    tmp_path: Path, environment: dict[str, str], *arguments: str, command: tuple[str, ...] = ("run", "--yes")
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    nowhere = str(tmp_path / "none")
    isolated = {
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [COMMAND, *command, *arguments],
        capture_output=True, text=True, check=False, cwd=tmp_path, env=clean | isolated | environment,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "no AWS region"),
        ({"AWS_DEFAULT_REGION": "eu-west-1"}, "no AWS credentials"),
        (
            {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
             "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"},
            "Could not connect",
        ),
    ],
)  # fmt: skip
def test_aws_prerequisites_exit_3_with_a_message(
    tmp_path: Path, environment: dict[str, str], message: str
) -> None:
    completed = _run(tmp_path, environment, "--output", str(tmp_path / "out"))
    assert completed.returncode == 3, completed.stderr
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_smoke_test_without_aws_exits_3(tmp_path: Path) -> None:
    completed = _run(tmp_path, {}, command=("smoke",))
    assert completed.returncode == 3
    assert "no AWS region or credentials" in completed.stderr


def test_publish_without_credentials_exits_3_before_building_anything(tmp_path: Path) -> None:
    completed = _run(tmp_path, {"AWS_DEFAULT_REGION": "eu-west-1"}, command=("publish", "--bucket", "bucket"))
    assert completed.returncode == 3, completed.stderr
    assert "no AWS credentials" in completed.stderr
    assert "building" not in completed.stderr
