"""Arrays made ready for a browser: 8-bit pixels, fast PNG bytes, thumbnails and crisp zooms.

The pages send every large picture as a PNG (see :mod:`cnnviz.figures` for why); this module
makes those PNGs quickly and keeps small pictures sharp when they are enlarged. It also draws
the few things the Convolution page overlays on a picture: the kernel's window and a feature map
that fills in cell by cell while the window slides.

Letters used in shapes: ``H, W`` image height and width, ``h, w`` crop height and width.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "crop",
    "outline",
    "png_bytes",
    "reveal",
    "thumbnail",
    "to_uint8",
    "upscale_factor",
    "zoom",
]

#: The colour of the kernel-window outline: the same amber the Plotly figures use.
WINDOW_COLOR = (255, 191, 0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Turn an image with values in [0, 1] into 8-bit pixels (values outside are clipped).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3)

    Returns
    -------
    ndarray of uint8, same shape

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.0, 2.0]]))
    array([[  0, 128, 255, 255]], dtype=uint8)
    """
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def png_bytes(image: np.ndarray, *, compress_level: int = 1) -> bytes:
    """Encode an 8-bit image as PNG, fast.

    A low ``compress_level`` (0–9) makes files a little larger but encodes several times faster
    than Pillow's default, which matters when a 1024×1024 map is re-sent on every change.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W) or (H, W, 3), RGB order

    Returns
    -------
    bytes
        A PNG file.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 2), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(
            f"`image` must be a 2-D or 3-D uint8 array. Received: dtype={image.dtype}, "
            f"shape={image.shape}."
        )
    bgr = image[:, :, ::-1] if image.ndim == 3 else image  # OpenCV stores colour as BGR
    ok, encoded = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)])
    if not ok:  # pragma: no cover - OpenCV reports no reason
        raise ValueError("The image could not be encoded as PNG.")
    return encoded.tobytes()


def thumbnail(image: np.ndarray, size: int = 96) -> np.ndarray:
    """A square-ish preview whose longer side is ``size`` pixels, as 8-bit pixels.

    Shrinking averages pixels (no flicker); enlarging repeats them (small drawings stay crisp).

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, 3), values in [0, 1] or uint8

    Returns
    -------
    ndarray of uint8, shape (h, w) or (h, w, 3) with ``max(h, w) == size``

    Examples
    --------
    >>> thumbnail(np.zeros((64, 32)), size=96).shape
    (96, 48)
    """
    image = to_uint8(image)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))  # OpenCV wants (width, height)
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    return cv2.resize(image, new, interpolation=method)


def upscale_factor(shape: tuple[int, ...], min_side: int = 320, max_side: int = 2048) -> int:
    """The whole factor that enlarges a picture of ``shape`` until its shorter side is ``min_side``.

    Use one factor for pictures that must be compared at the same scale (an input and its
    feature map). The factor never makes the longer side exceed ``max_side``.

    Examples
    --------
    >>> upscale_factor((64, 64)), upscale_factor((62, 62)), upscale_factor((512, 512))
    (5, 6, 1)
    """
    h, w = shape[:2]
    factor = max(1, -(-min_side // max(1, min(h, w))))
    return int(min(factor, max(1, max_side // max(h, w))))


def zoom(image: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge an image by a whole ``factor``, each pixel becoming a ``factor × factor`` block.

    Examples
    --------
    >>> zoom(np.array([[1, 2]]), 2)
    array([[1, 1, 2, 2],
           [1, 1, 2, 2]])
    """
    image = np.asarray(image)
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)  # (H·f, W·f, ...)


def crop(
    image: np.ndarray, top: int, left: int, height: int, width: int, *, fill: float = 0.0
) -> np.ndarray:
    """The ``height × width`` block of ``image`` whose top-left pixel is ``(top, left)``.

    Parts of the block outside the image (for example in a convolution's zero padding) hold
    ``fill``, so a crop always has the shape asked for.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C)
    top, left : int
        May be negative or run past the image.

    Returns
    -------
    ndarray, shape (height, width) or (height, width, C), the dtype of ``image``

    Examples
    --------
    >>> x = np.arange(9).reshape(3, 3)
    >>> crop(x, -1, 1, 2, 3)
    array([[0, 0, 0],
           [1, 2, 0]])
    """
    image = np.asarray(image)
    out = np.full((height, width) + image.shape[2:], fill, dtype=image.dtype)
    r0, r1 = max(top, 0), min(top + height, image.shape[0])
    c0, c1 = max(left, 0), min(left + width, image.shape[1])
    if r0 < r1 and c0 < c1:
        out[r0 - top : r1 - top, c0 - left : c1 - left] = image[r0:r1, c0:c1]
    return out


def outline(
    rgb: np.ndarray,
    top: int,
    left: int,
    height: int,
    width: int,
    *,
    factor: int = 1,
    color: tuple[int, int, int] = WINDOW_COLOR,
    thickness: int = 2,
) -> np.ndarray:
    """A copy of ``rgb`` with a rectangle around the cells ``top…top+height−1, left…left+width−1``.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (H·factor, W·factor, 3)
        A picture enlarged by :func:`zoom` with ``factor``.
    top, left, height, width : int
        The rectangle in the cells of the picture before zooming (it may run past the edge).

    Examples
    --------
    >>> framed = outline(np.zeros((4, 4, 3), np.uint8), 1, 1, 2, 2, thickness=1)
    >>> framed[:, :, 0]
    array([[  0,   0,   0,   0],
           [  0, 255, 255,   0],
           [  0, 255, 255,   0],
           [  0,   0,   0,   0]], dtype=uint8)
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    if out.ndim == 2:
        out = np.repeat(out[:, :, None], 3, axis=2)
    y0, x0 = top * factor, left * factor
    y1, x1 = (top + height) * factor - 1, (left + width) * factor - 1
    cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness)
    return out


def reveal(rgb: np.ndarray, count: int, *, factor: int = 1, blank=(235, 235, 235)) -> np.ndarray:
    """A copy of a zoomed map where only the first ``count`` cells, row by row, are shown.

    The other cells are painted ``blank``: the map as it looks while the kernel is still sliding.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (h·factor, w·factor, 3)
    count : int
        Cells already computed, counted row by row from the top-left.

    Examples
    --------
    >>> shown = reveal(np.zeros((2, 2, 3), np.uint8), 3)
    >>> shown[:, :, 0]
    array([[  0,   0],
           [  0, 235]], dtype=uint8)
    """
    out = np.array(rgb, dtype=np.uint8, copy=True)
    rows, cols = out.shape[0] // factor, out.shape[1] // factor
    hidden = np.arange(rows * cols).reshape(rows, cols) >= count  # (h, w)
    out[zoom(hidden, factor)] = blank
    return out
