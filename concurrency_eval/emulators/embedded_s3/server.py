"""The embedded S3's child process: moto's app, instrumented, served on loopback."""

import argparse
import json
import threading

from concurrency_eval.emulators.child_process import announce_ready, serve_until_told
from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.middleware import InstrumentedS3


def serve(host: str, port: int, faults: Faults, exit_with_stdin: bool) -> None:
    """Serve until SIGTERM or SIGINT, or until standard input closes (the parent is gone)."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class QuietRequestHandler(MotoRequestHandler):
        # One log line per request would cost the server more CPU than the request.
        def log_request(self, *args: object, **kwargs: object) -> None:
            pass

    app = InstrumentedS3(DomainDispatcherApplication(create_backend_app), faults)
    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    # serve_forever() returns once shutdown() is called from another thread.
    serve_until_told(lambda: threading.Thread(target=server.shutdown, daemon=True).start(), exit_with_stdin)
    bound_host, bound_port = server.server_address[:2]
    announce_ready(endpoint=f"http://{bound_host!s}:{bound_port}")
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m concurrency_eval.emulators.embedded_s3",
        description="Serve an instrumented moto S3 on loopback until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--faults", default="{}", help="fault plan as JSON (see Faults)")
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args(argv)
    try:
        faults = Faults.from_dict(json.loads(args.faults))
    except (ValueError, TypeError) as error:
        parser.error(f"--faults: {error}")
    serve(args.host, args.port, faults, args.exit_with_stdin)
