"""The embedded S3's child process: moto's S3 app behind the asyncio server, on loopback."""

import argparse
import asyncio
import json
import shutil
import ssl
from collections.abc import Callable
from pathlib import Path

from concurrency_eval.emulators.child_process import announce_ready, serve_until_told
from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.http_server import S3Server
from concurrency_eval.emulators.embedded_s3.instrument import Instrument
from concurrency_eval.emulators.embedded_s3.messages import WsgiApp


def moto_s3_app() -> WsgiApp:
    """moto's S3 app on its own: no dispatcher in front that looks up the service per
    request (it lists moto's package folder every time, a millisecond of CPU)."""
    from moto.moto_server.werkzeug_app import create_backend_app

    app: WsgiApp = create_backend_app("s3")
    return app


def tls_context(certificate: Path | None) -> ssl.SSLContext | None:
    """A server context from a PEM file holding the key and the certificate chain."""
    if certificate is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    return context


async def serve(
    host: str, port: int, faults: Faults, certificate: Path | None, exit_with_stdin: bool
) -> None:
    """Serve until SIGTERM or SIGINT, or until standard input closes (the parent is gone)."""
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    server = S3Server(moto_s3_app(), Instrument(faults), tls_context(certificate))

    listener = await server.start(host, port)

    def stop() -> None:
        loop.call_soon_threadsafe(stopped.set)

    serve_until_told(stop, exit_with_stdin)
    bound_host, bound_port = listener.sockets[0].getsockname()[:2]
    announce_ready(endpoint=f"{server.scheme}://{bound_host!s}:{bound_port}")
    try:
        await stopped.wait()
    finally:
        listener.close()
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m concurrency_eval.emulators.embedded_s3",
        description="Serve an instrumented moto S3 on loopback until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--faults", default="{}", help="fault plan as JSON (see Faults)")
    parser.add_argument(
        "--certificate", type=Path, help="serve HTTPS with this PEM file (private key and certificate chain)"
    )
    parser.add_argument(
        "--remove-on-exit",
        type=Path,
        metavar="DIR",
        help="a folder to remove when the server ends (the run's certificates), even if its parent is killed",
    )
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args(argv)
    try:
        faults = Faults.from_dict(json.loads(args.faults))
    except (ValueError, TypeError, AttributeError) as error:
        parser.error(f"--faults: {error}")
    try:
        asyncio.run(
            serve(args.host, args.port, faults, args.certificate, args.exit_with_stdin),
            loop_factory=loop_factory(),
        )
    finally:
        if args.remove_on_exit is not None:
            shutil.rmtree(args.remove_on_exit, ignore_errors=True)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed: its C transports cost the server a
    quarter less CPU per request than asyncio's own (benchmarks/embedded_s3.py)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
