"""Results files: written, read back, summarized and reported the same way."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table

from concurrency_eval.results.comparison import compare
from concurrency_eval.results.document import (
    Invocation,
    ModelRun,
    Results,
    ResultsError,
    data_bucket_settings,
    percentile,
    summarize,
)
from concurrency_eval.results.report import (
    comparison_table,
    legend,
    summary_document,
    sweep_table,
    title,
    verdict_lines,
)
from concurrency_eval.results.verdict import decide
from concurrency_eval.system.files import WriteFailed
from tests.handlers import ROOT


def invocation(model: str, kind: str, index: int, ms: float, error: str | None = None) -> Invocation:
    return Invocation(
        model=model, kind=kind, index=index, duration_ms=ms, cpu_ms=ms / 10, peak_rss_mb=50 + index,
        result=None if error else "k/1", handler_time_s=ms / 1000, objects=100, error=error,
        correct=error is None, memory_mb=1024, cost_usd=ms * 1e-8,
    )  # fmt: skip


def sample(scale: float = 1.0, fail: bool = False) -> Results:
    runs = []
    for model, base in (("sync", 1000.0), ("threaded", 150.0), ("asyncio", 120.0)):
        run = ModelRun(
            model, init_ms=200, init_cpu_ms=190, init_rss_mb=40, server_cpu_s=1.0, wall_s=4.0, memory_mb=1024
        )
        run.invocations = [invocation(model, "cold", 0, base * 1.5 * scale)] + [
            invocation(model, "warm", i, base * scale * (1 + i / 10)) for i in range(1, 5)
        ]
        if fail and model == "asyncio":
            run.invocations.append(invocation(model, "warm", 5, 10, error="ObjectsFailed"))
        runs.append(run)
    return Results(
        "local", "2026-11-22T00:00:00+00:00", {"latency_ms": 20, "concurrency": 64}, {}, "k/1", runs
    )


def test_round_trip_through_json_and_csv(tmp_path: Path) -> None:
    results = sample()
    json_path, csv_path = results.write(tmp_path)
    assert Results.read(json_path) == results
    rows = csv_path.read_text().splitlines()
    assert len(rows) == 1 + 15
    # One column per meaning: the group's INIT phase and the invocation's own Init Duration
    header = rows[0].split(",")
    assert header[:6] == ["kind_of_run", "started_at", "concurrency", "group_init_ms", "model", "kind"]
    assert len(header) == len(set(header))
    assert "init_ms" in header
    # And each row carries its point's statistics, as results.json's points do
    table = list(csv.DictReader(csv_path.open()))
    sync_rows = [row for row in table if row["model"] == "sync"]
    assert {row["point_n"] for row in sync_rows} == {"4"}
    assert {row["point_median_ms"] for row in sync_rows} == {"1250.0"}  # warm: 1100, 1200, 1300, 1400
    assert {row["point_trimmed_mean_ms"] for row in sync_rows} == {"1250.0"}
    assert {row["point_median_low_ms"] for row in sync_rows} == {"1100.0"}
    points = json.loads(json_path.read_text())["points"]
    assert points[0]["duration"]["median"] == 1250.0
    assert points[0]["duration"]["p90"] is None  # four invocations are too few for a p90


def test_summary_splits_cold_from_warm() -> None:
    summary = summarize(sample().models[0])
    assert summary.cold_ms == 1500
    assert summary.warm_median_ms == pytest.approx(1000 * 1.25)
    assert summary.warm_p10_ms == pytest.approx(1130)
    assert summary.cpu_ms_per_object == pytest.approx(1.25)
    assert summary.peak_rss_mb == 54
    assert summary.server_cpu_share == 0.25
    assert (summary.answered, summary.correct, summary.errors) == (5, 5, {})


def test_failures_are_counted_by_type_and_excluded_from_timing() -> None:
    results = sample(fail=True)
    summary = summarize(results.models[2])
    assert summary.errors == {"ObjectsFailed": 1}
    assert summary.correct == 5
    assert summary.warm_median_ms == pytest.approx(120 * 1.25)
    assert not results.all_correct()


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [([], 50, None), ([3.0], 90, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([0.0, 10.0], 90, 9.0)],
)
def test_percentile(values: list[float], percent: float, expected: float | None) -> None:
    assert percentile(values, percent) == expected


def render(table: object) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_table_shows_each_model_ratio_and_errors() -> None:
    results = sample(fail=True)
    cells = column_cells(sweep_table(results))
    assert cells["model"] == ["sync", "threaded", "asyncio"]
    assert cells["/sync"] == ["-", "0.15", "0.12"]  # warm median / sync's at the same size
    assert cells["ok"] == ["5/5", "5/5", "5/6"]
    assert any("ObjectsFailed x1" in line for line in verdict_lines(results, decide(results)))


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_fits_the_terminal_without_cutting_a_number(width: int) -> None:
    # Given results with wide numbers, When the table is drawn on an 80-column terminal
    results = sample(scale=123.4)
    console = Console(width=width, record=True)
    console.print(sweep_table(results))
    text = console.export_text()
    # Then every cell is there whole, and no line is wider than the terminal
    for column in sweep_table(results).columns:
        for cell in column.cells:
            assert str(cell) in text, (column.header, cell)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width


def test_comparison_gives_b_over_a() -> None:
    cells = column_cells(comparison_table(compare(sample(), sample(scale=0.5))))
    assert cells["B/A"] == ["0.50", "0.50", "0.50"]


def column_cells(table: Table) -> dict[str, list[str]]:
    return {str(column.header): [str(cell) for cell in column.cells] for column in table.columns}


def sweep_sample(memory_scale: dict[int, float]) -> Results:
    runs = []
    for memory_mb, scale in memory_scale.items():
        run = ModelRun("sync", init_ms=200, init_cpu_ms=190, init_rss_mb=40, memory_mb=memory_mb)
        run.invocations = [invocation("sync", "warm", i, 1000 * scale) for i in range(1, 3)]
        runs.append(run)
    return Results("aws", "2026-11-22T00:00:00+00:00", {}, {}, "k/1", runs)


def test_comparison_puts_each_value_under_its_heading_and_compares_like_memory() -> None:
    # Given two sweeps of the same memory sizes, the second twice as fast at 1024 MB only
    before = sweep_sample({512: 1.0, 1024: 1.0})
    after = sweep_sample({512: 1.0, 1024: 0.5})

    # When they are compared
    cells = column_cells(comparison_table(compare(before, after)))

    # Then each row pairs a memory size with the same size in the other run
    assert cells["MB"] == ["512", "1024"]
    assert cells["p50 A\nms"] == ["1,000", "1,000"]
    assert cells["p50 B\nms"] == ["1,000", "500"]
    assert cells["B/A"] == ["1.00", "0.50"]
    assert cells["n\nA/B"] == ["2/2", "2/2"]
    assert cells["ok A"] == cells["ok B"] == ["2/2", "2/2"]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not json", "cannot read"),
     (json.dumps({"format": "other"}).encode(), "is not a concurrency-eval results"),
     (json.dumps({"format": "concurrency-eval/results@1", "models": [{}]}).encode(), "is malformed"),
     (b"\xff\xfe not utf-8", "cannot read"),
     (b"[" * 100_000 + b"]" * 100_000, "cannot read")],
)  # fmt: skip
def test_unreadable_files_are_named_with_the_problem(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(content)
    with pytest.raises(ResultsError, match=message):
        Results.read(path)


def test_a_wrongly_typed_field_is_named(tmp_path: Path) -> None:
    document = json.loads(json.dumps(__import__("dataclasses").asdict(sample())))
    document["models"][1]["invocations"][2]["duration_ms"] = "fast"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ResultsError, match=r"models\[1\]\.invocations\[2\]: duration_ms is 'fast'"):
        Results.read(path)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("invocations", 2, "duration_ms"), "NaN", "not a finite number"),
        (("invocations", 2, "duration_ms"), "Infinity", "not a finite number"),
        (("invocations", 2, "duration_ms"), -5.0, "below zero"),
        (("invocations", 2, "cost_usd"), -1e-6, "below zero"),
        (("memory_mb",), 0, "outside Lambda's 128 to 10240 MB"),
        (("memory_mb",), -256, "outside Lambda's 128 to 10240 MB"),
        (("memory_mb",), 99999, "outside Lambda's 128 to 10240 MB"),
    ],
)
def test_impossible_figures_are_refused_with_where_they_are(
    tmp_path: Path, where: tuple[object, ...], value: object, message: str
) -> None:
    # Given a results file with one impossible figure in its second group
    document = json.loads(json.dumps(__import__("dataclasses").asdict(sample())))
    target = document["models"][1]
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    path = tmp_path / "results.json"
    # (NaN and Infinity as Python's json writes them, which is not JSON)
    path.write_text(json.dumps(document).replace('"NaN"', "NaN").replace('"Infinity"', "Infinity"))
    # Then reading it says which figure and why
    with pytest.raises(ResultsError, match=message) as refused:
        Results.read(path)
    assert f"models[1]{'.invocations[2]' if len(where) > 1 else ''}: {where[-1]} is" in str(refused.value)


def test_results_without_invocations_are_not_all_correct() -> None:
    results = sample()
    for run in results.models:
        run.invocations = []
    assert not results.all_correct()


FULL_DISK = """
import resource, signal, sys
from pathlib import Path
from concurrency_eval.system.files import WriteFailed
from tests.results.test_document import sample
# The kernel's stand-in for a full disk: no file may grow past this many bytes
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
unlimited = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), unlimited[1]))
bigger = sample()
for run in bigger.models:
    run.invocations = run.invocations * 200
try:
    bigger.write(Path(sys.argv[1]))
except WriteFailed as error:
    print(error)
    sys.exit(7)
finally:
    # Room again for what the interpreter writes as it exits (the tests' coverage data,
    # which a 24 KB limit would leave a torn database)
    resource.setrlimit(resource.RLIMIT_FSIZE, unlimited)
"""


def test_a_full_disk_leaves_the_previous_results_whole(tmp_path: Path) -> None:
    # Given results written once
    sample().write(tmp_path)
    before = (tmp_path / "results.json").read_bytes()
    # When a much larger write meets a disk that is full past 24 KB
    completed = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(tmp_path), str(24_576)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    # Then it says so, and the previous file is whole, readable, and alone
    assert completed.returncode == 7, completed.stderr
    assert f"cannot write {tmp_path / 'results.json'}: File too large" in completed.stdout
    assert "the previous one is as it was" in completed.stdout
    assert (tmp_path / "results.json").read_bytes() == before
    assert Results.read(tmp_path / "results.json") == sample()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv", "results.json"]


def test_a_folder_where_the_results_file_goes_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "results.json").mkdir()
    with pytest.raises(WriteFailed, match=r"results\.json: Is a directory; nothing was written"):
        sample().write(tmp_path)


@pytest.mark.parametrize(("scale", "unit", "words"), [(1.0, "ms", "milliseconds"), (50.0, "s", "seconds")])
def test_every_duration_header_names_its_unit(scale: float, unit: str, words: str) -> None:
    # Given results whose longest durations are under, or over, ten seconds
    results = sample(scale=scale)
    # When the table is drawn
    headers = [str(column.header) for column in sweep_table(results).columns]
    # Then each duration column's header says the unit, and so does the legend's first line
    for name in ("init", "cold", "p50", "95% CI"):
        assert f"{name}\n{unit}" in headers
    assert "used\nMB" in headers
    assert legend(results)[0].startswith(f"durations in {words} ({unit})")
    # And req is the number of requests in flight, never a dash for the default
    assert column_cells(sweep_table(results))["req"] == ["1", "64", "64"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # Results from before the bucket was recorded: the event names it, or nothing does
        ({}, "general-purpose"),
        ({"event": {"s3_bucket_name": "concurrency-eval-local", "folder": "150/"}}, "general-purpose"),
        ({"event": {"s3_bucket_name": "data--use1-az4--x-s3", "folder": "150/"}}, "express"),
        # As sweeps record it now
        ({"data_bucket": data_bucket_settings("my-data-bucket")}, "general-purpose"),
        ({"data_bucket": data_bucket_settings("eval-123456789012--usw2-az1--x-s3")}, "express"),
    ],
)
def test_results_say_which_kind_of_bucket_was_read(
    tmp_path: Path, settings: dict[str, object], expected: str
) -> None:
    # Given results with these settings, written and read back as a report reads them
    results = sample()
    results.settings = settings
    read = Results.read(results.write(tmp_path)[0])
    # Then the kind of bucket is the one the sweep read, and the report says so when it was Express
    assert read.bucket_type == expected
    assert summary_document(read)["bucket_type"] == expected
    assert ("S3 Express One Zone" in title(read)) is (expected == "express")


def test_a_bucket_is_recorded_with_its_name_and_kind() -> None:
    assert data_bucket_settings("data--use1-az4--x-s3") == {"name": "data--use1-az4--x-s3", "type": "express"}
    assert data_bucket_settings("data") == {"name": "data", "type": "general-purpose"}
