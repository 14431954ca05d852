"""Write files atomically: a temporary file in the same folder, then a rename."""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path, write, mode="w", encoding=None):
    """Write ``path`` through a temporary file so that it is never half-written.

    ``write(handle)`` fills a temporary file in the destination's folder,
    which then replaces ``path`` in one :func:`os.replace`: a reader sees the
    old file or the new one, and an interrupted run leaves no partial file.

    Parameters
    ----------
    path : str or path-like
        Destination; its folder is created when missing.
    write : callable
        Called with the open temporary file.
    mode : {"w", "wb"}, default="w"
        Text or binary.
    encoding : str, default=None
        Text encoding ("utf-8" when None and the mode is text).

    Returns
    -------
    path : pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_palsy._atomic import atomic_write
    >>> path = Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write(path, lambda handle: handle.write("done")).read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    try:
        with os.fdopen(descriptor, mode, encoding=encoding) as handle:
            write(handle)
            # On disk before the rename, so a crash cannot leave an empty file.
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return path
