"""Page geometry: box arithmetic on (x0, y0, x1, y1) tuples, clustering boxes, and sub/superscript spans."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence


def _near(a: tuple, b: tuple, margin: float) -> bool:
    """Boxes a and b overlap once b is grown by `margin` on every side."""
    return a[0] < b[2] + margin and b[0] - margin < a[2] and a[1] < b[3] + margin and b[1] - margin < a[3]


def _inside(inner: tuple, outer: tuple, slack: float = 2.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _script_kind(span: dict, base_y: float, main_size: float) -> str | None:
    size = span["size"]
    if size >= 0.9 * main_size and not span["flags"] & 1:
        return None
    y = span["origin"][1]
    if span["flags"] & 1 or y < base_y - 0.15 * main_size:
        return "sup"
    if y > base_y + 0.08 * main_size:
        return "sub"
    return None


def _area(b: Sequence[float]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _union(boxes: list[tuple]) -> tuple:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap_x(a: tuple, b: tuple) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0


_GRID_CELLS_PER_SIDE = 512  # `_cluster`'s grid is at most this many cells across the drawings
_GRID_COORD_LIMIT = 1e5  # points; coordinates beyond (degenerate drawings) fall in the grid's border cells


def _cluster(boxes: list[tuple], gap: float = 12.0) -> list[tuple]:
    """Union boxes that touch or lie within `gap` points of each other.

    The boxes are taken top to bottom; each is merged with every cluster near it (and the union with
    every cluster near the union, and so on). The result is the finest grouping whose union boxes are all
    more than `gap` apart, ordered by the last box (in that top-to-bottom order) that joined each
    cluster. A grid of cells about `gap` wide finds the clusters near a box, so a page of thousands of
    small drawings (a scatter plot's markers, a heat map's cells) costs about linear time, not the
    square of their number.
    """
    ordered = sorted(boxes, key=lambda b: (b[1], b[0]))
    grid = _Grid(ordered, gap)
    live: dict[int, list[float]] = {}  # cluster id -> its box
    stamp: dict[int, int] = {}  # cluster id -> index of the last box that joined it (the output order)
    merged_into: dict[int, int] = {}  # an id merged away -> the id it went on as (union-find)
    cells_of: dict[int, tuple[int, int, int, int]] = {}  # cluster id -> the grid cells it is filed under

    def current(i: int) -> int:
        root = i
        while root in merged_into:
            root = merged_into[root]
        while i != root:  # path compression: later look-ups take one step
            merged_into[i], i = root, merged_into[i]
        return root

    for k, b in enumerate(ordered):
        box = list(b)
        if any(v != v for v in box):  # NaN: every comparison with it is false, so it is never near anything
            live[k], stamp[k] = box, k
            continue
        merged: list[int] = []
        verified: list[float] | None = None  # a cluster box no other live cluster is near (or the box scanned)
        while verified is None or box != verified:
            scanned, found = box[:], False
            spans = grid.spans_near(scanned, verified)
            if len(live) <= sum(map(_cell_count, spans)):  # fewer clusters than cells to look in: try them all
                candidates: Iterable[int] = list(live)
            else:
                candidates = (current(i) for span in spans for cell in _cells(span) for i in grid.cells.get(cell, ()))
            seen: set[int] = set()
            for r in candidates:
                if r in seen or r not in live:
                    continue
                seen.add(r)
                c = live[r]
                if box[0] <= c[2] + gap and c[0] <= box[2] + gap and box[1] <= c[3] + gap and c[1] <= box[3] + gap:
                    box = [min(box[0], c[0]), min(box[1], c[1]), max(box[2], c[2]), max(box[3], c[3])]
                    del live[r]
                    merged.append(r)
                    found = True
                    if _area(c) > _area(scanned):  # a bigger cluster: no other cluster is near it, go on from it
                        verified = c
                        break
            else:
                verified = scanned  # every cluster near the scanned box is merged
            if not found:
                break
        root = max(merged, key=lambda r: _cell_count(cells_of[r])) if merged else k
        for r in merged:
            if r != root:
                merged_into[r] = root
        live[root], stamp[root] = box, k
        cells_of[root] = grid.file(root, box, cells_of.get(root))
    return [tuple(live[r]) for r in sorted(live, key=stamp.__getitem__)]


def _cell_count(cells: tuple[int, int, int, int]) -> int:
    return (cells[2] - cells[0] + 1) * (cells[3] - cells[1] + 1)


class _Grid:
    """Square cells over the boxes' extent, each listing the ids of the clusters filed under it."""

    def __init__(self, boxes: list[tuple], gap: float) -> None:
        finite = [v for b in boxes for v in b[:4] if math.isfinite(v)]
        lo = min(max(min(finite, default=0.0), -_GRID_COORD_LIMIT), _GRID_COORD_LIMIT)
        hi = max(min(max(finite, default=0.0), _GRID_COORD_LIMIT), lo)
        self.lo, self.hi = lo, hi
        self.size = max(gap, (hi - lo) / _GRID_CELLS_PER_SIDE, 1e-6)
        self.gap = gap
        self.cells: dict[tuple[int, int], list[int]] = {}

    def index(self, v: float) -> int:
        """The cell column (row) of an x (y) coordinate; monotone, so overlapping intervals share a cell."""
        v = self.lo if v < self.lo else self.hi if v > self.hi else v
        return int((v - self.lo) // self.size)

    def span(self, x0: float, y0: float, x1: float, y1: float, margin: int = 0) -> tuple[int, int, int, int]:
        return (
            self.index(x0) - margin,
            self.index(y0) - margin,
            self.index(x1) + margin,
            self.index(y1) + margin,
        )

    def file(
        self, cluster: int, box: list[float], filed: tuple[int, int, int, int] | None
    ) -> tuple[int, int, int, int]:
        """File `cluster` under the cells of `box` that `filed` (where it was filed before) does not cover."""
        span = self.span(box[0], box[1], box[2], box[3])
        for cell in _cells(span, filed):
            self.cells.setdefault(cell, []).append(cluster)
        return span

    def spans_near(self, box: list[float], verified: list[float] | None) -> list[tuple[int, int, int, int]]:
        """Cell ranges that hold every cluster within `gap` of `box` and not within `gap` of `verified`.

        A cluster near `box` but not near `verified` (a box inside `box`) lies in the strips of the grown
        `box` outside the grown `verified`. Each range has a cell of margin so that rounding in the `gap`
        comparisons never drops a cluster; ranges may overlap.
        """
        g = self.gap
        x0, y0, x1, y1 = box[0] - g, box[1] - g, box[2] + g, box[3] + g
        if verified is None:
            return [self.span(x0, y0, x1, y1, margin=1)]
        vx0, vy0, vx1, vy1 = verified[0] - g, verified[1] - g, verified[2] + g, verified[3] + g
        strips = []
        if x0 < vx0:
            strips.append((x0, y0, vx0, y1))
        if x1 > vx1:
            strips.append((vx1, y0, x1, y1))
        if y0 < vy0:
            strips.append((vx0, y0, vx1, vy0))
        if y1 > vy1:
            strips.append((vx0, vy1, vx1, y1))
        return [self.span(*strip, margin=1) for strip in strips]


def _cells(
    span: tuple[int, int, int, int], without: tuple[int, int, int, int] | None = None
) -> Iterator[tuple[int, int]]:
    """The cells of the range `span` that are not in the range `without` (a range inside it, or None)."""
    i0, j0, i1, j1 = span
    if without is None:
        without = (i1 + 1, j1 + 1, i1, j1)  # an empty range below the last row
    a0, b0, a1, b1 = without
    for j in (*range(j0, min(b0, j1 + 1)), *range(max(b1 + 1, j0), j1 + 1)):  # rows above and below it
        yield from ((i, j) for i in range(i0, i1 + 1))
    if i0 < a0 or a1 < i1:  # beside it, left and right
        for j in range(max(b0, j0), min(b1, j1) + 1):
            yield from ((i, j) for i in range(i0, a0))
            yield from ((i, j) for i in range(a1 + 1, i1 + 1))
