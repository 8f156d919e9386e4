"""Publish the bundles as reproducible zips to the versioned artifact bucket.

Keys are stable (`<prefix><target>/layers/<name>.zip`, `.../functions/<name>.zip`),
so S3's versioning tells one published build from the next. Each object carries the
sha256 of its zip in its metadata; a zip whose hash is already there is not uploaded
again and keeps its version, so deployments pinned to it see no change.
"""

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from bundling.build import Builder, Bundle, Target
from bundling.reproducible_zip import write_zip
from contracts.bundles import BUNDLES, LAYERS
from contracts.manifest import PublishedArtifacts, PublishedObject

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

HASH_METADATA = "content-sha256"
KEY_METADATA = "bundle-key"


class PublishError(RuntimeError):
    """Publishing cannot go on; the message says why."""


@dataclass(frozen=True)
class Artifact:
    name: str
    kind: str
    key: str
    version: str
    sha256: str
    uploaded: bool


def artifact_key(prefix: str, target: Target, name: str) -> str:
    folder = "layers" if name in LAYERS else "functions"
    return f"{prefix}{target.label}/{folder}/{name}.zip"


def publish(
    client: "S3Client",
    bucket: str,
    prefix: str,
    builder: Builder,
    names: Sequence[str] = BUNDLES,
    on_artifact: Callable[[Artifact], None] = lambda _: None,
) -> list[Artifact]:
    artifacts = []
    for name in names:
        bundle = builder.build(name)
        zip_path, sha256 = zipped(bundle)
        key = artifact_key(prefix, builder.target, name)
        version = _published_version(client, bucket, key, sha256)
        uploaded = version is None
        if version is None:
            response = client.put_object(
                Bucket=bucket,
                Key=key,
                Body=zip_path.read_bytes(),
                ContentType="application/zip",
                Metadata={HASH_METADATA: sha256, KEY_METADATA: bundle.key},
                ChecksumAlgorithm="SHA256",
            )
            version = response.get("VersionId")
            if not version or version == "null":
                raise PublishError(
                    f"s3://{bucket} is not versioned, so published artifacts cannot be pinned; "
                    "deploy the artifacts stack, whose bucket is, or enable versioning"
                )
        artifact = Artifact(name, "layer" if bundle.is_layer else "function", key, version, sha256, uploaded)
        on_artifact(artifact)
        artifacts.append(artifact)
    return artifacts


def zipped(bundle: Bundle) -> tuple[Path, str]:
    """The bundle's reproducible zip and its sha256, kept beside the bundle in the cache:
    a built bundle never changes, so neither does its zip, and publishing it again
    does not compress it again (the PyPI layer's takes seconds)."""
    zip_path = bundle.path.with_name(f"{bundle.path.name}.zip")
    if zip_path.is_file():
        return zip_path, hashlib.sha256(zip_path.read_bytes()).hexdigest()
    # Written aside and renamed: another process never reads half a zip.
    scratch = zip_path.with_name(f".{zip_path.name}-{os.getpid()}-{threading.get_ident()}")
    try:
        sha256 = write_zip(bundle.path, scratch)
        scratch.replace(zip_path)
    finally:
        scratch.unlink(missing_ok=True)
    return zip_path, sha256


def _published_version(client: "S3Client", bucket: str, key: str, sha256: str) -> str | None:
    """The current version of `key` if it already holds this content, else None."""
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    if head.get("Metadata", {}).get(HASH_METADATA) == sha256:
        return head.get("VersionId")
    return None


def manifest(bucket: str, artifacts: Sequence[Artifact]) -> dict[str, Any]:
    """What the stacks take as `publishedArtifacts` context to deploy these versions."""
    objects = {a.name: PublishedObject(a.key, a.version, a.sha256) for a in artifacts}
    return PublishedArtifacts(bucket, objects).to_document()


def github_outputs(bucket: str, artifacts: Sequence[Artifact]) -> dict[str, str]:
    outputs = {"bucket": bucket, "manifest": json.dumps(manifest(bucket, artifacts), separators=(",", ":"))}
    for artifact in artifacts:
        outputs[f"{artifact.name}_key"] = artifact.key
        outputs[f"{artifact.name}_version"] = artifact.version
    return outputs


def summary_markdown(bucket: str, artifacts: Sequence[Artifact]) -> str:
    lines = [
        f"### Published to s3://{bucket}",
        "",
        "| artifact | kind | key | version | sha256 | |",
        "|---|---|---|---|---|---|",
    ]
    for a in artifacts:
        state = "uploaded" if a.uploaded else "unchanged"
        lines.append(f"| {a.name} | {a.kind} | `{a.key}` | `{a.version}` | `{a.sha256[:16]}` | {state} |")
    return "\n".join(lines) + "\n"


def write_github_files(
    bucket: str, artifacts: Sequence[Artifact], output: Path | None, summary: Path | None
) -> None:
    """Append the job outputs and the job summary where GitHub Actions reads them."""
    if output is not None:
        with output.open("a") as handle:
            for name, value in github_outputs(bucket, artifacts).items():
                handle.write(f"{name}={value}\n")
    if summary is not None:
        with summary.open("a") as handle:
            handle.write(summary_markdown(bucket, artifacts))
