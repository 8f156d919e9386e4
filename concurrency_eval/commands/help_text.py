"""What `--help` shows: one placeholder per kind of value, the same in every command,
and examples that run as printed, written the way the user started the tool."""

import argparse
from collections.abc import Sequence

from concurrency_eval.commands import copyable

#: The placeholder of every option whose value is not one of a few choices. An option
#: that names its own (as `--cpu-speed auto|FACTOR`) keeps it; one in neither place is
#: a mistake `name_placeholders` refuses, so that no option shows argparse's SHOUTED_DEST.
PLACEHOLDERS = {
    "--alias": "NAME", "--bucket": "NAME", "--stack": "NAME", "--profile": "NAME",
    "--region": "REGION", "--host": "ADDRESS", "--port": "PORT", "--endpoint-url": "URL",
    "--objects": "N", "--seed": "N", "--parallelism": "N", "--parallel": "N", "--max-attempts": "N",
    "--min-size": "BYTES", "--max-size": "BYTES", "--prefix": "PREFIX",
    "--timeout": "SECONDS", "--expected-seconds": "SECONDS",
    "--latency-ms": "MS", "--jitter-ms": "MS", "--slow-ms": "MS",
    "--error-rate": "SHARE", "--server-error-rate": "SHARE", "--slow-rate": "SHARE",
    "--models": "MODEL,MODEL,...", "--output": "DIR", "--logs": "DIR",
    "--chart": "FILE", "--manifest": "FILE", "--github-output": "FILE", "--summary": "FILE",
}  # fmt: skip


def name_placeholders(parser: argparse.ArgumentParser) -> None:
    """Give every option of `parser` and its commands the placeholder of its kind."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                name_placeholders(command)
            continue
        takes_value = action.nargs != 0 and action.option_strings
        if not takes_value or action.metavar is not None or action.choices is not None:
            continue
        option = action.option_strings[-1]
        if option not in PLACEHOLDERS:
            raise ValueError(f"{parser.prog} {option}: give it a placeholder in help_text.PLACEHOLDERS")
        action.metavar = PLACEHOLDERS[option]


def examples(*cases: tuple[str, Sequence[str]]) -> str:
    """An epilog of examples: what each does, then its command line, as this user starts
    the tool (for a parser with RawDescriptionHelpFormatter)."""
    lines = ["examples:"]
    for what, words in cases:
        lines += [f"  # {what}", f"  {copyable.tool_command(*words)}"]
    return "\n".join(lines)


class Formatter(argparse.HelpFormatter):
    """argparse's own, but an examples epilog is printed as written: its command lines
    must not be wrapped."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line + "\n" for line in text.splitlines())
        return super()._fill_text(text, width, indent)
