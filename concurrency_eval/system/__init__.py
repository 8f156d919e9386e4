"""The tool's dealings with the operating system that every package shares: how a
signal ends it, and files written whole or not at all. Imports nothing of the tool."""
