"""Write files atomically: a temporary file in the same folder, then a rename.

An interrupted write never leaves half a file at the destination, and leaves
no temporary file behind either:

- on an exception, Ctrl-C (KeyboardInterrupt) included, the temporary file is
  removed before the exception propagates;
- on SIGTERM (what ``kill``, batch schedulers and ``timeout`` send), a handler
  installed for the duration of the write removes it, then the process dies
  of the signal as it would have (where the program has a SIGTERM handler of
  its own that raises, as the command-line tool has, the exception cleans up);
- SIGKILL cannot be caught. Its temporary file is named after the
  destination, this host and the writing process, and the next write to the
  same destination removes such files whose process is no longer running.
"""

import contextlib
import os
import signal
import socket
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write"]


class _Terminated(BaseException):
    """SIGTERM arrived during a write; raised to unwind and clean up."""


@contextlib.contextmanager
def _cleanup_on_sigterm():
    """Turn SIGTERM into an exception inside the block, then die of it.

    Only where SIGTERM would kill the process outright (its default action):
    a handler that the program set (the command-line tool's raises
    SystemExit, which cleans up like any exception) or an ignored SIGTERM is
    left alone. Signal handlers can only be set from the main thread;
    elsewhere the block runs without this (exceptions still clean up).
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def terminate(signum, frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # The caller's cleanup has run; now end as SIGTERM would have.
        os.kill(os.getpid(), signal.SIGTERM)
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        if signal.getsignal(signal.SIGTERM) is terminate:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _host():
    # Only characters that are safe in a file name.
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())


def _prefix(path):
    return f".{path.name}."


def _remove_stale_temporaries(path):
    """Remove temporary files of earlier writes to ``path`` whose writer died.

    Only files written on this host are considered: a process id says nothing
    about another machine's processes on a shared folder.
    """
    prefix, host = _prefix(path), _host()
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        parts = name[len(prefix):].split(".")
        # <host>.<pid>.<random>.tmp
        if len(parts) != 4 or parts[0] != host or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.remove(path.parent / name)
        except OSError:
            pass  # alive, owned by someone else


def atomic_write(path, write, mode="w", encoding=None):
    """Write ``path`` through a temporary file so that it is never half-written.

    ``write(handle)`` fills a temporary file in the destination's folder,
    which then replaces ``path`` in one :func:`os.replace`: a reader sees the
    old file or the new one, and an interrupted run leaves no partial file.
    The temporary file is removed on any exception, on Ctrl-C and on SIGTERM;
    one left by a SIGKILLed writer is removed by the next write to ``path``.

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
    >>> from sklearn_palsy.utils._atomic import atomic_write
    >>> path = Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write(path, lambda handle: handle.write("done")).read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    with _cleanup_on_sigterm():
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f"{_prefix(path)}{_host()}.{os.getpid()}.",
            suffix=".tmp",
        )
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
