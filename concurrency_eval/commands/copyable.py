"""Commands printed for a person to copy: written the way they ran the tool, quoted for
a POSIX shell, and printed on one line whatever the terminal's width, so that a paste
runs verbatim."""

import os
import shlex
import shutil
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "concurrency-eval"


def invoked_as(cwd: Path | None = None) -> list[str]:
    """The words that start this tool again from the current folder.

    `concurrency-eval` when that name on PATH is this tool; `scripts/uv run
    concurrency-eval` (relative to the current folder) when it runs under the project's
    uv, as the README has it; else the path of the script that runs now.
    """
    here = Path.cwd() if cwd is None else cwd
    running = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    on_path = shutil.which(PROGRAM)
    if on_path is not None and running is not None and Path(on_path).resolve() == running:
        return [PROGRAM]
    launcher = ROOT / "scripts" / "uv"
    if "UV_RUN_RECURSION_DEPTH" in os.environ and launcher.exists():
        return [_relative(launcher, here), "run", PROGRAM]
    if running is not None and running.name == PROGRAM and running.exists():
        return [_relative(running, here)]
    return [_relative(Path(sys.executable), here), "-m", "concurrency_eval.commands.cli"]


def tool_command(*words: str | Path, cwd: Path | None = None) -> str:
    """This tool's command line with these arguments, quoted for a shell."""
    return shlex.join([*invoked_as(cwd), *(str(word) for word in words)])


def command(*words: str | Path) -> str:
    """Any command line, quoted for a shell."""
    return shlex.join(str(word) for word in words)


def path(where: Path) -> str:
    """A path to paste: quoted where a shell would split or expand it."""
    return shlex.quote(str(where))


def print_line(console: Console, line: str, style: str = "") -> None:
    """One line, never wrapped nor cut, and never read as rich markup."""
    console.print(Text(line, style=style), soft_wrap=True, overflow="ignore", crop=False)


def _relative(target: Path, cwd: Path) -> str:
    """`target` as the shortest path that works from `cwd`: relative inside it, `./`
    first so that a shell does not look the name up on PATH."""
    try:
        inside = target.resolve().relative_to(cwd.resolve())
    except ValueError:
        return str(target.resolve())
    return f"./{inside}" if len(inside.parts) == 1 else str(inside)
