"""The one module that writes DuckDB: papers, passages, records, rejected records, figures, runs.

Writing a paper replaces all of its rows in one transaction, so writing the same paper twice
gives the same rows, and a crash mid-write leaves the previous rows in place.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from extractors.records.credibility import cross_paper_outliers, score_features
from flows.staging import Provenance
from schemas.credibility import DEFAULT_RULES, load_credibility_rules
from schemas.document import ParsedDocument
from schemas.errors import InputError
from schemas.fetch import PaperMetadata
from schemas.record import Credibility, Method, Record
from schemas.result import PaperResult
from schemas.storage import DatabaseWriteError, open_duckdb, write_transaction
from schemas.tables import PAPER_TABLES

log = logging.getLogger(__name__)


# flows' name for the one opener: creates the file, migrates an older one in a transaction, waits for a busy one.
open_db = open_duckdb


def record_row(record: Record, run_id: str | None) -> dict[str, Any]:
    """A record as a row of the `records` table."""
    d = record.model_dump(mode="json")
    return {
        **{
            k: d[k]
            for k in (
                "record_id",
                "paper_id",
                "doi",
                "source",
                "material",
                "formula",
                "property",
                "property_text",
                "value",
                "value_max",
                "uncertainty",
                "qualifier",
                "unit",
                "value_canonical",
                "value_max_canonical",
                "unit_canonical",
            )
        },
        "conditions": json.dumps(d["conditions"]),
        "method": json.dumps(d["method"]),
        "method_kind": d["method"]["kind"],
        "spans": json.dumps(d["spans"]),
        "evidence": json.dumps(d["evidence"]),
        "page": d["evidence"]["page"],
        "origin": d["evidence"]["origin"],
        "credibility": json.dumps(d["credibility"]),
        "credibility_score": d["credibility"]["score"],
        "extractor": json.dumps(d["extractor"]),
        "run_id": run_id,
    }


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Plain bulk insert through an Arrow table: one statement, columnar, no per-row binding.

    write_paper deletes a paper's old rows first, so no INSERT OR REPLACE is needed: DuckDB's
    OR REPLACE through executemany took 50 s and 3.7 GB for a 10k-passage paper
    (benchmarks/store_writes.py). A key that repeats within the rows keeps its last row, as
    OR REPLACE did.
    """
    if not rows:
        return
    key = _KEYS.get(table)
    if key is not None and len({row[key] for row in rows}) < len(rows):
        rows = list({row[key]: row for row in rows}.values())
    cols = list(rows[0])
    arrow = pa.table({c: [row[c] for row in rows] for c in cols})
    name = f"_propmine_{table}_rows"
    con.register(name, arrow)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {name}")
    finally:
        con.unregister(name)


_KEYS = {"papers": "paper_id", "passages": "passage_id", "records": "record_id"}  # the tables with a primary key


def write_paper(
    con: duckdb.DuckDBPyConnection,
    result: PaperResult,
    run_id: str | None = None,
    provenance: Provenance | None = None,
    metadata: PaperMetadata | None = None,
) -> None:
    """Replace everything stored for one paper with this result, in one transaction.

    A failed paper keeps only its `papers` row (status and error): nothing half-written.

    Args:
        provenance: which host and worker extracted the paper, and when (default: this process, now: right
            for a paper extracted where it is written; a merge passes what the staged file says).
        metadata: what the paper's source said about it (an arXiv or OpenAlex search); where it says
            nothing, the title is the parsed document's and the other fields stay empty.
    """
    provenance = provenance or Provenance.here()
    paper_id = result.paper.paper_id if result.paper else f"unread:{result.source}"
    doc = result.document
    about = paper_metadata(result, metadata)
    with write_transaction(con, f"paper {paper_id[:16]} ({result.source})"):
        for table in PAPER_TABLES:
            con.execute(f"DELETE FROM {table} WHERE paper_id = ?", [paper_id])
        # A source that once failed before it could be read (unread:SOURCE) is this paper now.
        con.execute("DELETE FROM papers WHERE paper_id IN (?, ?)", [paper_id, f"unread:{result.source}"])
        _insert(
            con,
            "papers",
            [
                {
                    "paper_id": paper_id,
                    "source": result.source,
                    "kind": result.paper.kind if result.paper else None,
                    "title": about.title,
                    "doi": about.doi,
                    "n_pages": len(doc.pages) if doc else None,
                    "status": result.status,
                    "error": "; ".join(result.errors) or None,
                    "n_records": len(result.records),
                    "n_rejected": len(result.rejected),
                    "run_id": run_id,
                    "updated_at": datetime.now(UTC).replace(tzinfo=None),
                    "extraction_key": result.extraction_key,
                    "host": provenance.host,
                    "worker": provenance.worker,
                    "extracted_at": provenance.extracted_at,
                    "authors": about.authors or None,
                    "year": about.year,
                    "venue": about.venue,
                    "arxiv_id": about.arxiv_id,
                    "licence": about.licence,
                    "landing_url": about.landing_url,
                    "metadata_from": about.origin,
                }
            ],
        )
        if result.status != "failed":
            _insert(
                con,
                "passages",
                [
                    {
                        "passage_id": p.passage_id,
                        "paper_id": paper_id,
                        "text": p.text,
                        "context": p.context,
                        "char_start": p.char_start,
                        "char_end": p.char_end,
                        "origin": p.origin,
                        "page": p.page,
                        "section": p.section,
                        "is_candidate": None,
                    }
                    for p in result.passages
                ],
            )
            _insert(con, "records", [record_row(r, run_id) for r in result.records])
            _insert(
                con,
                "rejected_records",
                [
                    {
                        "paper_id": paper_id,
                        "passage_id": r.passage_id,
                        "reason": r.reason,
                        "proposed": json.dumps(r.proposed),
                        "extractor": r.extractor.model_dump_json(),
                        "run_id": run_id,
                    }
                    for r in result.rejected
                ],
            )
            if doc:
                _insert(con, "figures", figure_rows(paper_id, doc, result))
                _insert(
                    con,
                    "curves",
                    [
                        {
                            **c.model_dump(exclude={"source", "points"}),
                            "points": json.dumps(c.points),
                            "run_id": run_id,
                        }
                        for c in result.curves
                    ],
                )


def paper_metadata(result: PaperResult, metadata: PaperMetadata | None) -> PaperMetadata:
    """The metadata a paper's row stores: the source's, with the parsed document's title where the source gave none.

    Nothing is guessed: a year or venue the source did not give stays empty (a PDF's creation date is not its
    publication date). `origin` says where the title came from when only the document gave one.
    """
    about = metadata.model_copy() if metadata is not None else PaperMetadata()
    about.doi = result.doi or about.doi
    title = result.document.title if result.document else None
    if not about.title and title:
        about.title = title
        about.origin = about.origin or "document"
    return about


_AXES = {"x_label", "x_unit", "x_scale", "y_label", "y_unit", "y_scale", "x_range", "y_range", "x_categories"}


def figure_rows(paper_id: str, doc: ParsedDocument, result: PaperResult) -> list[dict[str, Any]]:
    """A row per plot a reader looked at (one per panel), and one per figure no reader looked at."""
    rows = [
        {
            "paper_id": paper_id,
            "number": p.number,
            "page": p.page,
            "bbox": json.dumps(p.bbox),
            "caption": p.caption,
            "kind": p.kind,
            "panel": p.panel,
            "status": p.status,
            "reason": p.reason,
            "reader": p.reader,
            "axes": p.model_dump_json(include=_AXES),
        }
        for p in result.figures
    ]
    read = {(p.page, p.number) for p in result.figures}
    rows += [
        {
            "paper_id": paper_id,
            "number": f.number,
            "page": f.page,
            "bbox": json.dumps(f.bbox),
            "caption": f.caption,
            "kind": f.kind,
            "panel": None,
            "status": None,
            "reason": None,
            "reader": None,
            "axes": None,
        }
        for f in doc.figures
        if (f.page, f.number) not in read
    ]
    return rows


def start_run(con: duckdb.DuckDBPyConnection, command: str, settings: dict[str, Any]) -> str:
    run_id = uuid.uuid4().hex[:16]
    con.execute(
        "INSERT INTO runs (run_id, command, started_at, settings) VALUES (?, ?, ?, ?)",
        [run_id, command, datetime.now(UTC).replace(tzinfo=None), json.dumps(settings, default=str)],
    )
    return run_id


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    n_papers: int,
    n_records: int,
    stage_seconds: dict[str, float] | None = None,
) -> None:
    """Close a run with its counts and, for a batch, the seconds spent in each stage (fetch, parse, extract, ...)."""
    con.execute(
        "UPDATE runs SET finished_at = ?, n_papers = ?, n_records = ?, stage_seconds = ? WHERE run_id = ?",
        [
            datetime.now(UTC).replace(tzinfo=None),
            n_papers,
            n_records,
            json.dumps(stage_seconds) if stage_seconds else None,
            run_id,
        ],
    )


def flag_outliers(con: duckdb.DuckDBPyConnection) -> int:
    """Mark values far from other papers' values for the same material and property, and rescore.

    Runs over the whole database after a write, so a record's outlier flag follows what the database
    holds now: a value once alone can become an outlier (or stop being one) as papers are added.
    The material key is the normalized formula, else the lower-cased name; ranges are left out.

    Returns:
        How many records changed their outlier flag.
    """
    rows = con.execute(
        "SELECT record_id, paper_id, coalesce(formula, lower(material)), property, value_canonical, method, credibility "
        "FROM records WHERE value_canonical IS NOT NULL AND value_max IS NULL"
    ).fetchall()
    flagged = cross_paper_outliers([row[:5] for row in rows])
    updates = []
    for record_id, _, _, prop, _, method_json, credibility_json in rows:
        credibility = Credibility.model_validate_json(credibility_json)
        if (credibility.features.get("outlier", 0.0) > 0) == (record_id in flagged):
            continue
        features = {k: v for k, v in credibility.features.items() if k != "outlier"}
        if record_id in flagged:
            features["outlier"] = 1.0
        rules = load_credibility_rules(credibility.rules_version or DEFAULT_RULES)
        rescored = score_features(features, prop, Method.model_validate_json(method_json), rules)
        updates.append([rescored.model_dump_json(), rescored.score, record_id])
    if updates:
        con.executemany("UPDATE records SET credibility = ?, credibility_score = ? WHERE record_id = ?", updates)
    return len(updates)


def finished_papers(con: duckdb.DuckDBPyConnection, extraction_key: str) -> set[str]:
    """Paper ids already extracted with this key (success or partial): a re-run skips them."""
    rows = con.execute(
        "SELECT paper_id FROM papers WHERE extraction_key = ? AND status IN ('success', 'partial')", [extraction_key]
    ).fetchall()
    return {row[0] for row in rows}


@contextmanager
def batch_lock(db: str | Path, shared: bool = False) -> Iterator[None]:
    """Hold the database for one batch; a batch that cannot share it refuses at once.

    The lock is an flock on DB.lock, so the operating system drops it when the process dies
    (kill -9 included): a crashed batch never leaves a stale lock behind. A shared batch (several
    processes or hosts splitting one corpus through claims, flows.claims) takes it shared: shared
    batches run side by side, an ordinary batch refuses while any runs, and they refuse while it runs.
    (flock across hosts needs a file system that carries it; the claims alone keep papers apart.)

    Raises:
        InputError: another batch holds the database.
    """
    path = Path(str(db) + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError as err:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        who = f"another propmine batch (pid {holder})" if holder else "shared propmine batches (--shared)"
        hint = "" if shared or holder else "; pass --shared to join them"
        raise InputError(f"{db} is being mined by {who}; wait for it to finish or use another --db{hint}") from err
    handle.seek(0)  # no exclusive holder now: a pid left by a killed one goes
    handle.truncate()
    if not shared:  # an exclusive holder names itself; shared holders leave the file empty
        handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        if not shared:
            handle.seek(0)
            handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def merge_staged(con: duckdb.DuckDBPyConnection, staging: Path, run_id: str | None) -> list[PaperResult]:
    """Write every staged paper result into the database, then remove its file.

    A crash between the commit and the removal only means the same paper is written again next
    time, which gives the same rows (write_paper replaces a paper whole): merged exactly once in effect.
    A result that cannot be stored is moved to STAGING/failed and its paper marked failed; a database
    that cannot take writes at all (a full disk) stops the merge with every unmerged result still staged.

    Raises:
        DatabaseWriteError: the database file cannot be written; the message says the results are kept.
    """
    from flows.staging import read_staged_entry, staged_results

    merged = []
    for path in staged_results(staging):
        try:
            result, provenance, metadata = read_staged_entry(path)
            write_paper(con, result, run_id, provenance, metadata)
        except DatabaseWriteError as err:
            raise _kept_in_staging(err, staging) from err
        except Exception as err:  # one paper that cannot be stored must not stop the batch
            log.exception("storing %s failed", path.name)
            result = PaperResult(
                source=f"staged result {path.name}", status="failed", errors=[f"store: {type(err).__name__}: {err}"]
            )
            failed = staging / "failed"
            failed.mkdir(exist_ok=True)
            path.replace(failed / path.name)  # kept for a look; the paper is tried again next run
            try:
                write_paper(con, result, run_id)
            except DatabaseWriteError as write_err:
                raise _kept_in_staging(write_err, staging) from write_err
            merged.append(result)
            continue
        path.unlink()
        merged.append(result)
    return merged


def _kept_in_staging(err: DatabaseWriteError, staging: Path) -> DatabaseWriteError:
    from flows.staging import staged_results

    waiting = len(staged_results(staging))
    return DatabaseWriteError(
        f"{err}; {waiting} finished paper result(s) are kept in {staging / 'results'} and written by the next run"
    )


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: str | Path) -> list[Path]:
    """Write every table as a Parquet file into out_dir; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in ("papers", "passages", "records", "rejected_records", "figures", "curves", "runs", "labels"):
        target = out / f"{table}.parquet"
        con.execute(f"COPY {table} TO '{target.as_posix()}' (FORMAT parquet)")
        written.append(target)
    return written
