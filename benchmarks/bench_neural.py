"""The skorch-wrapped networks against plain PyTorch loops.

Every comparison runs both sides over the same torch module, the same
images, the same transform, batch size and optimiser, in the same process.
All the loops of a table run once a round, one after the other
(:func:`_common.interleaved_times`), and a ratio is the median of the
rounds' ratios: the speed of this shared machine drifts by more than the
5 % being measured, and timing one loop's runs after another's made the
wrapper look 25 % faster or slower than the same loop from one figure to
the next.

* Prediction: ``ResNetClassifier.predict_proba`` against the loop people
  write, ``torch.inference_mode()`` over a DataLoader, in eval mode, through
  the trunk and head as trained (the wrapper runs a copy of the trunk with
  its batch norms folded into the convolutions).
  The wrapper's overhead is the ratio with the same layout and precision;
  the speed-ups are against the default NCHW float32 plain loop.
* Training: one epoch of ``ResNetClassifier.fit`` and ``FFNNClassifier.fit``
  (``max_epochs=1``, net construction included) against a plain epoch
  (module and optimiser construction included) with the same Adam and loss.
  The plain loops read data as people write them, a ``DataLoader`` over a
  map-style dataset, row by row; ``FFNNClassifier`` takes each mini-batch
  of its feature matrix with one indexing instead (``array_loader``).
* bfloat16: labels predicted under autocast against float32 labels from the
  same trained weights, on line images of the synthetic cohort.

The bfloat16 targets (the channels-last bfloat16 speed-up and overheads, and
the label agreement) apply only where bfloat16 is native on the CPU
(AVX-512 BF16 or AMX, as ``bfloat16_supported`` says). Elsewhere torch
emulates bfloat16, several times slower than float32: the bfloat16 loops are
not run at all and those targets say ``SKIP (bfloat16 not native on this
CPU: AVX2)``.

Run ``python benchmarks/bench_neural.py`` (``--quick`` for a smoke run).
"""

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    bfloat16_skip,
    interleaved_times,
    markdown_table,
    median_ratio,
    print_header,
    verdict,
)

from sklearn_palsy import FFNNClassifier, ResNetClassifier  # noqa: E402
from sklearn_palsy.datasets import make_synthetic_cohort  # noqa: E402
from sklearn_palsy.neural._data import ArrayDataset, ImageDataset  # noqa: E402
from sklearn_palsy.neural._modules import MLPModule, ResNetModule  # noqa: E402
from sklearn_palsy.neural._resnet import make_image_transform  # noqa: E402
from sklearn_palsy.preprocessing import (  # noqa: E402
    ExpressionFeatures,
    LandmarkDetector,
    LineSegmentRenderer,
)


def line_images(n_patients, size, seed=0):
    """Line-segment images (``size`` px), features and labels of a cohort."""
    cohort = make_synthetic_cohort(
        n_patients=n_patients, n_controls=n_patients, image_size=224,
        random_state=seed,
    )
    landmarks = LandmarkDetector(backend="dlib").fit_transform(cohort.images)
    lines = LineSegmentRenderer(size=size).fit_transform(landmarks)
    features = ExpressionFeatures().fit_transform(landmarks)
    return lines, features, np.asarray(cohort.y)


def plain_predict(module, images, size, batch_size, channels_last, bf16):
    """The loop people write: eval mode, inference mode, a DataLoader.

    It calls the torchvision trunk and the linear head themselves, as a
    plain ResNet would run, not ``ResNetModule.forward``, which runs a copy
    of the trunk with its batch norms folded under inference mode.
    """
    dataset = ImageDataset(images, make_image_transform(size))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False)
    module.eval()
    outputs = []
    with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        for batch, _ in loader:
            x = batch["X"]
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            outputs.append(module.head(module.trunk(x)).squeeze(-1).float())
    return torch.cat(outputs).numpy()


def plain_resnet_epoch(images, y, size, batch_size, lr, channels_last, bf16, seed):
    """One epoch of the plain training loop, module construction included."""
    torch.manual_seed(seed)
    module = ResNetModule("resnet18", n_outputs=1)
    if channels_last:
        module = module.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    criterion = torch.nn.BCEWithLogitsLoss()
    dataset = ImageDataset(images, make_image_transform(size), y.astype(np.float32))
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    module.train()
    for batch, target in loader:
        x = batch["X"]
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad()
        with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            logits = module(x)
        loss = criterion(logits.float(), target)
        loss.backward()
        optimizer.step()
    return module


def plain_ffnn_epoch(X, y, batch_size, lr, seed):
    """One epoch of a plain loop over the FFNN's own module."""
    torch.manual_seed(seed)
    module = MLPModule(X.shape[1], hidden_layer_sizes=(64, 32), n_outputs=1)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    criterion = torch.nn.BCEWithLogitsLoss()
    loader = DataLoader(ArrayDataset(X, y), batch_size=batch_size, shuffle=True)
    module.train()
    for batch, target in loader:
        optimizer.zero_grad()
        loss = criterion(module(batch["X"]), target)
        loss.backward()
        optimizer.step()
    return module


def resnet(size, batch_size, precision="float32", channels_last=True, **params):
    return ResNetClassifier(
        image_size=size, batch_size=batch_size, augment="none",
        precision=precision, channels_last=channels_last, random_state=0, **params,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    quick = args.quick
    size = 64 if quick else 224
    batch = 32
    rounds = 1 if quick else 5
    ffnn_rounds = 3 if quick else 21
    n_patients = 4 if quick else 21
    n_timed = 32 if quick else 96
    n_trained = 32 if quick else 64

    started = time.perf_counter()
    skip = bfloat16_skip()
    print_header("The networks against plain PyTorch loops", quick, notes=[
        f"ResNet-18 at {size} px, batch {batch}; every loop of a table timed "
        f"once a round, {rounds} rounds ({ffnn_rounds} for the FFNN); times are "
        "medians, ratios the median of the rounds' ratios (lowest and highest "
        "in brackets)",
        f"torch threads: {torch.get_num_threads()}",
        *([f"bfloat16 is not native here: the bfloat16 loops are not run and the "
           f"bfloat16 targets say {skip}"] if skip else []),
    ])

    lines, features, labels = line_images(n_patients, size)
    # Timings run over a class-balanced subset, to stay within make bench's
    # budget; the agreement of bfloat16 with float32 uses every image.
    subset = np.r_[np.flatnonzero(labels == 0)[: n_timed // 2],
                   np.flatnonzero(labels == 1)[: n_timed // 2]]
    timed, timed_labels = lines[subset], labels[subset]
    n_images = len(timed)

    # A model trained briefly in float32, shared by the prediction figures.
    model = resnet(size, batch, max_epochs=1 if quick else 2, lr=1e-3)
    model.fit(lines, labels)
    checks = []
    module_cl = model.net_.module_
    module_nchw = copy.deepcopy(module_cl).to(memory_format=torch.contiguous_format)

    def configured(precision, channels_last):
        # The same trained weights, run in another layout or precision.
        clf = copy.deepcopy(model).set_params(
            precision=precision, channels_last=channels_last
        )
        clf.net_.precision = precision
        clf.net_.channels_last = channels_last
        clf.net_.module_ = module_cl if channels_last else module_nchw
        return clf

    layouts = [
        ("NCHW float32", "float32", False),
        ("channels-last float32", "float32", True),
        ("channels-last bfloat16", "bfloat16", True),
    ]
    # Emulated bfloat16 is not timed; its targets are listed and skipped.
    skipped = [name for name, precision, _ in layouts
               if skip and precision == "bfloat16"]
    layouts = [layout for layout in layouts if layout[0] not in skipped]
    functions = {}
    for name, precision, channels_last in layouts:
        clf = configured(precision, channels_last)
        module = module_cl if channels_last else module_nchw
        functions["wrapper", name] = lambda clf=clf: clf.predict_proba(timed)
        functions["plain", name] = (
            lambda module=module, cl=channels_last, bf16=precision == "bfloat16":
                plain_predict(module, timed, size, batch, cl, bf16)
        )
    seconds = interleaved_times(functions, rounds=rounds)
    print(f"### predict_proba, {n_images} line images\n")
    speedups = compare_layouts(seconds, layouts, n_images, checks, "predict",
                               skipped)
    for name in ("channels-last float32", "channels-last bfloat16"):
        target = 2.5 if "bfloat16" in name else 1.4
        checks.append([f"speed-up, wrapper {name} vs plain NCHW float32",
                       speedups.get(name), f"≥ {target}", True, target])

    if skip:
        agreement = max_diff = logit_diff = None
    else:
        proba32 = configured("float32", True).predict_proba(lines)
        proba16 = configured("bfloat16", True).predict_proba(lines)
        logit_diff = float(np.abs(
            configured("float32", True).decision_function(lines)
            - configured("bfloat16", True).decision_function(lines)
        ).max())
        agreement = float(np.mean((proba32[:, 1] > 0.5) == (proba16[:, 1] > 0.5)))
        max_diff = float(np.abs(proba32 - proba16).max())
    checks.append([f"label agreement, bfloat16 vs float32 ({len(lines)} images)",
                   agreement, "≥ 0.99", True, 0.99])

    # One training epoch: the wrapper's fit(max_epochs=1) against a plain loop.
    half = n_trained // 2
    trained = np.concatenate([timed[:half], timed[-half:]])
    trained_labels = np.concatenate([timed_labels[:half], timed_labels[-half:]])
    functions = {}
    for name, precision, channels_last in layouts:
        bf16 = precision == "bfloat16"
        clf = resnet(size, batch, precision, channels_last, max_epochs=1, lr=1e-3)
        functions["wrapper", name] = lambda clf=clf: clf.fit(trained, trained_labels)
        functions["plain", name] = lambda cl=channels_last, bf16=bf16: (
            plain_resnet_epoch(trained, trained_labels, size, batch, 1e-3, cl, bf16, 0))
    seconds = interleaved_times(functions, rounds=rounds, warmup=0)
    print(f"\n### One ResNet-18 training epoch, {n_trained} line images\n")
    compare_layouts(seconds, layouts, n_trained, checks, "training epoch", skipped)

    # The FFNN: an epoch over the 29 symmetry features, many times over so
    # that the timing is not all start-up.
    X = np.tile(features.astype(np.float32), (20 if quick else 200, 1))
    y = np.tile(labels, 20 if quick else 200)
    ffnn = FFNNClassifier(max_epochs=1, batch_size=batch, lr=1e-3, random_state=0)
    seconds = interleaved_times({
        "wrapper": lambda: ffnn.fit(X, y),
        "plain": lambda: plain_ffnn_epoch(X, y, batch, 1e-3, 0),
    }, rounds=ffnn_rounds)
    overhead = median_ratio(seconds["wrapper"], seconds["plain"])
    print(f"\n### One FFNN training epoch, {len(X)} rows of {X.shape[1]} features\n")
    print(markdown_table(
        [[f"{statistics.median(seconds['wrapper']):.3f}",
          f"{statistics.median(seconds['plain']):.3f}", ratio_text(*overhead)]],
        ["wrapper s", "plain s", "wrapper / plain"]))
    checks.append(["FFNN training epoch overhead", overhead[0], "≤ 1.05", False,
                   1.05])

    print("\n### Targets\n")
    # Every figure named "bfloat16" is a bfloat16 target: SKIP where emulated.
    rows = [
        [name, "-" if value is None else f"{value:.3f}", target,
         verdict(value, limit, higher_is_better=higher,
                 needs_bfloat16="bfloat16" in name)]
        for name, value, target, higher, limit in checks
    ]
    print(markdown_table(rows, ["figure", "value", "target", "verdict"]))
    if skip:
        print(f"\nbfloat16 against float32: not measured, {skip}")
    else:
        print(f"\nLargest difference, bfloat16 vs float32: {max_diff:.2e} in "
              f"probability, {logit_diff:.3f} in logit")
    print(f"\nbench_neural took {time.perf_counter() - started:.0f} s")


def compare_layouts(seconds, layouts, n_images, checks, figure, skipped=()):
    """Print the wrapper against the plain loop in each layout; add the checks.

    ``seconds`` comes from :func:`_common.interleaved_times` with keys
    ``("wrapper", name)`` and ``("plain", name)``. Each layout's overhead
    (wrapper / plain, target 1.05) goes into ``checks``; the wrapper's
    speed-ups over the plain NCHW float32 loop are returned by layout name.
    The layouts named in ``skipped`` were not timed: their checks go in
    without a value.
    """
    baseline = seconds["plain", "NCHW float32"]
    rows, speedups = [], {}
    for name, *_ in layouts:
        overhead = median_ratio(seconds["wrapper", name], seconds["plain", name])
        speedup = median_ratio(baseline, seconds["wrapper", name])
        speedups[name] = speedup[0]
        rows.append([
            name, ms_per_image(seconds["wrapper", name], n_images),
            ms_per_image(seconds["plain", name], n_images),
            ratio_text(*overhead), ratio_text(*speedup),
        ])
        checks.append([f"{figure} overhead, {name} (wrapper / plain)", overhead[0],
                       "≤ 1.05", False, 1.05])
    for name in skipped:
        checks.append([f"{figure} overhead, {name} (wrapper / plain)", None,
                       "≤ 1.05", False, 1.05])
    print(markdown_table(rows, ["layout and precision", "wrapper ms/image",
                                "plain ms/image", "wrapper / plain",
                                "wrapper speed-up vs plain NCHW fp32"]))
    return speedups


def ratio_text(ratio, spread):
    """A ratio with the lowest and highest of its rounds: ``1.01 [0.97-1.04]``."""
    return f"{ratio:.3f} [{spread[0]:.2f}-{spread[1]:.2f}]"


def ms_per_image(seconds, n_images):
    """The median of a list of durations, in milliseconds per image."""
    return f"{statistics.median(seconds) / n_images * 1000:.1f}"


if __name__ == "__main__":
    main()
