"""How the package draws landmarks: one style for the review page and every figure.

Thin contours coloured by facial region (brows, eyes, irises, nose, lips,
jaw), bright colours with a dark edge so that they read on light and dark
skin alike; and, marked as small rings, only the points that feed a measure:
those standing for the 68 iBUG points, and the irises where the scheme has
them. MediaPipe's other points are drawn as the contours through them, so
that a clinician sees the face, and which of the points that count are
wrong. The review page (:mod:`._review`) and :func:`~._plots.plot_landmarks`
(the assessment report, the experiment report, the gallery) both take their
colours and points from here.
"""

#: The colour of each facial region, matched by part of its name.
REGION_COLOURS = {
    "brow": "#ffe14d",
    "eye": "#4de8ff",
    "iris": "#7dff6b",
    "nose": "#ffa64d",
    "lips": "#ff5ce1",
    "jaw": "#a8c8ff",
    "face_oval": "#a8c8ff",
}

#: The dark edge drawn under every contour and ring.
OUTLINE_COLOUR = "#1a1a1a"

#: Contour width, in points (matplotlib) or CSS pixels at zoom 1 (the page).
CONTOUR_WIDTH = 0.8


def region_colour(region):
    """The colour of a region (or contour) of a landmark scheme, by its name.

    Parameters
    ----------
    region : str
        A name such as ``"right_brow"`` or ``"outer_lips"``.

    Returns
    -------
    colour : str
        A hex colour; white for a name of no known region.

    Examples
    --------
    >>> from sklearn_palsy.reporting._style import region_colour
    >>> region_colour("left_iris"), region_colour("outer_lips")
    ('#7dff6b', '#ff5ce1')
    """
    # "iris" before "eye": no region name holds both, but keep the most
    # specific part first should one ever do.
    for part in sorted(REGION_COLOURS, key=len, reverse=True):
        if part in region:
            return REGION_COLOURS[part]
    return "#ffffff"


def measure_points(scheme):
    """The points of a scheme that feed a measure, each with its region's colour.

    The points that stand for the 68 iBUG points (every measure is taken on
    them), and the iris points where the scheme has irises (the eyes'
    reference points and the millimetre scale).

    Parameters
    ----------
    scheme : LandmarkScheme

    Returns
    -------
    points : dict of int to str
        Point index to colour, in increasing index order.

    Examples
    --------
    >>> from sklearn_palsy.faces import IBUG68, MEDIAPIPE478
    >>> from sklearn_palsy.reporting._style import measure_points
    >>> len(measure_points(IBUG68)), len(measure_points(MEDIAPIPE478))
    (68, 78)
    """
    wanted = {int(i) for i in scheme.ibug_index}
    if scheme.has_irises:
        for side in ("right_iris", "left_iris"):
            wanted.update(int(i) for i in scheme.regions[side])
    region_of = {}
    # The first region naming a point colours it; the face oval, which
    # MediaPipe shares with the jaw, last.
    for name, points in sorted(scheme.regions.items(),
                               key=lambda item: item[0] == "face_oval"):
        for point in points:
            region_of.setdefault(int(point), name)
    return {point: region_colour(region_of.get(point, ""))
            for point in sorted(wanted)}
