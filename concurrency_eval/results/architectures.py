"""The same functions swept on two architectures, compared.

`run --architectures arm64,x86_64` sweeps each variant of a stack that deploys both,
each priced at its own rate, into a folder of its own under the run's folder
(`<run>/arm64/`, `<run>/x86_64/`). Together they answer two questions: point by point,
how the second architecture's durations and costs compare with the first's, the
baseline (`comparison`: B/A with its 95% CI); and per model, which size on which
architecture is the fastest, the cheapest and the balanced choice among every size on
either (`verdict`), with ties within noise said as the one-architecture verdict says them.
"""

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from concurrency_eval.results.comparison import Comparison, compare
from concurrency_eval.results.document import Results, ResultsError
from concurrency_eval.results.folders import RESULTS, architecture_folders
from concurrency_eval.results.verdict import DEFAULT_BALANCED_WEIGHT, ModelVerdict, model_verdict, points
from contracts.bundles import ARCHITECTURES

#: What two variants' results record differently by design: each variant's functions (their
#: names, architectures, code and layers) and which variant the sweep was of.
EXPECTED_DIFFERENCES = ("environment.functions.", "settings.options.architecture")


@dataclass(frozen=True)
class ArchitectureSweeps:
    """Each architecture's sweep, the baseline (the first named) first."""

    runs: Mapping[str, Results]

    def __post_init__(self) -> None:
        if len(self.runs) != 2:
            raise ValueError(f"two architectures' sweeps compare, not {len(self.runs)}")

    @property
    def architectures(self) -> tuple[str, str]:
        first, second = self.runs
        return first, second

    @functools.cached_property
    def comparison(self) -> Comparison:
        """The second architecture (B) against the first (A, the baseline); what their
        results must record differently (the functions, the variant swept) is no warning."""
        first, second = self.architectures
        found = compare(self.runs[first], self.runs[second])
        kept = [d for d in found.differences if not d.setting.startswith(EXPECTED_DIFFERENCES)]
        return dataclasses.replace(found, differences=kept)

    def verdict(self, balanced_weight: float = DEFAULT_BALANCED_WEIGHT) -> list[ModelVerdict]:
        """Per model, the three choices among its sizes on both architectures."""
        every = [
            dataclasses.replace(point, architecture=architecture)
            for architecture, results in self.runs.items()
            for point in points(results, results.trim)
        ]
        models = dict.fromkeys(point.model for point in every)
        return [
            model_verdict(model, [p for p in every if p.model == model], balanced_weight) for model in models
        ]

    def trimmed(self, trim: float | None) -> "ArchitectureSweeps":
        return ArchitectureSweeps({name: results.trimmed(trim) for name, results in self.runs.items()})

    @property
    def partial(self) -> bool:
        return any(results.partial for results in self.runs.values())

    def all_correct(self) -> bool:
        return all(results.all_correct() for results in self.runs.values())


def read(directory: Path, order: tuple[str, ...] | None = None) -> ArchitectureSweeps:
    """The two sweeps in `directory`, the baseline first: `order`'s first, else the one
    the run named first (recorded in each sweep's options)."""
    found = architecture_folders(directory)
    if len(found) != 2:
        raise ResultsError(
            f"{directory} holds {len(found)} architectures' sweeps ({', '.join(found) or 'none'}); "
            f"a run of two holds {' and '.join(f'{name}/{RESULTS}' for name in ARCHITECTURES)}"
        )
    runs = {name: Results.read(path / RESULTS) for name, path in found.items()}
    named = order or _recorded_order(runs) or tuple(found)
    return ArchitectureSweeps({name: runs[name] for name in named})


def _recorded_order(runs: Mapping[str, Results]) -> tuple[str, ...] | None:
    for results in runs.values():
        options = results.settings.get("options")
        recorded = options.get("architectures") if isinstance(options, dict) else None
        if isinstance(recorded, list) and sorted(recorded) == sorted(runs):
            return tuple(str(name) for name in recorded)
    return None
