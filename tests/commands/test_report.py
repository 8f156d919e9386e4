"""`concurrency-eval report A B`, the command as a user runs it: B against A, the baseline."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from concurrency_eval.commands.console import EXIT_OK, EXIT_WRONG
from concurrency_eval.results.document import Results
from tests.results.test_comparison import TEN, scaled, sweep

PNG = b"\x89PNG\r\n\x1a\n"


def report(*arguments: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "concurrency_eval.commands.cli", "report", *map(str, arguments)],
        capture_output=True, text=True, check=False, cwd=cwd,
    )  # fmt: skip


def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A on 150 objects at 512 and 1024 MB; B on 60 objects at 1024 and 3008 MB, faster at
    1024; each folder with its own chart.png, as `local` leaves it."""
    a = sweep({("sync", 512, 1): TEN, ("sync", 1024, 1): TEN})
    b = sweep({("sync", 1024, 1): scaled(TEN, 0.5), ("sync", 3008, 1): TEN}, objects=60)
    for name, results in (("a", a), ("b", b)):
        results.write(tmp_path / name)
        (tmp_path / name / "chart.png").write_bytes(f"{name}'s own chart".encode())
    return tmp_path / "a" / "results.json", tmp_path / "b" / "results.json"


def test_b_against_a_prints_the_comparison_and_draws_it_beside_b(tmp_path: Path) -> None:
    # Given two runs on different data sets, measured at partly different sizes
    a, b = two_runs(tmp_path)
    # When B is compared with A
    completed = report(a, b, cwd=tmp_path)
    # Then it is a table of every point of either, B/A with its CI, the one-run points marked
    assert completed.returncode == EXIT_OK, completed.stderr
    table = completed.stdout
    assert "A (the baseline)" in table
    rows = {line.split()[1]: line for line in table.splitlines() if line.startswith("sync ")}
    assert set(rows) == {"512", "1024", "3008"}
    assert "only in A" in rows["512"]
    assert "only in B" in rows["3008"]
    assert " 0.50 " in rows["1024"]
    assert "faster" in rows["1024"]
    # And which run is which is said above it, what its columns mean under it, a line each
    assert any(line.startswith("A (the baseline): ") for line in table.splitlines())
    assert any(line.startswith("B/A: the Hodges-Lehmann ratio") for line in table.splitlines())
    # And the different data sets are warned about on standard error, not in the table
    assert "warning: the data sets differ: settings.dataset.objects is 150 in A, 60 in B" in completed.stderr
    assert "the data sets differ" not in table
    # And the chart is comparison.png beside B, each run's own chart.png as it was
    chart = tmp_path / "b" / "comparison.png"
    assert chart.read_bytes().startswith(PNG)
    assert f"chart: {chart}" in table
    assert (tmp_path / "a" / "chart.png").read_bytes() == b"a's own chart"
    assert (tmp_path / "b" / "chart.png").read_bytes() == b"b's own chart"


def test_json_carries_the_comparison(tmp_path: Path) -> None:
    # Given two runs
    a, b = two_runs(tmp_path)
    # When compared with --json
    completed = report(a, b, "--json", "--no-chart", cwd=tmp_path)
    # Then standard output is one document: both runs, every point, every difference
    assert completed.returncode == EXIT_OK, completed.stderr
    document = json.loads(completed.stdout)
    assert document["baseline"] == "a"
    assert [row["memory_mb"] for row in document["a"]["rows"]] == [512, 1024]
    assert [row["memory_mb"] for row in document["b"]["rows"]] == [1024, 3008]
    assert [(p["memory_mb"], p["change"]) for p in document["points"]] == [
        (512, "only in A"),
        (1024, "faster"),
        (3008, "only in B"),
    ]
    ratio = document["points"][1]["b_over_a"]
    assert ratio["low"] < ratio["estimate"] < ratio["high"] < 1
    assert {"setting": "settings.dataset.objects", "kind": "data set", "a": 150, "b": 60} in document[
        "differences"
    ]
    assert document["warnings"]
    # And the warnings are on standard error too, and --no-chart drew nothing
    assert "the data sets differ" in completed.stderr
    assert not (tmp_path / "b" / "comparison.png").exists()


def test_chart_names_where_the_comparison_is_drawn(tmp_path: Path) -> None:
    a, b = two_runs(tmp_path)
    completed = report(a, b, "--chart", "here/b-against-a.png", "--json", cwd=tmp_path)
    assert completed.returncode == EXIT_OK, completed.stderr
    assert (tmp_path / "here" / "b-against-a.png").read_bytes().startswith(PNG)
    assert not (tmp_path / "b" / "comparison.png").exists()
    assert (tmp_path / "b" / "chart.png").read_bytes() == b"b's own chart"


@pytest.mark.parametrize("wrong", ["a", "b"])
def test_a_wrong_answer_in_either_run_exits_1(tmp_path: Path, wrong: str) -> None:
    # Given two runs, one of which has an invocation that answered wrong
    a, b = two_runs(tmp_path)
    path = a if wrong == "a" else b
    results = Results.read(path)
    first = results.models[0].invocations[0]
    results.models[0].invocations[0] = dataclasses.replace(first, result="150/000001.txt", correct=False)
    results.write(path.parent)
    # When compared, Then the comparison is shown and the exit code says so
    completed = report(a, b, "--no-chart", cwd=tmp_path)
    assert completed.returncode == EXIT_WRONG, completed.stderr
    assert "only in A" in completed.stdout


def test_help_says_a_is_the_baseline_with_an_example(tmp_path: Path) -> None:
    completed = report("--help", cwd=tmp_path)
    assert completed.returncode == 0
    text = " ".join(completed.stdout.split())
    assert "A is the baseline" in text
    assert "B/A, the ratio of B's warm durations to A's with its 95% CI" in text
    # The example is one line, to be copied whole
    example = next(line for line in completed.stdout.splitlines() if "report before" in line)
    assert example.strip().endswith("report before after")


def run_of_two_architectures(folder: Path) -> None:
    """A run of two architectures, arm64 the baseline, each sweep beside the chart its run drew."""
    from tests.results.test_architectures import both

    for name, results in both({1024: TEN}, {1024: scaled(TEN, 0.5)}).runs.items():
        results.write(folder / name)
        (folder / name / "chart.png").write_bytes(f"{name}'s own chart".encode())


def test_a_run_of_two_architectures_is_reported_with_its_charts_drawn_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from concurrency_eval.commands.cli import main

    # Given a run of two architectures, When its folder is reported
    run_of_two_architectures(tmp_path)
    assert main(["report", str(tmp_path)]) == EXIT_OK
    # Then each sweep's chart is drawn again from its results, and the comparison's beside them
    charts = [
        tmp_path / "arm64" / "chart.png",
        tmp_path / "x86_64" / "chart.png",
        tmp_path / "comparison.png",
    ]
    assert [chart.read_bytes()[: len(PNG)] for chart in charts] == [PNG] * 3
    listed = " ".join(capsys.readouterr().out.split())
    assert all(str(chart) in listed for chart in charts)


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_a_run_of_two_architectures_is_reported_with_no_chart_drawn_again_if_asked(
    tmp_path: Path, as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    from concurrency_eval.commands.cli import main

    # Given a run of two architectures, each sweep beside the chart its run drew
    run_of_two_architectures(tmp_path)
    json_flag = ["--json"] if as_json else []
    # When it is reported with --no-chart
    assert main(["report", str(tmp_path), "--no-chart", *json_flag]) == EXIT_OK
    # Then it is compared as ever, and no chart is drawn, touched or listed
    captured = capsys.readouterr()
    if as_json:
        assert json.loads(captured.out)["architectures"] == ["arm64", "x86_64"]
    else:
        assert "x86_64 against arm64" in " ".join(captured.out.split())
    assert sorted(p.read_bytes() for p in tmp_path.rglob("*.png")) == [
        b"arm64's own chart",
        b"x86_64's own chart",
    ]
    assert ".png" not in captured.out + captured.err
    # And a chart's path is refused, as the run keeps a chart per sweep and one comparison
    with pytest.raises(SystemExit) as refused:
        main(["report", str(tmp_path), "--chart", str(tmp_path / "one.png")])
    assert refused.value.code == 2
    assert "keeps its charts beside its sweeps; drop --chart (or draw none: --no-chart)" in " ".join(
        capsys.readouterr().err.split()
    )
