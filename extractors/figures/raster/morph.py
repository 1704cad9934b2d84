"""Binary morphology as scipy.ndimage does it, computed only over the box the mask's pixels occupy.

A series' or colour's mask is most of a figure's size but its pixels fill a small part of it, or a
thin band; the scipy filters cost the same per pixel whether it is set or not. Every function here
returns what its scipy counterpart returns for the whole image (outside the box nothing can change).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def _box(mask: np.ndarray, margin: int) -> tuple[slice, slice] | None:
    """The rows and columns of the mask's pixels, widened by `margin` (clipped to the image); None if empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    return (
        slice(max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + margin + 1)),
        slice(max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + margin + 1)),
    )


def dilate(mask: np.ndarray, iterations: int = 1, structure: np.ndarray | None = None) -> np.ndarray:
    """`ndimage.binary_dilation(mask, structure, iterations)` over the mask's box only."""
    reach = iterations * (max(structure.shape) // 2 + 1 if structure is not None else 1) + 1
    box = _box(mask, reach)
    out = np.zeros(mask.shape, bool)
    if box is not None:
        out[box] = ndimage.binary_dilation(mask[box], structure=structure, iterations=iterations)
    return out


def open_(mask: np.ndarray, structure: np.ndarray) -> np.ndarray:
    """`ndimage.binary_opening(mask, structure)` over the mask's box only (an opening never grows the mask)."""
    box = _box(mask, max(structure.shape) + 1)
    out = np.zeros(mask.shape, bool)
    if box is not None:
        out[box] = ndimage.binary_opening(mask[box], structure=structure)
    return out


def close_square(mask: np.ndarray, k: int) -> np.ndarray:
    """`ndimage.binary_closing(mask, np.ones((k, k), bool))` for odd k, as four 1-D running max and min filters
    (a square is a row times a column) over the mask's box widened by k."""
    box = _box(mask, k + 1)
    out = np.zeros(mask.shape, bool)
    if box is None:
        return out
    m = mask[box].astype(np.uint8)
    for axis in (0, 1):
        m = ndimage.maximum_filter1d(m, k, axis=axis, mode="constant", cval=0)
    for axis in (0, 1):
        m = ndimage.minimum_filter1d(m, k, axis=axis, mode="constant", cval=0)
    out[box] = m.astype(bool)
    return out


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """`ndimage.binary_fill_holes(mask)` over the mask's box only (a ring of background around the box stands
    for the background outside it)."""
    box = _box(mask, 1)
    out = np.zeros(mask.shape, bool)
    if box is not None:
        out[box] = ndimage.binary_fill_holes(mask[box])
    return out
