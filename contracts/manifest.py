"""The published-artifacts manifest: which object version of the artifact bucket holds
each bundle. `concurrency-eval publish` writes it; the stacks read it back as the
`publishedArtifacts` setting to deploy exactly those versions. One format, one module.

    {"bucket": "...", "artifacts": {"pypi": {"key": "...", "version": "...", "sha256": "..."}, ...}}
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from contracts.bundles import BUNDLES

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class PublishedObject:
    key: str
    version: str
    #: The zip's sha256, as publish recorded it; informative, the version pins.
    sha256: str | None = None


@dataclass(frozen=True)
class PublishedArtifacts:
    """Layers and functions from the artifact bucket, pinned by key and version."""

    bucket: str
    objects: dict[str, PublishedObject]

    def to_document(self) -> dict[str, Any]:
        artifacts: dict[str, dict[str, str]] = {}
        for name, published in self.objects.items():
            entry = {"key": published.key, "version": published.version}
            if published.sha256 is not None:
                entry["sha256"] = published.sha256
            artifacts[name] = entry
        return {"bucket": self.bucket, "artifacts": artifacts}

    @classmethod
    def from_document(cls, raw: Any) -> "PublishedArtifacts":
        """Read a manifest, as a parsed document or its JSON text. Every bundle must be
        there; ValueError says what is wrong otherwise."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as error:
                raise ValueError(f"is not JSON ({error.msg} at character {error.pos})") from None
            except RecursionError:
                raise ValueError("is nested too deeply to be a manifest") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("artifacts"), dict):
            raise ValueError(
                'must be an object {"bucket": ..., "artifacts": {name: {"key": ..., "version": ...}}}'
            )
        bucket = raw.get("bucket")
        if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
            raise ValueError(f"has no valid bucket name (got {bucket!r})")
        missing = [name for name in BUNDLES if name not in raw["artifacts"]]
        if missing:
            raise ValueError(f"lacks {', '.join(missing)}; it needs {', '.join(BUNDLES)}")
        return cls(bucket, {name: _published_object(name, raw["artifacts"][name]) for name in BUNDLES})


def _published_object(name: str, entry: Any) -> PublishedObject:
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(field), str) and entry[field] for field in ("key", "version")
    ):
        raise ValueError(f"artifact {name!r} needs a key and a version")
    sha256 = entry.get("sha256")
    return PublishedObject(entry["key"], entry["version"], sha256 if isinstance(sha256, str) else None)
