"""Batch figures on 2 cores: papers/hour parse-only and with the LLM, Prefect's overhead, a re-run's time.

    .venv/bin/python benchmarks/batch_speed.py [--pdfs DIR] [--llm N]

Each `propmine batch` is a fresh process, as a user runs it, so its time includes starting Prefect's
temporary server; an empty folder measures that fixed cost alone. Prefect's per-paper overhead is
what the flow takes beyond the fixed cost and a plain Python loop over the same papers.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.pipeline import extract_paper, make_extractor  # noqa: E402
from extractors.records.extractor import NoExtractor  # noqa: E402
from schemas.options import ExtractionOptions  # noqa: E402

REAL_PDFS = REPO.parent / "shared" / "corpus" / "real-pdfs" / "pdfs"


def batch_seconds(*args: str) -> float:
    clock = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "flows", "batch", *args], cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"batch failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfs", type=Path, default=REAL_PDFS)
    parser.add_argument("--llm", type=int, default=3, help="papers to run the LLM on (0: skip)")
    args = parser.parse_args()
    pdfs = sorted(args.pdfs.glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        folder, empty = Path(tmp) / "papers", Path(tmp) / "empty"
        folder.mkdir()
        empty.mkdir()
        for p in pdfs:
            shutil.copy(p, folder / p.name)

        clock = time.perf_counter()
        results = [extract_paper(p, NoExtractor()) for p in sorted(folder.glob("*.pdf"))]
        loop_s = time.perf_counter() - clock
        pages = sum(len(r.document.pages) for r in results if r.document)
        ok = sum(r.status != "failed" for r in results)
        print(f"papers: {len(pdfs)} real PDFs ({ok} parse, {pages} pages) from {args.pdfs}")
        print(f"plain loop, parse only:        {loop_s:7.2f} s  = {3600 * len(pdfs) / loop_s:8.0f} papers/hour")

        fixed_s = batch_seconds(str(empty), "--db", str(Path(tmp) / "empty.duckdb"), "--extractor", "none")
        flow_s = batch_seconds(str(folder), "--db", str(Path(tmp) / "a.duckdb"), "--extractor", "none")
        rerun_s = batch_seconds(str(folder), "--db", str(Path(tmp) / "a.duckdb"), "--extractor", "none")
        print(f"batch, empty folder:           {fixed_s:7.2f} s  (Prefect's temporary server and the flow itself)")
        print(
            f"batch, parse only:             {flow_s:7.2f} s  = {3600 * len(pdfs) / flow_s:8.0f} papers/hour with the fixed cost"
        )
        per_paper = (flow_s - fixed_s - loop_s) / len(pdfs)
        print(f"Prefect overhead per paper:    {per_paper:7.3f} s")
        print(f"re-run with nothing new:       {rerun_s:7.2f} s")

        if args.llm:
            extractor = make_extractor(ExtractionOptions.resolve(extractor="llm"))
            some = sorted(folder.glob("*.pdf"))[: args.llm]
            clock = time.perf_counter()
            done = [extract_paper(p, extractor) for p in some]
            llm_s = time.perf_counter() - clock
            candidates = sum(r.n_candidates for r in done)
            print(
                f"LLM extraction, {len(some)} papers:    {llm_s:7.2f} s  = {3600 * len(some) / llm_s:8.0f} papers/hour "
                f"({candidates} candidate passages, {sum(len(r.records) for r in done)} records; model load not counted)"
            )


if __name__ == "__main__":
    main()
