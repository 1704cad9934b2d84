"""The staging folder of a batch: per-paper results waiting for the single DuckDB writer.

DuckDB allows one writer process, so extraction (possibly on other workers) never writes the
database: each paper's PaperResult is written here as one JSON file, atomically (a temporary file
renamed into place, schemas.storage.atomic_write_text), and `flows.store.merge_staged` moves them
into DuckDB exactly once. A killed batch leaves finished papers here; the next run merges them
first instead of redoing them.

    STAGING/pdfs/<sha256>.pdf        downloaded papers, by content
    STAGING/results/<key>.json       results not yet merged
    STAGING/fetched.json             reference -> sha256, so a re-run needs no download
    STAGING/claims/                  which batch works on which paper (flows.claims), for shared batches

A staged file is the PaperResult's JSON with two more members, "source_metadata" (what the source said
about the paper: title, authors, year, venue, DOI, arXiv id, licence; schemas.fetch.PaperMetadata) and,
last, "provenance" (which host and worker process extracted the paper, and when), both read by the merge
into the `papers` row; PaperResult itself ignores them, and a file staged without them (by an older
propmine) merges with those columns empty.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from schemas.errors import InputError
from schemas.fetch import PaperMetadata
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


@dataclass(frozen=True)
class Provenance:
    """Who extracted a paper: the host, the worker process (pid, and the Dask worker's name on a cluster) and when."""

    host: str | None = None
    worker: str | None = None
    extracted_at: datetime | None = None  # UTC, naive (as DuckDB's TIMESTAMP stores it)

    @classmethod
    def here(cls, worker: str | None = None) -> Provenance:
        """This process, now; `worker` names it beyond its pid (a Dask worker's name)."""
        pid = str(os.getpid())
        return cls(
            host=socket.gethostname(),
            worker=f"{worker} pid {pid}" if worker else f"pid {pid}",
            extracted_at=datetime.now(UTC).replace(tzinfo=None),
        )

    def to_json(self) -> dict[str, str | None]:
        found = asdict(self)
        found["extracted_at"] = self.extracted_at.isoformat() if self.extracted_at else None
        return found

    @classmethod
    def from_json(cls, found: object) -> Provenance:
        if not isinstance(found, dict):
            return cls()
        at = found.get("extracted_at")
        try:
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            when = None
        host, worker = found.get("host"), found.get("worker")
        return cls(
            host=host if isinstance(host, str) else None,
            worker=worker if isinstance(worker, str) else None,
            extracted_at=when,
        )


def staged_name(result: PaperResult) -> str:
    """The file name a result is staged under: its paper id, or a hash of its source for a paper never read."""
    name = (
        result.paper.paper_id if result.paper else "unread-" + hashlib.sha256(result.source.encode()).hexdigest()[:16]
    )
    return f"{name}.json"


def is_staged(staging: Path, paper_id: str, source: str) -> bool:
    """Whether a result for this paper waits in the staging folder (read, or failed before it was read)."""
    folder = staging / "results"
    unread = "unread-" + hashlib.sha256(source.encode()).hexdigest()[:16]
    return (folder / f"{paper_id}.json").is_file() or (folder / f"{unread}.json").is_file()


_METADATA_MEMBER = ',"source_metadata":'
_PROVENANCE_MEMBER = ',"provenance":'


def stage_result(
    result: PaperResult,
    staging: Path,
    provenance: Provenance | None = None,
    metadata: PaperMetadata | None = None,
) -> Path:
    """Write one paper's result into the staging folder, atomically; returns the file.

    Any process may call this at once with others (Dask workers, several batches): each paper is its own
    file, renamed into place whole.

    Args:
        provenance: who extracted it (default: this process, now).
        metadata: what the paper's source said about it (None: nothing, as for a folder or a urls: list).
    """
    folder = staging / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / staged_name(result)
    stamp = json.dumps((provenance or Provenance.here()).to_json())
    about = metadata.model_dump_json(exclude_defaults=True) if metadata is not None else "null"
    # Members spliced into the object model_dump_json made, rather than a dict round trip of a result that may
    # hold 10k passages; provenance stays last, where an older propmine looks for it.
    _write_atomic(path, result.model_dump_json()[:-1] + f"{_METADATA_MEMBER}{about}{_PROVENANCE_MEMBER}{stamp}}}")
    return path


def staged_results(staging: Path) -> list[Path]:
    """The staged result files, oldest first."""
    folder = staging / "results"
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)


def read_staged(path: Path) -> PaperResult:
    return PaperResult.model_validate_json(path.read_text(encoding="utf-8"))


def read_staged_with_provenance(path: Path) -> tuple[PaperResult, Provenance]:
    """A staged result and who extracted it (all None for a file staged without it)."""
    result, provenance, _ = read_staged_entry(path)
    return result, provenance


def read_staged_entry(path: Path) -> tuple[PaperResult, Provenance, PaperMetadata | None]:
    """A staged result, who extracted it, and what its source said about it (None for a file staged without it)."""
    text = path.read_text(encoding="utf-8")
    result = PaperResult.model_validate_json(text)  # ignores the members stage_result added
    # stage_result puts them last (metadata, then provenance): no second parse of the whole result
    at = text.rfind(_PROVENANCE_MEMBER)
    before = text.rfind(_METADATA_MEMBER, 0, at) if at >= 0 else -1
    try:
        found = json.loads(text[at + len(_PROVENANCE_MEMBER) : text.rstrip().rfind("}")]) if at >= 0 else None
        about = json.loads(text[before + len(_METADATA_MEMBER) : at]) if before >= 0 else None
    except json.JSONDecodeError:
        whole = json.loads(text)
        found, about = whole.get("provenance"), whole.get("source_metadata")
    try:
        metadata = PaperMetadata.model_validate(about) if isinstance(about, dict) else None
    except ValueError:  # a damaged member costs the metadata, not the paper
        metadata = None
    return result, Provenance.from_json(found), metadata


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
