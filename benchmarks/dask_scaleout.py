"""Scale-out figures for mine-corpus (issue 16): 1 against 2 Dask workers, Prefect's cost per paper with chunks,
and nothing lost or duplicated after a worker or a whole batch is killed mid-run.

    .venv/bin/python benchmarks/dask_scaleout.py [--papers 400] [--extractors none,rules] [--chunk-size 8]
        [--no-kill]

Every batch is its own process (as a user's `propmine batch`), on one temporary Prefect server
started here (PREFECT_API_URL when set). The corpus is generated (short text papers with band-gap
sentences; `make_corpus`). Figures:

- papers/hour end to end (the process's wall time: Prefect, the cluster's start, the workers'
  model loads, fetch, merge) and in the steady state (papers over the span of their extracted_at
  stamps in the database: what a long run approaches);
- Prefect's cost per paper: a worker's steady-state seconds per paper (span x workers / papers)
  minus the same papers' plain-loop seconds (the pipeline called in a loop, in this process);
- peak resident memory per Dask worker process and of the batch's own process;
- kill a Dask worker process mid-run (the Nanny starts another, Dask runs its chunk again), and
  SIGKILL one of two shared batches mid-run then run it again: every paper is in `papers` once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MATERIALS = ["ZnO", "GaN", "TiO2", "CdS", "ZnSe", "GaAs", "SnO2", "In2O3", "CdTe", "MoS2", "WSe2", "Cu2O", "NiO"]
FILLER = [
    "The samples were annealed in air and cooled slowly to room temperature.",
    "X-ray diffraction shows a single phase with no secondary reflections.",
    "Scanning electron micrographs reveal grains of a few hundred nanometres.",
    "The films were deposited on quartz substrates by radio-frequency sputtering.",
    "Raman spectra were recorded with a 532 nm laser at low power.",
    "The thickness was measured with a stylus profilometer.",
]


def make_corpus(folder: Path, n: int, seed: int = 16) -> None:
    """n short text papers, each with two band-gap sentences among filler (1-2 kB, like an abstract and results)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        a, b = rng.sample(MATERIALS, 2)
        lines = [f"Optical properties of {a} and {b} films, sample series {i}", "", "Abstract", ""]
        lines += [" ".join(rng.sample(FILLER, 3)), "", "Results", ""]
        lines.append(f"The band gap of {a} film {i} is {rng.uniform(1.0, 4.0):.2f} eV, measured by UV-vis.")
        lines.append(" ".join(rng.sample(FILLER, 2)))
        lines.append(f"For {b}, the optical band gap is {rng.uniform(1.0, 4.0):.2f} eV from the Tauc plot.")
        (folder / f"paper-{i:04d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ one batch (a child process)


def child(args: argparse.Namespace) -> None:
    from flows.mine_corpus import mine_corpus
    from schemas.options import ExtractionOptions

    summary = mine_corpus(
        args.source,
        args.db,
        ExtractionOptions.resolve(extractor=args.extractor),
        workers=args.workers,
        chunk_size=args.chunk_size,
        shared=args.shared,
        merge_every=50,
        paper_time_budget_s=60.0,
    )
    print("SUMMARY " + summary.model_dump_json(), flush=True)


# ------------------------------------------------------------------ the parent


class Run:
    """One batch process: its wall time, summary, and peak memory of it and of its Dask workers."""

    def __init__(self, api: str, source: Path, db: Path, extractor: str, workers: int, chunk: int, shared: bool):
        command = [sys.executable, __file__, "--child", str(source), str(db), extractor, str(workers), str(chunk)]
        command += ["--shared"] if shared else []
        env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_LOGGING_LEVEL": "ERROR"}
        self.workers, self.db = workers, db
        self.clock = time.perf_counter()
        self.proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.peak_main = 0
        self.peak_workers: dict[int, int] = {}
        self._watch = threading.Thread(target=self._sample, daemon=True)
        self._watch.start()

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        pids = []
        for kid in kids:
            try:
                if "spawn_main" in " ".join(kid.cmdline()):
                    pids.append(kid.pid)
            except psutil.Error:
                pass
        return pids

    def _sample(self) -> None:
        import psutil

        while self.proc.poll() is None:
            try:
                self.peak_main = max(self.peak_main, psutil.Process(self.proc.pid).memory_info().rss)
                for pid in self.worker_pids():
                    rss = psutil.Process(pid).memory_info().rss
                    self.peak_workers[pid] = max(self.peak_workers.get(pid, 0), rss)
            except psutil.Error:
                pass
            time.sleep(0.5)

    def finish(self, timeout: float = 900) -> dict:
        out, err = self.proc.communicate(timeout=timeout)
        self.seconds = time.perf_counter() - self.clock
        lines = [line for line in out.splitlines() if line.startswith("SUMMARY ")]
        if self.proc.returncode != 0 or not lines:
            raise SystemExit(f"batch failed ({self.proc.returncode}): {err[-3000:]}")
        self.summary = json.loads(lines[-1].removeprefix("SUMMARY "))
        return self.summary

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def query(db: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def steady_rate(db: Path, run_id: str | None = None) -> tuple[int, float]:
    """Papers extracted in the run and the span of their extracted_at stamps (seconds)."""
    where = f"WHERE run_id = '{run_id}'" if run_id else ""
    n, first, last = query(db, f"SELECT count(*), min(extracted_at), max(extracted_at) FROM papers {where}")[0]
    return n, (last - first).total_seconds() if n > 1 else 0.0


def plain_loop_seconds(folder: Path, extractor: str, sample: int = 60) -> float:
    """Seconds per paper of the pipeline called in a plain loop (model loaded and warmed up first)."""
    from flows.dask_runner import worker_pipeline
    from schemas.options import ExtractionOptions

    pipeline = worker_pipeline(ExtractionOptions.resolve(extractor=extractor))
    papers = sorted(folder.glob("*.txt"))[:sample]
    clock = time.perf_counter()
    for path in papers:
        pipeline.extract(path)
    return (time.perf_counter() - clock) / len(papers)


def wait_for_papers(run: Run, db: Path, staging: Path, at_least: int, timeout: float = 600) -> None:
    """Until at least this many results were staged or merged (the batch is in its extraction)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.proc.poll() is None:
        staged = len(list((staging / "results").glob("*.json"))) if (staging / "results").is_dir() else 0
        if staged + _merged(db) >= at_least:
            return
        time.sleep(0.2)
    raise SystemExit("the batch never got that far")


def _merged(db: Path) -> int:
    try:
        return query(db, "SELECT count(*) FROM papers")[0][0]
    except Exception:  # busy (the batch is merging) or not made yet
        return 0


def prefect_server() -> AbstractContextManager[object]:
    """The Prefect server the benchmark talks to: PREFECT_API_URL when set, else a temporary one for its duration."""
    if os.environ.get("PREFECT_API_URL"):
        return nullcontext()
    from prefect.testing.utilities import prefect_test_harness

    return prefect_test_harness(server_startup_timeout=120)


def check_once(db: Path, n: int) -> str:
    rows, distinct, ok = query(db, "SELECT count(*), count(DISTINCT paper_id), count(*) FILTER (status = 'success') FROM papers")[0]  # fmt: skip
    verdict = "OK" if rows == distinct == ok == n else "WRONG"
    return f"{verdict}: {rows} rows, {distinct} distinct papers, {ok} success, of {n}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=400)
    parser.add_argument("--extractors", default="none,rules")
    parser.add_argument("--chunk-size", type=int, default=8)
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--child", nargs=5, metavar=("SOURCE", "DB", "EXTRACTOR", "WORKERS", "CHUNK"))
    parser.add_argument("--shared", action="store_true")
    args = parser.parse_args()
    if args.child:
        source, db, extractor, workers, chunk = args.child
        child(
            argparse.Namespace(
                source=source,
                db=db,
                extractor=extractor,
                workers=int(workers),
                chunk_size=int(chunk),
                shared=args.shared,
            )
        )
        return
    api = os.environ.get("PREFECT_API_URL")
    with prefect_server(), tempfile.TemporaryDirectory(prefix="propmine-scaleout-") as tmp:
        if not api:
            from prefect.settings import PREFECT_API_URL

            api = PREFECT_API_URL.value()
        root = Path(tmp)
        corpus = root / "corpus"
        make_corpus(corpus, args.papers)
        print(f"corpus: {args.papers} generated text papers (~1.1 kB each); 2 cores; chunk size {args.chunk_size}")
        print(f"{'extractor':9} {'workers':>7} {'chunk':>5} {'wall s':>7} {'papers/h':>9} {'steady/h':>9} "
              f"{'loop s/p':>8} {'prefect s/p':>11} {'peak MB main/worker':>20}")  # fmt: skip
        for extractor in args.extractors.split(","):
            loop = plain_loop_seconds(corpus, extractor)
            for workers, chunk in ((1, 1), (2, args.chunk_size), (2, 1)):
                if workers == 2 and chunk == 1 and extractor != args.extractors.split(",")[0]:
                    continue  # chunk size 1 on Dask once is enough to show what chunks save
                db = root / f"{extractor}-{workers}-{chunk}.duckdb"
                run = Run(api, corpus, db, extractor, workers, chunk, shared=False)
                summary = run.finish()
                n, span = steady_rate(db)
                steady = 3600 * n / span if span else float("nan")
                per_paper = span * workers / n if n else float("nan")
                worker_mb = max(run.peak_workers.values(), default=0) / 2**20
                print(
                    f"{extractor:9} {workers:7d} {chunk if workers > 1 else '-':>5} {run.seconds:7.1f} "
                    f"{3600 * summary['extracted'] / run.seconds:9.0f} {steady:9.0f} {loop:8.3f} "
                    f"{per_paper - loop:11.3f} {run.peak_main / 2**20:9.0f} / {worker_mb:4.0f}   {check_once(db, args.papers)}"
                )
        if args.no_kill:
            return
        extractor = args.extractors.split(",")[-1]

        # A Dask worker process killed mid-run: its Nanny starts another, Dask runs the lost chunk again.
        db, staging = root / "kill-worker.duckdb", root / "kill-worker.staging"
        run = Run(api, corpus, db, extractor, 2, args.chunk_size, shared=False)
        wait_for_papers(run, db, staging, args.papers // 3)
        victims = run.worker_pids()
        os.kill(victims[0], signal.SIGKILL)
        summary = run.finish()
        print(
            f"\nkilled Dask worker pid {victims[0]} at 1/3: the batch went on ({summary['extracted']} extracted, "
            f"{len(summary['errors'])} errors, {run.seconds:.0f} s); {check_once(db, args.papers)}"
        )
        again = Run(api, corpus, db, extractor, 2, args.chunk_size, shared=False).finish()
        print(f"  rerun: skipped {again['skipped']}, extracted {again['extracted']}; {check_once(db, args.papers)}")

        # Two shared batches on one corpus and one database (as two Prefect workers of one pool would run them).
        db = root / "shared.duckdb"
        a = Run(api, corpus, db, extractor, 1, 1, shared=True)
        b = Run(api, corpus, db, extractor, 1, 1, shared=True)
        sa, sb = a.finish(), b.finish()
        print(
            f"\ntwo shared batches side by side: {sa['extracted']} + {sb['extracted']} extracted "
            f"(sum {sa['extracted'] + sb['extracted']}), {max(a.seconds, b.seconds):.0f} s; {check_once(db, args.papers)}"
        )

        # One of two shared batches SIGKILLed (its whole process group: a lost machine) at 1/3, then started again.
        db, staging = root / "shared-kill.duckdb", root / "shared-kill.staging"
        a = Run(api, corpus, db, extractor, 1, 1, shared=True)
        b = Run(api, corpus, db, extractor, 1, 1, shared=True)
        wait_for_papers(a, db, staging, args.papers // 3)
        a.kill()
        sb = b.finish()
        lost = args.papers - _merged(db)
        again = Run(api, corpus, db, extractor, 1, 1, shared=True).finish()
        print(
            f"one of two shared batches killed at 1/3: the other extracted {sb['extracted']}, {lost} left; "
            f"rerun extracted {again['extracted']}, skipped {again['skipped']}; {check_once(db, args.papers)}"
        )


if __name__ == "__main__":
    main()
