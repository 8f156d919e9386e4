"""Zip a bundle directory so that the same files always give the same bytes.

Entries are sorted, timestamps fixed, permissions normalised and no directory
entries or host metadata written, so a zip's hash depends only on its content.
"""

import hashlib
import os
import zipfile
from pathlib import Path

#: The earliest time a zip can hold; any fixed value would do.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def write_zip(directory: Path, destination: Path) -> str:
    """Zip every file under `directory` into `destination`; return the zip's sha256."""
    files = sorted(
        (path.relative_to(directory).as_posix(), path) for path in directory.rglob("*") if path.is_file()
    )
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so that the permissions below are honoured
            executable = os.stat(path).st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return hashlib.sha256(destination.read_bytes()).hexdigest()
