"""Bad image files each give a precise error, decided before anything large is decoded."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from trustlpr.core.errors import InputError, TooLargeError
from trustlpr.recognize import decode_image, encode_jpeg, load_image

from .conftest import Labelled


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` (a decompression bomb's first bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_claiming(path: Path, width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) is rewritten to claim another size."""
    data = bytearray(path.read_bytes())
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def photo(us_photos: list[Labelled]) -> Path:
    return us_photos[0].path


def test_a_good_photo_decodes_as_rgb(photo: Path) -> None:
    image = load_image(photo)
    bgr = cv2.imread(str(photo))
    assert image.shape == bgr.shape and image.dtype == np.uint8
    assert np.abs(image[:, :, ::-1].astype(int) - bgr.astype(int)).mean() < 2.0


def test_empty_non_image_corrupt_and_truncated_files(tmp_path: Path, photo: Path) -> None:
    data = photo.read_bytes()
    cases = {
        "empty.jpg": (b"", "empty file"),
        "notes.jpg": (b"plate,state\nABC123,CT\n" * 20, "not an image"),
        "corrupt.jpg": (data[:2] + bytes(200) + data[202:], "not|cannot|truncated"),
        "truncated.jpg": (data[: len(data) // 2], "truncated"),
        "cut-header.png": (_png_header(640, 480)[:30], "not an image|truncated|not a readable"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError, match=message) as caught:
            load_image(path)
        assert name in str(caught.value), name  # the error names the file


def test_huge_images_are_refused_from_their_header(tmp_path: Path, photo: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header(20000, 20000))
    with pytest.raises(TooLargeError, match=r"bomb\.png is 400 MP; at most 50 MP"):
        load_image(bomb)
    bomb.write_bytes(_png_header(9000, 8000))  # under Pillow's own bomb limit, over ours
    with pytest.raises(TooLargeError, match="9000×8000 pixels"):
        load_image(bomb)
    jpeg = _jpeg_claiming(photo, 20000, 20000)
    with pytest.raises(TooLargeError, match=r"big\.jpg is 400 MP"):
        decode_image(jpeg, "big.jpg")


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.jpg cannot be read"):
        load_image(tmp_path / "absent.jpg")
    big = tmp_path / "big.jpg"
    with big.open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)  # sparse: no real disk used
    with pytest.raises(TooLargeError, match="bytes"):
        load_image(big)


def test_crops_round_trip_as_jpeg(photo: Path) -> None:
    image = load_image(photo)[:64, :128]
    data = encode_jpeg(image)
    assert data[:3] == b"\xff\xd8\xff"
    back = decode_image(data)
    assert back.shape == image.shape
    assert np.abs(back.astype(int) - image.astype(int)).mean() < 8
