"""The command line: one module per command, each owning its arguments and only
parsing them, calling the package that does the work, and printing what it returns.

Every command, every --help and every TAB of shell completion builds the whole parser
first, so a module here imports at its top only what its arguments need: what runs a
command (the servers, the bundles, the SDK, the results' tables and charts) is imported
in the function that runs it. tests/commands/test_arguments.py checks that building the
parser imports none of it.

May import every other package of the tool; nothing imports it.
"""
