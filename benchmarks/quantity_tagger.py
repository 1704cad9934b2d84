"""Score the quantity tagger against MeasEval's Quantity spans (train + trial paragraphs).

    .venv/bin/python benchmarks/quantity_tagger.py [CORPUS_DIR]

Two views, both with overlap matching (a gold span is found when a tagged quantity overlaps it; a
tagged quantity is right when it overlaps a gold span), plus exact span matching:
- with units: gold quantities that have a unit vs tagged quantities with a unit (what propmine uses)
- all: every gold quantity (counts too) vs everything the tagger finds with include_unitless=True
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.quantities.tagger import tag_quantities

CORPUS = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus"


def paragraphs(root: Path):
    for split, text_dir in (("train", "text"), ("trial", "txt")):
        for tsv in sorted((root / split / "tsv").glob("*.tsv")):
            text = (root / split / text_dir / f"{tsv.stem}.txt").read_text(encoding="utf-8")
            gold = []
            for row in csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"):
                if row["annotType"] != "Quantity":
                    continue
                other = json.loads(row["other"]) if row["other"].strip() else {}
                gold.append((int(row["startOffset"]), int(row["endOffset"]), bool(other.get("unit"))))
            yield text, gold


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def main() -> None:
    root = CORPUS / "measeval"
    if not root.is_dir():
        sys.exit(f"MeasEval not found at {root}")
    scores = {"with units": [0, 0, 0, 0, 0], "all": [0, 0, 0, 0, 0]}  # right, predicted, found, gold, exact
    clock, chars, n = time.perf_counter(), 0, 0
    for text, gold in paragraphs(root):
        n += 1
        chars += len(text)
        for view, unitless in (("with units", False), ("all", True)):
            predicted = [q.span for q in tag_quantities(text, include_unitless=unitless) if unitless or q.unit]
            wanted = [(s, e) for s, e, has_unit in gold if unitless or has_unit]
            s = scores[view]
            s[0] += sum(any(overlaps(p, g) for g in wanted) for p in predicted)
            s[1] += len(predicted)
            s[2] += sum(any(overlaps(p, g) for p in predicted) for g in wanted)
            s[3] += len(wanted)
            s[4] += len(set(predicted) & set(wanted))
    seconds = time.perf_counter() - clock
    print(
        f"MeasEval train+trial: {n} paragraphs, {chars / 1000:.0f} k characters, {seconds:.1f} s "
        f"({chars / seconds / 1000:.0f} k chars/s, both views)"
    )
    print(f"{'view':12} {'P':>6} {'R':>6} {'F1':>6} {'exact R':>8} {'gold':>6} {'tagged':>7}")
    for view, (right, predicted, found, gold, exact) in scores.items():
        p, r = right / max(predicted, 1), found / max(gold, 1)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{view:12} {p:6.3f} {r:6.3f} {f1:6.3f} {exact / max(gold, 1):8.3f} {gold:6d} {predicted:7d}")


if __name__ == "__main__":
    main()
