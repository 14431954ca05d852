"""The HTML page every report of the package is built on.

One file, nothing fetched: figures are embedded as base64 PNG, the style
sheet is inline, and there are no scripts or links, so a report opens the
same offline, from an e-mail or from an archive years later. The evaluation
report (:func:`~sklearn_palsy.reporting.write_report`) and the assessment
report of ``sklearn-palsy assess`` share this page, its figure encoding,
the disclaimer and the software versions.
"""

import base64
import html
import io
import platform
from importlib import metadata

__all__ = [
    "DISCLAIMER",
    "STYLE",
    "close_figure",
    "figure_html",
    "figure_png_base64",
    "html_page",
    "software_versions",
    "wrap_table",
]

DISCLAIMER = (
    "sklearn-palsy is a research tool, not a medical device: its output must "
    "not be used to diagnose, treat or triage anyone, and the scores in this "
    "report describe one data set and one protocol only."
)

_DISTRIBUTIONS = {
    "sklearn_palsy": ("sklearn-palsy", "sklearn_palsy"),
    "scikit-learn": ("scikit-learn",),
    "torch": ("torch",),
    "torchvision": ("torchvision",),
    "skorch": ("skorch",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "dlib": ("dlib", "dlib-bin"),
}

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right;
         white-space: nowrap; }
th { background: #eee; }
.disclaimer { border: 2px solid #b00; padding: 0.8em; background: #fff4f4; }
figure { margin: 1em 0; }
img { max-width: 100%; height: auto; }
.table-wrap { max-width: 100%; overflow-x: auto; }
"""


def software_versions():
    """Return the versions of Python and of the libraries behind a result.

    Returns
    -------
    versions : dict of str to str
        Keys ``python``, ``sklearn_palsy``, ``scikit-learn``, ``torch``,
        ``torchvision``, ``skorch``, ``numpy``, ``pandas`` and ``dlib``;
        "not installed" for a library that is missing.

    Examples
    --------
    >>> versions = software_versions()
    >>> sorted(versions)[:3]
    ['dlib', 'numpy', 'pandas']
    """
    from .. import __version__

    versions = {"python": platform.python_version()}
    for name, distributions in _DISTRIBUTIONS.items():
        found = "not installed"
        for distribution in distributions:
            try:
                found = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
        versions[name] = found
    versions["sklearn_palsy"] = __version__
    return versions


def close_figure(figure):
    """Close ``figure``; pyplot keeps the figures it built until then."""
    import matplotlib.pyplot as plt

    plt.close(figure)


def figure_png_base64(figure, *, dpi=100, tight=False, colours=None):
    """The figure as a base64-encoded PNG; the figure is closed.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    dpi : int, default=100
    tight : bool, default=False
        Crop to what is drawn (no wide white margins).
    colours : int or None, default=None
        Quantize to this many colours (median cut, no dithering): a photo of
        180 px in 128 colours takes about a quarter of its true-colour PNG,
        with no visible loss at that size. None keeps true colour.

    Returns
    -------
    encoded : str
    """
    buffer = io.BytesIO()
    crop = {"bbox_inches": "tight", "pad_inches": 0.05} if tight else {}
    try:
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None},
                       **crop)
    finally:
        close_figure(figure)
    if colours is not None:
        from PIL import Image

        picture = Image.open(buffer).convert("RGB").quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        picture.save(buffer, format="png", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def figure_html(figure, alt, caption=None, **encoding):
    """The figure as an ``<figure>`` element with an embedded PNG; closed.

    ``encoding`` goes to :func:`figure_png_base64`.
    """
    encoded = figure_png_base64(figure, **encoding)
    caption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{encoded}">{caption}</figure>')


def wrap_table(table_html):
    """A table in a box that scrolls sideways, so the page never does."""
    return f'<div class="table-wrap">{table_html}</div>'


def html_page(title, sections, *, style=""):
    """The whole document: the title, the inline style and the sections."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}{style}</style>\n"
        "</head>\n<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )
