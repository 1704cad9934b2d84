"""The DuckDB writer when the disk fails it: one line naming the real cause, nothing half-written, nothing lost.

A full disk is made real without root: the child process writing the database gets a file size
limit (RLIMIT_FSIZE, SIGXFSZ ignored), so DuckDB's write of its .wal file fails as on a full disk.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from extractors.pipeline import extract_paper
from extractors.records.extractor import RuleExtractor
from flows.staging import stage_result
from flows.store import open_db, write_paper
from schemas.storage import DatabaseWriteError, write_transaction

REPO = Path(__file__).resolve().parents[1]

TEXT = "Results\n\nThe band gap of anatase TiO2 films is {value} eV at 300 K.\n"


def make_paper(folder: Path, name: str, value: float, padding: int = 0) -> Path:
    """A text paper with one band gap; padding adds passages without records, to make the write large."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    filler = "".join(f"Paragraph {i} describes the sample holder in words only.\n\n" for i in range(padding))
    path.write_text(TEXT.format(value=value) + "\n" + filler, encoding="utf-8")
    return path


def values(db: Path) -> list[float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [v for (v,) in con.execute("SELECT value FROM records ORDER BY value").fetchall()]
    finally:
        con.close()


def run_limited(script: str, limit_bytes: int) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a child that may write no file beyond limit_bytes (a full disk, in effect)."""
    prelude = textwrap.dedent(
        f"""
        import resource, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        """
    )
    body = textwrap.dedent(script).replace(
        "LIMIT()", f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_bytes}, {limit_bytes}))"
    )
    return subprocess.run([sys.executable, "-c", prelude + body], capture_output=True, text=True, timeout=120)


class _CommitFails:
    """A connection whose COMMIT fails as DuckDB's does on a full disk: the transaction is gone afterwards."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def execute(self, sql: str, *args: object) -> _CommitFails:
        self.statements.append(sql)
        if sql == "COMMIT":
            raise duckdb.TransactionException(
                'TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device'
            )
        if sql == "ROLLBACK":
            raise duckdb.TransactionException("TransactionContext Error: cannot rollback - no transaction is active")
        return self


def test_a_failed_commit_names_its_cause_not_the_rollback() -> None:
    con = _CommitFails()
    with pytest.raises(DatabaseWriteError) as caught, write_transaction(con, "paper 1", "mined.duckdb"):  # type: ignore[arg-type]
        con.execute("INSERT INTO papers VALUES (1)")
    message = str(caught.value)
    assert message.startswith("mined.duckdb: could not write paper 1")
    assert "No space left on device" in message and "free some space" in message
    assert "no transaction is active" not in message and "\n" not in message
    assert con.statements[-2:] == ["COMMIT", "ROLLBACK"]


def test_a_bad_row_is_raised_as_itself_after_the_rollback(tmp_path: Path) -> None:
    with open_db(tmp_path / "p.duckdb") as con:
        with pytest.raises(duckdb.ConstraintException), write_transaction(con, "two papers"):
            con.execute("INSERT INTO papers (paper_id, source, status) VALUES ('a', 'a.txt', 'success')")
            con.execute("INSERT INTO papers (paper_id, source, status) VALUES ('a', 'b.txt', 'success')")
        assert con.execute("SELECT count(*) FROM papers").fetchone() == (0,)


def test_a_full_disk_during_write_paper_keeps_the_old_rows(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    with open_db(db) as con:
        write_paper(con, extract_paper(make_paper(tmp_path, "old.txt", 3.21), RuleExtractor()))
        con.execute("CHECKPOINT")
    big = make_paper(tmp_path, "big.txt", 1.5, padding=3000)
    child = run_limited(
        f"""
        from extractors.pipeline import extract_paper
        from extractors.records.extractor import RuleExtractor
        from flows.store import open_db, write_paper
        from schemas.errors import PropmineError
        result = extract_paper({str(big)!r}, RuleExtractor())
        with open_db({str(db)!r}) as con:
            LIMIT()
            try:
                write_paper(con, result)
            except PropmineError as err:
                print("ERROR", err)
        """,
        limit_bytes=64 * 1024,
    )
    assert child.returncode == 0, child.stderr
    [line] = child.stdout.splitlines()
    assert line.startswith(f"ERROR {db}: could not write paper") and "File too large" in line, line
    assert "Traceback" not in child.stderr and "no transaction is active" not in child.stdout
    assert values(db) == [3.21]  # the paper written before is whole; nothing of the failed one


def test_a_full_disk_during_the_merge_keeps_the_staged_results(tmp_path: Path) -> None:
    db = tmp_path / "mined.duckdb"
    staging = tmp_path / "mined.staging"
    with open_db(db) as con:
        con.execute("CHECKPOINT")
    for i, padding in enumerate((0, 3000)):
        stage_result(
            extract_paper(make_paper(tmp_path / "papers", f"p{i}.txt", 2.0 + i, padding), RuleExtractor()), staging
        )
    child = run_limited(
        f"""
        from pathlib import Path
        from flows.store import merge_staged, open_db
        from schemas.errors import PropmineError
        with open_db({str(db)!r}) as con:
            LIMIT()
            try:
                merge_staged(con, Path({str(staging)!r}), None)
            except PropmineError as err:
                print("ERROR", err)
        """,
        limit_bytes=64 * 1024,
    )
    assert child.returncode == 0, child.stderr
    [line] = child.stdout.splitlines()
    assert "could not write paper" in line and "kept in" in line and str(staging / "results") in line, line
    assert not (staging / "failed").exists()  # a full disk is not the paper's fault
    kept = len(list((staging / "results").glob("*.json")))
    assert kept >= 1
    with open_db(db) as con:  # with room again, the next merge writes what was kept
        from flows.store import merge_staged

        merge_staged(con, staging, None)
    assert values(db) == [2.0, 3.0] and not list((staging / "results").glob("*.json"))
