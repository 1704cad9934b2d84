"""The storage layer under flows and labeling: the DuckDB opener, atomic file writes, the export guard."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from schemas.errors import ConfigError, InputError
from schemas.storage import (
    EXPORT_MANIFEST,
    DatabaseBusy,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    open_duckdb,
    prepare_export_dir,
)
from schemas.tables import MIGRATIONS, SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]


def make_version_1(db: Path) -> None:
    """A database as propmine wrote it at schema version 1: meta and papers without extraction_key, no labels."""
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute(
        "CREATE TABLE papers (paper_id VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, kind VARCHAR, title VARCHAR, "
        "doi VARCHAR, n_pages INTEGER, status VARCHAR NOT NULL, error VARCHAR, n_records INTEGER DEFAULT 0, "
        "n_rejected INTEGER DEFAULT 0, run_id VARCHAR, updated_at TIMESTAMP DEFAULT current_timestamp)"
    )
    con.execute("INSERT INTO papers (paper_id, source, status) VALUES ('p1', 'old.pdf', 'success')")
    con.close()


def raw(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def columns(db: Path, table: str) -> set[str]:
    return {r[0] for r in raw(db, f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'")}


# ---------------------------------------------------------------- the opener


def test_a_new_database_gets_its_folders_and_tables(tmp_path: Path) -> None:
    db = tmp_path / "runs" / "2024" / "mined.duckdb"
    with open_duckdb(db) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"meta", "papers", "records", "labels", "figures", "curves", "runs"} <= tables
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_an_old_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    make_version_1(db)
    with open_duckdb(db) as con:
        assert con.execute("SELECT paper_id, extraction_key FROM papers").fetchall() == [("p1", None)]
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert {"undoes", "via"} <= columns(db, "labels") and "axes" in columns(db, "figures")


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "old.duckdb"
    make_version_1(db)
    # The last step fails after the first steps ran: the transaction takes all of them back.
    monkeypatch.setitem(
        MIGRATIONS, SCHEMA_VERSION - 1, [*MIGRATIONS[SCHEMA_VERSION - 1], "SELECT * FROM no_such_table"]
    )
    with pytest.raises(InputError, match="the file is unchanged"), open_duckdb(db):
        pass
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    assert "extraction_key" not in columns(db, "papers") and not columns(db, "labels")


def test_threads_opening_an_old_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    make_version_1(db)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            with open_duckdb(db) as con:
                con.execute("SELECT count(*) FROM labels").fetchall()
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_a_newer_database_is_refused_in_both_modes(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    with open_duckdb(db) as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    for read_only in (False, True):
        with pytest.raises(ConfigError, match="newer than this propmine"), open_duckdb(db, read_only=read_only):
            pass


def test_read_only_reads_the_current_version_and_never_migrates(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    make_version_1(db)
    with pytest.raises(ConfigError, match="schema version 1.*migrates it"), open_duckdb(db, read_only=True):
        pass
    assert raw(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    with open_duckdb(db):  # a writer migrates it; then readers are welcome
        pass
    with open_duckdb(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone() == (1,)
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM papers")


def _folder(tmp: Path) -> Path:
    (tmp / "mined.duckdb").mkdir()
    return tmp / "mined.duckdb"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("x")
    return tmp / "notes.txt" / "mined.duckdb"


def _text_file(tmp: Path) -> Path:
    (tmp / "mined.duckdb").write_text("not a database " * 100)
    return tmp / "mined.duckdb"


def _foreign_database(tmp: Path) -> Path:
    con = duckdb.connect(str(tmp / "theirs.duckdb"))
    con.execute("CREATE TABLE samples (id INTEGER)")
    con.close()
    return tmp / "theirs.duckdb"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_folder, "is a folder; give a database file"),
        (_under_a_file, "notes.txt is a file, not a folder"),
        (_text_file, "not a DuckDB database file"),
        (_foreign_database, "not a propmine database"),
    ],
    ids=["a_folder", "a_path_under_a_file", "a_text_file", "another_programs_database"],
)
def test_a_path_that_is_no_propmine_database_is_one_clear_line(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    for read_only in (False, True):
        with pytest.raises(InputError, match=message) as caught, open_duckdb(path, read_only=read_only):
            pass
        assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_database_is_not_created_where_it_must_exist(tmp_path: Path) -> None:
    for kwargs in ({"read_only": True}, {"create": False}):
        with (
            pytest.raises(InputError, match="no such database; make one with"),
            open_duckdb(tmp_path / "x.duckdb", **kwargs),
        ):
            pass
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def read_only_file(tmp_path: Path) -> Iterator[Path]:
    """A database file this process may read but not write (chmod, or chattr +i where we run as root)."""
    db = tmp_path / "frozen.duckdb"
    with open_duckdb(db):
        pass
    if os.geteuid() != 0:
        db.chmod(0o444)
        yield db
        db.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("running as root, and chattr +i is not available: no file is read-only to root here")
    try:
        yield db
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)


def test_a_read_only_file_opened_for_writing_is_a_clear_error(read_only_file: Path) -> None:
    with pytest.raises(InputError, match="the database file is read-only") as caught, open_duckdb(read_only_file):
        pass
    assert str(read_only_file) in str(caught.value)
    with open_duckdb(read_only_file, read_only=True) as con:  # reading it is fine
        assert con.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator:
    """Start a second process that holds a database for some seconds; it is killed at the end of the test."""
    started: list[subprocess.Popen] = []

    def hold(db: Path, seconds: float) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(HOLDER), str(db), str(seconds)], stdout=subprocess.PIPE, text=True
        )
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    yield hold
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_database_held_briefly_by_another_process_is_waited_for(tmp_path: Path, holder) -> None:
    db = tmp_path / "busy.duckdb"
    with open_duckdb(db):
        pass
    proc = holder(db, 0.8)
    with open_duckdb(db, wait_s=30) as con:
        assert con.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "released"  # we got in after it let go


def test_a_database_held_too_long_is_one_line_naming_the_file(tmp_path: Path, holder) -> None:
    db = tmp_path / "busy.duckdb"
    with open_duckdb(db):
        pass
    proc = holder(db, 60)
    for read_only in (False, True):
        with pytest.raises(DatabaseBusy) as caught, open_duckdb(db, read_only=read_only, wait_s=0.3):
            pass
        message = str(caught.value)
        assert message.startswith(f"{db}: the database is in use by another process (pid {proc.pid})")
        assert "\n" not in message and "Traceback" not in message


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    target.write_text("old", encoding="utf-8")
    atomic_write_text(target, "new ✓")
    atomic_write_bytes(tmp_path / "blob.bin", b"\x00\x01")
    assert target.read_text(encoding="utf-8") == "new ✓" and (tmp_path / "blob.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blob.bin", "index.json"]


def test_a_killed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("the old results", encoding="utf-8")
    # The writer is killed (SIGKILL, nothing runs after it) once the new bytes are written, before the rename.
    code = textwrap.dedent(f"""
        import os, signal
        from schemas import storage
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
        storage.atomic_write_bytes({str(target)!r}, b"new results " * 100_000)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert target.read_text(encoding="utf-8") == "the old results"
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and leftovers[0].startswith(".results.json.")  # the half-written temp, never the target


def test_a_failed_writer_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "data.parquet"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["data.parquet"]


def test_atomic_write_replaces_a_link_instead_of_writing_through_it(tmp_path: Path) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "README.md"
    link.symlink_to(outside)
    atomic_write_text(link, "card")
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "card"


# ---------------------------------------------------------------- the export guard


def test_a_new_or_empty_folder_is_fine_and_nothing_is_written_yet(tmp_path: Path) -> None:
    export = prepare_export_dir(tmp_path / "new", kind="propmine-labels")
    assert export.root == (tmp_path / "new").resolve() and export.previous == ()
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    assert prepare_export_dir(tmp_path / "empty", kind="propmine-labels").previous == ()


def test_an_earlier_export_is_replaced_file_by_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = prepare_export_dir(out, kind="propmine-training-table")
    first.begin()
    for name in ("data.parquet", "README.md"):
        atomic_write_text(first.path(name), name)
    first.write_manifest(["data.parquet", "README.md"], format="parquet")
    assert json.loads((out / EXPORT_MANIFEST).read_text())["kind"] == "propmine-training-table"
    second = prepare_export_dir(out, kind="propmine-training-table")
    assert second.previous == ("data.parquet", "README.md")
    second.begin()
    assert sorted(p.name for p in out.iterdir()) == [EXPORT_MANIFEST]


def test_old_manifests_are_still_recognized(tmp_path: Path) -> None:
    table = tmp_path / "table"  # the training table's manifest before it said its kind
    table.mkdir()
    (table / "data.csv").write_text("a\n1\n")
    (table / EXPORT_MANIFEST).write_text(json.dumps({"files": ["data.csv"], "format": "csv"}))
    assert prepare_export_dir(table, kind="propmine-training-table").previous == ("data.csv",)
    with pytest.raises(InputError, match="an earlier propmine-training-table export, not a propmine-labels one"):
        prepare_export_dir(table, kind="propmine-labels", force=False)

    labels = tmp_path / "labels"  # `propmine label export --hf` under its old manifest name
    (labels / "data").mkdir(parents=True)
    (labels / "README.md").write_text("card")
    (labels / "propmine-export.json").write_text(json.dumps({"kind": "propmine-labels", "splits": {"train": 3}}))
    export = prepare_export_dir(labels, kind="propmine-labels", force=False)
    export.begin()
    export.write_manifest(["README.md"])
    assert sorted(p.name for p in labels.iterdir()) == [EXPORT_MANIFEST, "README.md", "data"]


def _foreign(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / "notes.txt").write_text("mine")


def _manifest_climbs_out(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / EXPORT_MANIFEST).write_text(json.dumps({"files": [f"../{outside.name}"]}))


def _listed_file_is_a_link(out: Path, outside: Path) -> None:
    (out / "data").mkdir(parents=True)
    (out / EXPORT_MANIFEST).write_text(json.dumps({"files": ["data/train.parquet"]}))
    (out / "data" / "train.parquet").symlink_to(outside)


def _manifest_is_a_link(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / EXPORT_MANIFEST).symlink_to(outside)


def _a_link_beside(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / EXPORT_MANIFEST).write_text(json.dumps({"files": []}))
    (out / "state.json").symlink_to(outside)


def _out_is_a_file(out: Path, outside: Path) -> None:
    out.write_text("x")


def _out_is_a_link(out: Path, outside: Path) -> None:
    out.symlink_to(outside.parent)


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (_foreign, "is not empty and not an earlier propmine export; choose a new or empty directory"),
        (_manifest_climbs_out, "outside the directory"),
        (_listed_file_is_a_link, "data/train.parquet is a link"),
        (_manifest_is_a_link, "is a link"),
        (_a_link_beside, "state.json is a symbolic link"),
        (_out_is_a_file, "is a file; give a directory"),
        (_out_is_a_link, "is a symbolic link; give a real directory"),
    ],
    ids=[
        "foreign_folder",
        "manifest_climbs_out",
        "listed_file_is_a_link",
        "manifest_is_a_link",
        "a_link_beside_the_files",
        "out_is_a_file",
        "out_is_a_link",
    ],
)
def test_the_guard_refuses_what_would_write_outside_or_over_foreign_files(
    tmp_path: Path, prepare, message: str
) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    prepare(out, outside)
    with pytest.raises(InputError, match=message) as caught:
        prepare_export_dir(out, kind="propmine-training-table")
    assert str(caught.value).startswith(f"--out {out}: ")
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_force_writes_beside_a_foreign_folder_and_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "mixed"
    _foreign(out, tmp_path)
    with pytest.raises(InputError, match="or pass --force"):
        prepare_export_dir(out, kind="propmine-labels", force=False)
    export = prepare_export_dir(out, kind="propmine-labels", force=True)
    export.begin()
    export.write_manifest([])
    assert (out / "notes.txt").read_text() == "mine" and (out / EXPORT_MANIFEST).is_file()
