"""Reading image files safely, and writing crops as JPEG.

An image file is checked before it is decoded: its size on disk, that it is an image format
we read, and its dimensions from the header (a 20000×20000 file is refused before a 1.2 GB
buffer is allocated). Decoding is strict: a truncated file is an error, not a half-grey
picture. Every refusal is an ``InputError`` saying what is wrong with which file, so a batch
can report it and go on.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from ..core.errors import InputError, TooLargeError
from .types import Image

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 50 MP: above every camera's frames, far below a decompression bomb
_MP = MAX_PIXELS // 1_000_000
FORMATS = frozenset({"JPEG", "PNG", "BMP", "WEBP", "TIFF", "MPO"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


def load_image(path: Path) -> Image:
    """The image at ``path`` as RGB ``uint8``, EXIF orientation applied (as cameras mean it)."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise _bad(str(path), "is an empty file")
        if size > MAX_FILE_BYTES:
            raise _bad(
                str(path),
                f"is {size} bytes; images over {MAX_FILE_BYTES} are refused",
                TooLargeError,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise _bad(str(path), f"cannot be read: {exc.strerror}") from exc
    return decode_image(data, str(path))


def decode_image(data: bytes, name: str = "image") -> Image:
    """``data`` (an encoded image) as RGB ``uint8``; see ``load_image``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)
        try:
            picture = PILImage.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise _bad(name, "is not an image (JPEG, PNG, BMP, WebP or TIFF expected)") from None
        except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
            pixels = re.search(r"\((\d+) pixels\)", str(exc))
            size = f"{int(pixels.group(1)) / 1e6:.0f} MP" if pixels else "too many pixels"
            raise _bad(name, f"is {size}; at most {_MP} MP are read", TooLargeError) from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise _bad(name, f"is not a readable image: {exc}") from None
        with picture:
            if picture.format not in FORMATS:
                raise _bad(name, f"is a {picture.format} image, which is not read")
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise _bad(
                    name,
                    f"is {width}×{height} pixels ({width * height / 1e6:.0f} MP); at most "
                    f"{_MP} MP are read",
                    TooLargeError,
                )
            if width < 8 or height < 8:
                raise _bad(name, f"is {width}×{height} pixels: too small for a plate")
            try:
                picture.load()
                rgb = ImageOps.exif_transpose(picture).convert("RGB")
            except (OSError, ValueError, SyntaxError) as exc:
                why = "is truncated" if "truncated" in str(exc) else f"cannot be decoded: {exc}"
                raise _bad(name, why) from None
    return np.asarray(rgb, dtype=np.uint8)


def _bad(name: str, reason: str, kind: type[InputError] = InputError) -> InputError:
    """An error that reads "photo.jpg is truncated"."""
    return kind(f"{name} {reason}")


def encode_jpeg(image: Image, quality: int = 90) -> bytes:
    """An RGB image as JPEG bytes (a read's crop, sent with the read)."""
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise InputError("the crop could not be encoded as JPEG")
    return bytes(buffer)


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
