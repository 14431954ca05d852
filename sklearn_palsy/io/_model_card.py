"""Model cards: what a saved model is, what it was trained on, how it scored.

A model card (Mitchell et al. 2019) is written beside a model file as two
files: ``<stem>.card.json``, which programs read, and ``<stem>.card.md``,
which people read. It holds the model's intended use and the statement
that it is not a medical device, the training data (patients, images,
classes, expressions, landmark backend, image sizes), the cross-validated
evaluation with intervals by patient, calibration and decision curve,
subgroups where the evaluation has them, the limitations, the versions of
the package and its dependencies, and which items of the TRIPOD+AI
reporting guideline (Collins et al., BMJ 2024;385:e078378) it covers.

``sklearn-palsy train`` and the demo write one; ``sklearn-palsy predict``
prints its one-line summary. :func:`make_model_card` builds one from data
and an evaluation, :func:`write_model_card` and :func:`read_model_card`
write and read it.
"""

import datetime
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ModelFileError
from ..utils._atomic import atomic_write

__all__ = [
    "CARD_FORMAT",
    "TRIPOD_AI_ITEMS",
    "ModelCard",
    "make_model_card",
    "model_card_paths",
    "read_model_card",
    "write_model_card",
]

CARD_FORMAT = "sklearn-palsy model card 1"

#: The TRIPOD+AI items (Collins et al. 2024) that a card reports, with the
#: card's section that reports each. The rest of the checklist (title,
#: abstract, background, participants' eligibility and dates, outcome
#: assessment, sample size, missing data, fairness analysis, ethics, open
#: science, patient involvement, discussion) belongs to the paper.
TRIPOD_AI_ITEMS = (
    ("3b", "intended purpose of the model and its intended users",
     "intended_use"),
    ("5a", "sources of data", "training_data.source"),
    ("7", "data preparation (landmarks, image sizes)",
     "training_data.landmark_backend, training_data.image_sizes"),
    ("12a", "how the data were used: cross-validation by patient",
     "evaluation.validation"),
    ("12c", "type of model", "model"),
    ("12e", "performance measures: discrimination, calibration, decision curve",
     "evaluation, calibration, decision_curve"),
    ("13", "class imbalance: patients and images per class",
     "training_data.patients_per_class"),
    ("15", "model output and decision threshold", "model.output"),
    ("18f", "code and software versions", "software"),
    ("20b", "characteristics of the data: classes, expressions, images",
     "training_data"),
    ("21", "numbers of participants and outcome events", "training_data"),
    ("22", "full model specification: the model file", "model.file"),
    ("23a", "performance with confidence intervals, including subgroups",
     "evaluation, subgroups"),
    ("26", "limitations", "limitations"),
)

_INTENDED_USE = (
    "Research on detecting facial palsy from face photographs: comparing "
    "methods, and studying what a model of this kind learns. Intended users "
    "are researchers who can judge the data it was trained on."
)
_OUT_OF_SCOPE = [
    "diagnosing, treating, triaging or screening anyone",
    "photographs unlike the training data (other cameras, lighting, poses, "
    "populations or expressions)",
    "grading severity: the model gives the probability of palsy only",
]
_LIMITATIONS = [
    "Cross-validated on one data set: performance at another site is unknown "
    "until the model is validated there (sklearn-palsy evaluate --test).",
    "Small cohorts give wide intervals; the intervals resample patients, not "
    "photographs, and say nothing about patients unlike those in the data.",
    "Probabilities may be miscalibrated for other populations, whose "
    "prevalence of palsy differs; recalibrate before relying on them.",
    "Landmarks come from a general-purpose face model; faces it misplaces "
    "(strong asymmetry, occlusion, head turns) give unreliable features.",
]
# The metrics of the summary line, the first found.
_HEADLINE = ("roc_auc", "balanced_accuracy", "f1", "accuracy")


def model_card_paths(model_path):
    """The card's JSON and Markdown files beside ``model_path``.

    Parameters
    ----------
    model_path : str or path-like
        The model file (``model.safetensors``, ``model.joblib``, ...).

    Returns
    -------
    json_path, markdown_path : pathlib.Path
        ``<stem>.card.json`` and ``<stem>.card.md`` in the model's folder.

    Examples
    --------
    >>> from sklearn_palsy.io import model_card_paths
    >>> [path.name for path in model_card_paths("out/model.safetensors")]
    ['model.card.json', 'model.card.md']
    """
    model_path = Path(model_path)
    stem = model_path.name[: -len(model_path.suffix)] if model_path.suffix \
        else model_path.name
    return (model_path.with_name(f"{stem}.card.json"),
            model_path.with_name(f"{stem}.card.md"))


class ModelCard:
    """A model card: a JSON-ready dict with its Markdown and one-line summary.

    Parameters
    ----------
    content : dict
        The card's sections, as :func:`make_model_card` builds them and the
        card's JSON file holds them.

    Attributes
    ----------
    content : dict

    Examples
    --------
    >>> from sklearn_palsy.io import ModelCard
    >>> card = ModelCard({"format": "sklearn-palsy model card 1",
    ...                   "summary": "m: not evaluated"})
    >>> card.summary_line()
    'm: not evaluated'
    """

    def __init__(self, content):
        self.content = dict(content)

    def __getitem__(self, key):
        return self.content[key]

    def to_dict(self):
        """The card as plain JSON data (a copy)."""
        return json.loads(json.dumps(self.content))

    def summary_line(self):
        """The card's one-line summary, as ``predict`` prints it."""
        return str(self.content.get("summary", ""))

    def to_markdown(self):
        """The card as a Markdown page."""
        return _markdown(self.content)


def _counts(values):
    series = pd.Series(values)
    return {str(key): int(count) for key, count in
            series.value_counts(sort=False).sort_index().items()}


def _image_sizes(X):
    """Widths and heights of the photos, read from their headers."""
    from PIL import Image

    from ..faces._files import parse_frame_reference

    widths, heights, unread = [], [], 0
    for path in X:
        if parse_frame_reference(str(path)) is not None:
            unread += 1
            continue
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, ValueError):
            unread += 1
            continue
        widths.append(width)
        heights.append(height)
    sizes = {"unread": unread}
    for name, values in (("width", widths), ("height", heights)):
        if values:
            sizes[name] = {"min": int(np.min(values)),
                           "median": float(np.median(values)),
                           "max": int(np.max(values))}
    return sizes


def _training_data(X, y, groups, frame, source, backend, image_size, pos_label):
    y = np.asarray(y)
    groups = np.asarray(groups)
    patients = pd.DataFrame({"patient": groups, "label": y}).drop_duplicates(
        "patient")
    data = {
        "source": None if source is None else str(source),
        "patients": int(len(patients)),
        "patients_per_class": _counts(patients["label"]),
        "images": int(len(y)),
        "images_per_class": _counts(y),
        "classes": sorted({str(label) for label in y.tolist()}),
        "positive_class": str(pos_label),
        "expressions": None,
        "landmark_backend": backend,
        "model_image_size": image_size,
        "image_sizes": _image_sizes(X) if X is not None else None,
    }
    if frame is not None and "expression" in frame:
        data["expressions"] = _counts(frame["expression"].fillna("(missing)"))
    return data


def _records(table, columns):
    return [
        {column: (None if isinstance(value, float) and np.isnan(value)
                  else value.item() if isinstance(value, np.generic) else value)
         for column, value in zip(columns, row, strict=True)}
        for row in table[columns].itertuples(index=False)
    ]


def _evaluation(result, estimator, validation):
    summary = result.summary.xs(estimator, level="estimator")
    rows = []
    intervals = result.get("intervals")
    for level in summary.index:
        for metric in result.metrics:
            row = {"level": level, "metric": metric,
                   "mean_over_folds": summary.loc[level, (metric, "mean")],
                   "sd_over_folds": summary.loc[level, (metric, "std")]}
            if intervals is not None:
                found = intervals[(intervals["estimator"] == estimator)
                                  & (intervals["level"] == level)
                                  & (intervals["metric"] == metric)]
                if len(found):
                    row.update(estimate=found["estimate"].iloc[0],
                               low=found["low"].iloc[0], high=found["high"].iloc[0])
            rows.append(row)
    columns = ["level", "metric", "estimate", "low", "high", "mean_over_folds",
               "sd_over_folds"]
    table = pd.DataFrame(rows).reindex(columns=columns)
    return {
        "estimator": estimator,
        "validation": validation,
        "n_splits": len(result.splits),
        "intervals": "95 % bootstrap over patients of the pooled out-of-fold "
                     "predictions" if intervals is not None else None,
        "metrics": _records(table, columns),
    }


def _calibration_and_decision(result, estimator, n_resamples, random_state):
    from ..model_selection import calibration_summary, decision_curve
    from ..model_selection._decision_curve import useful_thresholds

    predictions = result.predictions
    one = type(result)(**{**result, "predictions":
                          predictions[predictions["estimator"] == estimator]})
    calibration = calibration_summary(one, n_resamples=n_resamples,
                                      random_state=random_state)
    curve = decision_curve(one, thresholds=(0.1, 0.2, 0.3, 0.4, 0.5))
    useful = useful_thresholds(curve)
    return (
        _records(calibration, ["level", "metric", "estimate", "low", "high",
                               "note"]),
        {
            "net_benefit": _records(curve, ["level", "threshold", "net_benefit",
                                            "treat_all"]),
            "thresholds_where_useful": {
                level: None if useful[(name, level)] is None
                else list(useful[(name, level)])
                for name, level in useful},
        },
    )


def _subgroups(result, estimator):
    subgroups = result.get("subgroups")
    if subgroups is None:
        return None
    rows = subgroups[subgroups["estimator"] == estimator]
    columns = [column for column in ("subgroup_column", "subgroup", "level",
                                     "metric", "estimate", "low", "high",
                                     "n_patients", "n_images", "note")
               if column in rows]
    return _records(rows.astype({"subgroup": str}), columns)


def _summary(content):
    model = content["model"]
    data = content["training_data"]
    palsy = data["patients_per_class"].get(data["positive_class"], 0)
    line = (f"{model['name']}: trained on {data['patients']} patients "
            f"({palsy} with palsy), {data['images']} images")
    evaluation = content.get("evaluation")
    if evaluation:
        metrics = {(row["level"], row["metric"]): row
                   for row in evaluation["metrics"]}
        for metric in _HEADLINE:
            row = metrics.get(("patient", metric))
            if row is None:
                continue
            if row.get("estimate") is not None and row.get("low") is not None:
                figure = (f"{row['estimate']:.2f} ({row['low']:.2f}\u2013"
                          f"{row['high']:.2f})")
            elif row.get("mean_over_folds") is not None:
                figure = f"{row['mean_over_folds']:.2f} (mean over folds)"
            else:
                continue
            line += f"; per-patient {metric} {figure}, {evaluation['validation']}"
            break
    else:
        line += "; not evaluated"
    return line + "; a research tool, not a medical device"


def make_model_card(name, X, y, groups, *, frame=None, source=None, backend=None,
                    image_size=None, evaluation=None, estimator=None,
                    validation=None, model_file=None, pos_label=1,
                    n_resamples=1000, random_state=0):
    """Build a model card from the training data and, when given, an evaluation.

    Parameters
    ----------
    name : str
        The model's name (a configuration of the paper, say).
    X : array-like of str, or None
        The training images (their sizes are read from their headers); None
        when they are not files.
    y, groups : array-like of shape (n_images,)
        Labels and patient ids of the training images.
    frame : DataFrame, default=None
        The manifest's rows (its ``expression`` column is counted).
    source : str, default=None
        Where the data came from (the manifest's path).
    backend : str, default=None
        The landmark backend the model uses.
    image_size : int, default=None
        The side of the images the model takes.
    evaluation : Bunch, default=None
        An :func:`~sklearn_palsy.evaluate_pipelines` result holding the
        model's configuration: its intervals, scores over folds,
        calibration, decision curve and subgroups go into the card.
    estimator : str, default=None
        The name of the model's configuration in ``evaluation``; None means
        ``name``.
    validation : str, default=None
        How the evaluation was made, e.g. ``"GroupKFold(5) by patient"``.
    model_file : str, default=None
        The model file's name.
    pos_label : int or str, default=1
        The label of palsy.
    n_resamples : int, default=1000
        Bootstrap resamples of the calibration intervals.
    random_state : int, default=0
        Their seed.

    Returns
    -------
    card : ModelCard

    Raises
    ------
    ValueError
        If ``estimator`` is not in ``evaluation``.

    Examples
    --------
    >>> from sklearn_palsy.io import make_model_card
    >>> card = make_model_card("m", None, [1, 1, 0, 0], ["a", "a", "b", "c"])
    >>> card.summary_line()
    'm: trained on 3 patients (1 with palsy), 4 images; not evaluated; a research tool, not a medical device'
    """  # noqa: E501
    # Imported here: reading a card (predict) needs neither the plots nor
    # the statistics.
    from ..reporting import DISCLAIMER, software_versions

    estimator = name if estimator is None else estimator
    content = {
        "format": CARD_FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "model": {
            "name": name,
            "file": model_file,
            "output": f"the probability of palsy (label {pos_label}) of each "
                      "photo, and the label at a threshold of 0.5",
            "image_size": image_size,
            "landmark_backend": backend,
        },
        "intended_use": {
            "use": _INTENDED_USE,
            "not_a_medical_device": DISCLAIMER,
            "out_of_scope": list(_OUT_OF_SCOPE),
        },
        "training_data": _training_data(X, y, groups, frame, source, backend,
                                        image_size, pos_label),
        "evaluation": None,
        "calibration": None,
        "decision_curve": None,
        "subgroups": None,
        "limitations": list(_LIMITATIONS),
        "software": software_versions(),
        "tripod_ai": [{"item": item, "topic": topic, "card_section": section}
                      for item, topic, section in TRIPOD_AI_ITEMS],
    }
    if evaluation is not None:
        names = list(pd.unique(evaluation.predictions["estimator"]))
        if estimator not in names:
            raise ValueError(f"make_model_card: {estimator!r} is not among the "
                             f"evaluation's estimators {names}")
        content["evaluation"] = _evaluation(
            evaluation, estimator, validation or "cross-validation by patient")
        if evaluation.get("target", "binary") == "binary":
            content["calibration"], content["decision_curve"] = \
                _calibration_and_decision(evaluation, estimator, n_resamples,
                                          random_state)
        content["subgroups"] = _subgroups(evaluation, estimator)
    content["summary"] = _summary(content)
    return ModelCard(_plain(content))


def _plain(value):
    """JSON-ready: numpy scalars as Python ones, infinities and NaN as text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_model_card(model_path, card):
    """Write a model card beside a model file, as JSON and as Markdown.

    Both files are written atomically; the card names the model file.

    Parameters
    ----------
    model_path : str or path-like
        The model file the card describes.
    card : ModelCard

    Returns
    -------
    json_path, markdown_path : pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> from sklearn_palsy.io import make_model_card, write_model_card
    >>> card = make_model_card("m", None, [1, 0], ["a", "b"])
    >>> folder = tempfile.mkdtemp()
    >>> paths = write_model_card(os.path.join(folder, "m.safetensors"), card)
    >>> [path.name for path in paths]
    ['m.card.json', 'm.card.md']
    """
    json_path, markdown_path = model_card_paths(model_path)
    content = card.to_dict()
    content["model"] = {**content.get("model", {}), "file": Path(model_path).name}
    card = ModelCard(content)
    text = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    atomic_write(json_path, lambda handle: handle.write(text), encoding="utf-8")
    markdown = card.to_markdown()
    atomic_write(markdown_path, lambda handle: handle.write(markdown),
                 encoding="utf-8")
    return json_path, markdown_path


def read_model_card(model_path):
    """Read the model card beside a model file, if there is one.

    Parameters
    ----------
    model_path : str or path-like
        The model file.

    Returns
    -------
    card : ModelCard or None
        None when the model has no card.

    Raises
    ------
    ModelFileError
        If the card's JSON is malformed (naming the file, the line and the
        column) or is not a model card (naming the file).
    """
    json_path, _ = model_card_paths(model_path)
    if not json_path.exists():
        return None
    try:
        with open(json_path, encoding="utf-8") as handle:
            content = json.load(handle)
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"model card {json_path}: malformed JSON at line {error.lineno}, "
            f"column {error.colno}: {error.msg}") from error
    except UnicodeDecodeError as error:
        raise ModelFileError(f"model card {json_path}: not UTF-8 text "
                             f"({error.reason} at byte {error.start})") from error
    if not (isinstance(content, dict) and content.get("format") == CARD_FORMAT):
        raise ModelFileError(f"model card {json_path}: not a model card (its "
                             f"\"format\" is not {CARD_FORMAT!r})")
    return ModelCard(content)


def _figure(row, digits=2):
    estimate, low, high = row.get("estimate"), row.get("low"), row.get("high")
    if isinstance(estimate, str):
        return {"inf": "∞ (separated)", "-inf": "−∞ (separated)"}.get(estimate,
                                                                    estimate)
    if estimate is None:
        mean = row.get("mean_over_folds")
        return "n/a" if mean is None else f"{mean:.{digits}f} (mean over folds)"
    if low is None or high is None:
        return f"{estimate:.{digits}f}"
    low, high = ({"inf": "∞", "-inf": "−∞"}.get(value) or f"{value:.{digits}f}"
                 for value in (low, high))
    return f"{estimate:.{digits}f} ({low}\u2013{high})"


def _markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _markdown(content):
    model, data = content["model"], content["training_data"]
    lines = [f"# Model card: {model['name']}", "", f"_{content['summary']}_", "",
             f"> **{content['intended_use']['not_a_medical_device']}**", "",
             "## Intended use", "", content["intended_use"]["use"], "",
             "Out of scope:", ""]
    lines += [f"- {item}" for item in content["intended_use"]["out_of_scope"]]
    lines += ["", "## Model", ""]
    lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in model.items()
              if value is not None]
    lines += ["", "## Training data", ""]
    for key in ("source", "patients", "patients_per_class", "images",
                "images_per_class", "classes", "expressions", "landmark_backend",
                "model_image_size", "image_sizes"):
        value = data.get(key)
        if key == "image_sizes" and value is not None:
            value = _sizes_text(value)
        if value is not None:
            lines.append(f"- {key.replace('_', ' ')}: {_inline(value)}")
    evaluation = content.get("evaluation")
    lines += ["", "## Evaluation", ""]
    if evaluation is None:
        lines.append("Not evaluated: the card holds no performance figures.")
    else:
        lines.append(f"{evaluation['validation']} ({evaluation['n_splits']} "
                     f"splits); intervals: {evaluation['intervals']}.")
        lines.append("")
        lines += _markdown_table(
            ["level", "metric", "estimate (95 % interval)", "mean ± sd over folds"],
            [[row["level"], row["metric"], _figure(row),
              "n/a" if row["mean_over_folds"] is None else
              f"{row['mean_over_folds']:.3f} ± "
              f"{row['sd_over_folds'] or 0:.3f}"]
             for row in evaluation["metrics"]])
    if content.get("calibration"):
        lines += ["", "## Calibration", "",
                  "Logistic recalibration of the out-of-fold probabilities: "
                  "slope 1 and intercept 0 when calibrated.", ""]
        lines += _markdown_table(
            ["level", "metric", "estimate (95 % interval)", "note"],
            [[row["level"], row["metric"], _figure(row), row.get("note") or ""]
             for row in content["calibration"]])
    if content.get("decision_curve"):
        lines += ["", "## Decision curve", "",
                  "Net benefit (TP/n - FP/n * pt/(1 - pt)) against treating "
                  "everyone; treating no one is 0.", ""]
        lines += _markdown_table(
            ["level", "threshold", "net benefit", "treat all"],
            [[row["level"], row["threshold"], f"{row['net_benefit']:.3f}",
              f"{row['treat_all']:.3f}"]
             for row in content["decision_curve"]["net_benefit"]])
    if content.get("subgroups"):
        lines += ["", "## Subgroups", ""]
        lines += _markdown_table(
            ["column", "subgroup", "level", "metric", "estimate (95 % interval)",
             "patients", "note"],
            [[row.get("subgroup_column"), row.get("subgroup"), row["level"],
              row["metric"], _figure(row), row.get("n_patients"),
              row.get("note") or ""] for row in content["subgroups"]])
    lines += ["", "## Limitations", ""]
    lines += [f"- {item}" for item in content["limitations"]]
    lines += ["", "## Software", ""]
    lines += [f"- {name}: {version}" for name, version in
              content["software"].items()]
    lines += ["", "## TRIPOD+AI items covered", "",
              "Item numbers of the TRIPOD+AI checklist (Collins et al., BMJ "
              "2024;385:e078378); the rest of the checklist belongs to the "
              "paper.", ""]
    lines += _markdown_table(
        ["item", "topic", "card section"],
        [[row["item"], row["topic"], row["card_section"]]
         for row in content["tripod_ai"]])
    return "\n".join(lines) + "\n"


def _sizes_text(sizes):
    parts = [f"{name} {sizes[name]['min']}-{sizes[name]['max']} px (median "
             f"{sizes[name]['median']:g})" for name in ("width", "height")
             if name in sizes]
    if sizes.get("unread"):
        parts.append(f"{sizes['unread']} not read (video frames or unreadable)")
    return "; ".join(parts) or "none read"


def _inline(value):
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_inline(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
