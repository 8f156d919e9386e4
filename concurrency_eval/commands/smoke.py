"""`concurrency-eval smoke`: after a deploy, each function's live alias answers a small
search right."""

import argparse

from rich.console import Console
from rich.markup import escape

from concurrency_eval.commands import arguments, console, help_text
from contracts.bundles import MODELS
from contracts.function import ALIAS


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "smoke",
        epilog=help_text.examples(
            ("each deployed function's live alias, once", ["smoke"]),
        ),
        formatter_class=help_text.Formatter,
        help="after a deploy: each function's live alias answers a small search right",
        description="Seed a small data set of its own into the deployed data bucket (once), invoke each "
        "function's live alias once, and check the answer. Exit 0 when all answer right, 1 when one does "
        "not, 3 when the stack or AWS cannot be reached.",
    )
    arguments.add_stack_argument(parser)
    parser.add_argument("--alias", default=ALIAS, help="the qualifier to invoke (default: %(default)s)")
    arguments.add_aws_arguments(parser)
    parser.set_defaults(command=run, parser=parser)


def run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from concurrency_eval.backends.aws import discover_every_variant
    from concurrency_eval.sweep.smoke import smoke_test

    session = arguments.aws_session(args)
    if session.region_name is None or session.get_credentials() is None:
        console.error(err, "no AWS region or credentials: pass --region/--profile, or configure AWS")
        return console.EXIT_ENVIRONMENT
    try:
        answers = []
        for deployed in discover_every_variant(session.client("cloudformation"), args.stack, MODELS):
            answers += smoke_test(
                session.client("lambda"), session.client("s3"), deployed.functions, deployed.data_bucket,
                args.alias,
            )  # fmt: skip
    except console.AWS_FAILURES as error:
        return console.aws_failure(err, error)
    for answer in answers:
        mark = "[green]ok[/green]" if answer.ok else "[red]FAILED[/red]"
        out.print(f"{mark} {escape(f'{answer.model} ({answer.function}:{args.alias}): {answer.detail}')}")
    return console.EXIT_OK if all(answer.ok for answer in answers) else console.EXIT_WRONG
