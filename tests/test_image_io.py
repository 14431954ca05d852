"""Tests of read_image and image_id: colour modes, orientation and bad files."""

import hashlib
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from sklearn_palsy.exceptions import (
    ImageFileNotFoundError,
    ImageReadError,
    ImageTooLargeError,
    ImageTooSmallError,
)
from sklearn_palsy.faces._io import DEFAULT_MAX_PIXELS, image_id, read_image

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _save(path, image, **kwargs):
    image.save(path, **kwargs)
    return path


def _random_rgb(shape=(40, 48, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth_rgb(height=48, width=64):
    """A gradient: survives JPEG almost unchanged, unlike noise."""
    rows = np.linspace(0, 255, height)[:, None]
    cols = np.linspace(0, 255, width)[None, :]
    return np.stack(
        [np.broadcast_to(rows, (height, width)),
         np.broadcast_to(cols, (height, width)),
         np.full((height, width), 128.0)],
        axis=2,
    ).round().astype(np.uint8)


def _png_header_only(path, width, height):
    """A PNG that declares ``width x height`` but holds no pixel data."""

    def chunk(kind, data):
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    return path


def _assert_names(excinfo, path):
    assert str(path) in str(excinfo.value)
    assert excinfo.value.path == str(path)


# --- formats and colour modes -------------------------------------------------


def test_rgb_png_round_trip_is_exact(tmp_path):
    pixels = _random_rgb()
    path = _save(tmp_path / "face.png", Image.fromarray(pixels))
    out = read_image(path)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, pixels)


def test_str_path_is_accepted(tmp_path):
    pixels = _random_rgb()
    path = _save(tmp_path / "face.png", Image.fromarray(pixels))
    np.testing.assert_array_equal(read_image(str(path)), pixels)


def test_rgb_jpeg_round_trip_is_close(tmp_path):
    pixels = _smooth_rgb()
    path = _save(tmp_path / "face.jpg", Image.fromarray(pixels), quality=95)
    out = read_image(path)
    assert out.shape == pixels.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - pixels).mean() < 2
    assert out.flags.writeable


def test_grey_image_becomes_three_equal_channels(tmp_path):
    grey = _random_rgb((40, 48), seed=1)
    path = _save(tmp_path / "grey.png", Image.fromarray(grey, mode="L"))
    out = read_image(path)
    assert out.shape == (40, 48, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[:, :, channel], grey)


def test_rgba_transparent_region_becomes_white(tmp_path):
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:, :20] = (10, 120, 200, 255)  # opaque left half
    rgba[:, 20:30] = (0, 0, 0, 0)  # transparent black: must not stay black
    rgba[:, 30:] = (255, 0, 0, 128)  # half-transparent red
    path = _save(tmp_path / "screenshot.png", Image.fromarray(rgba, mode="RGBA"))
    out = read_image(path)
    assert out.shape == (40, 40, 3)
    assert (out[:, :20] == (10, 120, 200)).all()
    assert (out[:, 20:30] == WHITE).all()
    np.testing.assert_allclose(out[0, 35], (255, 127, 127), atol=1)


def test_la_image_is_composited_on_white(tmp_path):
    la = np.zeros((40, 40, 2), np.uint8)
    la[:, :20] = (50, 255)
    la[:, 20:] = (50, 0)
    path = _save(tmp_path / "la.png", Image.fromarray(la, mode="LA"))
    out = read_image(path)
    assert (out[:, :20] == 50).all()
    assert (out[:, 20:] == 255).all()


def test_palette_image(tmp_path):
    indices = np.zeros((40, 40), np.uint8)
    indices[:, 20:] = 1
    image = Image.fromarray(indices, mode="P")
    image.putpalette([*RED, *GREEN] + [0] * (256 - 2) * 3)
    path = _save(tmp_path / "palette.png", image)
    out = read_image(path)
    assert (out[:, :20] == RED).all()
    assert (out[:, 20:] == GREEN).all()


def test_palette_image_with_transparency(tmp_path):
    indices = np.zeros((40, 40), np.uint8)
    indices[:, 20:] = 1
    image = Image.fromarray(indices, mode="P")
    image.putpalette([*RED, *GREEN] + [0] * (256 - 2) * 3)
    path = _save(tmp_path / "palette.png", image, transparency=1)
    assert Image.open(path).info["transparency"] == 1
    out = read_image(path)
    assert (out[:, :20] == RED).all()
    assert (out[:, 20:] == WHITE).all()


def test_palette_gif_with_transparency(tmp_path):
    indices = np.zeros((40, 40), np.uint8)
    indices[:20] = 1
    image = Image.fromarray(indices, mode="P")
    image.putpalette([*BLUE, *GREEN] + [0] * (256 - 2) * 3)
    path = _save(tmp_path / "palette.gif", image, transparency=0)
    out = read_image(path)
    assert (out[:20] == GREEN).all()
    assert (out[20:] == WHITE).all()


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path):
    values = np.zeros((40, 40), np.uint16)
    values[:, 10:20] = 65535
    values[:, 20:30] = 32768
    values[:, 30:] = 257 * 100  # exactly 100 on the 8-bit scale
    path = _save(tmp_path / "depth16.png", Image.fromarray(values))
    assert Image.open(path).mode in ("I;16", "I")
    out = read_image(path)
    assert (out[:, :10] == 0).all()
    assert (out[:, 10:20] == 255).all()
    assert (out[:, 20:30] == 128).all()
    assert (out[:, 30:] == 100).all()
    assert (out[..., 0] == out[..., 2]).all()


def test_16_bit_big_endian_tiff(tmp_path):
    values = np.full((40, 40), 65535, np.uint16)
    values[:, :20] = 32768
    image = Image.frombytes("I;16B", (40, 40), values.astype(">u2").tobytes())
    path = _save(tmp_path / "depth16.tif", image)
    assert Image.open(path).mode == "I;16B"
    out = read_image(path)
    assert (out[:, :20] == 128).all()
    assert (out[:, 20:] == 255).all()


def test_12_bit_pgm_is_scaled_by_its_maxval(tmp_path):
    # Pillow reads a PGM with maxval 4095 as mode "I" on the 0-65535 scale.
    values = np.zeros((40, 40), ">u2")
    values[:, 20:] = 4095
    path = tmp_path / "depth12.pgm"
    path.write_bytes(b"P5\n40 40\n4095\n" + values.tobytes())
    assert Image.open(path).mode == "I"
    out = read_image(path)
    assert (out[:, :20] == 0).all()
    assert (out[:, 20:] == 255).all()


def test_float_image_in_unit_range_is_scaled(tmp_path):
    values = np.zeros((40, 40), np.float32)
    values[:, 20:] = 1.0
    values[:, 30:] = 0.5
    path = _save(tmp_path / "float.tif", Image.fromarray(values, mode="F"))
    out = read_image(path)
    assert (out[:, :20] == 0).all()
    assert (out[:, 20:30] == 255).all()
    assert (out[:, 30:] == 128).all()


def test_float_image_on_pillow_scale_is_clipped(tmp_path):
    values = np.full((40, 40), 300.0, np.float32)
    values[:, :20] = 100.0
    values[0, 0] = np.nan
    path = _save(tmp_path / "float.tif", Image.fromarray(values, mode="F"))
    out = read_image(path)
    assert out[0, 0].tolist() == [0, 0, 0]
    assert (out[1:, :20] == 100).all()
    assert (out[:, 20:] == 255).all()


def test_bilevel_image(tmp_path):
    bits = np.zeros((40, 40), bool)
    bits[:, 20:] = True
    path = _save(tmp_path / "bilevel.png", Image.fromarray(bits).convert("1"))
    out = read_image(path)
    assert (out[:, :20] == 0).all()
    assert (out[:, 20:] == 255).all()


def test_cmyk_jpeg_keeps_colour(tmp_path):
    image = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # pure red
    path = _save(tmp_path / "cmyk.jpg", image, quality=95)
    assert Image.open(path).mode == "CMYK"
    out = read_image(path)
    assert out.shape == (40, 40, 3)
    np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), RED, atol=8)


def test_ycbcr_tiff(tmp_path):
    rgb = Image.new("RGB", (40, 40), (30, 160, 90))
    path = _save(tmp_path / "ycbcr.tif", rgb.convert("YCbCr"))
    assert Image.open(path).mode == "YCbCr"
    out = read_image(path)
    np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), (30, 160, 90), atol=3)


@pytest.mark.parametrize(
    "orientation, corner",
    [(1, (0, 0)), (6, (0, -1)), (8, (-1, 0)), (3, (-1, -1))],
)
def test_exif_orientation_is_applied(tmp_path, orientation, corner):
    # Stored 40 wide and 20 tall, with a red marker in the top-left corner.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:] = BLUE
    stored[:8, :8] = RED
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(
        tmp_path / f"rotated{orientation}.jpg", Image.fromarray(stored),
        exif=exif, quality=95,
    )
    out = read_image(path, min_size=16)
    expected_shape = (20, 40, 3) if orientation in (1, 3) else (40, 20, 3)
    assert out.shape == expected_shape
    # Orientation 6 means "rotate 90 degrees clockwise to display": the stored
    # top-left corner ends top-right; 8 is counter-clockwise, 3 is 180 degrees.
    row = slice(0, 4) if corner[0] == 0 else slice(-4, None)
    col = slice(0, 4) if corner[1] == 0 else slice(-4, None)
    np.testing.assert_allclose(out[row, col].reshape(-1, 3).mean(axis=0), RED, atol=12)
    far_row = slice(-4, None) if corner[0] == 0 else slice(0, 4)
    far_col = slice(-4, None) if corner[1] == 0 else slice(0, 4)
    np.testing.assert_allclose(
        out[far_row, far_col].reshape(-1, 3).mean(axis=0), BLUE, atol=12
    )


# --- bad files ------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nobody.jpg"
    with pytest.raises(ImageReadError, match="file not found") as excinfo:
        read_image(path)
    _assert_names(excinfo, path)
    assert isinstance(excinfo.value, FileNotFoundError)
    assert isinstance(excinfo.value, ImageFileNotFoundError)


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(ImageReadError, match="directory") as excinfo:
        read_image(tmp_path)
    _assert_names(excinfo, tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty file") as excinfo:
        read_image(path)
    _assert_names(excinfo, path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are not pixels\n" * 10)
    with pytest.raises(ImageReadError, match="not an image") as excinfo:
        read_image(path)
    _assert_names(excinfo, path)


def test_eps_is_not_handed_to_ghostscript(tmp_path):
    path = tmp_path / "drawing.eps"
    path.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 64 64\nshowpage\n")
    with pytest.raises(ImageReadError, match="not an image") as excinfo:
        read_image(path)
    _assert_names(excinfo, path)


@pytest.mark.parametrize("suffix, kwargs", [(".jpg", {"quality": 95}), (".png", {})])
def test_truncated_file(tmp_path, suffix, kwargs):
    path = _save(tmp_path / f"whole{suffix}", Image.fromarray(_random_rgb((64, 64, 3))),
                 **kwargs)
    data = path.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="truncated or corrupt") as excinfo:
        read_image(cut)
    _assert_names(excinfo, cut)
    assert not isinstance(excinfo.value, ImageTooLargeError)
    # The check must not come from flipping Pillow's global switch.
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_corrupt_jpeg_header(tmp_path):
    path = _save(tmp_path / "whole.jpg", Image.fromarray(_random_rgb((64, 64, 3))))
    cut = tmp_path / "header.jpg"
    cut.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ImageReadError, match="truncated or corrupt") as excinfo:
        read_image(cut)
    _assert_names(excinfo, cut)


# --- size limits ----------------------------------------------------------------


def test_small_image_is_refused(tmp_path):
    path = _save(tmp_path / "tiny.png", Image.fromarray(_random_rgb((10, 10, 3))))
    with pytest.raises(ImageTooSmallError, match="10x10") as excinfo:
        read_image(path)
    _assert_names(excinfo, path)
    assert isinstance(excinfo.value, ValueError)


def test_small_image_is_accepted_under_a_lower_min_size(tmp_path):
    pixels = _random_rgb((10, 10, 3))
    path = _save(tmp_path / "tiny.png", Image.fromarray(pixels))
    np.testing.assert_array_equal(read_image(path, min_size=5), pixels)


def test_min_size_applies_to_each_side(tmp_path):
    path = _save(tmp_path / "strip.png", Image.fromarray(_random_rgb((200, 20, 3))))
    with pytest.raises(ImageTooSmallError, match="20x200"):
        read_image(path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    # 10000 x 8500 = 85 MP: over our default, under Pillow's own limit, so the
    # error must come from our header check. The file holds no pixel data, so
    # decoding it would have raised "truncated" instead.
    path = _png_header_only(tmp_path / "bomb.png", 10_000, 8_500)
    assert path.stat().st_size < 100
    limit_before = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError, match="max_pixels") as excinfo:
        read_image(path)
    assert time.perf_counter() - start < 0.5
    assert excinfo.type is ImageTooLargeError
    assert "10000x8500" in str(excinfo.value)
    _assert_names(excinfo, path)
    assert Image.MAX_IMAGE_PIXELS == limit_before
    assert 10_000 * 8_500 > DEFAULT_MAX_PIXELS


def test_max_pixels_on_a_real_image(tmp_path):
    pixels = _random_rgb((100, 100, 3))
    path = _save(tmp_path / "photo.png", Image.fromarray(pixels))
    with pytest.raises(ImageTooLargeError) as excinfo:
        read_image(path, max_pixels=1000)
    _assert_names(excinfo, path)
    assert isinstance(excinfo.value, ImageReadError)
    # The limit is inclusive.
    np.testing.assert_array_equal(read_image(path, max_pixels=10_000), pixels)
    np.testing.assert_array_equal(read_image(path, max_pixels=None), pixels)


def test_pillow_limit_still_applies_without_max_pixels(tmp_path):
    path = _png_header_only(tmp_path / "huge.png", 100_000, 100_000)
    with pytest.raises(ImageTooLargeError, match="MAX_IMAGE_PIXELS") as excinfo:
        read_image(path, max_pixels=None)
    _assert_names(excinfo, path)


@pytest.mark.parametrize(
    "kwargs", [{"max_pixels": 0}, {"max_pixels": 1.5}, {"min_size": -1},
               {"min_size": True}]
)
def test_invalid_limits(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        read_image(np.zeros((40, 40, 3), np.uint8), **kwargs)


# --- arrays ---------------------------------------------------------------------


def test_rgb_array_passes_through():
    pixels = _random_rgb()
    out = read_image(pixels)
    np.testing.assert_array_equal(out, pixels)
    assert out.dtype == np.uint8


def test_non_contiguous_array_is_made_contiguous():
    pixels = _random_rgb()
    flipped = pixels[:, ::-1]
    out = read_image(flipped)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, flipped)


@pytest.mark.parametrize("shape", [(40, 48), (40, 48, 1)])
def test_grey_array(shape):
    grey = _random_rgb(shape, seed=2)
    out = read_image(grey)
    assert out.shape == (40, 48, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[:, :, channel], grey.reshape(40, 48))


def test_rgba_array_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:20] = (10, 20, 30, 255)
    out = read_image(rgba)
    assert (out[:20] == (10, 20, 30)).all()
    assert (out[20:] == WHITE).all()


def test_bool_array_is_black_and_white():
    mask = np.zeros((40, 40), bool)
    mask[:, 20:] = True
    out = read_image(mask)
    assert (out[:, :20] == 0).all() and (out[:, 20:] == 255).all()


@pytest.mark.parametrize("shape", [(40, 40, 5), (40, 40, 2), (1600,), (2, 40, 40, 3)])
def test_array_of_wrong_shape(shape):
    with pytest.raises(ValueError, match=r"shape \(H, W\)"):
        read_image(np.zeros(shape, np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16, np.int64])
def test_array_of_other_dtype(dtype):
    with pytest.raises(ValueError, match=f"uint8; got dtype {np.dtype(dtype)}"):
        read_image(np.zeros((40, 40, 3), dtype))


def test_small_array_is_refused():
    with pytest.raises(ImageTooSmallError, match="48x10"):
        read_image(np.zeros((10, 48, 3), np.uint8))


def test_other_input_type():
    with pytest.raises(TypeError, match="list"):
        read_image([[0, 0], [0, 0]])


# --- image_id -------------------------------------------------------------------


def test_image_id_depends_on_content_only(tmp_path):
    pixels = _random_rgb()
    first = _save(tmp_path / "a.png", Image.fromarray(pixels))
    second = tmp_path / "copy" / "b.png"
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    other = _save(tmp_path / "c.png", Image.fromarray(_random_rgb(seed=1)))
    assert image_id(first) == image_id(str(second))
    assert image_id(first) != image_id(other)
    assert image_id(first) == hashlib.sha256(first.read_bytes()).hexdigest()


def test_image_id_of_arrays():
    pixels = _random_rgb()
    assert image_id(pixels) == image_id(pixels.copy())
    assert image_id(pixels[:, ::-1]) == image_id(np.ascontiguousarray(pixels[:, ::-1]))
    assert image_id(pixels) != image_id(pixels[:, ::-1])
    assert image_id(pixels) != image_id(pixels.reshape(40, -1))
    assert image_id(pixels) != image_id(pixels.view(np.int8))


def test_image_id_of_missing_file(tmp_path):
    path = tmp_path / "gone.png"
    with pytest.raises(ImageFileNotFoundError, match="file not found") as excinfo:
        image_id(path)
    _assert_names(excinfo, path)


# --- only regular files are read -------------------------------------------------

def _call_with_deadline(function, argument, seconds=5):
    """Run ``function(argument)`` in a thread; return (elapsed, error, finished)."""
    import threading

    outcome = {}

    def run():
        try:
            function(argument)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    start = time.perf_counter()
    thread.start()
    thread.join(seconds)
    return time.perf_counter() - start, outcome.get("error"), not thread.is_alive()


@pytest.mark.parametrize("function", [read_image, image_id],
                         ids=["read_image", "image_id"])
def test_a_named_pipe_is_refused_within_a_second(tmp_path, function):
    import os

    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)
    elapsed, error, finished = _call_with_deadline(function, str(fifo))
    if not finished:  # release the blocked reader before failing
        descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(descriptor)
    assert finished, "reading a FIFO blocked"
    assert elapsed < 1
    assert isinstance(error, ImageReadError)
    assert "named pipe" in str(error) and "photo.png" in str(error)


def test_a_socket_and_a_device_are_refused_naming_them(tmp_path):
    import socket

    path = tmp_path / "face.jpg"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(ImageReadError, match="socket.*face.jpg"):
            read_image(str(path))
    finally:
        server.close()
    elapsed, error, finished = _call_with_deadline(read_image, "/dev/zero")
    assert finished and elapsed < 1
    assert isinstance(error, ImageReadError)
    assert "character device" in str(error) and "/dev/zero" in str(error)


def test_a_symbolic_link_to_an_image_is_followed(tmp_path):
    path = tmp_path / "real.png"
    _save(path, Image.fromarray(_random_rgb()))
    link = tmp_path / "link.png"
    link.symlink_to(path)
    np.testing.assert_array_equal(read_image(str(link)), read_image(str(path)))
