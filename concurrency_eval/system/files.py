"""Files written whole or not at all.

Every file the tool writes for a user (results, charts, manifests) goes to a temporary
file beside it, is flushed to disk, and is renamed over the old one: a full disk, a
signal or a crash leaves the previous file as it was, never a file cut short.
"""

import contextlib
import os
import tempfile
from pathlib import Path

# The mode a plain open() would give (0666 less the umask); mkstemp's own is 0600.
_UMASK = os.umask(0)
os.umask(_UMASK)


class WriteFailed(RuntimeError):
    """A file could not be written; the message names it and says the old one is intact."""


def write_atomically(path: Path, data: bytes | str) -> Path:
    """Write `data` to `path` whole, or raise WriteFailed and leave `path` as it was."""
    content = data.encode() if isinstance(data, str) else data
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        kept = "the previous one is as it was" if path.is_file() else "nothing was written"
        raise WriteFailed(f"cannot write {path}: {error.strerror or error}; {kept}") from None
    with contextlib.suppress(OSError):
        # The rename itself survives a crash only once the folder is on disk too.
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    return path
