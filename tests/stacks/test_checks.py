"""cdk-nag and cfn-lint over the real templates: they pass, and they can fail."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contracts import cdk_json
from tests.handlers import ROOT
from tests.stacks.synthesis import EVALUATION

pytestmark = pytest.mark.timeout(300)


def test_cdk_nag_passes_with_every_finding_acknowledged(synthesized: Path) -> None:
    # Synthesis succeeded (it fails on any unacknowledged finding, see below) and the
    # report lists no plugin with a violation.
    report = json.loads((synthesized / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_cdk_nag_fails_synth_on_a_new_finding(tmp_path: Path) -> None:
    # Given the app with one more bucket that allows plain HTTP and logs nothing
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from app import build_app

    context: dict[str, Any] = cdk_json.context() | {"aws:cdk:bundling-stacks": []}
    app = build_app(context=context, outdir=str(tmp_path))
    stack = app.node.find_child(EVALUATION)
    assert isinstance(stack, cdk.Stack)
    s3.Bucket(stack, "CarelessBucket")
    # When it is synthesized, Then synthesis fails naming the rules broken
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        app.synth()
    message = str(raised.value)
    assert "CarelessBucket" in message
    assert "AwsSolutions-S1'" in message
    assert "AwsSolutions-S10'" in message


def cfn_lint(*templates: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), *map(str, templates)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_cfn_lint_passes_on_every_template(synthesized: Path) -> None:
    templates = sorted(synthesized.glob("*.template.json"))
    assert len(templates) == 2
    result = cfn_lint(*templates)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_catches_a_broken_template(synthesized: Path, tmp_path: Path) -> None:
    template = json.loads((synthesized / "ConcurrencyEvalEvaluation.template.json").read_text())
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["MemorySize"] = 100_000
    broken = tmp_path / "broken.template.json"
    broken.write_text(json.dumps(template))
    assert cfn_lint(broken).returncode != 0
