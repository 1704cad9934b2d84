"""Short connections to a propmine DuckDB file for the labeling UI and its exports.

DuckDB lets one process hold a database file at a time. The labeling server therefore opens the
file for each request and closes it at the end, instead of holding it for its lifetime: a batch,
`propmine label export` or a second labeling server can use the file between requests. When
another process holds the file, `open_labels_db` waits a little and retries before giving up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from schemas.errors import ConfigError, InputError
from schemas.tables import DDL, MIGRATIONS, SCHEMA_VERSION

# Writes of one process go through this lock, so that a version check and the insert after it are
# one step for the threads of a server; between processes the file lock and the label_id primary
# key do the same job.
WRITE_LOCK = threading.Lock()


class DatabaseBusy(InputError):
    """Another process holds the database file."""


@contextmanager
def open_labels_db(path: str | Path, wait_s: float = 5.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open an existing propmine database for reading and labeling, migrating an older schema.

    Args:
        path: the DuckDB file `propmine extract --db` or `propmine batch` wrote.
        wait_s: how long to retry while another process holds the file.

    Raises:
        InputError: the file does not exist.
        DatabaseBusy: another process kept the file for longer than wait_s.
        ConfigError: the file was written by a newer propmine.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no such database; make one with `propmine extract FILE --db {path}` or `propmine batch`"
        )
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise InputError(f"{path}: cannot open the database: {err}") from err
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path}: the database is in use by another process (a batch run?); try again when it has finished"
                ) from err
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    try:
        _check_schema(con, path)
        yield con
    finally:
        con.close()


def _check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bring an older database up to SCHEMA_VERSION (the same migrations `propmine extract` runs)."""
    has_meta = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()
    if not has_meta or not has_meta[0]:
        raise InputError(f"{path}: not a propmine database (no meta table)")
    found = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(found[0]) if found else SCHEMA_VERSION
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schema version {version} is newer than this propmine ({SCHEMA_VERSION}); upgrade propmine"
        )
    if version < SCHEMA_VERSION:
        with WRITE_LOCK:
            con.execute("BEGIN TRANSACTION")
            try:
                for start in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS.get(start, []):
                        con.execute(statement)
                con.execute(DDL)
                con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
