"""Short connections to a propmine DuckDB file for the labeling UI and its exports.

DuckDB lets one process hold a database file at a time. The labeling server therefore opens the
file for each request and closes it at the end, instead of holding it for its lifetime: a batch,
`propmine label export` or a second labeling server can use the file between requests. The opener
(schemas.storage.open_duckdb) waits a little while another process holds the file.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from schemas.storage import LOCK_WAIT_S, DatabaseBusy, open_duckdb

__all__ = ["WRITE_LOCK", "DatabaseBusy", "open_labels_db"]

# Writes of one process go through this lock, so that a version check and the insert after it are
# one step for the threads of a server; between processes the file lock and the label_id primary
# key do the same job.
WRITE_LOCK = threading.Lock()


def open_labels_db(path: str | Path, wait_s: float = LOCK_WAIT_S) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """Open an existing propmine database for reading and labeling, migrating an older schema.

    Args:
        path: the DuckDB file `propmine extract --db` or `propmine batch` wrote.
        wait_s: how long to retry while another process holds the file.

    Raises:
        InputError: the file does not exist or is not a propmine database.
        DatabaseBusy: another process kept the file for longer than wait_s.
        ConfigError: the file was written by a newer propmine.
    """
    return open_duckdb(path, create=False, wait_s=wait_s)
