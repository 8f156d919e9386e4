"""The local evaluation's headline figures, measured in one run.

At 1000 objects (1-50 KB) and the default S3 latency: the warm wall time of threaded
and asyncio as a ratio of sync's, the function's CPU milliseconds per object, peak
RSS per model, and the S3 emulator's CPU share while each model ran (near 100% of
a core, the emulator, not the function, sets the pace). Goal: threaded and asyncio
at most 0.2x of sync. Usage: scripts/uv run python benchmarks/local_eval.py
"""

import argparse
import tempfile
from pathlib import Path

from concurrency_eval.dataset import DataSetSpec
from concurrency_eval.local_run import DEFAULT_LATENCY_MS, LocalSettings, run_local

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--invocations", type=int, default=2, help="warm invocations per model (default: 2)")
    parser.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS)
    args = parser.parse_args()
    settings = LocalSettings(
        dataset=DataSetSpec(objects=args.objects), invocations=args.invocations, latency_ms=args.latency_ms
    )
    with tempfile.TemporaryDirectory() as logs:
        results = run_local(ROOT, settings, Path(logs))
    summaries = {summary.model: summary for summary in results.summaries()}
    sync = summaries["sync"].warm_median_ms
    print(f"{args.objects} objects, {args.latency_ms:g} ms latency, concurrency {settings.concurrency}, "
          f"{args.invocations} warm invocations each (median)")  # fmt: skip
    header = f"{'model':<10}{'warm ms':>10}{'x sync':>8}{'CPU ms/obj':>12}{'peak RSS MB':>13}"
    print(f"{header}{'S3 server CPU':>15}{'answers':>9}")
    for model, summary in summaries.items():
        ratio = summary.warm_median_ms / sync if sync and summary.warm_median_ms else float("nan")
        cpu = summary.cpu_ms_per_object or 0
        print(
            f"{model:<10}{summary.warm_median_ms or 0:>10.0f}{ratio:>8.2f}{cpu:>12.2f}"
            f"{summary.peak_rss_mb:>13.0f}{(summary.server_cpu_share or 0):>15.0%}"
            f"{summary.correct:>5}/{len(results.models[0].invocations)}"
        )


if __name__ == "__main__":
    main()
