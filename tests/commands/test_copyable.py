"""Commands printed for a person to copy: whole on one line at any width, quoted for a
shell, started as the user started the tool, and doing what they say when pasted."""

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from concurrency_eval.commands import console, copyable, rendering
from concurrency_eval.results.document import Invocation, ModelRun, Results
from stacks.settings import from_context

WIDTHS = (60, 80, 200)


def printed(width: int, draw: Callable[[Console], object]) -> list[str]:
    terminal = Console(width=width, record=True, force_terminal=True, color_system=None)
    draw(terminal)
    return terminal.export_text().splitlines()


def line_after(lines: list[str], heading: str) -> str:
    return lines[next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1]


def one_run(model: str, memory: int, concurrency: int | None, base: float) -> ModelRun:
    run = ModelRun(
        model, init_ms=200, init_cpu_ms=None, init_rss_mb=40, memory_mb=memory, concurrency=concurrency
    )
    run.invocations = [
        Invocation(
            model=model, kind="warm", index=i, duration_ms=base + i, cpu_ms=None, peak_rss_mb=50, result="k",
            handler_time_s=None, objects=1, error=None, correct=True, memory_mb=memory, billed_ms=base + i,
            cost_usd=(base + i) * memory * 1e-11,
        )
        for i in range(6)
    ]  # fmt: skip
    return run


@pytest.mark.parametrize("width", WIDTHS)
def test_the_resume_hint_is_one_line_that_a_shell_splits_into_the_command(tmp_path: Path, width: int) -> None:
    # Given partial results in a folder whose path is long and has a space and a quote in it
    output = tmp_path / ("a long folder name that would wrap at sixty columns " * 2) / "it's here"
    output.mkdir(parents=True)
    (output / "results.json").write_text("{}")
    # When the hint is printed on a terminal of this width
    lines = printed(width, lambda terminal: console.resume_hint(terminal, output, "local"))
    # Then the command is whole on its own line, and a shell reads it as the tool's words
    command = shlex.split(line_after(lines, "partial results in"))
    assert command == [*copyable.invoked_as(), "local", "--resume", str(output)]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_deploy_command_pastes_into_the_stacks_own_settings(width: int) -> None:
    # Given a sweep whose balanced choice ran asyncio at 128 requests in flight
    results = Results(
        "local", "2026-11-29T00:00:00+00:00", {"prices": {"region": "us-east-1"}}, {}, "k",
        [one_run("asyncio", 1769, 128, 200.0)],
    )  # fmt: skip
    # When the verdict is printed at this width
    lines = printed(width, lambda terminal: rendering.print_results(results, terminal))
    # Then the command is one line, and its -c pairs are settings the app accepts as measured
    words = shlex.split(line_after(lines, "to deploy the balanced choice of asyncio"))
    assert words[:4] == ["npx", "cdk", "deploy", "--all"]
    pairs = dict(word.split("=", 1) for word in words[5::2])
    assert words[4::2] == ["-c"] * len(pairs)
    settings = from_context(pairs)
    assert (settings.memory_mb, settings.requests_in_flight) == (1769, 128)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_results_paths_are_one_a_line_and_name_the_files(tmp_path: Path, width: int) -> None:
    # Given a finished sweep written to a folder with a space in its name
    output = tmp_path / "my results folder with a long name that wraps at sixty"
    results = Results(
        "local", "2026-11-29T00:00:00+00:00", {}, {}, "k", [one_run("sync", 1024, None, 300.0)], partial=False
    )
    results.write(output)
    arguments = argparse.Namespace(balanced_weight=0.5, json=False, trim=None, no_chart=False)
    # When the sweep is shown
    lines = printed(
        width, lambda terminal: rendering.show_sweep(results, output, arguments, terminal, terminal)
    )
    # Then each file is a line of its own that a shell reads as one existing path
    start = lines.index("results:")
    paths = [Path(*shlex.split(line)) for line in lines[start + 1 : start + 4]]
    assert paths == [output / "results.json", output / "results.csv", output / "chart.png"]
    assert all(path.exists() for path in paths)


@pytest.mark.parametrize(
    ("on_path", "under_uv", "expected"),
    [
        (True, False, ["concurrency-eval"]),
        (True, True, ["concurrency-eval"]),
        (False, True, ["scripts/uv", "run", "concurrency-eval"]),
    ],
)
def test_the_tool_is_named_as_the_user_started_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, on_path: bool, under_uv: bool, expected: list[str]
) -> None:
    # Given the tool started as its installed script, found on PATH or not, under uv or not
    script = Path(sys.executable).with_name("concurrency-eval")
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", str(script.parent) if on_path else str(tmp_path))
    if under_uv:
        monkeypatch.setenv("UV_RUN_RECURSION_DEPTH", "1")
    else:
        monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    # When it names itself from the repository's root
    # Then it uses the words that start it from there
    assert copyable.invoked_as(copyable.ROOT) == expected


def test_outside_uv_and_path_the_script_is_named_by_its_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given the installed script started by its path, neither on PATH nor under uv
    script = Path(sys.executable).with_name("concurrency-eval")
    monkeypatch.setattr(sys, "argv", [str(script)])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("UV_RUN_RECURSION_DEPTH", raising=False)
    # Then the hint names that script, relative where it is inside the current folder
    assert copyable.invoked_as(tmp_path) == [str(script.resolve())]
    assert copyable.invoked_as(script.parent) == ["./concurrency-eval"]
    # And a name a shell would split is quoted
    assert copyable.tool_command("local", "--resume", "a b", cwd=tmp_path).endswith("local --resume 'a b'")
    assert os.sep in shlex.split(copyable.tool_command("report", cwd=tmp_path))[0]
