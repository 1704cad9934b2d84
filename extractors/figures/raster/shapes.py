"""One colour's pixels as data: curves traced column by column, marker centres, or bar tops."""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage

from extractors.figures.raster.frame import _row_runs
from extractors.figures.raster.morph import dilate, fill_holes, open_

MAX_POINTS = 150  # points kept per line series: enough for a smooth curve, few enough to read
SeriesStyle = Literal["line", "scatter", "bar"]


def _shapes(mask: np.ndarray, th: float) -> list[tuple[SeriesStyle, list[tuple[float, float]], float]]:
    """One colour's pixels as curves ('line', a point per column), marker sets ('scatter', centres) or bars.

    Each comes with its solidity: the share of the columns of its span that a line covers (1 for a
    solid line, less for dashes and dots; 1 for markers and bars).
    """
    if mask.sum() < 10:
        return []
    bars = _bars(mask, th)
    if bars:
        return [("bar", bars, 1.0)]
    r = max(1, int(round(0.1 * th)))
    disk = _disk(r)
    cores = open_(fill_holes(mask), disk)  # hollow markers too
    lab, n = ndimage.label(cores, structure=np.ones((3, 3), bool))
    blobs = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        sy, sx = sl
        h, w = sy.stop - sy.start, sx.stop - sx.start
        area = int((lab[sl] == i).sum())
        if max(h, w) <= 3 * th and max(h, w) <= 2.5 * min(h, w) + 2 and area >= 0.3 * h * w:
            blobs.append((i, sl, area))
    blob_area = sum(a for _, _, a in blobs)
    rest = mask & ~dilate(cores, 2, disk)
    if len(blobs) >= 3 and blob_area > 0.3 * mask.sum():
        # markers with, perhaps, error bars: a line joins them only if the rest spans long stretches
        marker_w = float(np.median([sl[1].stop - sl[1].start for _, sl, _ in blobs]))
        rl, rn = ndimage.label(rest, structure=np.ones((3, 3), bool))
        long_cols = np.zeros(mask.shape[1], bool)
        for sl in ndimage.find_objects(rl):
            if sl[1].stop - sl[1].start >= 2 * marker_w:
                long_cols[sl[1]] = True
        span = np.flatnonzero(mask.any(axis=0))
        width = span[-1] - span[0] + 1
        # a thin line broken up by the opening leaves pieces of all sizes in every column; markers are alike
        areas = np.array([a for _, _, a in blobs], dtype=float)
        alike = np.mean(np.abs(areas / np.median(areas) - 1) < 0.35) >= 0.7
        if long_cols.sum() < 0.3 * width and (alike or len(span) < 0.95 * width):
            return [("scatter", _centres(lab, blobs), 1.0)]
    out: list[tuple[SeriesStyle, list[tuple[float, float]], float]] = []
    remaining = mask.copy()
    first_len = None
    min_cols = max(5, int(0.06 * mask.shape[1]))  # shorter strokes are glyphs or specks, not a curve
    for _ in range(3):
        path = _trace(remaining, th)
        if len(path) < min_cols:
            break
        if first_len is None:
            first_len = len(path)
        elif len(path) < 0.25 * first_len:
            break
        out.append(("line", _subsample(path), len(path) / (max(path) - min(path) + 1)))
        for cx, ya, yb in path.values():
            remaining[ya:yb, cx] = False
        remaining = open_(remaining, np.ones((2, 2), bool))
    return out


def _bars(mask: np.ndarray, th: float) -> list[tuple[float, float]]:
    """Bar tops (bottoms for bars hanging below the baseline) where the colour is solid rectangles on one baseline."""
    lab, n = ndimage.label(mask)
    if n == 0 or n > 200:
        return []
    rects = []
    for i, sl in enumerate(ndimage.find_objects(lab), start=1):
        h, w = sl[0].stop - sl[0].start, sl[1].stop - sl[1].start
        area = int((lab[sl] == i).sum())
        if area >= 0.85 * h * w and w >= max(4, 0.4 * th) and h >= 2:
            rects.append((sl[1].start, sl[0].start, sl[1].stop, sl[0].stop, area))
    if not rects or sum(r[4] for r in rects) < 0.8 * mask.sum():
        return []
    heights = [r[3] - r[1] for r in rects]
    if len(rects) >= 3 and max(heights) - min(heights) <= 0.2 * max(heights) + 2:
        return []  # rectangles all of one size are square markers, not bars
    edges = [r[3] for r in rects] + [r[1] for r in rects]
    base = max(edges, key=lambda e: sum(abs(e - f) <= 2 for f in edges))
    on_base = [r for r in rects if abs(r[3] - base) <= 2 or abs(r[1] - base) <= 2]
    if len(on_base) < max(2, 0.6 * len(rects)) and not (len(rects) == 1 and heights[0] >= 0.5 * th):
        return []
    out = []
    for x0, y0, x1, y1, _ in rects:
        y = y1 - 1 if abs(y0 - base) <= 2 and abs(y1 - base) > 2 else y0
        out.append(((x0 + x1 - 1) / 2, float(y)))
    return sorted(out)


def _disk(r: int) -> np.ndarray:
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return (xx * xx + yy * yy) <= r * r + r


def _centres(lab: np.ndarray, blobs: list[tuple[int, tuple[slice, slice], int]]) -> list[tuple[float, float]]:
    """Marker centres; a blob of k overlapping markers gives k points along its long axis."""
    areas = sorted(a for _, _, a in blobs)
    typical = areas[len(areas) // 2]
    out = []
    for i, sl, area in blobs:
        if area < 0.4 * typical:
            continue
        ys, xs = np.nonzero(lab[sl] == i)
        ys = ys + sl[0].start
        xs = xs + sl[1].start
        k = max(1, int(round(area / typical)))
        if k == 1:  # the box's centre: a triangle's centroid is not its data point
            out.append(((xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2))
            continue
        pts = np.stack([xs, ys], axis=1).astype(float)
        mean = pts.mean(axis=0)
        _, _, vt = np.linalg.svd(pts - mean, full_matrices=False)
        proj = (pts - mean) @ vt[0]
        for q in np.linspace(0, 1, 2 * k + 1)[1::2]:
            t = float(np.quantile(proj, q))
            out.append((float(mean[0] + t * vt[0][0]), float(mean[1] + t * vt[0][1])))
    return out


def _trace(mask: np.ndarray, th: float) -> dict[int, tuple[int, int, int]]:
    """The longest smooth path through the mask's vertical runs, left to right: column -> (column, top, bottom).

    Each column's runs are nodes; a path gains one per column it covers and pays for jumps between
    runs that do not touch and for columns it skips (the gaps of a dashed line), so that it follows
    one curve past crossings, stray glyphs and other curves of the same colour.
    """
    cols_runs: list[tuple[int, list[tuple[int, int]]]] = []
    mt = mask.T
    rows, starts, ends = _row_runs(mt)
    if len(rows) == 0:
        return {}
    split = np.flatnonzero(np.diff(rows)) + 1
    for r_idx, s_arr, e_arr in zip(np.split(rows, split), np.split(starts, split), np.split(ends, split), strict=True):
        runs: list[tuple[int, int]] = []
        for s, e in zip(s_arr.tolist(), e_arr.tolist(), strict=True):  # join runs split by a pixel or two
            if runs and s - runs[-1][1] <= 2:
                runs[-1] = (runs[-1][0], e)
            else:
                runs.append((s, e))
        cols_runs.append((int(r_idx[0]), runs))
    max_gap = int(2.5 * th) + 2
    node_col = np.array([c for c, runs in cols_runs for _ in runs], dtype=np.int64)
    node_s = np.array([r[0] for _, runs in cols_runs for r in runs], dtype=np.int64)
    node_e = np.array([r[1] for _, runs in cols_runs for r in runs], dtype=np.int64)
    score = np.ones(len(node_col))
    prev = np.full(len(node_col), -1, dtype=np.int64)
    first_node = np.searchsorted(node_col, [c for c, _ in cols_runs])
    for ci, (c, runs) in enumerate(cols_runs):
        a0 = int(first_node[ci])
        a1 = a0 + len(runs)
        lo = int(np.searchsorted(node_col, c - max_gap))
        if lo >= a0:
            continue
        mc, ms, me, sc = node_col[lo:a0], node_s[lo:a0], node_e[lo:a0], score[lo:a0]
        s_, e_ = node_s[a0:a1, None], node_e[a0:a1, None]
        gap = (c - mc - 1)[None, :]
        jump = np.maximum(0, np.maximum(ms[None, :] - e_, s_ - me[None, :]))
        cost = (
            0.4 * gap + 0.15 * np.maximum(0.0, jump - (1 + 1.5 * gap)) + np.where(jump > 4 * th + 2 * gap, 1000.0, 0.0)
        )
        val = sc[None, :] + 1.0 - cost
        arg = val.argmax(axis=1)
        best = val[np.arange(a1 - a0), arg]
        better = best > 1.0
        score[a0:a1] = np.where(better, best, 1.0)
        prev[a0:a1] = np.where(better, arg + lo, -1)
    nodes = list(zip(node_col.tolist(), node_s.tolist(), node_e.tolist(), strict=True))
    end = int(np.argmax(score))
    path: dict[int, tuple[int, int, int]] = {}
    while end >= 0:
        c, s, e = nodes[end]
        path[c] = (c, s, e)
        end = prev[end]
    return path


def _subsample(path: dict[int, tuple[int, int, int]]) -> list[tuple[float, float]]:
    cols = sorted(path)
    if len(cols) > MAX_POINTS:
        idx = np.unique(np.round(np.linspace(0, len(cols) - 1, MAX_POINTS)).astype(int))
        cols = [cols[i] for i in idx]
    return [(float(c), (path[c][1] + path[c][2] - 1) / 2) for c in cols]
