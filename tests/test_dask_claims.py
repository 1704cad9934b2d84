"""Shared batches: claims keep two processes off the same paper, a killed batch's claims come free, a shared lock,
and the papers table says which host and worker extracted each paper (flows.claims, flows.store, flows.staging)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.claims import Claims, claims_dir
from flows.staging import Provenance, read_staged_with_provenance, stage_result
from flows.store import batch_lock, merge_staged, open_db
from schemas.errors import InputError
from schemas.result import PaperResult

REPO = Path(__file__).resolve().parent.parent
KEY = "rules|test"

# A batch in miniature: claim every paper it can, "extract" it (a short sleep), mark it done, print what it did.
# Both start claiming only when both are running (a batch started after another marked papers done decides
# from the database, by design, so a late start on a loaded machine would claim those papers again).
WORKER = f"""
import json, sys, time
from pathlib import Path
from flows.claims import Claims
staging, n, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
mine = []
with Claims(staging, {KEY!r}, ttl_s=30) as claims:
    (staging / (out.name + ".ready")).touch()
    deadline = time.time() + 50
    while len(list(staging.glob("*.ready"))) < 2 and time.time() < deadline:
        time.sleep(0.01)
    for i in range(n):
        sha = f"{{i:064x}}"
        if claims.claim(sha):
            time.sleep(0.002)
            mine.append(sha)
            claims.done(sha)
out.write_text(json.dumps(mine))
"""

# Claims a few papers, says so, then waits to be killed.
HOLDER = f"""
import sys, time
from pathlib import Path
from flows.claims import Claims
with Claims(Path(sys.argv[1]), {KEY!r}, ttl_s=30) as claims:
    for i in range(5):
        assert claims.claim(f"{{i:064x}}")
    print("claimed", flush=True)
    time.sleep(120)
"""


def sha(i: int) -> str:
    return f"{i:064x}"


def test_two_processes_split_the_papers_and_none_is_taken_twice(tmp_path: Path) -> None:
    n = 300
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path), str(n), str(out)], cwd=REPO) for out in outs
    ]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    a, b = (set(json.loads(out.read_text())) for out in outs)
    assert a | b == {sha(i) for i in range(n)}
    assert not a & b
    assert a and b, "both processes should have found work (they start together)"


def test_a_killed_batch_frees_its_claims_at_once_on_its_host(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        with Claims(tmp_path, KEY, ttl_s=30) as claims:
            assert not claims.claim(sha(0)), "a live batch's claim holds"
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            time.sleep(30 / 8 + 0.1)  # past the cached answer about that owner
            assert all(claims.claim(sha(i)) for i in range(5))
    finally:
        holder.kill()


def _foreign_owner(tmp_path: Path, age_s: float, sha_: str) -> None:
    """A claim held by a batch on another host, whose heartbeat is age_s old (as a killed one's would be)."""
    root = claims_dir(tmp_path, KEY)
    owner = "4242@elsewhere.example.abc123"
    (root / "owners").mkdir(parents=True, exist_ok=True)
    (root / "owners" / owner).write_text("{}", encoding="utf-8")
    stamp = time.time() - age_s
    os.utime(root / "owners" / owner, (stamp, stamp))
    (root / "papers" / sha_).mkdir(parents=True, exist_ok=True)
    (root / "papers" / sha_ / "0").write_text(json.dumps({"owner": owner, "state": "claimed"}), encoding="utf-8")


@pytest.mark.parametrize(
    ("age_s", "free"), [pytest.param(5.0, False, id="fresh-heartbeat-holds"), pytest.param(60.0, True, id="expired")]
)
def test_another_hosts_claim_holds_until_its_heartbeat_expires(tmp_path: Path, age_s: float, free: bool) -> None:
    _foreign_owner(tmp_path, age_s, sha(1))
    with Claims(tmp_path, KEY, ttl_s=20) as claims:
        assert claims.claim(sha(1)) is free
        if free:  # the takeover is a new generation: the old owner can see it lost the paper
            assert sorted(os.listdir(claims_dir(tmp_path, KEY) / "papers" / sha(1))) == ["1"]
            assert claims.holds(sha(1))


def test_done_papers_are_skipped_by_batches_running_beside_but_not_by_later_ones(tmp_path: Path) -> None:
    with Claims(tmp_path, KEY) as early:
        with Claims(tmp_path, KEY) as finisher:
            assert finisher.claim(sha(7))
            finisher.done(sha(7))
        assert not early.claim(sha(7)), "finished while `early` ran: not done twice"
    time.sleep(0.05)
    with Claims(tmp_path, KEY) as later:  # a later run decides from the database (a failed paper is retried)
        assert later.claim(sha(7))


def test_a_released_paper_is_free_at_once(tmp_path: Path) -> None:
    with Claims(tmp_path, KEY) as a, Claims(tmp_path, KEY) as b:
        assert a.claim(sha(3))
        assert not b.claim(sha(3))
        a.release(sha(3))
        assert b.claim(sha(3))


def test_shared_batches_share_the_lock_and_an_ordinary_batch_refuses(tmp_path: Path) -> None:
    db = tmp_path / "mined.duckdb"
    refused = pytest.raises(InputError, match="shared propmine batches.*pass --shared")
    with batch_lock(db, shared=True), batch_lock(db, shared=True), refused, batch_lock(db):
        pass
    refused = pytest.raises(InputError, match=f"another propmine batch \\(pid {os.getpid()}\\)")
    with batch_lock(db), refused, batch_lock(db, shared=True):
        pass


def test_merged_papers_say_which_host_and_worker_extracted_them(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    result = PaperResult(source="gone.pdf", status="failed", errors=["fetch: no such file"])
    stage_result(result, staging, Provenance(host="node-7", worker="3 pid 999", extracted_at=None))
    path = next((staging / "results").glob("*.json"))
    back, provenance = read_staged_with_provenance(path)
    assert back.source == "gone.pdf" and provenance.host == "node-7"
    legacy = PaperResult(source="old.pdf", status="failed", errors=["x"])  # staged by an older propmine
    (staging / "results" / "legacy.json").write_text(legacy.model_dump_json(), encoding="utf-8")
    db = tmp_path / "mined.duckdb"
    with open_db(db) as con:
        merge_staged(con, staging, None)
        rows = dict(
            (row[0], row[1:]) for row in con.execute("SELECT source, host, worker, extracted_at FROM papers").fetchall()
        )
    assert rows["gone.pdf"] == ("node-7", "3 pid 999", None)
    assert rows["old.pdf"] == (None, None, None)


def test_an_older_database_gets_the_provenance_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with open_db(db) as con:
        con.execute("INSERT INTO papers (paper_id, source, status) VALUES ('p1', 'a.pdf', 'success')")
        for column in ("host", "worker", "extracted_at"):
            con.execute(f"ALTER TABLE papers DROP COLUMN {column}")
    with open_db(db) as con:
        columns = {row[0] for row in con.execute("DESCRIBE papers").fetchall()}
        assert {"host", "worker", "extracted_at"} <= columns
        assert con.execute("SELECT source, host FROM papers").fetchall() == [("a.pdf", None)]
    raw = duckdb.connect(str(db), read_only=True)  # an older propmine's inserts name their columns: still fine
    raw.close()


def test_provenance_here_names_this_process() -> None:
    here = Provenance.here("worker-1")
    assert here.host == socket.gethostname()
    assert here.worker == f"worker-1 pid {os.getpid()}"
    assert here.extracted_at is not None
