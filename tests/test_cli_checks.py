"""`propmine extract`: inputs and --db are checked before the model loads; a write that fails at the end loses nothing.

Run in-process through flows.cli.main, with Pipeline.load replaced by a tripwire: an error that
comes after the model would have loaded fails the test.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli  # tests/ is on sys.path (pytest's prepend import mode)

import flows.extract_paper
from extractors.pipeline import Pipeline
from flows.store import open_db
from schemas.result import PaperResult
from schemas.storage import DatabaseWriteError


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def tripwire(cls: type, options: object) -> Pipeline:
        raise AssertionError("the model was loaded before the inputs were checked")

    monkeypatch.setattr(Pipeline, "load", classmethod(tripwire))


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.txt"
    path.write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis.\n", encoding="utf-8")
    return path


def _folder(tmp: Path) -> Path:
    (tmp / "out").mkdir()
    return tmp / "out"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("notes", encoding="utf-8")
    return tmp / "notes.txt" / "mined.duckdb"


def _sqlite_file(tmp: Path) -> Path:
    con = sqlite3.connect(tmp / "mined.db")
    con.execute("CREATE TABLE samples (id INTEGER)")
    con.commit()
    con.close()
    return tmp / "mined.db"


def _text_file(tmp: Path) -> Path:
    (tmp / "mined.duckdb").write_text("not a database " * 100, encoding="utf-8")
    return tmp / "mined.duckdb"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_folder, "is a folder; give a database file"),
        (_under_a_file, "notes.txt is a file, not a folder"),
        (_sqlite_file, "not a DuckDB database file (it is a SQLite database)"),
        (_text_file, "not a DuckDB database file"),
    ],
    ids=["a_folder", "a_path_under_a_file", "a_sqlite_file", "a_text_file"],
)
def test_a_bad_db_is_one_line_before_the_model_loads(
    tmp_path: Path, paper: Path, no_model: None, monkeypatch, capsys, make, message: str
) -> None:
    db = make(tmp_path)
    code, out, err = run_cli(monkeypatch, capsys, "extract", str(paper), "--db", str(db), "--extractor", "rules")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert out == ""


def test_a_missing_input_is_one_line_before_the_model_loads(tmp_path: Path, no_model: None, monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, "extract", str(tmp_path / "nosuch.pdf"), "--extractor", "rules")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and lines == [f"error: {tmp_path / 'nosuch.pdf'}: no such file"]


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def held_db(tmp_path: Path) -> Iterator[Path]:
    """A propmine database another process holds for the whole test."""
    db = tmp_path / "busy.duckdb"
    with open_db(db):
        pass
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield db
    proc.kill()
    proc.wait()


def test_a_db_held_by_another_process_is_one_line_before_the_model_loads(
    held_db: Path, paper: Path, no_model: None, monkeypatch, capsys
) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "extract", str(paper), "--db", str(held_db), "--extractor", "rules")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "in use by another process" in lines[0], err


def disk_full(db: Path, *args: object) -> str:
    """write_results on a full disk (the real failure is tested in test_store_faults.py)."""
    raise DatabaseWriteError(f"{db}: could not write paper 1, nothing of it was written: No space left on device")


def test_a_write_that_fails_at_the_end_keeps_the_results(tmp_path: Path, paper: Path, monkeypatch, capsys) -> None:
    db = tmp_path / "mined.duckdb"
    monkeypatch.setattr(flows.extract_paper, "write_results", disk_full)
    args = ["extract", str(paper), "--db", str(db), "--format", "jsonl", "--extractor", "rules"]
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2
    assert [json.loads(line)["value"] for line in out.splitlines()] == [3.37]  # the records are still printed
    [line] = [line for line in err.splitlines() if line.startswith("error:")]  # besides the progress lines
    kept = tmp_path / "mined.staging" / "results"
    assert "No space left on device" in line and f"kept in {kept}" in line, err
    [saved] = kept.glob("*.json")
    result = PaperResult.model_validate_json(saved.read_text(encoding="utf-8"))
    assert [(r.material, r.value) for r in result.records] == [("ZnO", 3.37)]


def test_kept_results_are_merged_by_the_next_batch_merge(tmp_path: Path, paper: Path, monkeypatch, capsys) -> None:
    """What the message promises: the staging folder beside the DB is what a batch on it merges first."""
    from flows.store import merge_staged

    db = tmp_path / "mined.duckdb"
    monkeypatch.setattr(flows.extract_paper, "write_results", disk_full)
    run_cli(monkeypatch, capsys, "extract", str(paper), "--db", str(db), "--extractor", "rules")
    with open_db(db) as con:
        merge_staged(con, tmp_path / "mined.staging", None)
        assert con.execute("SELECT material, value FROM records").fetchall() == [("ZnO", 3.37)]
