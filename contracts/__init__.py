"""The facts every part of the project agrees on, each defined once.

The bundle and model names, the functions' handler, environment and alias, the stack
names and their outputs, the published-artifacts manifest (written and read by the
same code), Lambda's documented limits and log formats, and the parsers for values
users give in more than one place (cdk.json context, command-line arguments).

Plain Python, standard library only: the CDK app, the build, the command-line tool
and the tests all import it, and it imports nothing of theirs.
"""
