"""The Prefect batch flow: folders and URLs, bad papers, re-runs, kill -9 and resume, one batch per DB.

One temporary Prefect server serves the whole module (starting one takes 15-30 s here); the CLI
subprocesses reach it through PREFECT_API_URL instead of each starting their own.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import query  # tests/ is on sys.path (pytest's prepend import mode)

from flows.staging import stage_result
from flows.store import batch_lock
from schemas.errors import InputError
from schemas.result import PaperResult

REPO = Path(__file__).resolve().parent.parent
PROPMINE = [sys.executable, "-m", "flows"]


def run_batch(api: str, *args: str, wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_LOGGING_LEVEL": "WARNING"}
    command = [*PROPMINE, "batch", *args]
    if not wait:
        return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)


def write_papers(folder: Path, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"paper-{i:03d}.txt").write_text(
            f"Results\n\nThe band gap of ZnO film {i} is {2 + i / 100:.2f} eV, measured by UV-vis.\n", encoding="utf-8"
        )


def test_folder_batch_bad_papers_and_rerun(prefect_api: str, tmp_path: Path, samples) -> None:
    folder = tmp_path / "papers"
    write_papers(folder, 3)
    (folder / "not-a-pdf.pdf").write_bytes(b"<html>not a paper</html>")
    samples.make_encrypted(folder / "encrypted.pdf")
    db = tmp_path / "mined.duckdb"

    first = run_batch(prefect_api, str(folder), "--db", str(db), "--extractor", "rules")
    assert first.returncode == 0, first.stderr
    status = dict(query(db, "SELECT source, status FROM papers"))
    assert sorted(status.values()) == ["failed", "failed", "success", "success", "success"]
    errors = dict(query(db, "SELECT source, error FROM papers WHERE status = 'failed'"))
    assert "encrypted" in errors[str(folder / "encrypted.pdf")]
    assert query(db, "SELECT count(*) FROM records") == [(3,)]

    second = run_batch(prefect_api, str(folder), "--db", str(db), "--extractor", "rules")
    assert second.returncode == 0, second.stderr
    runs = query(db, "SELECT n_papers FROM runs ORDER BY started_at")
    assert runs == [(5,), (2,)]  # the re-run redid only the two failed papers
    assert query(db, "SELECT count(*) FROM records") == [(3,)]


def test_parse_only_batch_reads_plots_when_a_reader_is_named(
    prefect_api: str, tmp_path: Path, sample_pdf: Path
) -> None:
    """`batch --extractor none --figures digitizer` reads plots, as `extract` with the same flags does."""
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "sample.pdf").write_bytes(sample_pdf.read_bytes())
    db = tmp_path / "mined.duckdb"
    run = run_batch(prefect_api, str(folder), "--db", str(db), "--extractor", "none", "--figures", "digitizer")
    assert run.returncode == 0, run.stderr
    assert query(db, "SELECT count(*) FROM records") == [(0,)]
    assert query(db, "SELECT count(*) FROM figures WHERE status = 'read'")[0][0] >= 1


def test_kill_9_then_resume(prefect_api: str, tmp_path: Path) -> None:
    folder = tmp_path / "papers"
    write_papers(folder, 40)
    db = tmp_path / "mined.duckdb"
    staged = tmp_path / "mined.staging" / "results"
    args = [str(folder), "--db", str(db), "--extractor", "rules", "--merge-every", "1000"]

    proc = run_batch(prefect_api, *args, wait=False)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(staged.glob("*.json"))) < 3 and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before_kill = len(list(staged.glob("*.json")))
    assert 3 <= done_before_kill < 40, "the kill must land in the middle of the batch"

    again = run_batch(prefect_api, *args)
    assert again.returncode == 0, again.stderr
    assert query(db, "SELECT count(*), count(DISTINCT paper_id) FROM papers WHERE status = 'success'") == [(40, 40)]
    assert query(db, "SELECT count(*), count(DISTINCT record_id) FROM records") == [(40, 40)]
    [(redone,)] = query(db, "SELECT n_papers FROM runs WHERE finished_at IS NOT NULL")
    assert redone == 40 - done_before_kill  # what the killed run had finished was merged, not redone


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        pytest.param(signal.SIGINT, 130, "stopping after the paper in hand", id="ctrl-c"),
        pytest.param(signal.SIGTERM, 143, "terminated: stopping now", id="sigterm"),
    ],
)
def test_a_stop_keeps_what_is_finished(prefect_api: str, tmp_path: Path, signum: int, code: int, said: str) -> None:
    """Ctrl-C stops after the paper in hand; SIGTERM (a scheduler ending the job) at once; both write what is done."""
    folder = tmp_path / "papers"
    write_papers(folder, 40)
    db = tmp_path / "mined.duckdb"
    staged = tmp_path / "mined.staging" / "results"
    args = [str(folder), "--db", str(db), "--extractor", "rules", "--merge-every", "1000"]

    proc = run_batch(prefect_api, *args, wait=False)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(staged.glob("*.json"))) < 3 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert said in stderr and "run the same command again to resume" in stderr, stderr
    assert "Traceback" not in stderr
    [(written,)] = query(db, "SELECT count(*) FROM papers WHERE status = 'success'")
    assert 3 <= written < 40, "the stop must land in the middle of the batch"
    assert f"interrupted: {written} paper(s) written" in stderr
    assert not list(staged.glob("*.json"))  # everything finished was merged before the exit
    assert query(db, "SELECT n_papers FROM runs WHERE finished_at IS NOT NULL") == [(written,)]

    again = run_batch(prefect_api, *args)
    assert again.returncode == 0, again.stderr
    assert query(db, "SELECT count(*), count(DISTINCT paper_id) FROM papers WHERE status = 'success'") == [(40, 40)]
    assert query(db, "SELECT n_papers FROM runs ORDER BY started_at") == [(written,), (40 - written,)]


SLOW_PAPER = """
import sys
from extractors.pipeline import Pipeline

real = Pipeline.extract


def extract(self, path, source=None):
    n = 0
    while str(path).endswith("slow.txt"):  # a pathological paper: pure-Python work that never ends
        n = (n + sum(range(200))) % 7
    return real(self, path, source)


Pipeline.extract = extract
from flows.cli import main

sys.argv = ["propmine", "batch", *sys.argv[1:]]
main()
"""


def test_a_paper_past_its_time_budget_fails_and_the_batch_goes_on(prefect_api: str, tmp_path: Path) -> None:
    folder = tmp_path / "papers"
    write_papers(folder, 3)
    (folder / "slow.txt").write_text("Results\n\nThe band gap of CdS is 2.4 eV.\n", encoding="utf-8")
    db = tmp_path / "mined.duckdb"
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PREFECT_LOGGING_LEVEL": "WARNING"}
    args = [str(folder), "--db", str(db), "--extractor", "rules", "--paper-time-budget", "2"]
    proc = subprocess.run(
        [sys.executable, "-c", SLOW_PAPER, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    status = dict(query(db, "SELECT source, status FROM papers"))
    assert status.pop(str(folder / "slow.txt")) == "failed"
    assert sorted(status.values()) == ["success"] * 3
    [(error,)] = query(db, "SELECT error FROM papers WHERE status = 'failed'")
    assert error.startswith("time budget (2 s)"), error
    assert f"failed: {folder / 'slow.txt'}: time budget (2 s)" in " ".join(proc.stderr.split())


def test_a_second_batch_on_the_same_db_refuses(tmp_path: Path) -> None:
    db = tmp_path / "mined.duckdb"
    with batch_lock(db):
        proc = subprocess.run(
            [*PROPMINE, "batch", str(tmp_path), "--db", str(db), "--extractor", "rules"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "being mined by another propmine batch" in lines[0], proc.stderr


def test_staging_folder_full_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(InputError, match="no space left"):
        stage_result(PaperResult(source="x.pdf", status="failed"), tmp_path)
    assert list((tmp_path / "results").iterdir()) == []


class _Papers(BaseHTTPRequestHandler):
    """Serves /good.pdf, /missing.pdf (404), /html.pdf (HTML as a PDF) on 127.0.0.1."""

    pdf: bytes = b""

    def do_GET(self) -> None:
        if self.path == "/good.pdf":
            self._send(200, self.pdf, "application/pdf")
        elif self.path == "/html.pdf":
            self._send(200, b"<html><body>Access denied</body></html>", "application/pdf")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_url_batch_with_bad_urls(prefect_api: str, tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Results. The band gap of GaN is 3.4 eV, measured by photoluminescence.")
    _Papers.pdf = doc.tobytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Papers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# three papers\n{base}/good.pdf\n{base}/missing.pdf\n{base}/html.pdf\n", encoding="utf-8")
    db = tmp_path / "mined.duckdb"
    env_waits = {
        "PROPMINE_FETCH_MIN_INTERVAL_S": "0",
        "PROPMINE_FETCH_BACKOFF_S": "0",
        "PROPMINE_FETCH_MAX_RETRIES": "1",
    }
    os.environ.update(env_waits)
    try:
        proc = run_batch(prefect_api, f"urls:{urls}", "--db", str(db), "--extractor", "rules", "--allow-private-hosts")
    finally:
        for key in env_waits:
            os.environ.pop(key)
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    status = dict(query(db, "SELECT source, status FROM papers"))
    assert status == {f"{base}/good.pdf": "success", f"{base}/missing.pdf": "failed", f"{base}/html.pdf": "failed"}
    [(record,)] = query(db, "SELECT to_json(struct_pack(material, value, unit)) FROM records")
    assert json.loads(record) == {"material": "GaN", "value": 3.4, "unit": "eV"}
    errors = " ".join(e for (e,) in query(db, "SELECT error FROM papers WHERE status = 'failed'"))
    assert "404" in errors and "not a PDF" in errors


class _SlowLast(BaseHTTPRequestHandler):
    """Serves /paper-N.pdf at once, and /last.pdf only once `others` results were staged in `results`
    (or after `hold_s`, when they never are), noting when it was sent (time.time())."""

    pdfs: dict[str, bytes] = {}
    results: Path | None = None
    others = 0
    hold_s = 90.0
    last_sent_at: float | None = None

    def do_GET(self) -> None:
        body = self.pdfs.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if self.path == "/last.pdf":  # the batch must extract the others while this download is held
            seen: set[str] = set()  # merges remove staged files: count every name ever seen
            deadline = time.time() + self.hold_s
            while len(seen) < self.others and time.time() < deadline:
                seen |= {p.name for p in self.results.glob("*")} if self.results and self.results.is_dir() else set()
                time.sleep(0.05)
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/last.pdf":
            type(self).last_sent_at = time.time()

    def log_message(self, *args) -> None:
        pass


def test_papers_are_extracted_while_others_still_download(prefect_api: str, tmp_path: Path) -> None:
    """A pipeline, not phases: the papers that arrived are extracted while a slow download goes on."""
    import pymupdf

    def pdf(material: str) -> bytes:
        doc = pymupdf.open()
        doc.new_page().insert_text((72, 72), f"Results. The band gap of {material} is 3.4 eV, measured by UV-vis.")
        return doc.tobytes()

    materials = ["GaN", "ZnO", "TiO2", "CdS", "ZnS"]
    _SlowLast.pdfs = {"/last.pdf": pdf("SiC"), **{f"/paper-{i}.pdf": pdf(m) for i, m in enumerate(materials)}}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowLast)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(f"{base}{path}" for path in sorted(_SlowLast.pdfs)), encoding="utf-8")
    db = tmp_path / "mined.duckdb"
    _SlowLast.results, _SlowLast.others = tmp_path / "mined.staging" / "results", len(materials)
    os.environ["PROPMINE_FETCH_MIN_INTERVAL_S"] = "0"
    try:
        proc = run_batch(prefect_api, f"urls:{urls}", "--db", str(db), "--extractor", "rules", "--allow-private-hosts")
    finally:
        os.environ.pop("PROPMINE_FETCH_MIN_INTERVAL_S")
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    assert query(db, "SELECT count(*) FROM papers WHERE status = 'success'") == [(6,)]
    assert _SlowLast.last_sent_at is not None
    [(last_done,)] = query(db, "SELECT epoch(max(extracted_at)) FROM papers WHERE source NOT LIKE '%/last.pdf'")
    assert last_done < _SlowLast.last_sent_at  # listed first, the slow paper held none of the others up
    [(stages,)] = query(db, "SELECT stage_seconds FROM runs")
    seconds = json.loads(stages)
    assert seconds["fetch"] > 0 and seconds["wall"] > 0
    assert {"fetch_wait", "parse", "extract", "ground_score", "store"} <= set(seconds)


def test_prefect_yaml_deploys_the_batch_flow() -> None:
    import importlib

    import yaml
    from prefect import Flow
    from prefect.client.schemas.schedules import CronSchedule

    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = spec["deployments"]
    path, name = deployment["entrypoint"].split(":")
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert isinstance(flow, Flow) and flow.name == "mine-corpus"
    assert set(deployment["parameters"]) <= set(flow.parameters.properties)
    assert all(CronSchedule(cron=s["cron"], timezone=s["timezone"]) for s in deployment["schedules"])


def test_a_result_that_cannot_be_stored_does_not_stop_the_merge(tmp_path: Path) -> None:
    from extractors.pipeline import extract_paper
    from extractors.records.extractor import RuleExtractor
    from flows.store import merge_staged, open_db

    staging = tmp_path / "staging"
    (staging / "results").mkdir(parents=True)
    (staging / "results" / "damaged.json").write_text("{not json", encoding="utf-8")
    write_papers(tmp_path / "papers", 1)
    stage_result(extract_paper(tmp_path / "papers" / "paper-000.txt", RuleExtractor()), staging)
    with open_db(tmp_path / "mined.duckdb") as con:
        merged = merge_staged(con, staging, None)
        statuses = sorted(status for (status,) in con.execute("SELECT status FROM papers").fetchall())
    assert sorted(r.status for r in merged) == statuses == ["failed", "success"]
    assert (staging / "failed" / "damaged.json").is_file() and not list((staging / "results").iterdir())
