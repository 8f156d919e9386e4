"""`concurrency-eval seed` as a user runs it: a real process against a real S3 on loopback."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3

pytestmark = pytest.mark.timeout(300)
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))


def test_ctrl_c_twice_while_seeding_a_large_data_set_ends_it_at_once() -> None:
    # Given a seed of 200,000 objects under way (as `uv run`, which forwards Ctrl-C, delivers it twice)
    with EmbeddedS3() as s3:
        process = subprocess.Popen(
            [COMMAND, "seed", "--bucket", "big", "--create-bucket", "--objects", "200000", "--min-size", "20",
             "--max-size", "40", "--endpoint-url", s3.endpoint],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
            env=os.environ | {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                              "AWS_DEFAULT_REGION": "us-east-1"},
        )  # fmt: skip
        # (under way once the S3 has taken 200 of them: more than the uploads at once)
        while s3.stats()["requests"].get("put", 0) < 200:
            assert process.poll() is None
            time.sleep(0.1)
        # When Ctrl-C comes twice, a tenth of a second apart
        process.send_signal(signal.SIGINT)
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        # Then it ends, exit 130, having waited only for the uploads under way (it went on
        # uploading, and growing, for as long as the whole seed would take)
        assert process.wait(timeout=60) == 130
        assert process.stderr is not None
        assert "interrupted (SIGINT)" in process.stderr.read()
        assert s3.stats()["requests"].get("put", 0) < 200_000
