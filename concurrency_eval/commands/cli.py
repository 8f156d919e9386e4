# PYTHON_ARGCOMPLETE_OK
"""The `concurrency-eval` command: run the evaluation locally, seed, publish, report.

Exit codes: 0 done, every answer right; 1 the run finished but some invocation
failed or answered wrong (results are still written); 2 bad arguments or input
files; 3 the machine or a service lacks something the command needs; 130
interrupted by Ctrl-C (SIGINT), and 143 by SIGTERM, 129 by SIGHUP (nothing is left
running, and every function changed is restored).
"""

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from concurrency_eval.commands import (
    console,
    help_text,
    invoke,
    local,
    publish,
    report,
    run,
    seed,
    serve,
    smoke,
)
from concurrency_eval.system import signals
from concurrency_eval.system.files import WriteFailed

#: In the order `--help` lists them.
COMMANDS = (local, serve, invoke, seed, run, smoke, publish, report)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    import argcomplete

    # Shell completion: answers and exits only when the shell asks (_ARGCOMPLETE is set).
    argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    from bundling.build import BuildError
    from concurrency_eval.emulators.lambda_service.server import ServiceError
    from concurrency_eval.results.document import ResultsError

    out, err = console.consoles()
    with signals.ending_as_interrupts():
        try:
            code: int = args.command(args, out, err)
            return code
        except KeyboardInterrupt as interrupt:
            signals.ignore_further()
            err.print(
                f"[yellow]interrupted[/yellow] ({signals.name(interrupt)}): every server and function "
                "process was stopped, and every changed function configuration restored"
            )
            return signals.exit_code(interrupt)
        except (BuildError, ServiceError) as error:
            console.error(err, str(error))
            return console.EXIT_ENVIRONMENT
        except ResultsError as error:
            console.error(err, str(error))
            return console.EXIT_USAGE
        except WriteFailed as error:
            console.error(err, str(error))
            return console.EXIT_ENVIRONMENT


def entry() -> NoReturn:
    """The `concurrency-eval` command: `main`, then an exit no signal can cut short."""
    code = main()
    signals.ignore_further()
    sys.exit(code)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concurrency-eval",
        description="Evaluate sync, threaded and asyncio Python Lambda functions on one S3 fan-out workload.",
        epilog="Exit codes: 0 all answers right, 1 some wrong or failed, 2 bad arguments, "
        "3 missing prerequisite, 130 interrupted (143 SIGTERM, 129 SIGHUP).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(commands)
    help_text.name_placeholders(parser)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("concurrency-eval")
    except PackageNotFoundError:
        return "unknown (not installed)"


if __name__ == "__main__":
    entry()
