"""What every command may print: exit codes, errors, warnings, and where a sweep's
partial results are. Everything user-given is escaped before rich sees it."""

import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.markup import escape

from concurrency_eval.backends.aws import StackNotFound
from concurrency_eval.commands import copyable
from concurrency_eval.results.folders import RESULTS, architecture_folders

EXIT_OK, EXIT_WRONG, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def consoles() -> tuple[Console, Console]:
    """Standard output and standard error, each as wide as it should be."""
    # Piped or redirected output gets room for the whole table instead of 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=140)
    # Messages to a pipe or a log are not wrapped: a wrapped path is a broken path.
    err = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=1000)
    return out, err


def error(err: Console, message: str) -> None:
    err.print(f"[red]error:[/red] {escape(message)}")


#: What a command that reaches AWS fails with when AWS, or the deployment in it, is not as
#: it should be: the environment's fault, exit 3.
AWS_FAILURES = (StackNotFound, ClientError, BotoCoreError)


def aws_failure(err: Console, failure: Exception) -> int:
    """Say what AWS, or the stack it lacks, answered; the exit code for it."""
    error(err, str(failure) if isinstance(failure, StackNotFound) else f"AWS: {failure}")
    return EXIT_ENVIRONMENT


def warning(err: Console, message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}")


def resume_hint(err: Console, output: Path, command: str) -> None:
    """After an interruption or an error: where the partial results are, and how to go on."""
    if (output / RESULTS).exists() or architecture_folders(output):
        err.print(escape(f"partial results in {output}; continue with:"), soft_wrap=True)
        copyable.print_line(err, copyable.tool_command(command, "--resume", output))
