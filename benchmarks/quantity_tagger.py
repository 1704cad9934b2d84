"""Score the quantity tagger against MeasEval's Quantity spans, train and trial reported apart.

    .venv/bin/python benchmarks/quantity_tagger.py [CORPUS_DIR] [--misses]

CORPUS_DIR defaults to PROPMINE_CORPUS_DIR, else ../shared/corpus beside the checkout. The tagger's
rules were tuned on train; trial is the held-back slice. Two views, both with overlap matching (a gold
span is found when a tagged quantity overlaps it; a tagged quantity is right when it overlaps a gold
span), plus exact span matching:
- with units: gold quantities that have a unit vs tagged quantities with a unit (what propmine uses)
- all: every gold quantity (counts too) vs everything the tagger finds with include_unitless=True
Then the misses and false positives of the "with units" view, counted by cause (--misses lists them),
a check on data the rules were never looked at with (grobid-quantities' evaluation and materials
staging paragraphs, measurements with a unit; overlap matching), and the speed of tag_quantities on
100 KB of MeasEval text.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of

SPLITS = (("train", "text"), ("trial", "txt"))
# Gold units that name things counted ("5318 participants", "13 passages"): propmine reads these as
# bare numbers on purpose, since "3 samples" is no measurement.
_NUMBER_WORDS = r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|hundred|thousand|few|several)\b"

Gold = tuple[int, int, str | None]


def corpus_dir(argv: list[str]) -> Path:
    given = [a for a in argv if not a.startswith("--")]
    if given:
        return Path(given[0])
    env = os.environ.get("PROPMINE_CORPUS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "corpus"


def paragraphs(root: Path, split: str, text_dir: str) -> Iterator[tuple[str, str, list[Gold]]]:
    for tsv in sorted((root / split / "tsv").glob("*.tsv")):
        text = (root / split / text_dir / f"{tsv.stem}.txt").read_text(encoding="utf-8")
        gold = []
        for row in csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"):
            if row["annotType"] != "Quantity":
                continue
            other = json.loads(row["other"]) if row["other"].strip() else {}
            gold.append((int(row["startOffset"]), int(row["endOffset"]), other.get("unit") or None))
        yield tsv.stem, text, gold


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def miss_cause(span_text: str, unit: str) -> str:
    if not re.search(r"\d", span_text) and re.search(_NUMBER_WORDS, span_text, re.IGNORECASE):
        return "spelled-out number with a noun or rare unit"
    if dimension_of(unit) is None and re.fullmatch(r"[a-z][a-z -]{2,}", unit.strip()):
        return "count of things (unit is a noun; bare number by design)"
    if dimension_of(unit) is None:
        return "unit unknown to pint or to the tagger (Rp, kR, UT, U/ml, ×)"
    if re.search(r"\d\s*-\s*[A-Za-z]", span_text):
        return "hyphenated adjective (5-year, 30-degrees)"
    return "known unit, other form"


def context(text: str, start: int, end: int) -> str:
    return repr(text[max(0, start - 40) : start] + "[[" + text[start:end] + "]]" + text[end : end + 30])


def score_split(root: Path, split: str, text_dir: str, show: bool) -> list[int]:
    scores = {"with units": [0, 0, 0, 0, 0], "all": [0, 0, 0, 0, 0]}  # right, predicted, found, gold, exact
    misses: dict[str, list[str]] = defaultdict(list)
    false: dict[str, list[str]] = defaultdict(list)
    n = chars = 0
    for stem, text, gold in paragraphs(root, split, text_dir):
        n += 1
        chars += len(text)
        for view, unitless in (("with units", False), ("all", True)):
            predicted = [q.span for q in tag_quantities(text, include_unitless=unitless) if unitless or q.unit]
            wanted = [(s, e) for s, e, unit in gold if unitless or unit]
            s = scores[view]
            s[0] += sum(any(overlaps(p, g) for g in wanted) for p in predicted)
            s[1] += len(predicted)
            s[2] += sum(any(overlaps(p, g) for p in predicted) for g in wanted)
            s[3] += len(wanted)
            s[4] += len(set(predicted) & set(wanted))
            if view != "with units":
                continue
            for gs, ge, unit in gold:
                if unit and not any(overlaps(p, (gs, ge)) for p in predicted):
                    misses[miss_cause(text[gs:ge], unit)].append(f"{stem} {unit!r} {context(text, gs, ge)}")
            for span in predicted:
                if not any(overlaps(span, g) for g in wanted):
                    counted = any(overlaps(span, (gs, ge)) for gs, ge, unit in gold)
                    cause = "gold has it as a count (no unit)" if counted else "not annotated in gold"
                    false[cause].append(f"{stem} {context(text, *span)}")
    print(f"\n{split}: {n} annotated paragraphs, {chars / 1000:.0f} k characters")
    print(f"{'view':12} {'P':>6} {'R':>6} {'F1':>6} {'exact R':>8} {'gold':>6} {'tagged':>7}")
    for view, (right, n_tagged, found, total, exact) in scores.items():
        p, r = right / max(n_tagged, 1), found / max(total, 1)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{view:12} {p:6.3f} {r:6.3f} {f1:6.3f} {exact / max(total, 1):8.3f} {total:6d} {n_tagged:7d}")
    for title, groups in (("missed (with units)", misses), ("false positives (with units)", false)):
        print(f"  {title}: {sum(len(v) for v in groups.values())}")
        for cause, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            print(f"    {len(items):4d}  {cause}")
            if show:
                for item in items:
                    print(f"            {item}")
    return scores["with units"]


def grobid_paragraphs(root: Path) -> Iterator[tuple[str, list[tuple[int, int]]]]:
    """Paragraph texts and the spans of their measurements that carry a unit (TEI inline annotation)."""
    tei = "{http://www.tei-c.org/ns/1.0}"
    files = sorted((root / "quantities" / "evaluation").glob("*.xml"))
    files += sorted((root / "quantities" / "annotations" / "staging").glob("*.xml"))
    for path in files:
        for p in ET.parse(path).iter(f"{tei}p"):
            parts, spans = [p.text or ""], []
            for child in p:
                start = sum(map(len, parts))
                inner = "".join(child.itertext())
                parts.append(inner)
                if child.tag == f"{tei}measure" and any(
                    m.get("unit") for m in child.iter(f"{tei}measure") if m is not child
                ):
                    spans.append((start, start + len(inner)))
                parts.append(child.tail or "")
            yield "".join(parts), spans


def score_grobid(root: Path) -> None:
    right = predicted = found = total = 0
    for text, gold in grobid_paragraphs(root):
        tagged = [q.span for q in tag_quantities(text) if q.unit]
        right += sum(any(overlaps(p, g) for g in gold) for p in tagged)
        predicted += len(tagged)
        found += sum(any(overlaps(p, g) for p in tagged) for g in gold)
        total += len(gold)
    p, r = right / max(predicted, 1), found / max(total, 1)
    print(
        f"\ngrobid-quantities evaluation + materials staging (never tuned on), with units: "
        f"P {p:.3f} R {r:.3f} ({total} gold, {predicted} tagged)"
    )


def speed(root: Path) -> None:
    """Seconds for tag_quantities on 100 KB of MeasEval paragraphs, best of ten."""
    pieces, size = [], 0
    for _, text, _ in paragraphs(root, "train", "text"):
        pieces.append(text)
        size += len(text) + 2
        if size >= 100_000:
            break
    text = "\n\n".join(pieces)[:100_000]
    for unitless in (False, True):
        best = min(_timed(text, unitless) for _ in range(10))
        found = len(tag_quantities(text, include_unitless=unitless))
        print(
            f"speed: {len(text) / 1000:.0f} KB, include_unitless={unitless}: {best * 1000:.0f} ms "
            f"({len(text) / best / 1000:.0f} k chars/s), {found} quantities"
        )


def _timed(text: str, unitless: bool) -> float:
    clock = time.perf_counter()
    tag_quantities(text, include_unitless=unitless)
    return time.perf_counter() - clock


def main() -> None:
    root = corpus_dir(sys.argv[1:]) / "measeval"
    if not root.is_dir():
        sys.exit(f"MeasEval not found at {root}")
    show = "--misses" in sys.argv
    right = tagged = found = total = 0
    for split, text_dir in SPLITS:
        r, p, f, t, _ = score_split(root, split, text_dir, show)
        right, tagged, found, total = right + r, tagged + p, found + f, total + t
    print(f"\ntrain+trial, with units: P {right / max(tagged, 1):.3f} R {found / max(total, 1):.3f}")
    grobid = root.parent / "grobid-quantities"
    if grobid.is_dir():
        score_grobid(grobid)
    speed(root)


if __name__ == "__main__":
    main()
