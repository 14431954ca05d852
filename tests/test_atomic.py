"""Output files are written atomically: an interruption never leaves half a file."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_palsy import load_model, save_model
from sklearn_palsy.io import save_model_joblib
from sklearn_palsy.utils._atomic import _host, atomic_write
from sklearn_palsy.utils._csv import write_csv_atomic


def _leftovers(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


def test_a_failing_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")

    def half_then_fail(handle):
        handle.write("new, half written")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_a_new_file_appears_whole_with_the_usual_permissions(tmp_path):
    path = tmp_path / "sub" / "out.bin"
    atomic_write(path, lambda handle: handle.write(b"\x00" * 1000), "wb")
    assert path.read_bytes() == b"\x00" * 1000
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert _leftovers(path.parent) == []


def _slow_writer(tmp_path, path, *, preamble=""):
    """Start a process that writes half of ``path`` and sleeps; wait for the half."""
    started = tmp_path / "started"
    script = preamble + textwrap.dedent(f"""
        import time
        from pathlib import Path
        from sklearn_palsy.utils._atomic import atomic_write

        def slow(handle):
            handle.write("a,b\\n" * 1000)
            handle.flush()
            Path({str(started)!r}).touch()
            time.sleep(60)
            handle.write("never")

        atomic_write({str(path)!r}, slow)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not started.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            pytest.fail("the writer died or never started")
        time.sleep(0.05)
    return child


def test_a_killed_writer_leaves_the_old_file(tmp_path):
    """SIGKILL in the middle of a write: the destination still holds the old file."""
    path = tmp_path / "features.csv"
    path.write_text("old\n")
    child = _slow_writer(tmp_path, path)
    # Half the data is in the temporary file, none in the destination.
    assert path.read_text() == "old\n"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert path.read_text() == "old\n"
    # A killed process cannot clean up: its hidden temporary file stays,
    # named after the destination and its dead writer...
    (leftover,) = _leftovers(tmp_path)
    assert leftover.startswith(f".features.csv.{_host()}.{child.pid}.")
    # ...until the next write to the same destination removes it.
    atomic_write(path, lambda handle: handle.write("new\n"))
    assert path.read_text() == "new\n"
    assert _leftovers(tmp_path) == []


def test_temporary_files_of_live_writers_and_other_hosts_are_kept(tmp_path):
    path = tmp_path / "table.csv"
    alive = tmp_path / f".table.csv.{_host()}.{os.getppid()}.abc123.tmp"
    other_host = tmp_path / ".table.csv.some-other-host.1.abc123.tmp"
    other_file = tmp_path / f".scores.csv.{_host()}.999999999.abc123.tmp"
    for leftover in (alive, other_host, other_file):
        leftover.write_text("partial")
    atomic_write(path, lambda handle: handle.write("x"))
    assert all(leftover.exists() for leftover in (alive, other_host, other_file))


@pytest.mark.parametrize("cli", [False, True], ids=["library", "cli-handler"])
def test_sigterm_during_a_write_removes_the_temporary_file(tmp_path, cli):
    """SIGTERM (kill, timeout, batch schedulers): old file kept, nothing left over.

    Without a handler of the program's own the process still dies of the
    signal; with the command-line tool's handler it exits with code 143.
    """
    path = tmp_path / "features.csv"
    path.write_text("old\n")
    install = ("import signal\nfrom sklearn_palsy.cli._main import _raise_system_exit\n"
               "signal.signal(signal.SIGTERM, _raise_system_exit)\n") if cli else ""
    child = _slow_writer(tmp_path, path, preamble=install)
    assert len(_leftovers(tmp_path)) == 1
    child.send_signal(signal.SIGTERM)
    child.wait(timeout=30)
    assert child.returncode == (143 if cli else -signal.SIGTERM)
    assert path.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_csv_and_model_writers_go_through_the_atomic_path(tmp_path, monkeypatch):
    model = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
    csv, safe = tmp_path / "a.csv", tmp_path / "m.safetensors"
    pickled = tmp_path / "m.joblib"
    write_csv_atomic(pd.DataFrame({"a": [1]}), csv)
    save_model(model, safe)
    save_model_joblib(model, pickled)
    before = {p: p.read_bytes() for p in (csv, safe, pickled)}

    import sklearn_palsy.utils._atomic as atomic

    real_replace = os.replace

    def crash(*args):
        raise KeyboardInterrupt  # the user pressing Ctrl-C just before the rename

    monkeypatch.setattr(atomic.os, "replace", crash)
    other = LogisticRegression().fit(np.array([[1.0], [0.0]]), [0, 1])
    for write in (lambda: write_csv_atomic(pd.DataFrame({"a": [2, 3]}), csv),
                  lambda: save_model(other, safe),
                  lambda: save_model_joblib(other, pickled)):
        with pytest.raises(KeyboardInterrupt):
            write()
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert {p: p.read_bytes() for p in before} == before
    assert _leftovers(tmp_path) == []
    np.testing.assert_array_equal(load_model(safe).coef_, model.coef_)
