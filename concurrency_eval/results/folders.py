"""Where a sweep's files are: the names the tool gives them in a sweep's folder, and the
architectures' folders of a run of two (`run --architectures`).

Plain names and paths, apart from what reads the files, so that the command line can
check a folder it is given without importing the results' models and charts."""

from pathlib import Path

from contracts.bundles import ARCHITECTURES

RESULTS = "results.json"
#: The same invocations as a table, a row each, for spreadsheets.
TABLE = "results.csv"
#: A sweep's chart, beside its results.
CHART = "chart.png"
#: The comparison chart's name, beside B (`report A B`) or the run (`run --architectures`):
#: a sweep's own chart.png stays as it was drawn.
COMPARISON_CHART = "comparison.png"


def architecture_folders(directory: Path) -> dict[str, Path]:
    """The architectures' sweep folders in a run's folder that holds them, by name; empty
    for any other folder."""
    return {name: directory / name for name in ARCHITECTURES if (directory / name / RESULTS).is_file()}
