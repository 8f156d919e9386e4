"""Publishing, with the workflow's own command, to a versioned bucket on the embedded S3."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from bundling.build import Builder, Bundle, Target
from bundling.reproducible_zip import write_zip
from concurrency_eval.artifacts.publish import publish, zipped
from concurrency_eval.emulators.embedded_s3.process import EmbeddedS3
from contracts import cdk_json
from contracts.manifest import PublishedArtifacts
from contracts.stack import DEFAULT_ARTIFACT_PREFIX
from tests.handlers import ROOT

pytestmark = pytest.mark.timeout(600)
NAMES = ("pypi", "framework", "sync", "threaded", "asyncio")


def workflow_publish_command() -> str:
    job = yaml.safe_load((ROOT / ".github/workflows/main.yml").read_text())["jobs"]["publish"]
    (step,) = [step for step in job["steps"] if step.get("id") == "publish"]
    command: str = step["run"]
    return command


@pytest.fixture
def bucket(s3_endpoint: EmbeddedS3, request: pytest.FixtureRequest) -> str:
    name = f"artifacts-{request.node.name.lower().replace('_', '-')[:40]}"
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def run_workflow_step(
    bucket: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    tmp_path.mkdir(exist_ok=True)
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    output.write_text("")
    summary.write_text("")
    env = os.environ | {
        "ARTIFACT_BUCKET": bucket,
        "FRAMEWORK_SOURCE": "",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    completed = subprocess.run(
        ["bash", "-c", workflow_publish_command()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return completed, outputs, summary.read_text()


def test_the_workflow_step_publishes_then_skips_unchanged(bucket: str, tmp_path: Path) -> None:
    # When the workflow's publish command runs against an empty versioned bucket
    completed, outputs, summary = run_workflow_step(bucket, tmp_path / "first")
    assert completed.returncode == 0, completed.stderr
    # Then it uploads all five and reports bucket, keys and versions as job outputs
    assert outputs["bucket"] == bucket
    for name in NAMES:
        assert outputs[f"{name}_key"].endswith(f"/{name}.zip")
        assert outputs[f"{name}_version"]
    assert outputs["pypi_key"] == "artifacts/arm64-py3.13/layers/pypi.zip"
    assert outputs["sync_key"] == "artifacts/arm64-py3.13/functions/sync.zip"
    assert summary.count("| uploaded |") == 5
    manifest: dict[str, Any] = json.loads(outputs["manifest"])
    assert manifest["artifacts"]["asyncio"]["version"] == outputs["asyncio_version"]
    # When it runs again with nothing changed
    again_completed, again, again_summary = run_workflow_step(bucket, tmp_path / "second")
    assert again_completed.returncode == 0, again_completed.stderr
    # Then nothing is uploaded and every version stays the same
    assert {k: v for k, v in again.items() if k.endswith("_version")} == {
        k: v for k, v in outputs.items() if k.endswith("_version")
    }
    assert again_summary.count("| unchanged |") == 5
    versions = boto3.client("s3").list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == 5


def test_a_changed_handler_republishes_only_its_function(bucket: str, tmp_path: Path) -> None:
    client = boto3.client("s3", region_name="us-east-1")
    builder = Builder(ROOT, Target("arm64"), progress=print)
    first = {a.name: a for a in publish(client, bucket, "artifacts/", builder)}
    # Given a copy of the sources where the threaded handler changed, built into the same
    # cache (a bundle's key is its content: only the changed one is built again)
    root = tmp_path / "src"
    root.mkdir()
    for name in ("pyproject.toml", "uv.lock", ".python-version", "README.md"):
        shutil.copy2(ROOT / name, root / name)
    for folder in ("lambdas", "layers", "scripts", "concurrency_eval"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    with (root / "lambdas/threaded/handler.py").open("a") as handler:
        handler.write("\n# changed\n")
    # When it is published
    second = {
        a.name: a
        for a in publish(
            client,
            bucket,
            "artifacts/",
            Builder(root, Target("arm64"), cache_dir=builder.cache_dir, progress=print),
        )
    }
    # Then only the threaded function was uploaded, as a new version of the same key
    assert [name for name, artifact in second.items() if artifact.uploaded] == ["threaded"]
    assert second["threaded"].key == first["threaded"].key
    assert second["threaded"].version != first["threaded"].version
    assert all(second[n].version == first[n].version for n in NAMES if n != "threaded")


def test_an_unversioned_bucket_is_refused(s3_endpoint: EmbeddedS3, tmp_path: Path) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="plain-artifact-bucket")
    completed, _, _ = run_workflow_step("plain-artifact-bucket", tmp_path)
    assert completed.returncode == 3
    assert "is not versioned" in completed.stderr


def test_a_one_line_manifest(bucket: str, tmp_path: Path) -> None:
    # When publish writes its manifest to a file, with cdk.json's prefix
    manifest = tmp_path / "artifacts.json"
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("concurrency-eval")), "publish", "--bucket", bucket,
         "--manifest", str(manifest)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    # Then the file is one line, as `-c publishedArtifacts="$(cat artifacts.json)"` needs,
    # and it is the manifest the stacks read, under cdk.json's artifactPrefix
    text = manifest.read_text()
    assert text.count("\n") == 1
    assert text.endswith("\n")
    published = PublishedArtifacts.from_document(text.strip())
    prefix = cdk_json.context().get("artifactPrefix", DEFAULT_ARTIFACT_PREFIX)
    assert published.to_document()["artifacts"]["sync"]["key"].startswith(prefix)


def test_a_bundles_zip_is_made_once_beside_it_and_is_its_reproducible_zip(tmp_path: Path) -> None:
    # Given a bundle in a cache
    bundle = Bundle("sync", "0" * 64, tmp_path / "cache" / "sync-000")
    (bundle.path / "pkg").mkdir(parents=True)
    (bundle.path / "handler.py").write_text("def handler(event, context): ...\n")
    (bundle.path / "pkg" / "data.txt").write_text("x" * 1000)
    # When its zip is asked for twice
    path, sha256 = zipped(bundle)
    written = path.stat().st_mtime_ns
    again = zipped(bundle)
    # Then it is the reproducible zip of the bundle, with its sha256, written once beside it
    assert path.parent == bundle.path.parent
    assert sha256 == write_zip(bundle.path, tmp_path / "fresh.zip")
    assert path.read_bytes() == (tmp_path / "fresh.zip").read_bytes()
    assert again == (path, sha256)
    assert path.stat().st_mtime_ns == written
    assert sorted(p.name for p in path.parent.iterdir()) == ["sync-000", "sync-000.zip"]
