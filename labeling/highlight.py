"""The passage text cut into segments, each marked with the record spans it belongs to.

The page draws each segment as an element with its offset into the passage text (so a selection
can be turned back into offsets) and the kinds and records it highlights. Segments carry plain
text: the template escapes it, so markup in a paper is shown, never run.
"""

from __future__ import annotations

from dataclasses import dataclass

from labeling.review import ItemState, PassageRow

KINDS = ("material", "property", "value", "unit")


@dataclass
class Segment:
    text: str
    start: int
    kinds: tuple[str, ...]
    items: tuple[int, ...]
    rejected: bool

    @property
    def css(self) -> str:
        return " ".join(f"hl-{k}" for k in self.kinds) + (" hl-rejected" if self.rejected else "")


def _unit_span(value_text: str) -> tuple[int, int] | None:
    """Where the unit sits inside a value's text ('3.21 eV' -> (5, 7))."""
    from extractors.quantities.tagger import tag_quantities

    found = tag_quantities(value_text)
    return found[0].unit_span if found and found[0].unit_span else None


def spans_of(item: ItemState, passage: PassageRow) -> dict[str, tuple[int, int]]:
    """An item's spans in passage offsets, by kind."""
    if item.fields is None:
        return {}
    off = passage.char_start
    f = item.fields
    out = {"value": (f.value_span[0] - off, f.value_span[1] - off)}
    if f.material_span[1] > f.material_span[0]:
        out["material"] = (f.material_span[0] - off, f.material_span[1] - off)
    if f.property_span:
        out["property"] = (f.property_span[0] - off, f.property_span[1] - off)
    unit = _unit_span(f.value)
    if unit:
        out["unit"] = (out["value"][0] + unit[0], out["value"][0] + unit[1])
    n = len(passage.text)
    return {k: (max(0, s), min(n, e)) for k, (s, e) in out.items() if 0 <= s < e <= n}


def segments(passage: PassageRow, items: list[ItemState]) -> list[Segment]:
    """Cut the passage text where any highlighted span starts or ends."""
    text = passage.text
    marks: list[list[tuple[str, int]]] = [[] for _ in text]
    for index, item in enumerate(items):
        if not item.exists:
            continue
        for kind, (start, end) in spans_of(item, passage).items():
            for i in range(start, end):
                marks[i].append((kind, index))
    out: list[Segment] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[start]:
            here = marks[start]
            kinds = tuple(k for k in KINDS if any(m[0] == k for m in here))
            indexes = tuple(sorted({m[1] for m in here}))
            rejected = bool(indexes) and all(items[j].decision == "reject" for j in indexes)
            out.append(Segment(text[start:i], start, kinds, indexes, rejected))
            start = i
    return out
