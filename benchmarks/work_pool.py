"""Two Prefect workers on one process work pool, one deployment run each over the same corpus (issue 16).

    .venv/bin/python benchmarks/work_pool.py [--papers 200] [--extractor rules]

On a temporary Prefect server (PREFECT_API_URL when set): a process work pool, the mine-corpus flow deployed
from this checkout, two `prefect worker start` processes, and two runs of the deployment with `shared=True`
over one generated corpus and one database. What it prints: each run's state and time, the papers each worker
(host:pid) extracted, and whether every paper is in `papers` exactly once. Both runs are created before the
workers start, so each worker picks up one and they mine side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from dask_scaleout import check_once, make_corpus, prefect_server, query  # noqa: E402

POOL = "propmine-bench"


async def _runs(source: str, db: str, extractor: str, n_runs: int) -> list[str]:
    """Create the pool, deploy the flow from this checkout, and start `n_runs` runs (not waiting for them)."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment

    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
    remote = await flow.from_source(source=str(REPO), entrypoint="flows/mine_corpus.py:mine_corpus")
    deployment_id = await remote.deploy(name="bench", work_pool_name=POOL, print_next_steps=False)
    parameters = {"source": source, "db": db, "shared": True, "options": {"extractor": extractor}}
    ids = []
    for _ in range(n_runs):
        run = await run_deployment(deployment_id, parameters=parameters, timeout=0)
        ids.append(str(run.id))
    return ids


async def _states(ids: list[str]) -> list[tuple[str, float | None]]:
    from prefect.client.orchestration import get_client

    out = []
    async with get_client() as client:
        for run_id in ids:
            run = await client.read_flow_run(run_id)
            out.append((run.state.type.value if run.state else "?", run.total_run_time.total_seconds()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--extractor", default="rules")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    with prefect_server(), tempfile.TemporaryDirectory(prefix="propmine-pool-") as tmp:
        from prefect.settings import PREFECT_API_URL

        api = PREFECT_API_URL.value()
        root = Path(tmp)
        corpus, db = root / "corpus", root / "mined.duckdb"
        make_corpus(corpus, args.papers)
        ids = asyncio.run(_runs(str(corpus), str(db), args.extractor, 2))
        env = {**os.environ, "PREFECT_API_URL": api, "PROPMINE_HOME": str(REPO)}
        clock = time.perf_counter()
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--limit", "1"],
                env=env,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            while time.perf_counter() - clock < args.timeout:
                states = asyncio.run(_states(ids))
                if all(state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for state, _ in states):
                    break
                time.sleep(2)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
        wall = time.perf_counter() - clock
        print(
            f"corpus: {args.papers} generated text papers; extractor {args.extractor}; pool {POOL} (process), 2 workers"
        )
        for run_id, (state, seconds) in zip(ids, states, strict=True):
            print(f"run {run_id[:8]}: {state}, {seconds:.1f} s")
        by_worker = (
            query(db, "SELECT host || ':' || worker, count(*) FROM papers GROUP BY 1 ORDER BY 1") if db.exists() else []
        )
        for who, n in by_worker:
            print(f"  extracted by {who}: {n}")
        print(
            f"wall {wall:.1f} s from the workers' start; "
            + (check_once(db, args.papers) if db.exists() else "no database")
        )


if __name__ == "__main__":
    main()
