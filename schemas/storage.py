"""The one storage layer under flows and labeling: the DuckDB opener, atomic file writes, the export guard.

DuckDB lets one process hold a database file at a time (a reader too, across processes), so the
opener waits a little for a file another process holds (a labeling server holds it for one request)
before it gives up with one line naming the file. Opening for writing brings an older file up to
SCHEMA_VERSION inside one transaction: a failing statement or a crash leaves the file as it was.
A file that is not DuckDB's (by its header) is refused before DuckDB reads it, and DuckDB never
installs or loads an extension on its own (a SQLite file would make it download one).

Writes go through `write_transaction`, which undoes a failed transaction without letting the
rollback hide the cause: a full disk is one line naming the file and the cause.

Files are written through a temporary file in the same folder, flushed to disk and renamed over the
target, so a reader, a crash or a kill sees the old file or the new one, never half of it.

An export writes only into a folder that is new, empty, or holds an earlier propmine export of the
same kind; its manifest lists the files it wrote, which the next export replaces. Links are never
written through.

duckdb is imported inside the opener, so that code which only writes files does not load it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from schemas.errors import ConfigError, InputError
from schemas.tables import DDL, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    import duckdb

# Long enough to outlast a labeling request or a merge of a few papers, short enough for a person to wait.
LOCK_WAIT_S = 5.0

# Migrations of one process run one at a time: the threads of a labeling server open the file at once.
_SCHEMA_LOCK = threading.Lock()


class DatabaseBusy(InputError):
    """Another process holds the database file."""


class DatabaseWriteError(InputError):
    """The database file could not take a write (a full disk, a file size limit, an I/O error); nothing was written."""


# ---------------------------------------------------------------- the DuckDB opener


@contextmanager
def open_duckdb(
    path: str | Path, *, read_only: bool = False, create: bool = True, wait_s: float = LOCK_WAIT_S
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open a propmine DuckDB file, creating it (and its folder) if needed and migrating an older schema.

    Args:
        path: the database file.
        read_only: open for reading only: the file must exist and be of this propmine's schema version.
        create: make a new database when there is none (ignored when read_only).
        wait_s: how long to retry while another process holds the file.

    Raises:
        InputError: the path is a folder or lies under a file, the file is missing (read_only or not
            create), read-only or its folder not writable (opened for writing), not a propmine database,
            or its migration failed (the file is left unchanged).
        DatabaseBusy: another process kept the file for longer than wait_s.
        ConfigError: the file was written by a newer propmine, or (read_only) by an older one.
    """
    path = Path(path)
    _check_db_path(path, write=not read_only, create=create and not read_only)
    con = _connect(path, read_only, wait_s)
    try:
        if read_only:
            _check_version(con, path)
        else:
            _create_or_migrate(con, path)
        yield con
    finally:
        con.close()


def _check_db_path(path: Path, *, write: bool, create: bool) -> None:
    """The cheap checks before DuckDB is asked: what the path is, and whether it may be written."""
    for parent in path.parents:  # the nearest existing one decides
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{path}: {parent} is a file, not a folder; give a database path inside a folder")
            break
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a database file such as {path / 'mined.duckdb'}")
    if not path.exists():
        if not create:
            raise InputError(
                f"{path}: no such database; make one with `propmine extract FILE --db {path}` or `propmine batch`"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InputError(f"{path}: cannot create its folder: {err.strerror or err}") from err
    if path.is_file():
        _check_header(path)
    if not write:
        return
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{path}: the database file is read-only; make it writable or work on a copy")
    if not os.access(path.parent, os.W_OK):
        raise InputError(
            f"{path}: its folder {path.parent} is not writable (DuckDB keeps a .wal file beside the database)"
        )


def _check_header(path: Path) -> None:
    """Refuse a file that is not DuckDB's before DuckDB reads it: it would take a SQLite file for an attached
    database and fetch its SQLite extension from the network."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as err:
        raise InputError(f"{path}: cannot read the database file: {err.strerror or err}") from err
    if not head:
        return  # an empty file: DuckDB refuses it with its own message
    if head[8:12] != _DUCKDB_MAGIC:
        what = " (it is a SQLite database)" if head.startswith(b"SQLite format 3\x00") else ""
        raise InputError(f"{path}: not a DuckDB database file{what}; give another --db")


# DuckDB's main header: a checksum (8 bytes), then these four. No extension is installed or loaded on
# its own: the ones propmine uses (json, parquet) are built in, and nothing is downloaded.
_DUCKDB_MAGIC = b"DUCK"
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def _connect(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    import duckdb

    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
        except duckdb.IOException as err:
            message = str(err)
            # Only another holder is worth waiting for; "Could not set lock" alone can also mean a read-only disk.
            if not any(s in message.lower() for s in ("conflicting lock", "resource temporarily unavailable")):
                raise _open_error(path, message) from err
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", message)
                raise DatabaseBusy(
                    f"{path}: the database is in use by another process{f' (pid {holder[1]})' if holder else ''}; "
                    "try again when it has finished (a batch run, an export, a labeling server?)"
                ) from err
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)
        except duckdb.Error as err:
            raise _open_error(path, str(err)) from err


def _open_error(path: Path, message: str) -> InputError:
    if "not a valid DuckDB database" in message:
        return InputError(f"{path}: not a DuckDB database file; give another --db")
    reason = message.splitlines()[0].removeprefix("IO Error: ") if message else "unknown error"
    return InputError(f"{path}: cannot open the database: {reason}")


def _schema_version(con: duckdb.DuckDBPyConnection, path: Path) -> int | None:
    """The file's schema version; None for a file without propmine's tables yet (a new one).

    Raises:
        InputError: the file holds other tables but not propmine's, or a version that is not a number.
    """
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "meta" not in tables:
        if tables:
            raise InputError(f"{path}: not a propmine database (it has tables but no meta table); give another --db")
        return None
    found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if found is None:
        return None
    try:
        return int(found[0])
    except ValueError as err:
        raise InputError(f"{path}: not a propmine database (schema version {found[0]!r})") from err


def _refuse_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schema version {version} is newer than this propmine's ({SCHEMA_VERSION}); upgrade propmine"
        )


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A file opened read-only cannot be migrated: it must be of this version already."""
    tables = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()
    if not tables or not tables[0]:
        raise InputError(f"{path}: not a propmine database (no meta table); give another --db")
    version = _schema_version(con, path)
    if version is None:
        return
    _refuse_newer(version, path)
    if version < SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schema version {version}, this propmine reads {SCHEMA_VERSION}; a command that writes the "
            "database migrates it (propmine batch, propmine extract --db, propmine label serve)"
        )


# Nullable columns added without a new schema version: an older propmine names the columns it inserts and
# never reads these, so a file that has them stays usable by it, and a file without them gets them on the next
# open for writing (in the migration's transaction). Who extracted a paper, where and when, and what its source said
# about it (flows.store.write_paper); where a batch's time went, stage by stage (flows.store.finish_run).
ADDED_COLUMNS: dict[str, tuple[str, ...]] = {
    "papers": (
        "host VARCHAR",
        "worker VARCHAR",
        "extracted_at TIMESTAMP",
        "authors VARCHAR[]",
        "year INTEGER",
        "venue VARCHAR",
        "arxiv_id VARCHAR",
        "licence VARCHAR",
        "landing_url VARCHAR",
        "metadata_from VARCHAR",
    ),
    "runs": ("stage_seconds JSON",),
}


def _missing_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """ALTER statements for the ADDED_COLUMNS a file lacks."""
    missing = []
    for table, columns in ADDED_COLUMNS.items():
        found = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        }
        missing += [
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}"
            for column in columns
            if column.split()[0] not in found
        ]
    return missing


def _create_or_migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Create the tables, or bring an older propmine database up to SCHEMA_VERSION, in one transaction."""
    import duckdb

    with _SCHEMA_LOCK:
        version = _schema_version(con, path)
        added = _missing_columns(con) if version == SCHEMA_VERSION else []
        if version == SCHEMA_VERSION and not added:
            return
        if version is not None:
            _refuse_newer(version, path)
        step = f"from schema version {version} to {SCHEMA_VERSION}" if version else "its tables"
        if version == SCHEMA_VERSION:
            step = "adding the columns " + ", ".join(statement.split()[-2] for statement in added)
        try:
            with write_transaction(con, f"the migration {step}", path):
                for start in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
                    for statement in MIGRATIONS.get(start, []):
                        con.execute(statement)
                con.execute(DDL)
                for statement in _missing_columns(con):
                    con.execute(statement)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        except DatabaseWriteError:
            raise
        except duckdb.Error as err:
            raise InputError(f"{path}: could not migrate the database {step} ({err}); the file is unchanged") from err


# ---------------------------------------------------------------- transactions

# Messages of a database that cannot take writes at all (not of one bad row): no point trying the next paper.
_STORAGE_FAULTS = ("could not write", "could not read", "no space left", "file too large", "disk quota", "invalidated")


@contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection, what: str, path: str | Path | None = None) -> Iterator[None]:
    """BEGIN ... COMMIT around the block; on any failure the transaction is undone and the real cause raised.

    DuckDB ends a transaction whose COMMIT failed (a full disk while writing the .wal file), so a
    ROLLBACK after it raises "no transaction is active" and would hide why the write failed: the
    rollback here never raises over the error that made it necessary.

    Args:
        con: an open connection, with no transaction in progress.
        what: what is written, for the message ("paper 3f2a...").
        path: the database file, for the message (default: asked of the connection).

    Raises:
        DatabaseWriteError: the COMMIT failed, or a statement failed because the file cannot be
            written or read (disk full, file size limit, I/O error); one line naming the cause.
        Exception: whatever else the block raised (a bad row), unchanged, after the rollback.
    """
    import duckdb

    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except duckdb.Error as err:
        _rollback(con)
        if isinstance(err, (duckdb.IOException, duckdb.FatalException)) or _is_storage_fault(str(err)):
            raise DatabaseWriteError(_write_failure(con, path, what, err)) from err
        raise
    except BaseException:
        _rollback(con)
        raise
    try:
        con.execute("COMMIT")
    except duckdb.Error as err:
        _rollback(con)
        raise DatabaseWriteError(_write_failure(con, path, what, err)) from err


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb

    with suppress(duckdb.Error):  # "no transaction is active" after a failed COMMIT; the caller raises the cause
        con.execute("ROLLBACK")


def _is_storage_fault(message: str) -> bool:
    return any(s in message.lower() for s in _STORAGE_FAULTS)


def _write_failure(con: duckdb.DuckDBPyConnection, path: str | Path | None, what: str, err: Exception) -> str:
    """One line: which file, what was being written, the real cause, and what to do."""
    if path is None:
        with suppress(Exception):
            found = con.execute(
                "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
            ).fetchone()
            path = found[0] if found else None
    cause = (str(err).strip().splitlines() or ["unknown error"])[0]
    for prefix in ("TransactionContext Error: ", "Failed to commit: ", "IO Error: ", "FATAL Error: "):
        cause = cause.removeprefix(prefix)
    lowered = cause.lower()
    if "no space left" in lowered or "disk quota" in lowered:
        hint = "; free some space and run again"
    elif "file too large" in lowered:
        hint = "; a file size limit (ulimit -f) stopped it"
    else:
        hint = ""
    return f"{path or 'the database'}: could not write {what}, nothing of it was written: {cause}{hint}"


# ---------------------------------------------------------------- atomic file writes


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` for a writer that wants a file name (pyarrow, datasets).

    On a clean exit the file written there is flushed to disk and renamed over `path`; on an error
    it is removed and `path` is left as it was.

    Raises:
        OSError: the file cannot be written or renamed.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)  # replaces a link at path rather than writing through it
    finally:
        tmp.unlink(missing_ok=True)
    with suppress(OSError):  # the rename itself durable; not every file system lets a folder be fsynced
        _fsync(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that a reader or a crash sees the old content or the new, never half of it.

    Raises:
        OSError: the file cannot be written (no temporary file is left behind).
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """atomic_write_bytes for text.

    Raises:
        OSError: the file cannot be written (no temporary file is left behind).
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the export guard

EXPORT_MANIFEST = ".propmine-export.json"
# `propmine label export --hf` wrote this name before both exports shared one manifest; still recognized.
OLD_EXPORT_MANIFESTS = ("propmine-export.json",)
ExportKind = Literal["propmine-training-table", "propmine-labels"]
# The training-table export wrote no kind before both exports shared one manifest.
_KIND_OF_UNNAMED: ExportKind = "propmine-training-table"


@dataclass(frozen=True)
class ExportDir:
    """A folder an export may write, as prepare_export_dir found it."""

    root: Path  # absolute, links resolved
    kind: ExportKind
    previous: tuple[str, ...]  # files an earlier export listed here and that still exist: this export replaces them
    manifests: tuple[str, ...]  # manifest files found (the current name and old ones)
    manifest_name: str

    def path(self, name: str) -> Path:
        """root/name, refusing a name that leaves the folder or passes through a link."""
        return _inside(self.root, name, str(self.root))

    def begin(self) -> None:
        """Create the folder and remove the files the earlier export listed, so none of them lingers."""
        self.root.mkdir(parents=True, exist_ok=True)
        for name in self.previous:  # checked by prepare_export_dir: inside root, no links on the way
            target = self.root / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def write_manifest(self, files: Iterable[str], **fields: Any) -> None:
        """Write the manifest last (what a later export will replace), and remove manifests of old names."""
        manifest = {
            "kind": self.kind,
            "files": list(files),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **fields,
        }
        atomic_write_text(self.path(self.manifest_name), json.dumps(manifest, indent=1) + "\n")
        for name in self.manifests:
            if name != self.manifest_name:
                (self.root / name).unlink(missing_ok=True)


def prepare_export_dir(
    out_dir: str | Path,
    *,
    kind: ExportKind,
    manifest_name: str = EXPORT_MANIFEST,
    force: bool | None = None,
    option: str | None = "--out",
) -> ExportDir:
    """Check that an export may write into `out_dir`: new, empty, or an earlier export of this kind.

    Nothing is written here; ExportDir.begin() creates the folder and clears the earlier export's files.

    Args:
        out_dir: the folder.
        kind: what the export writes; an earlier export of another kind is not replaced.
        manifest_name: the manifest file (the old names are read too).
        force: write beside whatever the folder holds, deleting nothing (None: the command has no --force).
        option: how the command names the folder in its messages (`--out DIR`); None for the bare path.

    Raises:
        InputError: out_dir is a file or a link, holds something that is not an earlier export of this
            kind (without force), or an earlier export's manifest or a link would lead outside it.
    """
    out = Path(out_dir)
    label = f"{option} {out}" if option else str(out)
    if out.is_symlink():
        raise InputError(f"{label}: is a symbolic link; give a real directory")
    if out.exists() and not out.is_dir():
        raise InputError(f"{label}: is a file; give a directory (the export writes its files into it)")
    root = out.resolve()
    entries = list(root.iterdir()) if root.is_dir() else []
    if not entries:
        return ExportDir(root, kind, (), (), manifest_name)
    manifests = tuple(
        n for n in (manifest_name, *OLD_EXPORT_MANIFESTS) if (root / n).exists() or (root / n).is_symlink()
    )
    manifest = _read_manifest(root, manifests[0], label) if manifests else None
    found_kind = manifest.get("kind", _KIND_OF_UNNAMED) if manifest is not None else None
    if manifest is None or found_kind != kind:
        if not force:
            what = (
                "is not empty and not an earlier propmine export"
                if manifest is None
                else f"holds an earlier {found_kind} export, not a {kind} one"
            )
            hint = ", or pass --force to write beside what is there" if force is False else ""
            raise InputError(f"{label}: {what}; choose a new or empty directory{hint}")
        return ExportDir(root, kind, (), manifests, manifest_name)  # write beside, delete nothing
    files = manifest.get("files", [])
    if not isinstance(files, list):
        raise InputError(f"{label}: its {manifests[0]} is unreadable; choose a new directory")
    for name in [*files, *manifests]:
        _inside(root, name, label)
    if not force:
        # An export such as datasets' save_to_disk writes names it chooses itself: no link may sit among them.
        for entry in entries:
            if entry.is_symlink():
                raise InputError(f"{label}: {entry.name} is a symbolic link; refusing to write beside it")
    previous = tuple(n for n in files if n not in manifests and ((root / n).exists() or (root / n).is_symlink()))
    return ExportDir(root, kind, previous, manifests, manifest_name)


def _read_manifest(root: Path, name: str, label: str) -> dict[str, Any] | None:
    """An earlier export's manifest; None when the file is not one (not a JSON object).

    Raises:
        InputError: the manifest is a link, or cannot be read.
    """
    _inside(root, name, label)  # a linked manifest is refused with the link's message
    try:
        found = json.loads((root / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{label}: its {name} is unreadable; choose a new directory") from err
    return found if isinstance(found, dict) else None


def _inside(root: Path, name: object, label: str) -> Path:
    """root/name for a relative name, refusing one that climbs out of root or passes through a link."""
    parts = PurePosixPath(name).parts if isinstance(name, str) and name else ()
    if not parts or PurePosixPath(str(name)).is_absolute() or ".." in parts or "\\" in str(name):
        raise InputError(f"{label}: its manifest names {name!r}, outside the directory; refusing to touch it")
    at = root
    for part in parts:
        at = at / part
        if at.is_symlink():
            raise InputError(
                f"{label}: {name} is a link, which may lead outside the directory; refusing to write through it"
            )
    return at
