"""The parent's side of the embedded S3: start it in a child process, drive it over
its control API, and stop it, whatever happens."""

import json
import shutil
import ssl
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Self

from concurrency_eval.emulators.child_process import ChildServer, StandInStopped, StartsAndStops
from concurrency_eval.emulators.embedded_s3.faults import Faults
from concurrency_eval.emulators.embedded_s3.instrument import CONTROL_PREFIX


class CertificateAuthority:
    """A certificate authority made for one run, and the embedded S3's certificate from it.

    The functions verify the server as botocore verifies S3: against a CA bundle, here
    named by AWS_CA_BUNDLE. Made with trustme; nothing of it outlives the run.
    """

    def __init__(self) -> None:
        import trustme

        self.directory = Path(tempfile.mkdtemp(prefix="concurrency-eval-ca-"))
        authority = trustme.CA(organization_name="concurrency-eval embedded S3")
        certificate = authority.issue_cert("127.0.0.1", "localhost", "::1")
        self.bundle = self.directory / "ca.pem"
        self.server_pem = self.directory / "server.pem"
        authority.cert_pem.write_to_path(str(self.bundle))
        certificate.private_key_and_cert_chain_pem.write_to_path(str(self.server_pem))

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class EmbeddedS3(StartsAndStops):
    """Start the embedded S3 in a child process; stop it, whatever happens, on exit.

    With `tls`, it serves HTTPS with a certificate made for the run; `ca_bundle` is then
    the file a client verifies it against (AWS_CA_BUNDLE, or boto3's `verify`).
    """

    def __init__(self, faults: Faults | None = None, start_timeout: float = 30.0, tls: bool = False) -> None:
        self._faults = faults or Faults()
        self._start_timeout = start_timeout
        self.tls = tls
        self._authority: CertificateAuthority | None = None
        self._child: ChildServer | None = None
        self.endpoint = ""

    @property
    def ca_bundle(self) -> Path | None:
        return None if self._authority is None else self._authority.bundle

    def start(self) -> Self:
        arguments = ["--port", "0", "--faults", json.dumps(self._faults.to_dict())]
        if self.tls:
            self._authority = CertificateAuthority()
            # The server removes them too when it ends: it outlives a parent killed outright.
            arguments += [
                "--certificate", str(self._authority.server_pem),
                "--remove-on-exit", str(self._authority.directory),
            ]  # fmt: skip
        self._child = ChildServer(
            "concurrency_eval.emulators.embedded_s3",
            arguments,
            what="the embedded S3",
            start_timeout=self._start_timeout,
            grace_s=5,
        )
        try:
            self.endpoint = self._child.start()["endpoint"]
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def pid(self) -> int | None:
        """The server process, for tests that stop and continue it."""
        return None if self._child is None else self._child.pid

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()
        if self._authority is not None:
            self._authority.remove()
            self._authority = None

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> dict[str, Any]:
        return self._call("POST", "reset")

    def set_faults(self, faults: Faults) -> None:
        self._call("PUT", "faults", faults.to_dict())

    def _call(self, method: str, action: str, body: object = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint}{CONTROL_PREFIX}{action}", data=data, method=method)
        context = None if self.ca_bundle is None else ssl.create_default_context(cafile=str(self.ca_bundle))
        try:
            with urllib.request.urlopen(request, timeout=10, context=context) as response:
                result: dict[str, Any] = json.loads(response.read())
                return result
        except OSError as error:
            if self._child is not None:
                self._child.check_alive()
            raise StandInStopped(f"the embedded S3 did not answer ({error})") from None
