"""CDK assets from the build module's bundles, bundled locally: no Docker, ever.

CDK calls `try_bundle` when a stack needs its assets (not for stacks excluded with
`--exclusively`, nor when tests skip bundling). The bundle comes from the build
module's cache, hard-linked into CDK's output when the file system allows, so a
second synth of unchanged sources does no build work at all.
"""

import os
import shutil
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

from bundling.build import Builder, BuildError
from contracts.bundles import source_directory

# Never used: local bundling either succeeds or raises. CDK requires an image anyway.
_NO_DOCKER = cdk.DockerImage.from_registry("local-bundling-only")


@jsii.implements(cdk.ILocalBundling)
class LocalBundle:
    def __init__(self, builder: Builder, name: str) -> None:
        self._builder = builder
        self._name = name

    # jsii passes the options positionally, not as the keywords of the typed stub.
    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        try:
            bundle = self._builder.build(self._name)
        except BuildError as error:
            # No Docker fallback exists here: returning False would try Docker and
            # fail with a less useful message.
            raise RuntimeError(f"building the {self._name} bundle failed: {error}") from error
        _link_tree(bundle.path, Path(output_dir))
        return True


def bundle_code(builder: Builder, name: str) -> lambda_.Code:
    """A Lambda `Code` for one bundle, hashed by the bundle's content key."""
    source = builder.root / source_directory(name)
    return lambda_.Code.from_asset(
        str(source),
        asset_hash=builder.key(name),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        bundling=cdk.BundlingOptions(image=_NO_DOCKER, local=LocalBundle(builder, name)),
    )


def _link_tree(source: Path, destination: Path) -> None:
    """Hard-link `source`'s files into `destination`, copying where links fail."""

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, destination, copy_function=link_or_copy, dirs_exist_ok=True)
