"""The command line: one module per command, each owning its arguments and only
parsing them, calling the package that does the work, and printing what it returns.

May import every other package of the tool; nothing imports it.
"""
