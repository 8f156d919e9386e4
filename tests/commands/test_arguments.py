"""Bad arguments: exit 2 with a message that says what was wrong; nothing starts."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from concurrency_eval.commands import arguments
from concurrency_eval.commands.cli import main
from concurrency_eval.commands.console import EXIT_USAGE
from tests.results.test_document import sample


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["local", "--objects", "0"], "argument --objects: 0 is out of range; use 1 to 1000000"),
        (["local", "--objects", "many"], "argument --objects: 'many' is not a whole number"),
        (
            ["local", "--min-size", "5000", "--max-size", "1000"],
            "--min-size 5000 is larger than --max-size 1000",
        ),
        (["local", "--concurrency", "1000"], "argument --concurrency: 1000 is out of range; use 1 to 256"),
        (["local", "--concurrency", "16,16"], "argument --concurrency: '16,16' repeats a value"),
        (
            ["local", "--fault-key", "1000/999999.txt"],
            "is not in the data set, whose keys are 150/000000.txt",
        ),
        (["seed", "--bucket", "bucket", "--endpoint-url", "notaurl"], "'notaurl' is not an endpoint URL"),
        (["seed", "--bucket", "Bad_Bucket!"], "'Bad_Bucket!' is not a valid bucket name: use only lowercase"),
        (["publish", "--bucket", "ab"], "'ab' is not a valid bucket name: it must be 3 to 63 characters"),
        (["run", "--memory", ","], "argument --memory: name at least one memory size"),
        (["invoke", "sync", "--memory", "64"], "argument --memory: 64 is out of range; use 128 to 10240"),
        (["local", "--error-rate", "5"], "argument --error-rate: 5 is out of range; use 0 to 1"),
        (["local", "--latency-ms", "-1"], "argument --latency-ms: -1 is out of range; use 0 to 10000 ms"),
        (
            ["local", "--cpu-speed", "fast"],
            "argument --cpu-speed: 'fast' is not a number; or auto, to measure it",
        ),
        (["local", "--cpu-speed", "0"], "argument --cpu-speed: 0 is out of range; use 0.1 to 10; or auto"),
        (["local", "--s3-profile", "glacier"], "argument --s3-profile: invalid choice: 'glacier'"),
        (
            ["local", "--invocations", "5", "--max-invocations", "9"],
            "--invocations fixes the count; drop --min-invocations and --max-invocations",
        ),
        (
            ["run", "--min-invocations", "8", "--max-invocations", "4"],
            "--max-invocations 4 is below the 8 invocations every point gets first",
        ),
        (["local", "--ci-target", "0"], "argument --ci-target: 0 is out of range; use 0.1 to 50%"),
        (["local", "--cold-starts", "0"], "argument --cold-starts: 0 is out of range; use 1 to 100"),
        (
            # 1,000,000 objects of 50-100 MB: 75 TB, which no machine keeps in memory
            ["local", "--objects", "1000000", "--min-size", "50000000", "--max-size", "100000000"],
            "the data set (1,000,000 objects, about 75.0 TB) would not fit in the embedded S3",
        ),
        (["report", "r.json", "--trim", "0.5"], "argument --trim: 0.5 is out of range; use 0 to 0.49"),
        (["local", "--s3-profile", "express", "--latency-ms", "5"], "--latency-ms replaces --s3-profile's"),
        (["local", "--jitter-ms", "5"], "--jitter-ms varies a fixed --latency-ms; give --latency-ms too"),
        (["local", "--models", "sync,fibers"], "unknown model 'fibers'; choose from sync, threaded, asyncio"),
        (["local", "--invocations", "0"], "argument --invocations: 0 is out of range"),
        (["seed", "--objects", "10"], "the following arguments are required: --bucket"),
        (["run", "--memory", "64,128"], "argument --memory: memory sizes must be 128 to 10240 MB; got 64"),
        (["run", "--memory", "lots"], "argument --memory: 'lots' is not a comma-separated list of MB"),
        (["run", "--parallelism", "0"], "argument --parallelism: 0 is out of range"),
        (["run", "--budget", "-1"], "argument --budget: -1 is out of range"),
        (["publish", "--bucket", "bucket", "--prefix", "artifacts"], "'artifacts' is not a key prefix"),
        (["publish", "--bucket", "bucket", "--prefix", "*/"], "'*/' is not a key prefix"),
        (["publish", "--bucket", "bucket", "--prefix", "../"], "'../' is not a key prefix"),
        (["publish", "--bucket", "bkt", "--framework-source", "garbage"], "is not a pinned git requirement"),
        (["publish", "--bucket", "bkt", "--framework-source", "s3fanout"], "is not a pinned git requirement"),
        (["launch"], "invalid choice: 'launch'"),
        (
            ["invoke", "fibers"],
            "unknown function 'fibers'; choose from sync, threaded, asyncio (or their full",
        ),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == EXIT_USAGE
    assert message in capsys.readouterr().err


ALL = ("sync", "threaded", "asyncio")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"Parameters": {"LEVEL": "1"}}, {model: {"LEVEL": "1"} for model in ALL}),
        # A function's own values over Parameters, wherever either stands in the file
        (
            {"sync": {"LEVEL": "own"}, "Parameters": {"LEVEL": "all", "STAGE": 2}},
            {"sync": {"LEVEL": "own", "STAGE": "2"}}
            | {model: {"LEVEL": "all", "STAGE": "2"} for model in ALL[1:]},
        ),
        # A function by its full name, as `serve` lists it; its model (SAM's logical id) wins
        (
            {"concurrency-eval-sync": {"LEVEL": "name"}, "sync": {"LEVEL": "model"}},
            {"sync": {"LEVEL": "model"}},
        ),
        ({"concurrency-eval-asyncio": {"LEVEL": "name"}}, {"asyncio": {"LEVEL": "name"}}),
        # JSON values as SAM writes them into the environment
        ({"threaded": {"FLAG": True, "RATE": 1.5}}, {"threaded": {"FLAG": "true", "RATE": "1.5"}}),
        ({}, {}),
    ],
)
def test_env_vars_are_read_as_sam_reads_them(
    document: dict[str, dict[str, object]], expected: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(document))
    args = argparse.Namespace(env_vars=path, parser=argparse.ArgumentParser())
    assert arguments.env_vars(args) == expected


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"fibers": {"LEVEL": "1"}}, "--env-vars: unknown function 'fibers'; use Parameters, one of sync"),
        ({"sync": ["LEVEL"]}, "--env-vars: sync must map variable names to values"),
        ({"sync": {"LEVEL": {"nested": 1}}}, "--env-vars: sync must map variable names to values"),
        ([], "is not a JSON object"),
    ],
)
def test_env_vars_lambda_or_sam_would_refuse_exit_2(
    document: object, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(document))
    with pytest.raises(SystemExit) as raised:
        main(["invoke", "sync", "--env-vars", str(path), "--objects", "5"])
    assert raised.value.code == EXIT_USAGE
    assert message in " ".join(capsys.readouterr().err.split())


def test_outputs_are_checked_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for argv in (
        ["local", "--output", str(blocker)],
        ["local", "--output", str(blocker / "below")],
        ["publish", "--bucket", "bucket", "--manifest", str(tmp_path / "missing" / "artifacts.json")],
    ):
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"--output: {blocker} is a file, not a folder" in err
    assert "--manifest: the folder" in err


def test_report_of_a_file_that_is_not_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    assert main(["report", str(bogus)]) == EXIT_USAGE
    assert "is not a concurrency-eval results file" in capsys.readouterr().err


def test_report_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = sample().write(tmp_path / "a")
    second, _ = sample(scale=0.5).write(tmp_path / "b")
    assert main(["report", str(first)]) == 0
    assert (tmp_path / "a" / "chart.png").is_file()
    assert main(["report", str(first), str(second), "--chart", str(tmp_path / "cmp.png")]) == 0
    assert (tmp_path / "cmp.png").is_file()
    assert " 0.50 " in capsys.readouterr().out


@pytest.mark.parametrize("name", ["[/x]results.json", "[bold]results.json"])
def test_user_text_is_never_read_as_markup(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A path with rich markup in it is named as it is, and raises nothing
    assert main(["report", str(tmp_path / name), "--no-chart"]) == EXIT_USAGE
    assert name in capsys.readouterr().err


def test_report_as_json_and_a_chart_under_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    first, _ = sample().write(tmp_path / "a")
    assert main(["report", str(first), "--json", "--no-chart"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [row["model"] for row in document["rows"]] == ["sync", "threaded", "asyncio"]
    assert document["verdict"]["asyncio"]["fastest"]["setting"] == "-c memory=1024"
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as raised:
        main(["report", str(first), "--chart", str(blocker / "chart.png")])
    assert raised.value.code == EXIT_USAGE
    assert "is a file, not a folder" in capsys.readouterr().err


def test_every_command_has_help() -> None:
    for command in ("local", "serve", "invoke", "seed", "run", "publish", "report"):
        completed = subprocess.run(
            [sys.executable, "-m", "concurrency_eval.commands.cli", command, "--help"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "usage: concurrency-eval" in completed.stdout


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out.startswith("concurrency-eval 0.")


def test_shell_completion_offers_commands_and_options(tmp_path: Path) -> None:
    # Given the shell asking for completions, as argcomplete's registration makes it
    answers = tmp_path / "completions"
    command = str(Path(sys.executable).with_name("concurrency-eval"))
    for line, expected in (("concurrency-eval lo", "local"), ("concurrency-eval run --reg", "--region")):
        environment = {
            "PATH": "/usr/bin:/bin", "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": str(answers),
        }  # fmt: skip
        # When the command starts, Then it answers and exits without running anything
        completed = subprocess.run([command], env=environment, capture_output=True, text=True, check=False)
        assert completed.returncode == 0, completed.stderr
        assert expected in answers.read_text().split()


#: What runs a command, which building the parser must not import (commands/__init__.py).
RUNS_A_COMMAND = (
    "boto3", "botocore.session", "botocore.client", "botocore.config", "aiobotocore", "matplotlib",
    "moto", "psutil", "bundling.build", "concurrency_eval.backends.local",
    "concurrency_eval.emulators.lambda_service", "concurrency_eval.emulators.embedded_s3.process",
    "concurrency_eval.sweep.flow", "concurrency_eval.artifacts.publish", "concurrency_eval.results.report",
    "concurrency_eval.commands.rendering", "concurrency_eval.commands.progress",
)  # fmt: skip


def test_the_parser_is_built_without_what_runs_a_command() -> None:
    # Given a new process, When it builds the command line's parser, as every command, every
    # --help and every TAB of shell completion does before anything else
    probe = (
        "import json, sys; from concurrency_eval.commands.cli import build_parser; build_parser(); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported = json.loads(completed.stdout)
    # Then none of the servers, the bundles, the SDKs' clients or the results' tables and
    # charts were imported: a command imports them when it runs
    assert [
        m for m in imported if m in RUNS_A_COMMAND or m.startswith(tuple(f"{n}." for n in RUNS_A_COMMAND))
    ] == []


@pytest.mark.parametrize("command", ["seed", "run", "publish"])
def test_region_and_profile_reach_the_session(command: str) -> None:
    from concurrency_eval.commands.arguments import aws_session
    from concurrency_eval.commands.cli import build_parser

    required = {"seed": ["--bucket", "bucket"], "run": [], "publish": ["--bucket", "bucket"]}[command]
    args = build_parser().parse_args([command, *required, "--region", "eu-west-3"])
    assert aws_session(args).region_name == "eu-west-3"
    args = build_parser().parse_args([command, *required, "--profile", "no-such-profile"])
    with pytest.raises(SystemExit) as raised:
        aws_session(args)
    assert raised.value.code == EXIT_USAGE


def test_a_price_file_with_nan_is_refused_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text('{"gb_second": {"arm64": NaN, "x86_64": 1e-5}, "request": 0}')
    with pytest.raises(SystemExit) as raised:
        main(["run", "--prices", str(prices), "--output", str(tmp_path / "out")])
    assert raised.value.code == EXIT_USAGE
    assert "is not a price" in capsys.readouterr().err


def test_a_bucket_name_with_markup_is_named_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A name S3 would refuse: the refusal names it exactly, markup and all
    arguments = ["--endpoint-url", "http://127.0.0.1:9", "--objects", "1", "--region", "us-east-1"]
    with pytest.raises(SystemExit) as refused:
        main(["seed", "--bucket", "[/x]bad/bucket", *arguments])
    assert refused.value.code == EXIT_USAGE
    assert "'[/x]bad/bucket' is not a valid bucket name" in capsys.readouterr().err


def test_an_aws_results_file_with_local_style_data_renders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = sample()
    results.kind = "aws"
    for run in results.models:
        run.memory_mb = None
    first, _ = results.write(tmp_path / "a")
    assert main(["report", str(first)]) == 0
    assert "sync" in capsys.readouterr().out


def _partial_sweep(tmp_path: Path, options: dict[str, object]) -> Path:
    from concurrency_eval.results.pricing import DEFAULT_PRICES
    from concurrency_eval.sweep.runner import new_results
    from concurrency_eval.sweep.settings import SweepSettings

    settings = SweepSettings(memory_sizes=(256, 1024), invocations=2)
    results = new_results("local", settings, DEFAULT_PRICES, {}, event={}, options=options)
    results.write(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("extra", "bucket", "profile"),
    [
        ([], "concurrency-eval-local", "standard"),
        (["--bucket-type", "express"], "concurrency-eval-local--local1-az1--x-s3", "express"),
        (
            ["--bucket-type", "express", "--s3-profile", "standard"],
            "concurrency-eval-local--local1-az1--x-s3",
            "standard",
        ),
        (
            ["--bucket-type", "express", "--latency-ms", "3"],
            "concurrency-eval-local--local1-az1--x-s3",
            "fixed",
        ),
        (
            ["--bucket-type", "general-purpose", "--s3-profile", "express"],
            "concurrency-eval-local",
            "express",
        ),
    ],
)
def test_the_bucket_type_chooses_the_bucket_and_its_latency(
    extra: list[str], bucket: str, profile: str
) -> None:
    from concurrency_eval.commands import arguments
    from concurrency_eval.commands.cli import build_parser

    # Given `local` with these options, When its local options are made
    args = build_parser().parse_args(["local", *extra])
    options = arguments.local_options(args, arguments.dataset(args))
    # Then the functions read that kind of bucket, with S3 Express's latency unless told otherwise
    assert options.data_bucket == bucket
    assert options.latency().profile == profile


def test_resume_runs_under_the_conditions_it_recorded(tmp_path: Path) -> None:
    from concurrency_eval.commands import sweep_options
    from concurrency_eval.commands.cli import build_parser

    # Given a partial local sweep recorded with a fixed 2 ms latency over plain HTTP
    folder = _partial_sweep(
        tmp_path,
        {"latency_ms": 2.0, "tls": False, "fault_key": ["150/000001.txt"], "bucket_type": "express"},
    )
    # When it is resumed with no options of its own
    args = build_parser().parse_args(["local", "--resume", str(folder)])
    settings, resumed = sweep_options.settings_and_resumed(args, "local", sweep_options.LOCAL_CONDITIONS)
    # Then the recorded conditions, settings and prices are the ones it goes on with
    assert (args.latency_ms, args.tls, args.fault_key) == (2.0, False, ("150/000001.txt",))
    assert args.bucket_type == "express"
    assert settings.memory_sizes == (256, 1024)
    assert resumed.results is not None
    assert sweep_options.prices(args, "eu-west-1", Console(), resumed).region == "us-east-1"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--latency-ms", "200"], "--latency-ms"),
        (
            ["--no-cpu-limit", "--log-format", "Text", "--timeout", "30"],
            "--cpu-limit/--no-cpu-limit, --timeout, --log-format",
        ),
        (["--memory", "512"], "--memory"),
        (["--invocations", "3"], "--invocations"),
        (["--bucket-type", "express"], "--bucket-type"),
    ],
)
def test_resume_refuses_options_that_would_change_what_it_measures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    folder = _partial_sweep(tmp_path, {})
    with pytest.raises(SystemExit) as refused:
        main(["local", "--resume", str(folder), *extra])
    assert refused.value.code == EXIT_USAGE
    error = capsys.readouterr().err
    assert f"--resume continues {folder} as it was recorded; drop {named}" in " ".join(error.split())


@pytest.mark.parametrize("name", ["chart.txt", "chart"])
def test_a_chart_that_is_not_named_png_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    sample().write(tmp_path)
    with pytest.raises(SystemExit) as refused:
        main(["report", str(tmp_path / "results.json"), "--chart", str(tmp_path / name)])
    assert refused.value.code == EXIT_USAGE
    assert "the chart is a PNG picture; name it with .png" in capsys.readouterr().err


def test_a_chart_on_a_read_only_file_system_is_a_message_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # /proc takes no new files, whoever asks (root included)
    sample().write(tmp_path)
    chart = Path("/proc/concurrency-eval-chart.png")
    assert main(["report", str(tmp_path / "results.json"), "--chart", str(chart)]) == 3
    error = capsys.readouterr().err
    assert f"cannot write {chart}" in error
    assert "Traceback" not in error


@pytest.mark.parametrize("where", ["", "docs", "concurrency_eval/commands"])
def test_results_go_to_the_checkouts_results_from_anywhere_in_it(where: str) -> None:
    # Given the command run from the checkout's top or a folder inside it
    from concurrency_eval.commands.copyable import ROOT
    from concurrency_eval.commands.sweep_options import results_root

    # Then results go to the checkout's results/, not docs/results/
    assert results_root(ROOT / where) == ROOT / "results"


def test_results_go_to_the_current_folder_outside_the_checkout(tmp_path: Path) -> None:
    from concurrency_eval.commands.sweep_options import results_root

    assert results_root(tmp_path) == tmp_path.resolve() / "results"


def test_report_takes_a_sweeps_folder_as_resume_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a sweep's folder, and a folder with no results in it
    sample().write(tmp_path / "sweep")
    (tmp_path / "empty").mkdir()
    # When each is reported, Then the folder's results.json is read
    assert main(["report", str(tmp_path / "sweep"), "--no-chart"]) == 0
    assert "sync" in capsys.readouterr().out
    # And the empty one is a usage error that says what is missing, never "Is a directory"
    with pytest.raises(SystemExit) as stopped:
        main(["report", str(tmp_path / "empty")])
    assert stopped.value.code == EXIT_USAGE
    error = capsys.readouterr().err
    assert "is a folder with no results.json in it" in error
    assert "Is a directory" not in error
