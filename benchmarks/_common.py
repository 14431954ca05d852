"""Helpers shared by the ``bench_*.py`` scripts: timing, memory, tables, machine.

Every benchmark script imports this module by its plain name, which works
because Python puts the script's own folder first on ``sys.path``::

    from _common import markdown_table, median_time, verdict

The API is deliberately small:

- :func:`median_time` times a callable: the median of ``repeat`` runs after
  ``warmup`` untimed ones, with an optional untimed ``setup`` before each;
- :func:`interleaved_times` times several callables in rounds, each round
  running every one once, and :func:`median_ratio` compares two of them
  round by round: overheads of a few per cent that the drift of a shared
  machine would otherwise hide;
- :func:`peak_rss_mb` is this process's peak resident memory since it
  started or since :func:`reset_peak_rss`, :func:`current_rss_mb` its
  resident memory now, and
  :func:`run_child` runs a command and returns its exit code, output and
  wall time (a child measures its own memory with :func:`peak_rss_mb`);
- :func:`markdown_table` formats rows as a GitHub Markdown table;
- :func:`verdict` says ``PASS`` or ``FAIL`` for a figure and its target,
  or, for a target that depends on bfloat16 (``needs_bfloat16=True``),
  ``SKIP (bfloat16 not native on this CPU: AVX2)`` where
  :func:`bfloat16_native` says bfloat16 is emulated, and
  :func:`target_text` writes the target as ``<= 1.2`` or ``>= 2``;
- :func:`machine_info` describes the machine, torch's CPU instruction set
  (:func:`cpu_isa`) and whether bfloat16 is native, and :func:`print_header`
  prints a script's title, the machine and whether the run is ``--quick``.

Timings are wall-clock (:func:`time.perf_counter`): these scripts measure
what a user waits for, including the work of worker processes.
"""

import datetime
import functools
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

__all__ = [
    "bfloat16_native",
    "bfloat16_skip",
    "cpu_isa",
    "cpu_model",
    "current_rss_mb",
    "machine_info",
    "markdown_table",
    "interleaved_times",
    "isa_settings",
    "median_ratio",
    "median_time",
    "peak_rss_mb",
    "print_header",
    "reset_peak_rss",
    "run_child",
    "target_text",
    "verdict",
]


def median_time(fn, repeat=5, warmup=1, setup=None):
    """Return the median wall time of ``fn()`` in seconds.

    Parameters
    ----------
    fn : callable
        Called with no argument; its result is ignored.
    repeat : int, default=5
        Timed runs; the median of their durations is returned.
    warmup : int, default=1
        Untimed runs first (imports, model loading, worker start-up).
    setup : callable or None, default=None
        Called with no argument before every run, warm-up or timed, outside
        the timed region; for example ``clear_face_cache`` so that each run
        does the work again.

    Returns
    -------
    seconds : float
        Median duration of the timed runs.

    Examples
    --------
    >>> median_time(lambda: sum(range(1000)), repeat=3, warmup=0) < 1.0
    True
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1; got {repeat}")
    durations = []
    for index in range(warmup + repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if index >= warmup:
            durations.append(elapsed)
    return statistics.median(durations)


def interleaved_times(functions, rounds=5, warmup=1):
    """Time several callables in rounds, each round running every one once.

    A ratio such as a wrapper's overhead over a plain loop is a few per
    cent, while a shared machine's speed drifts by more than that within a
    minute. So every round runs each callable once, one right after the
    other, the order reversed every other round so that none always runs
    first or last; :func:`median_ratio` then compares two of them round by
    round, under the same conditions.

    Parameters
    ----------
    functions : dict of str to callable
        Called with no argument; their results are ignored.
    rounds : int, default=5
        Timed rounds.
    warmup : int, default=1
        Untimed calls of each first.

    Returns
    -------
    seconds : dict of str to list of float
        Each callable's durations, one per round.

    Examples
    --------
    >>> seconds = interleaved_times({"long": lambda: sum(range(20000)),
    ...                              "short": lambda: sum(range(10000))}, rounds=3)
    >>> [len(times) for times in seconds.values()]
    [3, 3]
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1; got {rounds}")
    names = list(functions)
    for _ in range(warmup):
        for name in names:
            functions[name]()
    seconds = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            functions[name]()
            seconds[name].append(time.perf_counter() - start)
    return seconds


def median_ratio(numerator, denominator):
    """The median of round-by-round ratios, with the lowest and highest.

    Parameters
    ----------
    numerator, denominator : list of float
        Durations from the same rounds of :func:`interleaved_times`.

    Returns
    -------
    ratio : float
    spread : tuple of float
        The lowest and highest of the rounds' ratios.

    Examples
    --------
    >>> median_ratio([2.0, 2.2, 1.8], [1.0, 1.0, 1.0])
    (2.0, (1.8, 2.2))
    """
    ratios = [a / b for a, b in zip(numerator, denominator, strict=True)]
    return statistics.median(ratios), (min(ratios), max(ratios))


def peak_rss_mb():
    """Return this process's peak resident set size, in MiB.

    The peak since the process started, or since :func:`reset_peak_rss`.
    On Linux it is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` is
    not used there because it also holds the size of the process this one
    was started from, before ``exec``. Elsewhere it is ``ru_maxrss`` (KiB on
    BSDs, bytes on macOS).

    Examples
    --------
    >>> peak_rss_mb() > 0
    True
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return peak / scale


def current_rss_mb():
    """Return this process's resident set size now, in MiB (Linux), or NaN.

    Examples
    --------
    >>> current_rss_mb() > 0
    True
    """
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def reset_peak_rss():
    """Make the peak resident set size start again from the current size.

    Writes ``5`` to ``/proc/self/clear_refs`` (Linux 4.0 and later), after
    which :func:`peak_rss_mb` reports the peak since this call: the memory
    of the work that follows, without the transient peaks of imports and
    model loading before it.

    Returns
    -------
    reset : bool
        False where the peak cannot be reset (other systems, or a
        restricted ``/proc``); :func:`peak_rss_mb` then keeps counting from
        the start of the process.

    Examples
    --------
    >>> reset = reset_peak_rss()
    >>> not reset or peak_rss_mb() <= current_rss_mb() + 1
    True
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def run_child(args, *, env=None, timeout=None):
    """Run a command; return its exit code, standard output and wall time.

    Standard error passes through to ours. To measure a child's memory, let
    it print its own :func:`peak_rss_mb`: the ``ru_maxrss`` that
    :func:`os.wait4` or ``RUSAGE_CHILDREN`` give for a child on Linux also
    counts the memory of the process it was started from (this one, before
    ``exec``) and of its own helper processes, so it overstates the child's
    peak by up to this process's size.

    Parameters
    ----------
    args : list of str
        The command, e.g. ``[sys.executable, "script.py", "--child"]``.
    env : dict or None, default=None
        Environment of the child; None inherits this one.
    timeout : float or None, default=None
        Seconds after which the child is killed
        (:class:`subprocess.TimeoutExpired` is raised).

    Returns
    -------
    returncode : int
    stdout : str
    wall_seconds : float

    Examples
    --------
    >>> code, out, seconds = run_child([sys.executable, "-c", "print(6 * 7)"])
    >>> code, out.strip(), seconds > 0
    (0, '42', True)
    """
    start = time.perf_counter()
    completed = subprocess.run(args, stdout=subprocess.PIPE, env=env, text=True,
                               timeout=timeout, check=False)
    return completed.returncode, completed.stdout, time.perf_counter() - start


def _cell(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def markdown_table(rows, headers):
    """Format rows as a GitHub-flavoured Markdown table.

    Parameters
    ----------
    rows : iterable of sequences
        One sequence of cells per row, in the order of ``headers``. Strings
        are printed as they are (pipes escaped); floats with 3 significant
        digits, so format them first for other precisions.
    headers : sequence of str
        Column titles.

    Returns
    -------
    table : str
        The table, without a trailing newline.

    Examples
    --------
    >>> print(markdown_table([["detect", 0.01234, "PASS"]],
    ...                      ["stage", "seconds", "verdict"]))
    | stage | seconds | verdict |
    | --- | --- | --- |
    | detect | 0.0123 | PASS |
    """
    lines = [
        "| " + " | ".join(str(header) for header in headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    for row in rows:
        row = list(row)
        if len(row) != len(headers):
            raise ValueError(
                f"row {row} has {len(row)} cells for {len(headers)} headers"
            )
        lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
    return "\n".join(lines)


def verdict(value, target, higher_is_better=False, needs_bfloat16=False):
    """Return ``"PASS"`` when ``value`` meets ``target``, else ``"FAIL"``.

    Parameters
    ----------
    value : float or None
        The measured figure; ignored (and may be None) when the target is
        skipped.
    target : float
        The bound it must meet (inclusive).
    higher_is_better : bool, default=False
        With False the figure must be at most ``target`` (times, memory);
        with True at least ``target`` (speed-ups, throughputs).
    needs_bfloat16 : bool, default=False
        The target holds only where bfloat16 is native: where it is not,
        the verdict is :func:`bfloat16_skip`'s
        ``"SKIP (bfloat16 not native on this CPU: AVX2)"``, whatever
        ``value`` is.

    Examples
    --------
    >>> verdict(1.1, 1.2), verdict(3.0, 2.0, higher_is_better=True)
    ('PASS', 'PASS')
    >>> verdict(float("nan"), 1.0)
    'FAIL'
    >>> verdict(None, 2.5, True, needs_bfloat16=True).split()[0] in {"FAIL", "SKIP"}
    True
    """
    if needs_bfloat16:
        skip = bfloat16_skip()
        if skip is not None:
            return skip
    if value is None or value != value:  # NaN: nothing was measured
        return "FAIL"
    met = value >= target if higher_is_better else value <= target
    return "PASS" if met else "FAIL"


def target_text(target, higher_is_better=False, unit=""):
    """Write a target as ``"<= 1.2"`` or ``">= 2 x"`` for a table cell.

    Examples
    --------
    >>> target_text(1.2), target_text(2, higher_is_better=True, unit="x")
    ('<= 1.2', '>= 2 x')
    """
    sign = ">=" if higher_is_better else "<="
    return f"{sign} {target:g}" + (f" {unit}" if unit else "")


def cpu_model():
    """Return the CPU's model name (:func:`sklearn_palsy.paper.machine_summary`).

    Examples
    --------
    >>> isinstance(cpu_model(), str)
    True
    """
    from sklearn_palsy.paper import machine_summary

    return machine_summary()["cpu"]


_ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")


@functools.lru_cache(maxsize=1)
def cpu_isa():
    """Return torch's CPU capability, e.g. ``"AVX2"``, or why it is unknown.

    The instruction set torch's own kernels were dispatched to
    (:func:`torch.backends.cpu.get_cpu_capability`): ``"DEFAULT"``,
    ``"AVX2"``, ``"AVX512"``, or on ARM ``"NEON"`` or ``"SVE256"``. The
    environment variable ``ATEN_CPU_CAPABILITY`` lowers it;
    ``ONEDNN_MAX_CPU_ISA`` caps what oneDNN (convolutions, and bfloat16)
    uses. See :func:`isa_settings` for them.

    Examples
    --------
    >>> isinstance(cpu_isa(), str)
    True
    """
    try:
        import torch

        return str(torch.backends.cpu.get_cpu_capability())
    except Exception as error:  # noqa: BLE001 - torch absent, or too old
        return f"unknown ({type(error).__name__})"


def isa_settings():
    """Return ``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA`` as set, or unset.

    Examples
    --------
    >>> isa_settings().count("ONEDNN_MAX_CPU_ISA")
    1
    """
    return ", ".join(
        f"{name}={os.environ[name]}" if name in os.environ else f"{name} unset"
        for name in _ISA_VARIABLES
    )


@functools.lru_cache(maxsize=1)
def bfloat16_native():
    """Whether this CPU computes bfloat16 natively, or None when unknown.

    The package's own test,
    :func:`sklearn_palsy.neural._base.bfloat16_supported` (oneDNN's: the
    AVX-512 BF16 or AMX instructions). Elsewhere torch emulates bfloat16,
    several times slower than float32, and the bfloat16 targets do not
    apply. The package and torch are imported here, on first call.

    Examples
    --------
    >>> bfloat16_native() in (True, False, None)
    True
    """
    try:
        from sklearn_palsy.neural._base import bfloat16_supported

        return bool(bfloat16_supported("cpu"))
    except Exception:  # noqa: BLE001 - torch or the package absent
        return None


def bfloat16_skip():
    """The verdict of a bfloat16 target here: None where bfloat16 is native.

    Elsewhere ``"SKIP (bfloat16 not native on this CPU: AVX2)"``, with
    :func:`cpu_isa`'s capability, or ``"SKIP (bfloat16 support unknown:
    ...)"`` where torch or the package cannot say.

    Examples
    --------
    >>> skip = bfloat16_skip()
    >>> skip is None or skip.startswith("SKIP (bfloat16 ")
    True
    """
    native = bfloat16_native()
    if native:
        return None
    if native is None:
        return f"SKIP (bfloat16 support unknown: {cpu_isa()})"
    return f"SKIP (bfloat16 not native on this CPU: {cpu_isa()})"


def machine_info():
    """Describe the machine and the library versions the figures come from.

    Imports torch and the package, for :func:`cpu_isa` and
    :func:`bfloat16_native`.

    Returns
    -------
    info : dict of str to str
        ``cpu`` (model name), ``cores`` (usable by this process, and in
        the machine), ``isa`` (torch's CPU capability, :func:`cpu_isa`,
        with the environment variables that change it),
        ``bfloat16 native`` ("yes", "no (emulated)" or "unknown"),
        ``python``, ``numpy``, ``torch``, ``sklearn``, ``dlib`` (versions;
        "absent" when not installed) and ``date`` (UTC, ISO 8601).

    Examples
    --------
    >>> list(machine_info())[:4]
    ['cpu', 'cores', 'isa', 'bfloat16 native']
    """
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    native = bfloat16_native()
    info = {
        "cpu": cpu_model(),
        "cores": f"{usable or os.cpu_count()} usable of {os.cpu_count()}",
        "isa": f"{cpu_isa()} ({isa_settings()})",
        "bfloat16 native": {True: "yes", False: "no (emulated)"}.get(native, "unknown"),
        "python": platform.python_version(),
    }
    for module in ("numpy", "torch", "sklearn", "dlib"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            info[module] = "absent"
    info["date"] = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    return info


def print_header(title, quick=False, notes=()):
    """Print a script's Markdown title, the machine, its ISA and any notes.

    The ISA line gives torch's CPU capability (:func:`cpu_isa`), the
    environment variables that change it, and whether bfloat16 is native.

    Parameters
    ----------
    title : str
        Printed as a level-2 heading.
    quick : bool, default=False
        Say that the figures come from a ``--quick`` smoke run, whose sizes
        are too small for the targets to mean anything.
    notes : iterable of str
        Extra bullet points, e.g. the sizes and repeats used.
    """
    info = machine_info()
    print(f"## {title}\n")
    print(f"- machine: {info['cpu']}, {info['cores']} cores; python {info['python']}, "
          f"numpy {info['numpy']}, torch {info['torch']}, scikit-learn "
          f"{info['sklearn']}, dlib {info['dlib']}; {info['date']}")
    print(f"- ISA (torch CPU capability): {info['isa']}; bfloat16 native: "
          f"{info['bfloat16 native']}")
    if quick:
        print("- **--quick smoke run**: tiny sizes and repeats; the verdicts "
              "below are not meaningful")
    for note in notes:
        print(f"- {note}")
    print(flush=True)
