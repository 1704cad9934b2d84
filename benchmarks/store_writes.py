"""Time and peak memory of writing one paper into DuckDB (flows.store.write_paper), by number of passages.

    .venv/bin/python benchmarks/store_writes.py [--passages 1000 5000 10000] [--records-per 10]

Each size runs in a fresh process, so its peak RSS is its own: a generated paper of N passages
(about 400 characters each, as a long PDF gives) and N / records-per records (copies of a record the
rule extractor finds) is written into a new database, then written again (the rewrite deletes the
old rows first, as a re-run does). Printed: seconds of each write, the process's peak RSS and how
far the writes raised it above the RSS before them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one(n_passages: int, records_per: int) -> dict[str, float]:
    """Write a generated paper of n_passages twice; seconds and memory."""
    from extractors.pipeline import extract_paper
    from extractors.records.extractor import RuleExtractor
    from flows.store import open_db, write_paper
    from schemas.passage import Passage

    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "seed.txt"
        text.write_text("Results\n\nThe band gap of anatase TiO2 films is 3.21 eV at 300 K.\n", encoding="utf-8")
        result = extract_paper(text, RuleExtractor())
        assert result.records and result.paper
        paper_id = result.paper.paper_id
        sentence = "The band gap of anatase TiO2 films is 3.21 eV at 300 K, measured by UV-vis absorption. " * 5
        result.passages = [
            Passage(
                passage_id=f"{paper_id}:{i * 500}:{i * 500 + len(sentence)}",
                paper_id=paper_id,
                text=sentence,
                context="Results",
                char_start=i * 500,
                char_end=i * 500 + len(sentence),
                page=1 + i // 20,
                section="results",
            )
            for i in range(n_passages)
        ]
        seed = result.records[0]
        result.records = [
            seed.model_copy(update={"record_id": f"{seed.record_id}-{i}"}) for i in range(n_passages // records_per)
        ]
        before = _rss_mb()
        times = []
        for _ in range(2):
            clock = time.perf_counter()
            with open_db(Path(tmp) / "bench.duckdb") as con:
                write_paper(con, result)
            times.append(time.perf_counter() - clock)
        with open_db(Path(tmp) / "bench.duckdb") as con:
            counts = con.execute("SELECT (SELECT count(*) FROM passages), (SELECT count(*) FROM records)").fetchone()
        assert counts == (n_passages, len(result.records)), counts
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first_s": times[0], "rewrite_s": times[1], "peak_mb": peak, "above_start_mb": peak - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--records-per", type=int, default=10, help="one record per this many passages")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process for one size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.records_per)))
        return
    print(f"{'passages':>9} {'records':>8} {'write s':>8} {'rewrite s':>10} {'peak RSS MB':>12} {'above start MB':>15}")
    for n in args.passages:
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--records-per", str(args.records_per)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(child.stdout.splitlines()[-1])
        print(
            f"{n:>9} {n // args.records_per:>8} {got['first_s']:>8.2f} {got['rewrite_s']:>10.2f} "
            f"{got['peak_mb']:>12.0f} {got['above_start_mb']:>15.0f}"
        )


if __name__ == "__main__":
    main()
