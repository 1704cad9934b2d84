"""PDF parsing speed and memory: pages per second on the sample paper and the corpus's real PDFs.

.venv/bin/python benchmarks/parse_speed.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.documents.papers import open_paper, parse_document  # noqa: E402
from schemas.errors import InputError  # noqa: E402

REAL_PDFS = REPO.parent / "shared" / "corpus" / "real-pdfs" / "pdfs"


def timed(paths: list[Path]) -> tuple[int, int, float, list[str]]:
    pages = chars = 0
    errors = []
    clock = time.perf_counter()
    for path in paths:
        try:
            doc = parse_document(open_paper(path))
        except InputError as err:
            errors.append(str(err))
            continue
        pages += len(doc.pages)
        chars += len(doc.text)
    return pages, chars, time.perf_counter() - clock, errors


def main() -> None:
    sys.path.insert(0, str(REPO / "data"))
    import make_samples

    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample_paper.pdf"
        make_samples.make_sample_paper(sample)
        pages, _, seconds, _ = timed([sample] * 20)
        print(f"sample paper x20: {pages} pages in {seconds:.2f} s = {pages / seconds:.1f} pages/s")
    pdfs = sorted(REAL_PDFS.glob("*.pdf"))
    if pdfs:
        pages, chars, seconds, errors = timed(pdfs)
        print(
            f"real PDFs: {len(pdfs)} files, {pages} pages, {chars / 1e6:.2f} M characters in {seconds:.1f} s "
            f"= {pages / seconds:.1f} pages/s; refused with a reason: {len(errors)}"
        )
        for e in errors:
            print(f"  {e}")
    else:
        print(f"real PDFs: none at {REAL_PDFS}")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
