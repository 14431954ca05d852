"""Read face photographs into RGB arrays, with errors that name the file.

Every image that enters the library, from a path or as an array, goes through
:func:`read_image`, so all estimators see the same pixels: EXIF orientation
applied, transparency composited on white, any Pillow mode turned into 8-bit
RGB. :func:`image_id` gives the content key under which per-image results
are cached.

Both also take *frame references*, ``"<video path>#frame=<index>"``: one
frame of a video file (:mod:`sklearn_palsy.faces._video`), decoded lazily
and checked like an image.
"""

import hashlib
import numbers
import os
import re
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import (
    ImageReadError,
    ImageTooLargeError,
    ImageTooSmallError,
)
from ._files import _open_file, is_video_file, parse_frame_reference

__all__ = ["DEFAULT_MAX_PIXELS", "image_id", "read_image"]

DEFAULT_MAX_PIXELS = 80_000_000
"""Largest image, in pixels, that :func:`read_image` decodes by default.

80 megapixels is above every ordinary camera (phones save 12 to 50 MP, full-frame
bodies up to about 61 MP) yet keeps one decoded image near 240 MB of RGB. It is
also below Pillow's own limit (``PIL.Image.MAX_IMAGE_PIXELS``, about 89.5 MP),
so with the default our check fires before Pillow warns about a decompression
bomb. Pass ``max_pixels=None`` to lift it, or a larger number for medium-format
photographs.
"""

# Pillow hands EPS files to Ghostscript, an interpreter: never run it on photos
# that come from outside.
_EXCLUDED_FORMATS = frozenset({"EPS"})

# What Pillow raises from a header or a pixel stream it cannot parse.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
    struct.error,
    zlib.error,
)

_READ_CHUNK = 1 << 20


def read_image(image, *, max_pixels=DEFAULT_MAX_PIXELS, min_size=32):
    """Read an image file or array as an 8-bit RGB array.

    Files are opened once: the size is read from the header and checked
    against ``max_pixels`` before any pixel is decoded, then the pixels are
    decoded in full (a truncated file is an error, never a grey bottom half),
    the EXIF orientation is applied, and the colour mode is converted to RGB.

    Parameters
    ----------
    image : str, os.PathLike or ndarray
        A path to an image file in any format Pillow reads (except EPS), a
        frame reference ``"<video path>#frame=<index>"`` (one frame of an
        MP4/MOV, AVI or Matroska video, 0-based; see Notes), or an image
        already in memory. Accepted arrays, all of dtype uint8 (or bool,
        read as black and white):

        - ``(H, W, 3)``: RGB, returned as it is (made C-contiguous);
        - ``(H, W)`` or ``(H, W, 1)``: grey, repeated into three channels;
        - ``(H, W, 4)``: RGBA, composited on a white background.

        Float and other integer arrays raise a ValueError instead of being
        guessed at: ``[0, 1]`` and ``[0, 255]`` scaled floats, or 8- and 16-bit
        integers, cannot be told apart reliably from the values.
    max_pixels : int or None, default=DEFAULT_MAX_PIXELS
        Largest ``width * height`` a file (or a video's frames) may declare
        in its header; larger files raise
        :class:`~sklearn_palsy.exceptions.ImageTooLargeError` without being
        decoded. None lifts the limit (Pillow's own
        ``PIL.Image.MAX_IMAGE_PIXELS`` then still applies). Arrays, already
        in memory, are not checked.
    min_size : int, default=32
        Smallest height and width accepted, after orientation.

    Returns
    -------
    pixels : ndarray of shape (H, W, 3), dtype uint8
        The image in RGB, C-contiguous. For an RGB uint8 array this may be
        the input itself; copy it before writing to it.

    Raises
    ------
    ImageReadError
        The file is missing (an :class:`ImageFileNotFoundError`, also a
        :class:`FileNotFoundError`), empty, not an image, truncated or
        corrupt, or a video file given without a frame. The message names
        the file. For a frame reference, a :class:`VideoReadError` when the
        video cannot be decoded or the frame is past its end, naming the
        file and the frame.
    ImageTooLargeError
        The file declares more than ``max_pixels`` pixels.
    ImageTooSmallError
        The image is smaller than ``min_size`` on either side.
    ValueError
        An array of another dtype or shape.

    Notes
    -----
    Colour modes are converted as follows.

    - Transparency (RGBA, LA, palette or grey with a transparent entry) is
      composited on white, so transparent screenshots do not turn black.
    - 16-bit grey (``I;16``, ``I;16B``, ``I``) is scaled by its bit depth,
      ``round(v * 255 / 65535)``, not clipped; ``I`` images that Pillow
      decoded from a 32-bit source are scaled by ``2**32 - 1``. Negative
      values become 0.
    - Float grey (``F``) in ``[0, 1]`` is scaled by 255; otherwise it is read
      on Pillow's 0-255 scale and clipped. NaN becomes 0.
    - CMYK (Adobe's inverted JPEG CMYK included), YCbCr, bilevel and the
      other modes go through Pillow's conversion; ICC profiles are ignored.
    - Of a multi-frame file (GIF, TIFF, MPO) only the first frame is read.

    JPEG files are decoded at full resolution: ``Image.draft`` would be faster
    but would hand the landmark detectors a different, smaller image.

    A frame reference is decoded by OpenCV's FFmpeg backend, which applies
    the container's rotation metadata. Each thread keeps a few decoders
    open, so reading the frames of a video in increasing order decodes each
    frame once; memory does not grow with the video's length.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._io import read_image
    >>> grey = np.full((48, 64), 200, dtype=np.uint8)
    >>> pixels = read_image(grey)
    >>> pixels.shape, pixels.dtype, pixels[0, 0].tolist()
    ((48, 64, 3), dtype('uint8'), [200, 200, 200])

    Fully transparent pixels become white:

    >>> rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    >>> read_image(rgba)[0, 0].tolist()
    [255, 255, 255]

    Images too small to hold an analysable face are refused:

    >>> read_image(np.zeros((10, 10, 3), dtype=np.uint8))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklearn_palsy.exceptions.ImageTooSmallError: image is 10x10 pixels, ...
    """
    _check_limits(max_pixels, min_size)
    if isinstance(image, np.ndarray):
        path = None
        pixels = _array_to_rgb(image)
    elif isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if not isinstance(path, str):
            raise TypeError(f"image paths must be str, not bytes; got {image!r}")
        pixels = _read_path(path, max_pixels)
    else:
        raise TypeError(
            "image must be a path (str or os.PathLike) or a numpy array; "
            f"got {type(image).__name__}"
        )
    height, width = pixels.shape[:2]
    if min(height, width) < max(min_size, 1):
        raise ImageTooSmallError(
            f"image is {width}x{height} pixels, smaller than min_size={min_size}",
            path=path,
        )
    return pixels


def image_id(image):
    """Return a stable content key for an image file or array.

    The key depends on the content only, so the same photograph under two
    names, or loaded twice, gets the same key, and a file overwritten with
    another picture gets a new one.

    Parameters
    ----------
    image : str, os.PathLike or ndarray
        A path to an image file, a frame reference
        ``"<video path>#frame=<index>"``, or an image array.

    Returns
    -------
    key : str
        64 hexadecimal digits. For a path, the SHA-256 of the file's bytes
        (what ``sha256sum`` prints). For a frame reference, the SHA-256 of
        ``"video-frame:<SHA-256 of the video file>:<index>"``: it differs
        from frame to frame and changes when the file does, and the video's
        digest is computed once per version of the file (kept under its
        path, device, inode, size, modification and change times), not once
        per frame. For an array, the SHA-256 of a header naming its shape
        and dtype followed by its bytes in C order, so arrays with the same
        bytes but another shape or dtype differ.

    Raises
    ------
    ImageReadError
        The file is missing or cannot be read.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_palsy.faces._io import image_id
    >>> a = np.zeros((32, 32, 3), dtype=np.uint8)
    >>> image_id(a) == image_id(a.copy())
    True
    >>> image_id(a) == image_id(a.reshape(32, 96))
    False
    >>> len(image_id(a))
    64
    """
    digest = hashlib.sha256()
    if isinstance(image, np.ndarray):
        if image.dtype.hasobject:
            raise ValueError("cannot compute the content key of an object array")
        array = np.ascontiguousarray(image)
        shape = ",".join(str(int(side)) for side in array.shape)
        digest.update(f"ndarray:{shape}:{array.dtype.str}:".encode())
        digest.update(array.reshape(-1).view(np.uint8).data)
        return digest.hexdigest()
    if not isinstance(image, (str, os.PathLike)):
        raise TypeError(
            "image must be a path (str or os.PathLike) or a numpy array; "
            f"got {type(image).__name__}"
        )
    path = os.fspath(image)
    frame = parse_frame_reference(path)
    if frame is not None:
        from ._video import video_digest

        video, index = frame
        digest.update(f"video-frame:{video_digest(video)}:{index}".encode())
        return digest.hexdigest()
    with _open_file(path) as file:
        try:
            for chunk in iter(lambda: file.read(_READ_CHUNK), b""):
                digest.update(chunk)
        except OSError as exc:
            raise ImageReadError(f"cannot read file ({exc})", path=path) from exc
    return digest.hexdigest()


def _check_limits(max_pixels, min_size):
    if max_pixels is not None and (
        not isinstance(max_pixels, numbers.Integral)
        or isinstance(max_pixels, bool)
        or max_pixels < 1
    ):
        raise ValueError(
            f"max_pixels must be a positive integer or None; got {max_pixels!r}"
        )
    if (
        not isinstance(min_size, numbers.Integral)
        or isinstance(min_size, bool)
        or min_size < 0
    ):
        raise ValueError(f"min_size must be a non-negative integer; got {min_size!r}")


def _formats():
    # Image.init() registers every plugin; after the first call it returns at once.
    Image.init()
    return [name for name in Image.ID if name not in _EXCLUDED_FORMATS]


def _read_path(path, max_pixels):
    """Read an image file, or the frame a frame reference names."""
    frame = parse_frame_reference(path)
    if frame is not None:
        from ._video import read_video_frame

        return read_video_frame(*frame, max_pixels=max_pixels)
    if is_video_file(path) and os.path.isfile(path):
        raise ImageReadError(
            "is a video file, not an image: name one of its frames as "
            "'<path>#frame=<index>' (0-based), or sample frames with "
            "sklearn_palsy.datasets.sample_video_frames",
            path=path,
        )
    return _read_file(path, max_pixels)


def _read_file(path, max_pixels):
    with _open_file(path) as file:
        if os.fstat(file.fileno()).st_size == 0:
            raise ImageReadError("empty file", path=path)
        try:
            # Image.open parses the header only; no pixel is decoded yet.
            image = Image.open(file, formats=_formats())
        except Image.DecompressionBombError as exc:
            raise ImageTooLargeError(
                f"image is larger than Pillow's limit PIL.Image.MAX_IMAGE_PIXELS="
                f"{Image.MAX_IMAGE_PIXELS} ({exc})",
                path=path,
            ) from exc
        except UnidentifiedImageError:
            raise ImageReadError(
                "not an image (Pillow cannot identify its format)", path=path
            ) from None
        except _DECODE_ERRORS as exc:
            raise ImageReadError(
                f"truncated or corrupt image header ({exc})", path=path
            ) from exc
        with image:
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image is {width}x{height} = {width * height} pixels, more "
                    f"than max_pixels={max_pixels}; pass a larger max_pixels, or "
                    "None, to read it",
                    path=path,
                )
            bits = _declared_bit_depth(image)
            try:
                # load() inside the try: Pillow raises on a truncated stream
                # because ImageFile.LOAD_TRUNCATED_IMAGES stays False.
                image.load()
                ImageOps.exif_transpose(image, in_place=True)
            except _DECODE_ERRORS as exc:
                raise ImageReadError(
                    f"truncated or corrupt image ({exc})", path=path
                ) from exc
            try:
                return _pil_to_rgb(image, bits)
            except ValueError as exc:
                raise ImageReadError(
                    f"cannot convert colour mode {image.mode!r} to RGB ({exc})",
                    path=path,
                ) from exc


def _declared_bit_depth(image):
    """Bits per sample of an ``I`` image, read from its tile before decoding.

    Pillow widens 16-bit grey (PNG in older versions, PGM with any maxval) to
    ``I`` but keeps it on the 0-65535 scale; only a raw mode that says 32
    bits means the full 32-bit range.
    """
    if image.mode != "I":
        return 16
    for tile in image.tile:
        args = tile[3]
        rawmode = args if isinstance(args, str) else (args[0] if args else "")
        if isinstance(rawmode, str) and (rawmode == "I" or re.match(r"I;32", rawmode)):
            return 32
    return 16


def _pil_to_rgb(image, bits):
    mode = image.mode
    if mode.startswith("I"):
        return _grey_to_rgb(_scale_integers(np.asarray(image), bits))
    if mode == "F":
        return _grey_to_rgb(_scale_floats(np.asarray(image)))
    if mode == "La":
        image = image.convert("LA")
        mode = "LA"
    if mode in ("RGBA", "RGBa", "LA", "PA") or "transparency" in image.info:
        return _composite_on_white(np.asarray(image.convert("RGBA")))
    if mode != "RGB":
        image = image.convert("RGB")
    # np.array copies Pillow's bytes into a writable, C-contiguous array.
    return np.array(image)


def _scale_integers(values, bits):
    top = (1 << bits) - 1
    values = np.clip(values.astype(np.int64), 0, top)
    return ((values * 255 + top // 2) // top).astype(np.uint8)


def _scale_floats(values):
    values = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
    if values.size and values.min() >= 0.0 and values.max() <= 1.0:
        values = values * 255.0
    return np.rint(np.clip(values, 0.0, 255.0)).astype(np.uint8)


def _grey_to_rgb(grey):
    return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))


def _composite_on_white(rgba):
    """Blend RGBA over white: ``rgb * a + 255 * (1 - a)``, exact at a=0 and a=255."""
    # Work on the distance from white, so that the result is
    # 255 - round((255 - rgb) * alpha / 255), all within uint16.
    ink = rgba[:, :, :3].astype(np.uint16)
    np.subtract(255, ink, out=ink)
    ink *= rgba[:, :, 3:]
    ink += 128
    # (t + (t >> 8)) >> 8 equals t // 255 for these t, without a slow division.
    ink += ink >> 8
    ink >>= 8
    rgb = ink.astype(np.uint8)
    np.subtract(255, rgb, out=rgb)
    return rgb


def _array_to_rgb(array):
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * np.uint8(255)
    elif array.dtype != np.uint8:
        raise ValueError(
            f"image arrays must be uint8; got dtype {array.dtype}. Floats in [0, 1] "
            "and 16-bit integers cannot be told from other scales, so convert "
            "explicitly, e.g. (np.clip(image, 0, 1) * 255).round().astype(np.uint8)"
        )
    if array.ndim == 2:
        return _grey_to_rgb(array)
    if array.ndim == 3:
        channels = array.shape[2]
        if channels == 3:
            return np.ascontiguousarray(array)
        if channels == 1:
            return _grey_to_rgb(array[:, :, 0])
        if channels == 4:
            return _composite_on_white(array)
    raise ValueError(
        "image arrays must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
        f"got shape {array.shape}"
    )
