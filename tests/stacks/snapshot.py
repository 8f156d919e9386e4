"""Committed templates of the app as configured without the optional dimensions, to
keep them byte-identical while options are added beside them.

What changes with every code change is taken out before comparing: the asset hashes of
the bundles (a handler edited is a new zip, not a new template) and the suffix CDK
derives from them for each function's `CurrentVersion` logical ID. Everything else is
compared as synthesized.

When a change to these templates is intended, refresh the snapshots and commit them:

    scripts/uv run --locked python -m tests.stacks.snapshot
"""

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.stacks.synthesis import GITHUB, synth

FOLDER = Path(__file__).resolve().parent / "snapshots"
REFRESH = "scripts/uv run --locked python -m tests.stacks.snapshot"

#: Each snapshot's settings: the app as cdk.json configures it, and with every setting
#: that existed before the optional dimensions (architectures, dataBucket, vpc) given.
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "configured": {
        **GITHUB,
        "architecture": "x86_64",
        "memory": "512",
        "timeout": 30,
        "reservedConcurrency": 10,
        "provisionedConcurrency": 2,
        "removalPolicy": "destroy",
        "logRetentionDays": 7,
        "artifactPrefix": "team/artifacts/",
    },
}

_ASSET_KEY = re.compile(r"^[0-9a-f]{64}\.zip$")
_VERSION_ID = re.compile(r"(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}")


def normalised(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The templates with the bundles' content hashes replaced by placeholders."""
    text = _VERSION_ID.sub(r"\1<bundle hash>", json.dumps(templates, sort_keys=True))
    return _without_asset_keys(json.loads(text))  # type: ignore[no-any-return]


def _without_asset_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: "<bundle>.zip"
            if key == "S3Key" and _ASSET_KEY.match(str(value))
            else _without_asset_keys(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_without_asset_keys(item) for item in node]
    return node


def path(name: str) -> Path:
    return FOLDER / f"{name}.json"


def synthesized(name: str, outdir: Path) -> dict[str, Any]:
    return normalised(synth(outdir, CONFIGURATIONS[name]))


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for name in CONFIGURATIONS:
            snapshot = synthesized(name, Path(scratch) / name)
            path(name).write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
            print(f"wrote {path(name)}", file=sys.stderr)


if __name__ == "__main__":
    main()
