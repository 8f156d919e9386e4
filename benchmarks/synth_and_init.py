"""What the build buys: synth time, cold-start import time, and bundle sizes.

Prints, measured side by side in one run:

- synth time of the app with cold bundles (an empty cache), with warm bundles (a
  second synth into the same cdk.out, and into a fresh cdk.out from the cache), and
  of an empty CDK App, the floor no app can go below (Node.js and jsii start-up);
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

from concurrency_eval.build import BUNDLES, CACHE_VARIABLE, FUNCTIONS, Builder, Target, find_python
from concurrency_eval.reproducible_zip import write_zip

ROOT = Path(__file__).resolve().parent.parent
EMPTY_APP = "import aws_cdk as cdk; cdk.App().synth()"
# The app with cdk-nag's plugin replaced by nothing: only to show how much of a warm
# synth is cdk-nag's own work (the real app always runs it).
APP_WITHOUT_NAG = (
    "import app, aws_cdk as cdk; "
    "off = type('Off', (), {'add_plugins': lambda *a: None, 'acknowledge': lambda *a: None}); "
    "cdk.Validations.of = lambda scope: off(); "
    "app.build_app().synth()"
)
IMPORT_HANDLER = (
    "import sys, time; sys.path[:0] = sys.argv[1:4]; started = time.perf_counter(); "
    "import handler; print(time.perf_counter() - started)"
)


def synth_seconds(command: list[str], outdir: Path, cache: Path) -> float:
    """Wall time of one synthesis, run as the CDK CLI runs the app."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        CACHE_VARIABLE: str(cache),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    }
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
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
        "--rounds", type=int, default=3, help="repetitions of each warm measurement (default: %(default)s)"
    )
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        cache = scratch / "bundles"

        print("synth: cold bundles ...", file=sys.stderr, flush=True)
        cold = synth_seconds([python, "app.py"], scratch / "out-cold", cache)
        times: dict[str, list[float]] = {
            "empty App": [],
            "warm, same cdk.out": [],
            "warm, fresh cdk.out": [],
            "warm, without cdk-nag": [],
        }
        for round_ in range(args.rounds):
            print(f"synth: warm and empty, round {round_ + 1}/{args.rounds} ...", file=sys.stderr, flush=True)
            times["empty App"].append(
                synth_seconds([python, "-c", EMPTY_APP], scratch / f"out-empty-{round_}", cache)
            )
            times["warm, same cdk.out"].append(synth_seconds([python, "app.py"], scratch / "out-cold", cache))
            times["warm, fresh cdk.out"].append(
                synth_seconds([python, "app.py"], scratch / f"out-{round_}", cache)
            )
            times["warm, without cdk-nag"].append(
                synth_seconds([python, "-c", APP_WITHOUT_NAG], scratch / "out-cold", cache)
            )

        print("init: host bundles ...", file=sys.stderr, flush=True)
        host = Builder(ROOT, Target.host(), cache_dir=cache, progress=lambda _: None).build_all()
        plain = {name: without_bytecode(host[name].path, scratch / "plain" / name) for name in BUNDLES}
        init: dict[str, dict[str, list[float]]] = {model: {"with": [], "without": []} for model in FUNCTIONS}
        for _ in range(args.rounds + 2):
            for model in FUNCTIONS:
                layers = (host["framework"].path / "python", host["pypi"].path / "python")
                init[model]["with"].append(import_seconds(host[model].path, *layers))
                bare = (plain["framework"] / "python", plain["pypi"] / "python")
                init[model]["without"].append(import_seconds(plain[model], *bare))

        target = Builder(ROOT, Target("arm64"), cache_dir=cache, progress=lambda _: None).build_all()
        sizes: dict[str, tuple[int, int]] = {}
        for name, bundle in target.items():
            zip_path = scratch / "zips" / f"{name}.zip"
            write_zip(bundle.path, zip_path)
            sizes[name] = (size_of(bundle.path), zip_path.stat().st_size)

    floor = median_ms(times["empty App"])
    print(f"\nsynth (median of {args.rounds}; cold once)")
    print(f"  {'empty App (floor)':<28}{floor:>9.0f} ms")
    print(f"  {'cold bundles':<28}{cold * 1000:>9.0f} ms  {cold * 1000 / floor:5.2f}x floor")
    for label in ("warm, same cdk.out", "warm, fresh cdk.out", "warm, without cdk-nag"):
        value = median_ms(times[label])
        print(f"  {label:<28}{value:>9.0f} ms  {value / floor:5.2f}x floor")
    print(f"\ncold import of the handler from its bundle (median of {args.rounds + 2})")
    print(f"  {'function':<10}{'bytecode':>12}{'no bytecode':>14}{'ratio':>8}")
    for model in FUNCTIONS:
        with_, without = median_ms(init[model]["with"]), median_ms(init[model]["without"])
        ratio = with_ / without
        print(f"  {model:<10}{with_:>9.0f} ms{without:>11.0f} ms{ratio:>8.2f}")
    print("\nbundle sizes (arm64)")
    for name, (unzipped, zipped) in sizes.items():
        print(f"  {name:<10}{unzipped / 1e3:>10.0f} kB unzipped{zipped / 1e3:>10.0f} kB zipped")


if __name__ == "__main__":
    main()
