"""The framework shared by the concurrency-eval handlers.

Everything the sync, threaded and asyncio functions have in common lives here: the
event contract, settings, the S3 client configuration, listing, the streaming search,
the tally of results, the response and error shapes, and logs and metrics. A handler
supplies only its fetch strategy, through `s3fanout.blocking` or `s3fanout.aio`.

This module imports nothing on purpose: handlers import the submodule they need.
"""
