"""`--help`: the same placeholder for the same kind of value everywhere, and examples
that parse as printed."""

import argparse
import shlex

import pytest

from concurrency_eval.commands import copyable, help_text
from concurrency_eval.commands.cli import COMMANDS, build_parser

PARSER = build_parser()
(SUBCOMMANDS,) = [action for action in PARSER._actions if isinstance(action, argparse._SubParsersAction)]
NAMES = list(SUBCOMMANDS.choices)


@pytest.mark.parametrize("name", NAMES)
def test_every_option_shows_the_placeholder_of_its_kind(name: str) -> None:
    # Given a command's options that take a value
    command = SUBCOMMANDS.choices[name]
    for action in command._actions:
        if action.nargs == 0 or not action.option_strings or action.choices is not None:
            continue
        # Then each has a placeholder, and one of a kind the table names is the table's
        assert action.metavar is not None, (name, action.option_strings)
        option = action.option_strings[-1]
        if option in help_text.PLACEHOLDERS:
            assert action.metavar == help_text.PLACEHOLDERS[option]


@pytest.mark.parametrize("name", NAMES)
def test_every_command_has_examples_that_parse_as_printed(name: str) -> None:
    # Given a command's help, as a user sees it
    text = SUBCOMMANDS.choices[name].format_help()
    examples = text[text.index("examples:") :].splitlines()[1:]
    commands = [line.strip() for line in examples if line.strip() and not line.strip().startswith("#")]
    assert commands
    prefix = copyable.invoked_as()
    for line in commands:
        # Then each is one line, started as the user starts the tool, that the parser accepts
        words = shlex.split(line)
        assert words[: len(prefix)] == prefix, line
        assert words[len(prefix)] == name
        parsed = build_parser().parse_args(words[len(prefix) :])
        assert parsed.command is not None


def test_an_option_with_no_placeholder_is_refused_when_the_parser_is_built() -> None:
    # Given a command with an option the table does not know
    parser = argparse.ArgumentParser(prog="concurrency-eval")
    commands = parser.add_subparsers()
    commands.add_parser("new").add_argument("--brand-new-setting")
    # Then building the help names it and says where its placeholder goes
    with pytest.raises(ValueError, match="--brand-new-setting: give it a placeholder"):
        help_text.name_placeholders(parser)


def test_every_command_module_is_in_the_parser() -> None:
    assert len(COMMANDS) == len(NAMES)
