"""Page geometry: box arithmetic on (x0, y0, x1, y1) tuples, and whether a span sits as a sub/superscript."""

from __future__ import annotations


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


def _area(b: tuple) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _union(boxes: list[tuple]) -> tuple:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _overlap_x(a: tuple, b: tuple) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 0


def _cluster(boxes: list[tuple], gap: float = 12.0) -> list[tuple]:
    """Union boxes that touch or lie within `gap` points of each other."""
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
