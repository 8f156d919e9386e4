"""What the build buys: synth time, cold-start import time, and bundle sizes.

Prints, measured side by side in one run:

- synth time of the app with cold bundles (an empty cache), with warm bundles (a
  second synth into the same cdk.out, and into a fresh cdk.out from the cache), and
  of an empty CDK App, the floor no app can go below (Node.js and jsii start-up, and
  aws-cdk-lib's template validation engine); also of the smallest app of this kind,
  one Lambda function with cdk-nag, to show what the libraries alone cost. Each runs
  through cdk.json's app command, exactly as `cdk synth` runs the app;
- the cold import (Lambda's init) of each function from its real bundle, with the
  shipped bytecode and without it (as Lambda would compile it at every cold start);
- each bundle's size, unzipped and as a reproducible zip.

Targets: warm synth within 1.3x of the empty App; init with bytecode at most 0.6x of
init without. Usage: scripts/uv run python benchmarks/synth_and_init.py [--rounds N]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bundling.build import CACHE_VARIABLE, Builder, Target, find_python
from bundling.reproducible_zip import write_zip
from contracts import cdk_json
from contracts.bundles import BUNDLES, MODELS

ROOT = Path(__file__).resolve().parent.parent
APP = [cdk_json.APP_PROGRAM]
EMPTY_APP = ["-c", "import aws_cdk as cdk; cdk.App().synth()"]
# One function from inline code, checked by cdk-nag with its two findings accepted:
# what loading aws_lambda and cdk-nag costs any app, before its own resources.
SMALLEST_LAMBDA_APP = [
    "-c",
    """
import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
app = cdk.App()
stack = cdk.Stack(app, "Smallest")
lambda_.Function(stack, "Function", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                 code=lambda_.Code.from_inline("def handler(event, context): pass"))
basic_role = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
for rule in (f"AwsSolutions-IAM4[{basic_role}]", "AwsSolutions-L1"):
    cdk.Validations.of(app).acknowledge(cdk.Acknowledgment(id=rule, reason="a benchmark, never deployed"))
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
""",
]
# The app with cdk-nag's plugin replaced by nothing: only to show how much of a warm
# synth is cdk-nag's own work (the real app always runs it).
APP_WITHOUT_NAG = [
    "-c",
    "import app, aws_cdk as cdk; "
    "off = type('Off', (), {'add_plugins': lambda *a: None, 'acknowledge': lambda *a: None}); "
    "cdk.Validations.of = lambda scope: off(); "
    "app.build_app().synth()",
]
IMPORT_HANDLER = (
    "import sys, time; sys.path[:0] = sys.argv[1:4]; started = time.perf_counter(); "
    "import handler; print(time.perf_counter() - started)"
)


def synth_seconds(program: list[str], outdir: Path, cache: Path) -> float:
    """Wall time of one synthesis, run as the CDK CLI runs the app: cdk.json's app
    command through a shell, with `program` in place of `app.py`."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(cdk_json.context()),
        CACHE_VARIABLE: str(cache),
    }
    started = time.perf_counter()
    subprocess.run(
        cdk_json.app_command(program), shell=True, cwd=ROOT, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def import_seconds(code: Path, framework: Path, pypi: Path) -> float:
    """Wall time of `import handler` in a fresh interpreter that writes no bytecode."""
    completed = subprocess.run(
        [
            str(find_python("3.13")),
            "-I",
            "-S",
            "-B",
            "-c",
            IMPORT_HANDLER,
            str(code),
            str(framework),
            str(pypi),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return float(completed.stdout.strip())


def without_bytecode(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="repetitions of each warm measurement (default: %(default)s)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        cache = scratch / "bundles"
        cold, times = synth_times(scratch, cache, args.rounds)
        init = init_times(scratch, cache, args.rounds + 2)
        sizes = bundle_sizes(scratch, cache)
    report_synth(cold, times, args.rounds)
    report_init(init, args.rounds + 2)
    print("\nbundle sizes (arm64)")
    for name, (unzipped, zipped) in sizes.items():
        print(f"  {name:<10}{unzipped / 1e3:>10.0f} kB unzipped{zipped / 1e3:>10.0f} kB zipped")


def synth_times(scratch: Path, cache: Path, rounds: int) -> tuple[float, dict[str, list[float]]]:
    """The cold synth's seconds, and each warm and reference app's, interleaved by round."""
    print("synth: cold bundles ...", file=sys.stderr, flush=True)
    cold = synth_seconds(APP, scratch / "out-cold", cache)
    # Interleaved, so that a noisy moment on a shared machine hits every row alike.
    programs = {
        "empty App": (EMPTY_APP, "out-empty-{}"),
        "warm, same cdk.out": (APP, "out-cold"),
        "warm, fresh cdk.out": (APP, "out-{}"),
        "warm, without cdk-nag": (APP_WITHOUT_NAG, "out-cold"),
        "one Lambda function + cdk-nag": (SMALLEST_LAMBDA_APP, "out-smallest-{}"),
    }
    times: dict[str, list[float]] = {label: [] for label in programs}
    for round_ in range(rounds):
        print(f"synth: warm and reference apps, round {round_ + 1}/{rounds} ...", file=sys.stderr, flush=True)
        for label, (program, outdir) in programs.items():
            times[label].append(synth_seconds(program, scratch / outdir.format(round_), cache))
    return cold, times


def init_times(scratch: Path, cache: Path, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each handler's cold import from its host bundle, with and without the shipped bytecode."""
    print("init: host bundles ...", file=sys.stderr, flush=True)
    host = Builder(ROOT, Target.host(), cache_dir=cache, progress=lambda _: None).build_all()
    plain = {name: without_bytecode(host[name].path, scratch / "plain" / name) for name in BUNDLES}
    init: dict[str, dict[str, list[float]]] = {model: {"with": [], "without": []} for model in MODELS}
    for _ in range(rounds):
        for model in MODELS:
            layers = (host["framework"].path / "python", host["pypi"].path / "python")
            init[model]["with"].append(import_seconds(host[model].path, *layers))
            bare = (plain["framework"] / "python", plain["pypi"] / "python")
            init[model]["without"].append(import_seconds(plain[model], *bare))
    return init


def bundle_sizes(scratch: Path, cache: Path) -> dict[str, tuple[int, int]]:
    """Each arm64 bundle's size unzipped and zipped, in bytes."""
    target = Builder(ROOT, Target("arm64"), cache_dir=cache, progress=lambda _: None).build_all()
    sizes: dict[str, tuple[int, int]] = {}
    for name, bundle in target.items():
        zip_path = scratch / "zips" / f"{name}.zip"
        write_zip(bundle.path, zip_path)
        sizes[name] = (size_of(bundle.path), zip_path.stat().st_size)
    return sizes


def report_synth(cold: float, times: dict[str, list[float]], rounds: int) -> None:
    floor = median_ms(times["empty App"])
    smallest = median_ms(times["one Lambda function + cdk-nag"])
    print(f"\nsynth through cdk.json's app command (median of {rounds}; cold once)")
    print(f"  {'':<32}{'':>9}    {'vs empty App':>12}{'vs one function':>17}")
    print(f"  {'empty App (floor)':<32}{floor:>9.0f} ms {1:>11.2f}x")
    rows = [("cold bundles", cold * 1000)] + [
        (label, median_ms(times[label]))
        for label in (
            "warm, same cdk.out",
            "warm, fresh cdk.out",
            "warm, without cdk-nag",
            "one Lambda function + cdk-nag",
        )
    ]
    for label, value in rows:
        print(f"  {label:<32}{value:>9.0f} ms {value / floor:>11.2f}x{value / smallest:>16.2f}x")


def report_init(init: dict[str, dict[str, list[float]]], rounds: int) -> None:
    print(f"\ncold import of the handler from its bundle (median of {rounds})")
    print(f"  {'function':<10}{'bytecode':>12}{'no bytecode':>14}{'ratio':>8}")
    for model in MODELS:
        with_, without = median_ms(init[model]["with"]), median_ms(init[model]["without"])
        print(f"  {model:<10}{with_:>9.0f} ms{without:>11.0f} ms{with_ / without:>8.2f}")


if __name__ == "__main__":
    main()
