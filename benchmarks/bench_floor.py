"""ResNet-18 inference against the arithmetic floor of these cores.

Issue 18 asks for the prediction speed-ups of ``bench_neural.py`` to be met
(channels-last float32 at least 1.4 times, bfloat16 at least 2.5 times as
fast as a plain NCHW float32 loop), for compiled graphs to be tried first
(``torch.compile``, oneDNN graph fusion), and for inference within 1.3
times of what the cores' arithmetic allows.

What is measured, on a torchvision ResNet-18 (``weights=None``, evaluation
mode, one batch of 32 random 224-px images, torch's threads as they are,
two here) under :func:`torch.inference_mode` (``torch.no_grad`` for the
TorchScript graphs):

* plain NCHW float32, the loop people write, and the baseline;
* channels-last float32, and channels-last under bfloat16 autocast;
* the package's path: :class:`~sklearn_palsy.neural.ResNetModule`
  inside its ``inference_scope`` (batch norms folded into the convolutions),
  channels-last, float32 and bfloat16 autocast, as
  ``ResNetClassifier.predict_proba`` runs it without the data loading;
* ``torch.compile`` with the default inductor backend, float32 and bfloat16,
  with and without inductor's ``freezing`` (constant weights, so that the
  convolutions use oneDNN's pre-packed weights and fold batch norms); with
  ``--max-autotune`` also ``mode="max-autotune-no-cudagraphs"``. A compile
  that fails, or a machine without a C++ compiler, is reported as
  ``unavailable: <reason>``; the compile time (the first call) is reported;
* oneDNN graph fusion: ``torch.jit.enable_onednn_fusion(True)`` over
  ``torch.jit.trace`` and ``torch.jit.freeze``, float32 and bfloat16
  (traced under autocast).

The floor: a ResNet-18 forward pass at 224 px is 1.82 GMAC, 3.6 GFLOP per
image. Each round also times 2048 x 2048 matrix products in float32 and in
bfloat16 on the same threads; ``3.6 GFLOP / that rate`` is the floor per
image of each precision, and a variant's ratio to the floor of its
precision is its time over the floor, round by round (target at most 1.3).
A matrix product this size is about as efficient as these cores get, so
the floor is the arithmetic alone, without memory traffic.

Every variant, and the two matrix products, run once a round
(:func:`_common.interleaved_times`); times are medians, ratios the medians
of the rounds' ratios. The fastest variant is then profiled once with
:mod:`torch.profiler` (operators by own CPU time, and the share of the
convolutions), with the package's float32 and bfloat16 paths beside it.

The bfloat16 targets (speed-up and ratio to the bfloat16 floor) apply only
where bfloat16 is native on the CPU (AVX-512 BF16 or AMX, as
``bfloat16_supported`` says). Elsewhere torch emulates bfloat16, several
times slower than float32: the bfloat16 variants and matrix products are not
run at all (nor compiled), and their verdicts say ``SKIP (bfloat16 not
native on this CPU: AVX2)``.

Run ``python benchmarks/bench_floor.py`` (``--quick`` for a smoke run,
``--max-autotune`` to add that mode, ``--no-compile`` to skip
``torch.compile``); about a minute and a half on two cores. Compile times
depend on inductor's on-disk cache: set ``TORCHINDUCTOR_CACHE_DIR`` to an
empty folder to time a cold compile.
"""

import argparse
import contextlib
import copy
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    bfloat16_skip,
    interleaved_times,
    markdown_table,
    median_ratio,
    print_header,
    verdict,
)

from sklearn_palsy.neural import ResNetModule  # noqa: E402

GFLOP_PER_IMAGE = 3.6  # ResNet-18 at 224 px: 1.82 GMAC
TARGETS = {"float32": 1.4, "bfloat16": 2.5}
FLOOR_TARGET = 1.3


def matmul_fn(n, dtype, repeat):
    """A callable that multiplies two ``n`` x ``n`` matrices ``repeat`` times."""
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    out = torch.empty(n, n, dtype=dtype)

    def run():
        with torch.inference_mode():
            for _ in range(repeat):
                torch.mm(a, b, out=out)

    return run


def eager(model, x, bf16):
    """A callable running ``model`` on ``x`` under inference mode (and autocast)."""
    def run():
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16,
                                                    enabled=bf16):
            return model(x)
    return run


def package(x, bf16):
    """The package's module: folded trunk inside ``inference_scope``."""
    module = ResNetModule("resnet18", n_outputs=1).eval()
    module = module.to(memory_format=torch.channels_last)
    scope = contextlib.ExitStack()
    scope.enter_context(module.inference_scope())  # held for the whole benchmark
    run = eager(module, x, bf16)
    run.scope = scope
    return run


def compiled(model, x, bf16, mode=None, freezing=False):
    """``torch.compile(model)``; returns (callable, compile seconds).

    Public options only: ``mode`` and ``options`` exclude each other, so
    max-autotune with freezing is asked for as the option that mode sets
    (on the CPU the mode's no-cudagraphs part changes nothing).
    """
    torch.compiler.reset()
    model = copy.deepcopy(model)
    options = {"freezing": True} if freezing else {}
    if options and mode == "max-autotune-no-cudagraphs":
        options["max_autotune"] = True
        mode = None
    fn = torch.compile(model, mode=mode, options=options or None)
    run = eager(fn, x, bf16)
    start = time.perf_counter()
    run()  # compiles
    return run, time.perf_counter() - start


def onednn_graph(model, x, bf16):
    """oneDNN graph fusion over a traced, frozen graph; (callable, seconds)."""
    torch.jit.enable_onednn_fusion(True)
    start = time.perf_counter()
    with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16,
                                         cache_enabled=False):
        traced = torch.jit.freeze(torch.jit.trace(copy.deepcopy(model), x))
        # The profiling executor fuses on the first calls.
        traced(x)
        traced(x)

    def run():
        with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16,
                                             cache_enabled=False):
            return traced(x)

    return run, time.perf_counter() - start


def reason(error):
    """The first line of an exception, for an ``unavailable`` cell."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:120] if text else ''}"


def check_close(run, reference):
    """The largest absolute difference of a variant's logits from float32 eager."""
    out = run().float()
    return float((out - reference).abs().max())


def profile(run, n_ops=8):
    """Top operators by own CPU time, and the convolutions' share."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    run()
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        run()
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total = sum(e.self_cpu_time_total for e in events)
    events.sort(key=lambda e: e.self_cpu_time_total, reverse=True)
    # oneDNN graph runs each convolution, with the ReLU and addition fused
    # into it, as one "LlgaPartition"; inductor calls mkldnn convolutions.
    conv = sum(e.self_cpu_time_total for e in events
               if "conv" in e.key.lower() or "llgapartition" in e.key.lower())
    rows = [[e.key[:70], e.count, f"{e.self_cpu_time_total / 1000:.1f}",
             f"{100 * e.self_cpu_time_total / total:.1f} %"]
            for e in events[:n_ops]]
    return rows, conv / total if total else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--max-autotune", action="store_true",
                        help='also torch.compile(mode="max-autotune-no-cudagraphs")')
    parser.add_argument("--no-compile", action="store_true",
                        help="skip torch.compile (it takes minutes on two cores)")
    args = parser.parse_args(argv)
    quick = args.quick
    size = 64 if quick else 224
    batch = 8 if quick else 32
    rounds = 1 if quick else 5
    n = 512 if quick else 2048
    mm_repeat = 2 if quick else 4
    gflop_per_image = GFLOP_PER_IMAGE * (size / 224) ** 2

    started = time.perf_counter()
    compiler = shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    skip = bfloat16_skip()
    all_precisions = ("float32",) if skip else ("float32", "bfloat16")
    print_header("ResNet-18 inference against the arithmetic floor", quick, notes=[
        f"torchvision ResNet-18, weights=None, eval mode, batch {batch} of "
        f"{size} px random images; {rounds} rounds, every variant once a round; "
        "times are medians, ratios the median of the rounds' ratios",
        f"floor: {n} x {n} matmuls ({mm_repeat} a round) in "
        f"{' and '.join(all_precisions)}; {gflop_per_image:.2f} GFLOP per image",
        f"torch threads: {torch.get_num_threads()}; C++ compiler: "
        f"{compiler or 'none'}; oneDNN (mkldnn) available: "
        f"{torch.backends.mkldnn.is_available()}",
        *([f"bfloat16 is not native here: the bfloat16 variants are not run and "
           f"their targets say {skip}"] if skip else []),
    ])

    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    x = torch.randn(batch, 3, size, size)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        reference = model(x).float()

    functions, precisions, notes, compile_s = {}, {}, {}, {}

    def skipped(name, precision):
        # Emulated bfloat16: listed with a SKIP verdict, never run.
        if skip and precision == "bfloat16":
            notes[name], precisions[name] = "not run: bfloat16 not native", precision
            return True
        return False

    def add(name, precision, build):
        if skipped(name, precision):
            return
        try:
            result = build()
        except Exception as error:  # noqa: BLE001 - reported, not raised
            notes[name] = f"unavailable: {reason(error)}"
            print(f"- {name}: {notes[name]}", flush=True)
            return
        run, seconds = result if isinstance(result, tuple) else (result, None)
        if seconds is not None:
            compile_s[name] = seconds
            print(f"- {name}: compiled in {seconds:.1f} s", flush=True)
        try:
            diff = check_close(run, reference)
        except Exception as error:  # noqa: BLE001
            notes[name] = f"unavailable: {reason(error)}"
            print(f"- {name}: {notes[name]}", flush=True)
            return
        notes[name] = f"{diff:.1e}"
        functions[name] = run
        precisions[name] = precision

    add("plain NCHW float32", "float32", lambda: eager(model, x, False))
    add("channels-last float32", "float32", lambda: eager(model_cl, x_cl, False))
    add("channels-last bfloat16", "bfloat16", lambda: eager(model_cl, x_cl, True))
    # The package's module has its own random weights: its logits are not
    # compared with the reference's (its difference column shows n/a).
    for precision in ("float32", "bfloat16"):
        name = f"package (folded, inference_scope) {precision}"
        if skipped(name, precision):
            continue
        try:
            run = package(x_cl, precision == "bfloat16")
            run()
            functions[name], precisions[name], notes[name] = run, precision, "n/a"
        except Exception as error:  # noqa: BLE001
            notes[name] = f"unavailable: {reason(error)}"

    compile_variants = [("torch.compile", None, False),
                        ("torch.compile freezing", None, True)]
    if args.max_autotune:
        compile_variants.append(("torch.compile max-autotune freezing",
                                 "max-autotune-no-cudagraphs", True))
    for label, mode, freezing in compile_variants:
        for precision in ("float32", "bfloat16"):
            name = f"{label} {precision}"
            if skipped(name, precision):
                continue
            if args.no_compile:
                notes[name] = "unavailable: skipped (--no-compile)"
                continue
            if compiler is None:
                notes[name] = "unavailable: no C++ compiler for inductor"
                continue
            add(name, precision, lambda mode=mode, freezing=freezing,
                bf16=precision == "bfloat16":
                compiled(model_cl, x_cl, bf16, mode, freezing))
    for precision in ("float32", "bfloat16"):
        add(f"oneDNN graph (jit trace+freeze) {precision}", precision,
            lambda bf16=precision == "bfloat16": onednn_graph(model_cl, x_cl, bf16))
    torch.jit.enable_onednn_fusion(False)

    for precision in all_precisions:
        functions[f"matmul {precision}"] = matmul_fn(n, getattr(torch, precision),
                                                     mm_repeat)
    seconds = interleaved_times(functions, rounds=rounds)

    mm_flop = 2 * n ** 3 * mm_repeat
    rates = {p: [mm_flop / s / 1e9 for s in seconds[f"matmul {p}"]]
             for p in all_precisions}
    floors = {p: [gflop_per_image / r * 1000 for r in rates[p]] for p in rates}
    print("\n### The floor\n")
    print(markdown_table(
        [[p, f"{statistics.median(rates[p]):.0f}",
          f"{min(rates[p]):.0f}-{max(rates[p]):.0f}",
          f"{statistics.median(floors[p]):.2f}"] for p in rates],
        ["precision", f"{n}^3 matmul GFLOP/s (median)", "rounds",
         "floor ms/image"]))

    baseline = seconds["plain NCHW float32"]
    rows, results = [], {}
    order = [name for name in notes]
    for name in order:
        if name not in functions and skip and precisions.get(name) == "bfloat16":
            rows.append([name, "-", "-", f">= {TARGETS['bfloat16']}",
                         verdict(None, TARGETS["bfloat16"], True, needs_bfloat16=True),
                         "-", verdict(None, FLOOR_TARGET, needs_bfloat16=True), "-",
                         notes[name]])
            continue
        if name not in functions:
            rows.append([name, "-", "-", "-", "-", "-", "-", "-", notes[name]])
            continue
        precision = precisions[name]
        ms = [s / batch * 1000 for s in seconds[name]]
        speedup, spread = median_ratio(baseline, seconds[name])
        floor_ratio, floor_spread = median_ratio(ms, floors[precision])
        target = TARGETS[precision]
        results[name] = statistics.median(ms)
        rows.append([
            name, f"{statistics.median(ms):.2f}",
            f"{speedup:.2f} [{spread[0]:.2f}-{spread[1]:.2f}]",
            f">= {target}" if name != "plain NCHW float32" else "baseline",
            verdict(speedup, target, higher_is_better=True,
                    needs_bfloat16=precision == "bfloat16")
            if name != "plain NCHW float32" else "-",
            f"{floor_ratio:.2f} [{floor_spread[0]:.2f}-{floor_spread[1]:.2f}]",
            verdict(floor_ratio, FLOOR_TARGET, needs_bfloat16=precision == "bfloat16"),
            f"{compile_s[name]:.1f}" if name in compile_s else "-",
            notes[name],
        ])
    print("\n### ms per image, speed-up over plain NCHW float32, ratio to the "
          "floor of its precision\n")
    print(markdown_table(rows, [
        "variant", "ms/image", "speed-up vs NCHW fp32", "target", "verdict",
        "time / floor", f"verdict (<= {FLOOR_TARGET})", "compile s",
        "max |logit diff| vs fp32 eager"]))

    fastest = min(results, key=results.get)
    profiled = [fastest] + [name for name in (
        "package (folded, inference_scope) bfloat16",
        "package (folded, inference_scope) float32") if name in results]
    for name in dict.fromkeys(profiled):
        top, conv_share = profile(functions[name])
        print(f"\n### Where the time goes: {name} (torch.profiler, one batch)\n")
        print(markdown_table(top, ["operator", "calls", "own ms", "share"]))
        print(f"\nConvolutions (operators named *conv*, and oneDNN graph "
              f"partitions): {100 * conv_share:.1f} % of own CPU time")
    print(f"\nbench_floor took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
