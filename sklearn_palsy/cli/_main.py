"""The ``sklearn-palsy`` command: argument parsing and one handler per command.

The work lives in the library and in this package's back-end modules
(``_extract``, ``_predict``, ``_assess``); this module turns arguments into
calls and errors into one-line messages with a non-zero exit code. Nothing
heavy is imported before a command runs, so ``--help`` is instant.
"""

import argparse
import contextlib
import sys

from .. import __version__
from ..exceptions import PalsyError
from ..paper._defaults import (
    DEMO_EPOCHS,
    DEMO_FOLDS,
    DEMO_IMAGE_SIZE,
    DEMO_RESNET_ARCH,
    PAPER_IMAGE_SIZE,
    PAPER_PIPELINES,
    TRAIN_EPOCHS,
)
from ..utils._backends import BACKENDS

DISCLAIMER = "sklearn-palsy is a research tool, not a medical device."
_BACKEND_OPTION = {
    "choices": BACKENDS,
    "default": "auto",
    "help": "landmark model (default: auto, MediaPipe Face Mesh where it is "
    "installed, else dlib)",
}
_RESNET_ARCH_OPTION = {
    "choices": ("resnet10", "resnet18", "resnet34", "resnet50"),
    "default": DEMO_RESNET_ARCH,
    "help": f"ResNet of the image configurations (default: {DEMO_RESNET_ARCH}, "
    "the paper's; resnet10, one basic block per stage, trains faster)",
}


def _print_experiment(experiment):
    print()
    print("The paper's table (mean ± sd over folds, per image and per patient):")
    print(experiment.table.to_string())
    print()
    print("Per patient, with 95 % confidence intervals (bootstrap over patients "
          "of the pooled out-of-fold predictions):")
    print(experiment.intervals.to_string())
    print()
    print(f"best configuration (highest per-patient F1): {experiment.best}")
    _print_comparison(experiment)
    _print_subgroups(experiment)
    print(f"report : {experiment.paths.report}")
    print(f"table  : {experiment.paths.table_csv} and {experiment.paths.table_md}")
    print(f"model  : {experiment.paths.model} (best configuration, all images)")


def _print_comparison(experiment):
    """The paired comparison with the best configuration, one line per pair."""
    comparison = experiment.get("comparison")
    if comparison is None:
        return
    print()
    print(f"Paired comparison with {experiment.best}: difference in per-patient "
          f"F1 (95 % interval), p-values Holm-corrected over {len(comparison)} "
          "pair(s):")
    from ..model_selection import format_interval

    for row in comparison.itertuples():
        p_t = "n/a" if row.p_corrected_t_holm != row.p_corrected_t_holm else (
            f"{row.p_corrected_t_holm:.3f}")
        print(f"  {row.estimator} - {row.other}: "
              f"{format_interval(row.difference, row.low, row.high)}; "
              f"corrected t-test p = {p_t}, bootstrap p = "
              f"{row.p_bootstrap_holm:.3f}")


def _print_subgroups(experiment):
    """Per-patient F1 and ROC AUC of each configuration in each subgroup."""
    subgroups = experiment.result.get("subgroups")
    if subgroups is None:
        return
    from ..model_selection import format_interval

    chosen = subgroups[(subgroups.level == "patient")
                       & subgroups.metric.isin(["f1", "roc_auc"])]
    for column, rows in chosen.groupby("subgroup_column", sort=False):
        print()
        print(f"By {column} (per patient, 95 % intervals):")
        table = rows.assign(value=[format_interval(*values) for values in rows[
            ["estimate", "low", "high"]].itertuples(index=False)])
        wide = table.pivot_table(index=["subgroup", "n_patients", "estimator"],
                                 columns="metric", values="value",
                                 aggfunc="first", sort=False)
        notes = table.drop_duplicates("subgroup").set_index("subgroup").note
        print(wide.to_string())
        for subgroup, note in notes.items():
            if note:
                print(f"  {subgroup}: {note}")


def _demo(args):
    from ..paper import run_demo

    summary = run_demo(
        args.out, n_patients=args.n_patients, n_controls=args.n_controls,
        image_size=args.image_size, epochs_scale=args.epochs_scale,
        resnet_arch=args.resnet_arch, n_splits=args.folds, pipelines=args.pipelines,
        backend=args.backend, random_state=args.random_state,
        verbose=not args.quiet,
    )
    print(f"Synthetic cohort written to {summary['manifest']}")
    print(f"  patients with palsy : {summary['patients with palsy']}")
    print(f"  controls            : {summary['controls']}")
    print(f"  images              : {summary['images']}")
    for name, count in summary["images per class"].items():
        print(f"    {name:<17} : {count}")
    print("  images per expression:")
    for name, count in summary["images per expression"].items():
        print(f"    {name:<17} : {count}")
    print(f"  face detection rate : {summary['face detection rate']:.1%} "
          f"({summary['settings']['landmarks']} landmarks)")
    settings = summary["settings"]
    print(
        f"Settings chosen to finish in minutes on two CPU cores: images of "
        f"{settings['image size']} px (the paper used {PAPER_IMAGE_SIZE}), "
        f"{settings['ffnn_epochs']} FFNN / {settings['resnet_epochs']} ResNet / "
        f"{settings['fusion_epochs']} fusion epochs, {settings['resnet']} "
        f"ResNets trained from scratch, "
        f"GroupKFold({settings['folds']}) by patient."
    )
    _print_experiment(summary["experiment"])
    card_json, card_markdown = summary["model card paths"]
    print(f"card   : {card_markdown} and {card_json}")
    print(f"  {summary['model card'].summary_line()}")
    machine = summary["machine"]
    print(f"took {summary['seconds']} s on {machine['cpu']} "
          f"({machine['cpu capability']} kernels, {machine['torch threads']} "
          f"torch threads, {machine['cores']} cores)")
    print(DISCLAIMER)
    return 0


def _evaluate(args):
    import warnings

    from ..datasets import load_manifest
    from ..exceptions import PatientLeakageError, PatientLeakageWarning
    from ..paper import run_experiment

    data = load_manifest(args.manifest)
    test = None if args.test is None else load_manifest(args.test)
    evaluated = data if test is None else test
    by = None
    if args.by is not None:
        missing = [name for name in args.by if name not in evaluated.frame.columns]
        if missing:
            raise ValueError(
                f"--by names {', '.join(map(repr, missing))}, which "
                f"{evaluated.source!r} lacks; its columns are "
                + ", ".join(name for name in evaluated.frame.columns
                            if name != "path")
            )
        by = evaluated.frame[args.by].reset_index(drop=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PatientLeakageWarning)
            experiment = run_experiment(
                data.X, data.y, data.groups, args.out, pipelines=args.pipelines,
                cv=args.cv, n_splits=args.folds, image_size=args.image_size,
                resnet_arch=args.resnet_arch, backend=args.backend,
                random_state=args.random_state,
                verbose=not args.quiet, repeats=args.repeats,
                test=None if test is None else (test.X, test.y, test.groups),
                on_overlap="warn" if args.allow_overlap else "raise", by=by,
                n_bootstraps=args.bootstraps,
            )
    except PatientLeakageError as error:
        # Rows count the images as loaded; without videos, a manifest's line
        # is its row + 2 (the header is line 1).
        lines = "" if any("video" in loaded.frame for loaded in (data, test)) else (
            " (rows count each manifest's images from 0: line = row + 2)")
        raise PatientLeakageError(
            f"{args.test} against {args.manifest}{lines}: {error}") from error
    for warning in caught:
        if issubclass(warning.category, PatientLeakageWarning):
            print(f"sklearn-palsy: warning: {args.test} against {args.manifest}: "
                  f"{warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    if test is not None:
        print(f"Trained on {args.manifest}; tested on {args.test} "
              f"({len(test.y)} images of {len(set(test.groups))} patients).")
    _print_experiment(experiment)
    print(DISCLAIMER)
    return 0


def _column_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give one or more column names, "
                                         "separated by commas")
    return names


def _at_least_one(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {text}")
    return value


def _about_matching(warning):
    """Whether a caught warning is the library's about unmatched landmarks."""
    from ..exceptions import UnmatchedLandmarksWarning

    return issubclass(warning.category, UnmatchedLandmarksWarning)


@contextlib.contextmanager
def _landmarks_reported(path, images):
    """Say on stderr, in one line, which images of the run took ``--landmarks``.

    The library warns for each batch that matches none of the file's
    images; the command says it once, for the whole run: how many images
    took the given landmarks, and which images of the file are not in the
    run (a warning when some are, or when none matched). Nothing is said
    without ``--landmarks``.
    """
    import warnings

    from ..exceptions import UnmatchedLandmarksWarning

    if path is None:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmatchedLandmarksWarning)
        yield
    _report_landmarks(path, images)


def _report_landmarks(path, images):
    from ..faces._analysis import match_landmarks

    matches = match_landmarks(images, path)
    prefix = "warning: " if matches.unused or not matches.matched else ""
    print(f"sklearn-palsy: {prefix}landmarks from {path}: {matches.describe()}",
          file=sys.stderr)


def _write_failures(failures, path):
    """Save the failures when asked, and say on stderr how many were skipped."""
    from ..utils._csv import write_csv_atomic

    if path is not None:
        write_csv_atomic(failures, path)
    if len(failures):
        where = f"; listed in {path}" if path is not None else ""
        message = f"sklearn-palsy: skipped {len(failures)} image(s){where}"
        print(message, file=sys.stderr)


def _extract(args):
    from ..utils._csv import write_csv_atomic
    from ._extract import extract_features, landmarks_of

    source = args.source[0] if len(args.source) == 1 else args.source
    X, unusable = _resolve(source, args)
    with _landmarks_reported(args.landmarks, X):
        features, failures = extract_features(
            X, backend=args.backend, on_error=args.on_error, verbose=not args.quiet,
            landmarks=args.landmarks, max_yaw=args.max_yaw,
            max_pitch=args.max_pitch,
        )
    failures = _joined_failures(unusable, failures)
    write_csv_atomic(features, args.out)
    _write_failures(failures, args.failures)
    print(f"{len(features)} image(s) written to {args.out}")
    if args.landmarks_out is not None:
        from ..faces import write_landmarks

        write_landmarks(args.landmarks_out, list(features["image"]),
                        landmarks_of(features))
        print(f"their landmarks written to {args.landmarks_out}")
    return 0


def _train(args):
    import os

    from ..io import write_model_card
    from ..io._dispatch import _model_format, save_model_file
    from ..paper import train_with_card

    if os.path.exists(args.manifest):
        # Refuse an unknown model extension before training, not after; a
        # missing manifest is reported by train_with_card.
        _model_format(args.out)

    overrides = {}
    if args.epochs_scale is not None:
        for name, default in TRAIN_EPOCHS.items():
            overrides[name] = max(1, round(default * args.epochs_scale))
    trained = train_with_card(
        args.manifest, args.pipeline, folds=args.evaluate,
        image_size=args.image_size, random_state=args.random_state,
        backend=args.backend, **overrides,
    )
    save_model_file(trained.model, args.out)
    card_json, card_markdown = write_model_card(args.out, trained.card)
    print(f"{args.pipeline} model written to {args.out}")
    print(f"model card: {card_markdown} and {card_json}")
    print(trained.card.summary_line())
    print(DISCLAIMER)
    return 0


def _load_model(path):
    """Load a model file, warning on stderr, as one line, if it is a pickle."""
    import warnings

    from ..exceptions import PickleModelWarning
    from ..io._dispatch import _model_format, load_model_file
    from ..io._joblib import pickle_warning

    if _model_format(path) == "joblib":
        # Every time, as one line; the library's own warning would repeat it.
        print(f"sklearn-palsy: warning: {pickle_warning(path)}", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PickleModelWarning)
        return load_model_file(path)


def _model_and_images(args):
    """Split ``predict``'s arguments into a model file (or None) and the images.

    ``predict MODEL IMAGES...``, ``predict --model MODEL IMAGES...`` and
    ``predict IMAGES...`` (the shipped reference model) are all accepted.
    The first of several arguments is the model when it has a model file's
    extension, or when it is neither a folder nor an image, video or
    manifest (so that ``model.bin`` is refused as a model, by its extension,
    rather than looked for as a photo).
    """
    import os

    from ..datasets._manifest import IMAGE_EXTENSIONS
    from ..faces._files import (
        VIDEO_EXTENSIONS,
        malformed_frame_reference,
        parse_frame_reference,
    )
    from ..io._dispatch import JOBLIB_MODEL_EXTENSIONS, SAFE_MODEL_EXTENSIONS

    images = list(args.images)
    if args.model is not None:
        return args.model, images
    first = images[0]
    suffix = os.path.splitext(first)[1].lower()
    inputs = (*IMAGE_EXTENSIONS, *VIDEO_EXTENSIONS, ".csv")
    if suffix in SAFE_MODEL_EXTENSIONS + JOBLIB_MODEL_EXTENSIONS or (
        len(images) > 1 and suffix not in inputs
        and parse_frame_reference(first) is None
        and malformed_frame_reference(first) is None
        and not os.path.isdir(first)
    ):
        if len(images) == 1:
            raise ValueError(f"no images given after the model file {first!r}")
        return first, images[1:]
    return None, images


def _reference_model(backend, task="palsy"):
    """A model shipped in the package, for the landmark backend given."""
    from ..paper import load_reference_model

    return load_reference_model(backend=backend, task=task)


def _reference_patient_threshold(backend):
    """The shipped palsy model's threshold of a person's mean probability."""
    from ..paper import reference_model_info

    return reference_model_info(backend)["threshold"]["patient"]["value"]


def _reference_thresholds():
    """The shipped palsy models' thresholds and what they give, for --help."""
    import importlib.resources
    import json

    from ..utils._backends import LANDMARK_MODELS

    lines = []
    for backend in LANDMARK_MODELS:
        # The record itself, not reference_model_info: --help imports no
        # landmark model. Loading the model checks the record.
        resource = importlib.resources.files("sklearn_palsy.paper") / "models" / (
            f"reference_{backend}.json")
        try:
            record = json.loads(resource.read_text(encoding="utf-8"))
            threshold = record["threshold"]
            figures = record["held_out"]["wide"]["image"]
            size = record["held_out"]["wide"]["cohort"]["image_size"]
        except (OSError, ValueError, KeyError, TypeError):
            lines.append(f"{backend}: not in this installation")
            continue
        lines.append(
            f"{backend}: {threshold['value']:.3g}, chosen for a specificity of "
            f"{threshold['specificity_target']:.0%}; on held-out synthetic "
            f"{size}-pixel photos it gives specificity "
            f"{figures['specificity']:.2f} and sensitivity {figures['recall']:.2f} "
            f"({figures['recall_moderate_to_severe']:.2f} for moderate to "
            "severe palsy)"
        )
    return "; ".join(lines)


_REFERENCE_NOTE = ("sklearn-palsy: no model given, so the shipped reference model "
                   "was used (trained on synthetic faces only: a research "
                   "baseline, not a diagnostic)")


def _predict(args):
    from ..utils._csv import write_csv_atomic
    from ._predict import (
        decision_threshold,
        model_card_line,
        predict_images,
        summarize_videos,
    )

    model_path, images = _model_and_images(args)
    source = images[0] if len(images) == 1 else images
    X, unusable = _resolve(source, args)
    type_model = None
    if model_path is None:
        model = _reference_model(args.backend)
        type_model = _reference_model(args.backend, task="type")
    else:
        model = _load_model(model_path)
        card_line = model_card_line(model_path)
    threshold = decision_threshold(model, args.threshold)
    with _landmarks_reported(args.landmarks, X):
        predictions, failures = predict_images(
            model, X, on_error=args.on_error, backend=args.backend,
            landmarks=args.landmarks, max_yaw=args.max_yaw,
            max_pitch=args.max_pitch, threshold=threshold, type_model=type_model,
        )
    failures = _joined_failures(unusable, failures)
    if args.out is None:
        print(predictions.to_string(index=False))
    else:
        write_csv_atomic(predictions, args.out)
        print(f"{len(predictions)} prediction(s) written to {args.out}")
    videos = summarize_videos(predictions,
                              threshold=0.5 if threshold is None else threshold)
    if args.videos_out is not None:
        write_csv_atomic(videos, args.videos_out)
        print(f"{len(videos)} video(s) summarised in {args.videos_out}")
    elif len(videos):
        print()
        print("Per video (mean over its sampled frames):")
        print(videos.to_string(index=False))
    _write_failures(failures, args.failures)
    if threshold is not None:
        whose = ("given with --threshold" if args.threshold is not None
                 else "the model's own" + (", chosen on held-out synthetic faces "
                                           "(see predict --help)"
                                           if model_path is None else ""))
        print(f"threshold {threshold:.3g}: {whose}",
              file=sys.stderr if args.out is None else sys.stdout)
    if model_path is None:
        print(_REFERENCE_NOTE, file=sys.stderr)
    elif card_line is not None:
        print(card_line, file=sys.stderr if args.out is None or card_line.startswith(
            "sklearn-palsy: warning") else sys.stdout)
    print(DISCLAIMER, file=sys.stderr if args.out is None else sys.stdout)
    return 0


def _assess(args):
    import warnings

    from ..reporting import write_assessment
    from ._assess import assess_images

    type_model = patient_threshold = None
    if args.no_model:
        model = None
    elif args.model is None:
        model = _reference_model(args.backend)
        type_model = _reference_model(args.backend, task="type")
        if args.threshold is None:
            patient_threshold = _reference_patient_threshold(args.backend)
    else:
        model = _load_model(args.model)
    source = args.source[0] if len(args.source) == 1 else args.source
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        assessment = assess_images(
            source, model=model, backend=args.backend, on_error=args.on_error,
            verbose=not args.quiet, landmarks=args.landmarks,
            expression_map=args.expression_map, side=args.side,
            threshold=args.threshold, patient_threshold=patient_threshold,
            type_model=type_model,
            **_pose_options(args), **_video_options(args))
    # One line each (patients without a rest photo, say), not a source line;
    # given landmarks get the line of the whole run, below.
    for message in dict.fromkeys(str(warning.message) for warning in caught
                                 if not _about_matching(warning)):
        print(f"sklearn-palsy: warning: {message}", file=sys.stderr)
    if args.landmarks is not None:
        _report_landmarks(args.landmarks, [*assessment.images["image"],
                                           *assessment.failures["image"]])
    paths = write_assessment(assessment, args.out)
    _write_failures(assessment.failures, args.failures)
    patients = assessment.patients
    sides = patients["affected_side"].value_counts()
    print(f"{len(patients)} patient(s), {len(assessment.images)} photo(s), "
          f"landmarks by {assessment.backend}")
    print(f"affected side found: right {sides.get('right', 0)}, left "
          f"{sides.get('left', 0)}, none {sides.get('none', 0)}")
    print(f"table  : {paths.table}")
    print(f"report : {paths.report}")
    if not args.no_model and args.model is None:
        print(_REFERENCE_NOTE, file=sys.stderr)
    print(DISCLAIMER)
    return 0


def _review(args):
    import warnings

    from ..exceptions import UnmatchedLandmarksWarning
    from ._review import review_images

    source = args.source[0] if len(args.source) == 1 else args.source
    with warnings.catch_warnings():
        # Said once for the whole run, below.
        warnings.simplefilter("ignore", UnmatchedLandmarksWarning)
        review = review_images(
            source, args.out, backend=args.backend, landmarks=args.landmarks,
            decisions=args.decisions, expression_map=args.expression_map,
            max_yaw=args.max_yaw, max_pitch=args.max_pitch,
            page_size=args.page_size, compare=not args.no_compare,
            sampling=_video_options(args))
    if args.landmarks is not None:
        _report_landmarks(args.landmarks, review.images)
    if review.unmatched_decisions:
        from ..exceptions import format_listing

        print(f"sklearn-palsy: warning: decisions from {args.decisions}: "
              f"{len(review.unmatched_decisions)} image(s) are not in this run: "
              + format_listing(review.unmatched_decisions, separator=", "),
              file=sys.stderr)
    flags = review.flags
    flagged = flags[flags["n_flags"] > 0]
    unreadable = flags[flags["flag_unreadable"]]
    for _, row in unreadable.iterrows():
        print(f"sklearn-palsy: warning: {row['image']}: {row['reasons']}",
              file=sys.stderr)
    print(f"{len(flags)} photo(s), {len(flagged)} flagged, landmarks by "
          f"{review.backend}" + (f", compared with {review.compared}"
                                 if review.compared else ""))
    if len(review.pages) > 1:
        print(f"pages  : {len(review.pages)}, listed in {review.page}")
    else:
        print(f"page   : {review.page}")
    print(f"flags  : {review.flags_path}")
    print(DISCLAIMER)
    return 0


def _epochs_text(epochs):
    return ", ".join(f"{value} {name.removesuffix('_epochs')}"
                     for name, value in epochs.items())


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive; got {text}")
    return value


def _probability(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1]; got {text}")
    return value


def _video_options(args):
    """resolve_images' video sampling options from the parsed arguments."""
    return {"n_frames": args.frames_per_video, "every": args.every_nth_frame,
            "method": args.frame_sampling}


def _pose_options(args):
    """assess' head-pose limits: those given, none, or assess_images' defaults."""
    if args.no_pose_limit:
        return {"max_yaw": None, "max_pitch": None}
    return {name: value for name, value in (("max_yaw", args.max_yaw),
                                            ("max_pitch", args.max_pitch))
            if value is not None}


def _resolve(source, args):
    """The images of ``source``, and those left out with ``--on-error skip``.

    With ``--on-error raise``, files that do not exist, malformed frame
    references and videos that cannot be sampled stop the command before any
    detection, all named in one error.
    """
    from ..datasets import resolve_images

    if args.on_error == "skip":
        X, _, _, _, unusable = resolve_images(source, on_error="skip",
                                              **_video_options(args))
        return X, unusable
    X, _, _, _ = resolve_images(source, **_video_options(args))
    return X, None


def _joined_failures(unusable, failures):
    """The inputs left out before detection, then those that failed in it."""
    import pandas as pd

    if unusable is None or not len(unusable):
        return failures
    return pd.concat([unusable, failures], ignore_index=True)


def _add_video_options(command):
    """The video sampling options (extract, predict, assess, review)."""
    videos = command.add_argument_group(
        "videos (.mp4 .avi .mov .mkv), read lazily; each sampled frame is a row")
    videos.add_argument("--frames-per-video", type=int, default=None, metavar="N",
                        help="frames sampled per video (default: 10)")
    videos.add_argument("--every-nth-frame", type=int, default=None, metavar="K",
                        help="sample every K-th frame instead (uniform sampling)")
    videos.add_argument("--frame-sampling", choices=("uniform", "movement"),
                        default="uniform",
                        help="evenly spread frames, or the most neutral frame and "
                        "the frames that move most from it (default: uniform)")


def _add_input_options(command, *, landmarks_out=False, pose_default=None):
    """Options shared by extract, predict and assess: videos, pose, landmarks.

    ``pose_default`` describes the command's own head-pose limits when it
    has some (assess); ``--no-pose-limit`` then turns them off.
    """
    _add_video_options(command)
    quality = command.add_argument_group("head pose and landmarks")
    quality.add_argument("--max-yaw", type=_angle, default=None, metavar="DEGREES",
                         help="skip faces turned sideways more than this "
                         f"(listed as failures; default: {pose_default or 'no limit'})")
    quality.add_argument("--max-pitch", type=_angle, default=None,
                         metavar="DEGREES",
                         help="skip faces tilted up or down more than this"
                         + (f" (default: {pose_default})" if pose_default else ""))
    if pose_default:
        quality.add_argument("--no-pose-limit", action="store_true",
                             help="screen no photo for head pose")
    quality.add_argument("--landmarks", default=None, metavar="FILE",
                         help="corrected landmarks (CSV or iBUG .pts, as "
                         "--landmarks-out writes them), used instead of "
                         "detection for the images they name")
    if landmarks_out:
        quality.add_argument("--landmarks-out", default=None, metavar="FILE",
                             help="also write the landmarks to a CSV (or .pts) "
                             "that can be corrected and given back with "
                             "--landmarks")


def _folds(text):
    try:
        folds = int(text)
    except ValueError:
        folds = 0
    if folds < 2:
        raise argparse.ArgumentTypeError(
            f"needs a whole number of folds, at least 2; got {text!r}")
    return folds


def _angle(text):
    value = float(text)
    if not 0 < value <= 90:
        raise argparse.ArgumentTypeError(f"must be in (0, 90] degrees; got {text}")
    return value


def build_parser():
    """Return the argument parser of the ``sklearn-palsy`` command."""
    parser = argparse.ArgumentParser(
        prog="sklearn-palsy",
        description="Detect facial palsy from face photographs. " + DISCLAIMER,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    def pipeline_list(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in PAPER_PIPELINES]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown pipelines {unknown}; choose from {', '.join(PAPER_PIPELINES)}"
            )
        return names

    demo = commands.add_parser(
        "demo",
        help="generate the synthetic cohort, run the paper's comparison by "
        "patient, print the table, write the report and the best model",
    )
    demo.add_argument("--out", default="demo_output", help="output folder")
    demo.add_argument("--n-patients", type=int, default=21,
                      help="people with palsy (default: 21, as in the paper)")
    demo.add_argument("--n-controls", type=int, default=21, help="controls")
    demo.add_argument("--image-size", type=int, default=DEMO_IMAGE_SIZE,
                      help="side of crops and line images (default: "
                      f"{DEMO_IMAGE_SIZE})")
    demo.add_argument("--epochs-scale", type=_positive_float, default=1.0,
                      help="multiply the numbers of epochs by this (default "
                      f"epochs: {_epochs_text(DEMO_EPOCHS)})")
    demo.add_argument("--folds", type=int, default=DEMO_FOLDS,
                      help=f"GroupKFold folds (default: {DEMO_FOLDS})")
    demo.add_argument("--resnet-arch", **_RESNET_ARCH_OPTION)
    demo.add_argument("--pipelines", type=pipeline_list, default=None,
                      help="comma-separated configurations (default: all)")
    demo.add_argument("--backend", **_BACKEND_OPTION)
    demo.add_argument("--random-state", type=int, default=0, help="seed")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)

    evaluate = commands.add_parser(
        "evaluate",
        help="compare the paper's configurations on a manifest by patient; "
        "write the table (CSV and Markdown), the report and the best model",
    )
    evaluate.add_argument("manifest", metavar="MANIFEST", help="manifest CSV")
    evaluate.add_argument("--cv", choices=("group-kfold", "lopo"),
                          default="group-kfold",
                          help="GroupKFold by patient, or leave-one-patient-out")
    evaluate.add_argument("--folds", type=int, default=5, help="GroupKFold folds")
    evaluate.add_argument("--repeats", type=_at_least_one, default=1, metavar="N",
                          help="repeat the folds N times, each a new shuffle "
                          "(RepeatedStratifiedGroupKFold; default: 1, GroupKFold)")
    evaluate.add_argument("--test", default=None, metavar="TEST_MANIFEST",
                          help="external validation: train on MANIFEST, score on "
                          "this manifest (refused if they share a patient id or "
                          "an image)")
    evaluate.add_argument("--allow-overlap", action="store_true",
                          help="with --test, warn instead of refusing shared "
                          "patient ids or images (ids that name different "
                          "people at two sites)")
    evaluate.add_argument("--by", type=_column_list, default=None,
                          metavar="COL[,COL]",
                          help="subgroup tables: every metric with its interval "
                          "per value of these manifest columns (of the test "
                          "manifest with --test)")
    evaluate.add_argument("--bootstraps", type=_at_least_one, default=1000,
                          metavar="N",
                          help="patient resamples of the confidence intervals "
                          "and the paired comparison (default: 1000)")
    evaluate.add_argument("--pipelines", type=pipeline_list, default=None,
                          help="comma-separated configurations (default: all)")
    evaluate.add_argument("--image-size", type=int, default=DEMO_IMAGE_SIZE,
                          help="side of crops and line images (default: "
                          f"{DEMO_IMAGE_SIZE}; epochs: {_epochs_text(DEMO_EPOCHS)})")
    evaluate.add_argument("--resnet-arch", **_RESNET_ARCH_OPTION)
    evaluate.add_argument("--backend", **_BACKEND_OPTION)
    evaluate.add_argument("--out", required=True, help="output folder")
    evaluate.add_argument("--random-state", type=int, default=0, help="seed")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.set_defaults(handler=_evaluate)

    extract = commands.add_parser(
        "extract", help="write landmarks, head pose and expression features of "
        "images and video frames to CSV"
    )
    extract.add_argument(
        "source", metavar="SOURCE", nargs="+",
        help="a manifest CSV, a folder of images and videos, or image and "
        "video files",
    )
    extract.add_argument("--out", default="features.csv", help="features CSV")
    extract.add_argument("--backend", **_BACKEND_OPTION)
    extract.add_argument(
        "--on-error", choices=("raise", "skip"), default="raise",
        help="on unreadable images or images without a face: fail (naming every "
        "one, writing nothing) or skip them",
    )
    extract.add_argument("--failures", default=None,
                         help="CSV listing skipped images and why")
    extract.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_input_options(extract, landmarks_out=True)
    extract.set_defaults(handler=_extract)

    train = commands.add_parser(
        "train", help="fit one of the paper's pipelines and save it, in the safe "
        "format (.safetensors) or with joblib (.joblib, .pkl)"
    )
    train.add_argument("manifest", metavar="MANIFEST",
                       help="a manifest CSV or a root/<label>/<patient_id>/ folder")
    train.add_argument("--pipeline", required=True, metavar="NAME",
                       help="one of: " + ", ".join(PAPER_PIPELINES))
    train.add_argument("--out", required=True,
                       help="model file: .safetensors loads without running code; "
                       ".joblib or .pkl is a pickle, which runs code when loaded")
    train.add_argument("--image-size", type=int, default=DEMO_IMAGE_SIZE,
                       help="side of crops and line images (default: "
                       f"{DEMO_IMAGE_SIZE}, as for demo and evaluate)")
    train.add_argument("--epochs-scale", type=_positive_float, default=None,
                       help="multiply the default numbers of epochs by this "
                       f"({_epochs_text(TRAIN_EPOCHS)})")
    train.add_argument("--backend", **_BACKEND_OPTION)
    train.add_argument("--evaluate", type=_folds, default=None, metavar="FOLDS",
                       help="first cross-validate the configuration by patient "
                       "(GroupKFold with this many folds); the model card beside "
                       "the model then holds every metric with its interval, the "
                       "calibration and the decision curve (default: no "
                       "evaluation)")
    train.add_argument("--random-state", type=int, default=0, help="network seed")
    train.set_defaults(handler=_train)

    predict = commands.add_parser(
        "predict",
        help="predict palsy and the affected side, with a trained model or, "
        "when none is given, the reference model shipped in the package; "
        ".safetensors models load without running code, .joblib and .pkl "
        "models run code when loaded, so use only trusted ones",
    )
    predict.add_argument(
        "images", metavar="[MODEL] IMAGES", nargs="+",
        help="image files, or one folder or manifest; a first argument "
        "ending in .safetensors, .joblib or .pkl is the model file",
    )
    predict.add_argument(
        "--model", default=None,
        help="model file from train (.safetensors, .joblib or .pkl); default: "
        "the shipped reference model (synthetic faces only)",
    )
    predict.add_argument("--out", default=None,
                         help="predictions CSV (default: print the table)")
    predict.add_argument("--videos-out", default=None,
                         help="CSV with one row per video (its frames' mean "
                         "probability, share of positive frames, side); "
                         "default: print it when there are videos")
    predict.add_argument(
        "--threshold", type=_probability, default=None, metavar="P",
        help="call palsy from this probability on (binary models). Default: "
        "the model's own threshold where it has one, else 0.5. The shipped "
        "reference models' thresholds: " + _reference_thresholds().replace("%", "%%")
        + ". A lower threshold finds more palsy and calls more healthy faces "
        "palsied; a higher one the reverse (docs: the reference model)",
    )
    predict.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                         help="fail on bad images or skip them")
    predict.add_argument("--failures", default=None,
                         help="CSV listing skipped images and why")
    predict.add_argument(
        "--backend", choices=BACKENDS, default="auto",
        help="landmark model used to screen the images and find the affected "
        "side (default: auto); the model itself uses the one it was trained with",
    )
    _add_input_options(predict)
    predict.set_defaults(handler=_predict)

    assess = commands.add_parser(
        "assess",
        help="score each patient's face by region (eFACE-style, 0-100), "
        "measure movement from rest, find the affected side; write a table "
        "(assessment.csv) and a report (report.html)",
    )
    assess.add_argument(
        "source", metavar="SOURCE", nargs="+",
        help="a manifest CSV (patient_id and expression columns are used), a "
        "folder of images or image files; without a manifest each photo is its "
        "own patient, at rest",
    )
    assess.add_argument("--out", required=True,
                        help="output folder for assessment.csv and report.html")
    assess_model = assess.add_mutually_exclusive_group()
    assess_model.add_argument(
        "--model", default=None,
        help="a trained model whose probabilities are given per photo and per "
        "patient (.safetensors, or a trusted .joblib or .pkl); default: the "
        "shipped reference model (synthetic faces only)",
    )
    assess_model.add_argument("--no-model", action="store_true",
                              help="give no probabilities, only the measures")
    assess.add_argument("--backend", **_BACKEND_OPTION)
    assess.add_argument(
        "--threshold", type=_probability, default=None, metavar="P",
        help="call palsy from this probability on, for photos and for patients "
        "(by their photos' mean probability), with a binary model. Default: the "
        "model's own threshold where it has one, else 0.5; the shipped model has "
        "one for photos (see predict --help) and one chosen for people's means "
        "at the same specificity")
    assess.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                        help="on unreadable photos or photos without a face: "
                        "fail (naming every one, writing nothing) or skip them")
    assess.add_argument("--failures", default=None,
                        help="CSV listing skipped photos and why")
    assess.add_argument("--quiet", action="store_true", help="no progress bars")
    assess.add_argument(
        "--side", choices=("right", "left", "none"), default=None,
        help="the clinician's affected side (the subject's own) for every patient "
             "whose manifest row gives none (a manifest's side column comes "
             "first); reported as given. Default: inferred from the photos")
    assess.add_argument(
        "--expression-map", default=None, metavar="FILE",
        help="the study's expression names as the package's: a CSV with the "
        "columns name and expression, or a JSON object {name: expression}; "
        "Emotrics+'s photo names (Resting, Brow Raise, Big Smile, ...) are "
        "known without it")
    _add_input_options(assess, pose_default="20 degrees, see the head-pose "
                       "page of the user guide")
    assess.set_defaults(handler=_assess)

    review = commands.add_parser(
        "review",
        help="write a page (one self-contained HTML file, opened from disk) "
        "that shows every photo's landmarks, flags the faces to check first, "
        "and lets a person correct the points and export them for --landmarks; "
        "and the flags as a CSV beside it",
    )
    review.add_argument(
        "source", metavar="SOURCE", nargs="+",
        help="a manifest CSV (patient_id, expression and side columns are used), "
        "a folder of images or image files")
    review.add_argument("--out", default="review.html",
                        help="the page (default: review.html); the flags go to "
                        "<name>-flags.csv beside it")
    review.add_argument("--backend", **_BACKEND_OPTION)
    review.add_argument("--landmarks", default=None, metavar="FILE",
                        help="corrected landmarks (CSV or .pts, as the page "
                        "exports them), shown instead of detection")
    review.add_argument("--decisions", default=None, metavar="FILE",
                        help="a decisions CSV the page exported (checked, "
                        "excluded, note), shown again")
    review.add_argument("--expression-map", default=None, metavar="FILE",
                        help="the study's expression names, as for assess")
    review.add_argument("--max-yaw", type=_angle, default=20.0, metavar="DEGREES",
                        help="flag faces turned sideways more than this "
                        "(default: 20)")
    review.add_argument("--max-pitch", type=_angle, default=20.0, metavar="DEGREES",
                        help="flag faces tilted up or down more than this "
                        "(default: 20)")
    review.add_argument("--page-size", type=int, default=200, metavar="N",
                        help="most photos on one page; a larger study gets "
                        "several pages and an index at --out (default: 200)")
    review.add_argument("--no-compare", action="store_true",
                        help="do not run the other landmark model (no "
                        "disagreement flag)")
    _add_video_options(review)
    review.set_defaults(handler=_review)
    return parser


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None):
    """Run the ``sklearn-palsy`` command; return its exit code.

    Ctrl-C ends it with one line and exit code 130; SIGTERM with exit code
    143. Either way, a file being written is left as it was before (no half
    file, no temporary file).
    """
    import signal
    import threading

    args = build_parser().parse_args(argv)
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        # SystemExit unwinds like any exception, so atomic writes clean up.
        previous = signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("sklearn-palsy: interrupted", file=sys.stderr)
        return 130
    except (PalsyError, OSError, ValueError) as error:
        print(f"sklearn-palsy: error: {error}", file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)

