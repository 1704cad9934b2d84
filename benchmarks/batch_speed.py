"""Batch figures on 2 cores: papers/hour parse-only and with the LLM, Prefect's overhead, a re-run's time.

    .venv/bin/python benchmarks/batch_speed.py [--pdfs DIR] [--llm N]

Each `propmine batch` is a fresh process, as a user runs it, so its time includes starting Prefect's
temporary server; an empty folder measures that fixed cost alone. Prefect's per-paper overhead is
what the flow takes beyond the fixed cost and a plain Python loop over the same papers.

    .venv/bin/python benchmarks/batch_speed.py --overlap N [--delay-s S] [--repo DIR ...] [--extractor rules]

The fetch/extract overlap: N generated PDFs served from 127.0.0.1 with S seconds' delay before each download
(a slow publisher), mined as a urls: list by each checkout given with --repo (default: this one), all against
one temporary Prefect server, with an empty list's time as the fixed cost. Prints the wall time, papers/hour
beyond the fixed cost, and where the time went (the run's stage_seconds, where the checkout records it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from statistics import median

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


MATERIALS = ["GaN", "ZnO", "TiO2", "CdS", "ZnS", "SiC", "AlN", "InP", "GaAs", "CdTe", "ZnSe", "MgO"]


def make_pdfs(n: int) -> dict[str, bytes]:
    """n one-page papers, each with another band gap (so each has its own sha256 and record)."""
    import pymupdf

    pdfs = {}
    for i in range(n):
        doc = pymupdf.open()
        page = doc.new_page()
        material, value = MATERIALS[i % len(MATERIALS)], 1.0 + i / 100
        page.insert_text((72, 72), f"Paper {i}: optical properties of {material} films", fontsize=14)
        page.insert_text((72, 110), "Results")
        page.insert_text((72, 130), f"The band gap of {material} films is {value:.2f} eV, measured by UV-vis.")
        pdfs[f"/paper-{i:04d}.pdf"] = doc.tobytes()
    return pdfs


class _SlowPublisher(BaseHTTPRequestHandler):
    pdfs: dict[str, bytes] = {}
    delay_s = 0.5

    def do_GET(self) -> None:
        body = self.pdfs.get(self.path)
        if body is None:
            self.send_error(404)
            return
        time.sleep(self.delay_s)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _timed_batch(repo: Path, listing: Path, db: Path, extractor: str, env: dict[str, str]) -> tuple[float, float]:
    """One `propmine batch urls:LISTING` in the checkout `repo` (a fresh process, as a user runs it).

    Returns:
        The process's wall time, and the flow's own (the summary's `time` row: no interpreter start, no Prefect
        flow-run registration).
    """
    args = [f"urls:{listing}", "--db", str(db), "--extractor", extractor, "--allow-private-hosts", "-q"]
    clock = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "flows", "batch", *args], cwd=repo, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"batch in {repo} failed: {proc.stderr[-2000:]}")
    wall_s = time.perf_counter() - clock
    shown = re.search(r"time\s*\S\s*(?:(\d+)h)?(?:(\d+)m)?([\d.]+)?\s*s?\s*\S\s*$", proc.stderr, re.MULTILINE)
    if shown is None:
        raise SystemExit(f"no time in the batch summary: {proc.stderr[-500:]}")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in shown.groups())
    return wall_s, 3600 * hours + 60 * minutes + seconds


def overlap(n: int, delay_s: float, repos: list[Path], extractor: str, repeat: int = 3) -> None:
    """The fetch/extract overlap: see the module docstring."""
    import duckdb
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    _SlowPublisher.pdfs, _SlowPublisher.delay_s = make_pdfs(n), delay_s
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowPublisher)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{n} generated PDFs from {base}, {delay_s:g} s delay before each download, --extractor {extractor}")
    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=120):
        env = {
            **os.environ,
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PROPMINE_FETCH_MIN_INTERVAL_S": "0",  # the server's delay is the publisher's slowness
        }
        urls, empty = Path(tmp) / "urls.txt", Path(tmp) / "empty.txt"
        urls.write_text("\n".join(base + path for path in _SlowPublisher.pdfs) + "\n", encoding="utf-8")
        empty.write_text("# nothing\n", encoding="utf-8")
        runs: dict[Path, list[tuple[float, float, float]]] = {repo: [] for repo in repos}
        for k, repo in enumerate(repos):  # byte-compiles a fresh checkout: not counted
            _timed_batch(repo, empty, Path(tmp) / f"{k}-warm.duckdb", extractor, env)
        for attempt in range(repeat):  # the checkouts take turns, so a busy spell of the machine hits both
            for k, repo in enumerate(repos):
                fixed_s, _ = _timed_batch(repo, empty, Path(tmp) / f"{k}-{attempt}-empty.duckdb", extractor, env)
                wall_s, flow_s = _timed_batch(repo, urls, Path(tmp) / f"{k}-{attempt}-urls.duckdb", extractor, env)
                runs[repo].append((wall_s, fixed_s, flow_s))
        for k, repo in enumerate(repos):
            wall_s, fixed_s, flow_s = (median(values) for values in zip(*runs[repo], strict=True))
            con = duckdb.connect(str(Path(tmp) / f"{k}-0-urls.duckdb"), read_only=True)
            try:
                [(papers, records)] = con.execute(
                    "SELECT count(*), sum(n_records) FROM papers WHERE status = 'success'"
                ).fetchall()
                columns = {row[0] for row in con.execute("DESCRIBE runs").fetchall()}
                found = con.execute("SELECT stage_seconds FROM runs").fetchall() if "stage_seconds" in columns else []
            finally:
                con.close()
            rate = 3600 * n / max(wall_s - fixed_s, 1e-9)
            print(
                f"{repo}: median of {repeat}: {wall_s:6.1f} s wall ({fixed_s:.1f} s for an empty list, "
                f"{rate:.0f} papers/hour beyond it), flow's own time {flow_s:.1f} s; {papers} papers, {records} records"
            )
            each = "; ".join(f"{w:.1f}/{f:.1f}/{o:.1f}" for w, f, o in runs[repo])
            print(f"    each run (wall / empty list / flow's own, s): {each}")
            if found and found[0][0]:
                stages = json.loads(found[0][0])
                print("    stages (s, summed over papers):", ", ".join(f"{k} {v:g}" for k, v in stages.items() if v))
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfs", type=Path, default=REAL_PDFS)
    parser.add_argument("--llm", type=int, default=3, help="papers to run the LLM on (0: skip)")
    parser.add_argument("--overlap", type=int, default=0, help="the fetch/extract overlap over N generated PDFs")
    parser.add_argument("--delay-s", type=float, default=0.5, help="seconds the local server waits before a download")
    parser.add_argument("--repo", type=Path, action="append", help="a checkout to run (repeatable; default: this one)")
    parser.add_argument("--extractor", default="rules")
    parser.add_argument("--repeat", type=int, default=3, help="runs per checkout (the median is shown)")
    args = parser.parse_args()
    if args.overlap:
        overlap(args.overlap, args.delay_s, args.repo or [REPO], args.extractor, args.repeat)
        return
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
