"""`concurrency-eval run --architectures arm64,x86_64` as a user runs it against a stack
that deploys both: a real command finding the stack on moto's CloudFormation, the real
functions (both variants, each reporting its architecture as Lambda does) on the local
Lambda service, the data set seeded into the embedded S3; each variant swept and priced
at its own rate, compared, and every function left as deployed."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from bundling.build import Builder, Target, find_python
from concurrency_eval.backends.local import evaluation_function
from concurrency_eval.backends.local_options import LOCAL_KEY
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from concurrency_eval.emulators.lambda_service.functions import Configuration
from concurrency_eval.emulators.lambda_service.server import LocalLambda, ServiceSpec
from concurrency_eval.results.document import Results
from concurrency_eval.results.pricing import prices_for
from contracts.bundles import ARCHITECTURES, RUNTIME
from contracts.stack import ARCHITECTURES_OUTPUT, DATA_BUCKET_OUTPUT, function_output
from tests.commands.stand_in_stack import IGNORE_WAIT_CONDITION, aws_environment, listed, stand_in_stack
from tests.emulators.conftest import lambda_client
from tests.handlers import ROOT

pytestmark = [pytest.mark.timeout(600), pytest.mark.filterwarnings(IGNORE_WAIT_CONDITION)]
COMMAND = str(Path(sys.executable).with_name("concurrency-eval"))
#: One model: what the comparison does per model is tested without servers (tests/results).
MODELS = ("sync",)
BUCKET = "concurrency-eval-data"
#: A name of its own: moto's servers in one process share their stacks.
STACK = "ConcurrencyEvalBothArchitectures"
UNTOUCHED = (["live"], ["$LATEST", "1"])


def variant_name(model: str, architecture: str) -> str:
    return f"{STACK}-{model}-{architecture}"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The stack's outputs on CloudFormation, its functions for both architectures on the
    local Lambda service, and an empty data bucket: each service's endpoint."""
    builder = Builder(ROOT, Target.host(), progress=lambda _: None)
    bundles = builder.build_all(("pypi", "framework", RUNTIME, *MODELS))
    with EmbeddedS3() as s3:
        boto3.client(
            "s3", endpoint_url=s3.endpoint, region_name="us-east-1",
            aws_access_key_id=LOCAL_KEY, aws_secret_access_key=LOCAL_KEY,
        ).create_bucket(Bucket=BUCKET)  # fmt: skip
        version = builder.target.python_version
        functions = tuple(
            evaluation_function(
                variant_name(model, architecture), model, bundles, version, architecture,
                Configuration(memory_mb=256, timeout_s=60),
            )
            for model in MODELS
            for architecture in ARCHITECTURES
        )  # fmt: skip
        spec = ServiceSpec(
            functions=functions, python=find_python(builder.target.python_version),
            runtime_dir=bundles[RUNTIME].path, cpu_limit="none", update_seconds=0.2,
            logs_dir=tmp_path_factory.mktemp("logs"),
            base_environment={"AWS_ACCESS_KEY_ID": LOCAL_KEY, "AWS_SECRET_ACCESS_KEY": LOCAL_KEY,
                              "AWS_ENDPOINT_URL_S3": s3.endpoint},
        )  # fmt: skip
        outputs = {
            DATA_BUCKET_OUTPUT: BUCKET,
            ARCHITECTURES_OUTPUT: ",".join(ARCHITECTURES),
            **{
                function_output(model, architecture): variant_name(model, architecture)
                for model in MODELS
                for architecture in ARCHITECTURES
            },
        }
        with LocalLambda(spec) as service, stand_in_stack(outputs, STACK) as cloudformation:
            yield {"cloudformation": cloudformation, "lambda": service.endpoint, "s3": s3.endpoint}


def command(tmp_path: Path, deployment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *arguments], capture_output=True, text=True, check=False, cwd=tmp_path,
        env=aws_environment(tmp_path, **deployment),
    )  # fmt: skip


def test_both_architectures_are_swept_each_at_its_own_rate_and_compared(
    tmp_path: Path, deployment: dict[str, str]
) -> None:
    # Given a stack that deploys each function for arm64 and x86_64, and a data set not yet seeded
    client = lambda_client(deployment["lambda"])
    names = [variant_name(m, a) for m in MODELS for a in ARCHITECTURES]
    before = {name: client.get_function_configuration(FunctionName=name)["MemorySize"] for name in names}
    output = tmp_path / "run"
    # When the user sweeps both, x86_64 as the baseline
    completed = command(
        tmp_path, deployment, "run", "--architectures", "x86_64,arm64", "--stack", STACK, "--yes",
        "--memory", "512,1024", "--models", ",".join(MODELS), "--invocations", "2", "--objects", "20",
        "--parallel", "4", "--output", str(output),
    )  # fmt: skip
    # Then every answer is right, and each variant's sweep is in a folder of its own
    assert completed.returncode == 0, completed.stderr[-3000:]
    runs = {a: Results.read(output / a / "results.json") for a in ARCHITECTURES}
    for architecture, results in runs.items():
        assert not results.partial
        assert results.all_correct()
        assert sorted((run.model, run.memory_mb) for run in results.models) == sorted(
            (m, size) for m in MODELS for size in (512, 1024)
        )
        # And it swept that variant's functions, each invocation priced at that architecture's rate
        functions = results.environment["functions"]
        assert {f["FunctionName"] for f in functions.values()} == {
            variant_name(m, architecture) for m in MODELS
        }
        assert results.priced_architecture == architecture
        prices = prices_for("us-east-1")[0]
        for run in results.models:
            for invocation in run.invocations:
                assert invocation.billed_ms is not None
                assert invocation.memory_mb is not None
                assert invocation.cost_usd == pytest.approx(
                    prices.invocation_cost(invocation.billed_ms, invocation.memory_mb, architecture)
                )
        assert (output / architecture / "chart.png").read_bytes().startswith(b"\x89PNG")
    # And the comparison is printed, arm64 against the baseline named first, costs compared
    # too, with the choice among every size on either and the command that deploys it
    text = " ".join(completed.stdout.split())
    assert "arm64 against x86_64" in text
    assert "cost B/A" in text
    assert "across x86_64 and arm64, each at its own prices:" in text
    assert "npx cdk deploy --all -c architecture=" in text
    assert (output / "comparison.png").read_bytes().startswith(b"\x89PNG")
    # And what the two variants record differently by design is no warning
    assert "warning: the environments differ" not in completed.stderr
    # And every function is as deployed: its memory, no version or alias left
    for name in names:
        assert client.get_function_configuration(FunctionName=name)["MemorySize"] == before[name]
        assert listed(client, name) == UNTOUCHED

    # When the run's folder is reported as JSON, with no chart drawn again
    charts = {chart: chart.stat().st_mtime_ns for chart in output.rglob("*.png")}
    reported = command(tmp_path, deployment, "report", str(output), "--json", "--no-chart")
    # Then it is the same comparison: the baseline first, each point's cost ratio, a choice per model
    assert reported.returncode == 0, reported.stderr
    assert len(charts) == 3
    assert {chart: chart.stat().st_mtime_ns for chart in output.rglob("*.png")} == charts
    assert ".png" not in reported.stderr
    document = json.loads(reported.stdout)
    assert document["architectures"] == ["x86_64", "arm64"]
    assert document["all_correct"] is True
    points = document["comparison"]["points"]
    assert len(points) == len(MODELS) * 2
    assert all(point["cost_b_over_a"]["estimate"] > 0 for point in points)
    for model in MODELS:
        balanced = document["verdict"][model]["balanced"]
        assert balanced["architecture"] in ARCHITECTURES
        assert balanced["setting"].startswith(f"-c architecture={balanced['architecture']} -c memory=")

    # When the clean-up looks at every variant afterwards, Then it finds nothing left
    cleaned = command(
        tmp_path, deployment, "run", "--cleanup", "--stack", STACK, "--models", ",".join(MODELS)
    )
    assert cleaned.returncode == 0, cleaned.stderr
    assert cleaned.stdout.count("nothing left by a sweep") == len(names), cleaned.stdout

    # Given the run stopped in its second sweep (arm64) after its first group: 512 MB kept
    finished = (output / "x86_64" / "results.json").read_text()
    stopped = Results.read(output / "arm64" / "results.json")
    kept = [run for run in stopped.models if run.memory_mb == 512]
    stopped.models, stopped.partial = list(kept), True
    stopped.write(output / "arm64")
    # When the user resumes the run (its charts were checked above: none is drawn again)
    resumed = command(tmp_path, deployment, "run", "--resume", str(output), "--yes", "--no-chart")
    # Then the second sweep goes on where it stopped, the first is kept as it was, and both
    # are compared again
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    again = Results.read(output / "arm64" / "results.json")
    assert not again.partial
    assert [(run.model, run.memory_mb) for run in again.models] == [
        (m, size) for size in (512, 1024) for m in MODELS
    ]
    assert [run.invocations for run in again.models[: len(kept)]] == [run.invocations for run in kept]
    assert (output / "x86_64" / "results.json").read_text() == finished
    assert "arm64 against x86_64" in " ".join(resumed.stdout.split())
    assert {chart: chart.stat().st_mtime_ns for chart in output.rglob("*.png")} == charts
    # And resumed once more, the finished run says there is nothing left, and exits 2
    again_resumed = command(tmp_path, deployment, "run", "--resume", str(output), "--yes")
    assert again_resumed.returncode == 2
    assert "holds a finished run of two architectures; there is nothing to resume" in again_resumed.stderr


def test_the_budget_covers_both_sweeps(tmp_path: Path, deployment: dict[str, str]) -> None:
    # Given a budget that one variant's plan fits and both do not
    sweep = ("--stack", STACK, "--yes", "--memory", "512", "--models", "sync", "--invocations", "1",
             "--objects", "20", "--expected-seconds", "1")  # fmt: skip
    one = command(tmp_path, deployment, "run", "--architecture", "x86_64", "--budget", "0.0000001", *sweep)
    worst = float(one.stderr.split("may cost up to $")[1].split(",")[0])
    budget = f"{worst * 1.5:.10f}"
    # When both are swept within it
    completed = command(
        tmp_path, deployment, "run", "--architectures", "arm64,x86_64", "--budget", budget, *sweep,
        "--output", str(tmp_path / "run"),
    )  # fmt: skip
    # Then the plan of both is refused before anything runs, and nothing was written
    assert completed.returncode == 2, completed.stderr
    assert "over the budget" in completed.stderr
    assert not (tmp_path / "run" / "arm64").exists()


def test_both_architectures_of_a_stack_of_one_are_refused(tmp_path: Path) -> None:
    # Given a stack that deploys one architecture
    outputs = {DATA_BUCKET_OUTPUT: BUCKET, **{function_output(m): f"fn-{m}" for m in MODELS}}
    with stand_in_stack(outputs, "OneArchitecture") as cloudformation:
        # When both are asked for
        completed = command(
            tmp_path, {"cloudformation": cloudformation}, "run", "--architectures", "arm64,x86_64", "--stack",
            "OneArchitecture", "--yes", "--models", ",".join(MODELS), "--output", str(tmp_path / "run"),
        )  # fmt: skip
    # Then it exits 3, saying how to deploy both, and swept nothing
    assert completed.returncode == 3, completed.stderr
    assert "npx cdk deploy --all -c architectures=arm64,x86_64" in completed.stderr
    assert not (tmp_path / "run" / "arm64").exists()


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["--architectures", "arm64"], "name both architectures, the baseline first"),
        (["--architectures", "arm64,arm64"], "name both architectures, the baseline first"),
        (["--architectures", "arm64,sparc"], "unknown architecture 'sparc'"),
        (["--architectures", "arm64,x86_64", "--architecture", "arm64"], "not allowed with argument"),
    ],
)
def test_bad_architectures_are_refused_before_anything_runs(
    tmp_path: Path, given: list[str], message: str
) -> None:
    completed = command(tmp_path, {}, "run", *given)
    assert completed.returncode == 2
    assert message in completed.stderr
