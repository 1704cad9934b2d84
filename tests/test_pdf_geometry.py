"""Clustering a page's drawings: the same clusters, in the same order, as the plain pairwise merge."""

from __future__ import annotations

import math
import random

import pytest

from extractors.documents.pdf_geometry import _cluster


def pairwise_cluster(boxes: list[tuple], gap: float = 12.0) -> list[tuple]:
    """The original quadratic merge, kept as the definition `_cluster` must reproduce."""
    clusters: list[list[float]] = []
    for b in sorted(boxes, key=lambda b: (b[1], b[0])):
        box = list(b)
        merged = True
        while merged:
            merged = False
            for c in clusters:
                if box[0] <= c[2] + gap and c[0] <= box[2] + gap and box[1] <= c[3] + gap and c[1] <= box[3] + gap:
                    box = [min(box[0], c[0]), min(box[1], c[1]), max(box[2], c[2]), max(box[3], c[3])]
                    clusters.remove(c)
                    merged = True
                    break
        clusters.append(box)
    return [tuple(c) for c in clusters]


def _random_boxes(rng: random.Random, n: int, width: float, height: float, size: float) -> list[tuple]:
    boxes = []
    for _ in range(n):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        boxes.append((x, y, x + rng.uniform(0, size), y + rng.uniform(0, size)))
    return boxes


def _integer_grid(rng: random.Random) -> list[tuple]:
    """Boxes on a 6 pt lattice: many pairs exactly `gap` apart, where `<=` decides."""
    boxes = []
    for _ in range(300):
        x, y = 6 * rng.randrange(60), 6 * rng.randrange(80)
        boxes.append((x, y, x + 6 * rng.randrange(3), y + 6 * rng.randrange(3)))
    return boxes


def _bbox_bridges(rng: random.Random) -> list[tuple]:
    """L shapes whose union box reaches boxes that no single member is near (merges of merges)."""
    boxes = []
    for _ in range(40):
        ox, oy = rng.uniform(0, 500), rng.uniform(0, 700)
        boxes += [(ox, oy, ox + 5, oy + 80), (ox, oy + 75, ox + 80, oy + 80), (ox + 70, oy + 10, ox + 75, oy + 15)]
    return boxes


def _scatter_curve(rng: random.Random) -> list[tuple]:
    """A scatter plot's markers along a falling curve, and some far-off specks."""
    boxes = []
    for i in range(800):
        x = 50 + 0.6 * i
        y = 100 + 400 * math.exp(-i / 300) + rng.uniform(-3, 3)
        boxes.append((x, y, x + 3, y + 3))
    return boxes + _random_boxes(rng, 200, 600, 800, 2)


def _big_and_degenerate(rng: random.Random) -> list[tuple]:
    """Page-sized frames, zero-size points, duplicates, huge, infinite and NaN coordinates."""
    boxes = _random_boxes(rng, 200, 600, 800, 20)
    boxes += [(0, 0, 600, 800), (10, 10, 590, 790), (300, 400, 300, 400), (300, 400, 300, 400)]
    boxes += [(5e6, 5e6, 5e6 + 10, 5e6 + 10), (-math.inf, 700, 3, 705), (20, 30, math.inf, 31)]
    boxes += [(math.nan, 10, 20, 20), (100, 100, 110, math.nan)]
    return boxes


CASES = {
    "sparse_small_boxes": lambda rng: _random_boxes(rng, 400, 600, 800, 8),
    "dense_small_boxes": lambda rng: _random_boxes(rng, 600, 200, 200, 5),
    "large_overlapping_boxes": lambda rng: _random_boxes(rng, 150, 600, 800, 300),
    "integer_lattice_exact_gaps": _integer_grid,
    "union_box_bridges": _bbox_bridges,
    "scatter_curve": _scatter_curve,
    "big_and_degenerate": _big_and_degenerate,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("gap", [12.0, 0.0, 20.0], ids=["gap_12", "gap_0", "gap_20"])
def test_clusters_are_those_of_the_pairwise_merge(case: str, gap: float) -> None:
    for seed in range(3):
        boxes = CASES[case](random.Random(seed))
        got, want = _cluster(boxes, gap), pairwise_cluster(boxes, gap)
        assert len(got) == len(want)
        same = all(
            all(a == b or (a != a and b != b) for a, b in zip(g, w, strict=True))
            for g, w in zip(got, want, strict=True)
        )
        assert same, (case, seed)


def test_a_heat_map_of_small_cells_is_one_cluster() -> None:
    """4,000 touching cells (a heat map drawn as rectangles) are one figure, bounded by the outer cells."""
    cells = [(10 + 5 * i, 20 + 5 * j, 15 + 5 * i, 25 + 5 * j) for i in range(80) for j in range(50)]
    assert _cluster(cells) == [(10, 20, 410, 270)]


def test_no_boxes_no_clusters() -> None:
    assert _cluster([]) == []
