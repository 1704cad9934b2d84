"""The staging folder of a batch: per-paper results waiting for the single DuckDB writer.

DuckDB allows one writer process, so extraction (possibly on other workers) never writes the
database: each paper's PaperResult is written here as one JSON file, atomically (a temporary file
renamed into place, schemas.storage.atomic_write_text), and `flows.store.merge_staged` moves them
into DuckDB exactly once. A killed batch leaves finished papers here; the next run merges them
first instead of redoing them.

    STAGING/pdfs/<sha256>.pdf        downloaded papers, by content
    STAGING/results/<key>.json       results not yet merged
    STAGING/fetched.json             reference -> sha256, so a re-run needs no download
"""

from __future__ import annotations

import errno
import hashlib
import json
from pathlib import Path

from schemas.errors import InputError
from schemas.result import PaperResult
from schemas.storage import atomic_write_text


def staging_dir_for(db: str | Path) -> Path:
    """The default staging folder beside a database file: mined.duckdb -> mined.staging/."""
    db = Path(db)
    return db.with_name(db.stem + ".staging")


def _write_atomic(path: Path, text: str) -> None:
    try:
        atomic_write_text(path, text)
    except OSError as err:
        if err.errno == errno.ENOSPC:
            raise InputError(
                f"staging folder {path.parent} is full (no space left on device); free space or pass another --staging"
            ) from err
        raise InputError(f"cannot write {path}: {err.strerror}") from err


def stage_result(result: PaperResult, staging: Path) -> Path:
    """Write one paper's result into the staging folder; returns the file."""
    folder = staging / "results"
    folder.mkdir(parents=True, exist_ok=True)
    name = (
        result.paper.paper_id if result.paper else "unread-" + hashlib.sha256(result.source.encode()).hexdigest()[:16]
    )
    path = folder / f"{name}.json"
    _write_atomic(path, result.model_dump_json())
    return path


def staged_results(staging: Path) -> list[Path]:
    """The staged result files, oldest first."""
    folder = staging / "results"
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


def read_staged(path: Path) -> PaperResult:
    return PaperResult.model_validate_json(path.read_text(encoding="utf-8"))


def load_fetch_index(staging: Path) -> dict[str, str]:
    """reference -> sha256 of what was downloaded for it before."""
    path = staging / "fetched.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except json.JSONDecodeError:
        return {}  # a damaged index only costs downloads


def save_fetch_index(staging: Path, index: dict[str, str]) -> None:
    staging.mkdir(parents=True, exist_ok=True)
    _write_atomic(staging / "fetched.json", json.dumps(index, indent=0, sort_keys=True))
