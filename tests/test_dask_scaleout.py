"""mine_corpus on a real 2-worker local Dask cluster (prefect-dask): every paper once, its value, which worker.

One temporary Prefect server serves the module; the flow runs in this process and the cluster's
workers are told the server's address (flows.dask_runner.dask_task_runner).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import query  # tests/ is on sys.path (pytest's prepend import mode)

from flows.mine_corpus import mine_corpus
from schemas.options import ExtractionOptions

N = 24


def write_papers(folder: Path, n: int) -> dict[str, float]:
    """n one-value papers; their band gaps by file."""
    folder.mkdir(parents=True, exist_ok=True)
    values = {}
    for i in range(n):
        path = folder / f"paper-{i:03d}.txt"
        values[str(path)] = round(2 + i / 100, 2)
        path.write_text(
            f"Results\n\nThe band gap of ZnO film {i} is {values[str(path)]:.2f} eV, measured by UV-vis.\n",
            encoding="utf-8",
        )
    return values


@pytest.mark.parametrize("extractor", [pytest.param("rules", id="rules"), pytest.param("none", id="none")])
def test_two_dask_workers_extract_every_paper_once(prefect_api: str, tmp_path: Path, extractor: str) -> None:
    values = write_papers(tmp_path / "papers", N)
    db = tmp_path / "mined.duckdb"
    options = ExtractionOptions.resolve(extractor=extractor)

    summary = mine_corpus(str(tmp_path / "papers"), str(db), options, workers=2, chunk_size=4, merge_every=8)

    assert (summary.extracted, summary.success, summary.failed) == (N, N, 0), summary.errors
    rows = query(db, "SELECT source, host, worker, extracted_at FROM papers")
    assert sorted(row[0] for row in rows) == sorted(values)  # every paper, once
    assert {row[1] for row in rows} == {socket.gethostname()}
    workers = {row[2] for row in rows}
    assert len(workers) == 2 and all(" pid " in w for w in workers), workers  # both worker processes worked
    assert all(row[3] is not None for row in rows)
    records = query(db, "SELECT source, value, unit FROM records")
    if extractor == "rules":
        assert sorted(records) == sorted((source, value, "eV") for source, value in values.items())
    else:
        assert records == []
        assert query(db, "SELECT count(DISTINCT paper_id) FROM passages") == [(N,)]

    if extractor == "rules":  # a re-run (here without Dask: the same extraction key) skips every paper
        again = mine_corpus(str(tmp_path / "papers"), str(db), options)
        assert (again.skipped, again.extracted) == (N, 0)
