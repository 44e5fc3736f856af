"""Single images: reading frames and masks in the package convention."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UnreadableInputError

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
LOSSY_EXTENSIONS = frozenset({".jpg", ".jpeg", ".webp"})
#: what every file vinpaint writes says of itself (a PNG's ``Comment`` text, a video's ``comment`` tag):
#: ``--overwrite`` replaces only a file saying it
WRITTEN_BY = "written by vinpaint"


def read_image(path: str | Path) -> np.ndarray:
    """Read an image as ``(H,W,3)`` uint8 RGB (16-bit scaled down, alpha and palette resolved)."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("I;16", "I;16B", "I"):
                array = np.asarray(image, dtype=np.float64)
                array = np.clip(array / (65535 if array.max() > 255 else 1), 0, 255)
                return np.repeat(array.astype(np.uint8)[..., None], 3, axis=2)
            return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as error:
        raise UnreadableInputError(f"cannot read image {path}: {error}") from None


def read_label_image(path: str | Path) -> np.ndarray:
    """Read a mask image as ``(H,W)`` integer labels; non-zero marks the region.

    Palette PNGs give their palette indices (object ids); RGBA gives the alpha channel; RGB and grey
    give the maximum over channels.  JPEG and WebP masks are thresholded at 128, because compression
    noise makes "non-zero" meaningless for them.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()
            mode = image.mode
            if mode == "P":
                labels = np.asarray(image, dtype=np.int32)
            elif mode in ("RGBA", "LA", "PA"):
                labels = np.asarray(image.getchannel("A"), dtype=np.int32)
            elif mode == "1":
                labels = np.asarray(image, dtype=np.int32)
            else:
                array = np.asarray(image)
                labels = (array.max(axis=2) if array.ndim == 3 else array).astype(np.int32)
    except (UnidentifiedImageError, OSError) as error:
        raise UnreadableInputError(f"cannot read mask image {path}: {error}") from None
    if path.suffix.lower() in LOSSY_EXTENSIONS and mode != "P":
        labels = (labels >= 128).astype(np.int32)
    return labels


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write ``(H,W,3)`` uint8 RGB or ``(H,W)`` uint8/bool as PNG, its ``Comment`` :data:`WRITTEN_BY`."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    array = np.asarray(image)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    info = PngInfo()
    info.add_text("Comment", WRITTEN_BY)
    Image.fromarray(array).save(path, compress_level=1, pnginfo=info)


def png_written_by_vinpaint(path: str | Path) -> bool:
    """Whether ``path`` is a PNG that :func:`write_png` wrote (its ``Comment`` is :data:`WRITTEN_BY`)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.format == "PNG" and image.text.get("Comment") == WRITTEN_BY
    except (UnidentifiedImageError, OSError):
        return False
