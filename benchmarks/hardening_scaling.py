"""Work that used to grow with the square of the input: credibility per paper, clustering a page's drawings.

    .venv/bin/python benchmarks/hardening_scaling.py [--before]

1. Credibility of a generated paper with 70, 140 and 280 records (the text grows with the records, as a
   real paper's does): `score_paper`, which reads the Methods section and the paper once, and with
   --before the per-record reading it replaced (each record scanning the whole paper, as before).
2. Clustering 4,000 and 16,000 small rectangles (`_cluster`): spread out (every one its own cluster,
   the case that was quadratic), a heat map (one cluster) and a scatter plot's markers; with --before
   the pairwise merge it replaced (16,000 spread-out rectangles take it about half a minute).
3. Parsing a generated PDF page holding 16,000 such rectangles under a "Fig. 1" caption (parse_document).

Times are wall-clock seconds on whatever machine runs it; the ratio between sizes is the point.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.documents.papers import open_paper, parse_document  # noqa: E402
from extractors.documents.pdf_geometry import _cluster  # noqa: E402
from extractors.pipeline import extract_paper  # noqa: E402
from extractors.records.credibility import method_context, methods_text, paragraph_at, score_paper  # noqa: E402
from extractors.records.extractor import RuleExtractor  # noqa: E402
from schemas.result import PaperResult  # noqa: E402

MATERIALS = ["ZnO", "GaN", "TiO2", "CdS", "GaAs", "InP", "ZnSe", "CdTe", "SnO2", "AlN"]
FILLER = (
    "The samples were annealed and characterised before the optical measurements, and the spectra were fitted "
    "with the usual models; the thickness of each layer was checked by profilometry and by ellipsometry. "
)


def paper_text(records: int) -> str:
    """A paper with a Methods section and one band gap per paragraph, each paragraph about 1 KB."""
    parts = [
        "Methods\n\nOptical absorption spectra were recorded with a UV-vis spectrometer. "
        "DFT calculations used the PBE functional.\n"
    ]
    parts.append("Results\n")
    for i in range(records):
        material = MATERIALS[i % len(MATERIALS)]
        parts.append(f"The band gap of {material} is {1 + i / 100:.2f} eV. " + FILLER * 3)
    return "\n\n".join(parts) + "\n"


def score_per_record(result: PaperResult) -> None:
    """The scoring before: every record reads the Methods section and the whole paper again."""
    doc = result.document
    methods, paper = methods_text(doc), doc.text if doc else ""
    passages = sorted(result.passages, key=lambda p: p.char_start)
    for record in result.records:
        at = record.spans.value[0]
        passage = next(
            (p for p in passages if p.char_start <= at < p.char_end and p.origin == record.evidence.origin), None
        )
        method_context(record, passage, methods, paper, paragraph_at(doc, at))


def timed(run: Callable[[], object]) -> float:
    clock = time.perf_counter()
    run()
    return time.perf_counter() - clock


def credibility(before: bool, folder: Path) -> None:
    print("credibility (score_paper) by records per paper:")
    for target in (70, 140, 280):
        path = folder / f"paper_{target}.txt"
        path.write_text(paper_text(target), encoding="utf-8")
        result = extract_paper(path, RuleExtractor())
        line = f"  {len(result.records):4d} records, {len(result.document.text) / 1e3:4.0f} KB: "  # type: ignore[union-attr]
        line += f"once per paper {timed(lambda r=result: score_paper(r)):6.2f} s"
        if before:
            line += f"   per record (before) {timed(lambda r=result: score_per_record(r)):6.2f} s"
        print(line, flush=True)


def pairwise_cluster(boxes: list[tuple], gap: float = 12.0) -> list[tuple]:
    """The clustering before: each box against every cluster so far."""
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


def spread(n: int) -> list[tuple]:
    """Rectangles 2 pt square, 15 pt apart on a grid: none within 12 pt of another."""
    side = math.isqrt(n - 1) + 1
    return [(15.0 * i, 15.0 * j, 15.0 * i + 2, 15.0 * j + 2) for i in range(side) for j in range(side)][:n]


def heat_map(n: int) -> list[tuple]:
    side = math.isqrt(n - 1) + 1
    return [(5.0 * i, 5.0 * j, 5.0 * i + 5, 5.0 * j + 5) for i in range(side) for j in range(side)][:n]


def scatter(n: int) -> list[tuple]:
    rng = random.Random(0)
    out = []
    for i in range(n):
        x = 50 + 500 * i / n
        y = 80 + 600 * math.exp(-3 * i / n) + rng.gauss(0, 20)
        out.append((x, y, x + 2, y + 2))
    return out


def clustering(before: bool) -> None:
    print("clustering drawings (_cluster):")
    for name, make in (("spread out", spread), ("heat map", heat_map), ("scatter", scatter)):
        for n in (4000, 16000):
            boxes = make(n)
            clock = time.perf_counter()
            found = _cluster(boxes)
            line = f"  {name:10s} {n:5d} rectangles: grid {time.perf_counter() - clock:6.2f} s"
            if before:
                line += f"   pairwise (before) {timed(lambda b=boxes: pairwise_cluster(b)):6.2f} s"
            print(f"{line}   ({len(found)} clusters)", flush=True)


def parse_page_of_rectangles(folder: Path, before: bool, n: int = 16000) -> None:
    import pymupdf

    path = folder / "rectangles.pdf"
    pdf = pymupdf.open()
    page = pdf.new_page(width=2500, height=2500)
    shape = page.new_shape()
    for x0, y0, x1, y1 in spread(n):
        shape.draw_rect(pymupdf.Rect(50 + x0, 50 + y0, 50 + x1, 50 + y1))
        shape.finish(color=(0, 0, 0), fill=(0.2, 0.2, 0.8))  # one drawing per rectangle
    shape.commit()
    page.insert_text((50, 2450), "Fig. 1. Sixteen thousand markers of the band gap of ZnO.", fontsize=11)
    page.insert_text((50, 2480), "The band gap of ZnO is 3.3 eV at 300 K, measured by UV-vis.", fontsize=11)
    pdf.save(path)
    line = f"parse_document of a page of {n} rectangles under a figure caption: {timed(lambda: parse_document(open_paper(path))):.2f} s"
    if before:
        from extractors.documents import pdf as pdf_module

        grid = pdf_module._cluster
        pdf_module._cluster = pairwise_cluster  # the parser as it was, for this measurement only
        try:
            line += f"   with the pairwise merge (before) {timed(lambda: parse_document(open_paper(path))):.2f} s"
        finally:
            pdf_module._cluster = grid
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", action="store_true", help="also time the code paths these replaced")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        credibility(args.before, Path(tmp))
        clustering(args.before)
        parse_page_of_rectangles(Path(tmp), args.before)
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
