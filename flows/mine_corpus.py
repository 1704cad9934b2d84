"""The mine_corpus flow: a source of papers in, DuckDB rows out; resumable, idempotent, one writer.

    source -> references -> fetch (parallel, polite) -> skip what the DB already holds for this
    extraction key -> extract (one paper at a time: the model uses every core) -> stage -> merge

Downloads run on a thread pool; extraction runs one paper at a time in this process, with the model
loaded once. Results are staged as files and merged by this process alone (DuckDB has one writer),
every `merge_every` papers and at the end, so a killed run loses at most the paper in hand: the
next run merges what was staged and skips what was merged. A lock file keeps a second batch off
the same database.

Each paper has a time budget (flows.extract_paper.run_paper): past it the paper ends as failed
and the batch goes on. A stop request (Ctrl-C, through the CLI) ends the loop after the paper in
hand, or at once, dropping it; what is finished is merged either way. A merge that finds the
database busy or unwritable mid-batch leaves the results staged for the next merge; only the
last merge of the run must succeed.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import httpx
from prefect import flow, task, unmapped
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.pipeline import Pipeline
from flows.extract_paper import StopRequest, extract_task, run_parameters
from flows.fetch import fetch_paper, list_references, make_client
from flows.staging import load_fetch_index, save_fetch_index, stage_result, staging_dir_for
from flows.store import (
    batch_lock,
    finish_run,
    finished_papers,
    flag_outliers,
    merge_staged,
    open_db,
    start_run,
)
from schemas.fetch import FetchedPaper, FetchSettings, PaperRef
from schemas.options import ExtractionOptions
from schemas.result import BatchSummary, PaperResult
from schemas.storage import DatabaseBusy, DatabaseWriteError

# A batch runs unattended: its last merge waits longer for a busy database than a person would.
FINAL_MERGE_WAIT_S = 120.0

log = logging.getLogger(__name__)


@task(name="list-references", cache_policy=NONE)
def list_task(source: str, settings: FetchSettings, client: httpx.Client) -> list[PaperRef]:
    # No task retries: the API calls retry themselves, and a wrong SOURCE is the user's to fix.
    return list_references(source, settings, client)


@task(name="fetch", cache_policy=NONE)
def fetch_task(
    ref: PaperRef, staging: Path, settings: FetchSettings, known: dict[str, str], client: httpx.Client
) -> FetchedPaper:
    """Download (or find) one paper; a reference fetched before is not downloaded again."""
    sha = known.get(ref.reference)
    cached = staging / "pdfs" / f"{sha}.pdf"
    if sha and ref.kind == "url" and cached.is_file():
        return FetchedPaper(ref=ref, path=str(cached), sha256=sha, size_bytes=cached.stat().st_size, cached=True)
    (staging / "pdfs").mkdir(parents=True, exist_ok=True)
    return fetch_paper(ref, staging / "pdfs", settings, client)


@task(name="merge", cache_policy=NONE)
def merge_task(db: Path, staging: Path, run_id: str | None, wait_s: float = FINAL_MERGE_WAIT_S) -> list[PaperResult]:
    """Merge the staged results into the database (waiting up to wait_s for a busy file).

    Raises:
        DatabaseBusy: another process kept the file for longer than wait_s.
        DatabaseWriteError: the file cannot be written; the results stay staged.
    """
    with open_db(db, wait_s=wait_s) as con:
        merged = merge_staged(con, staging, run_id)
        if merged:
            flag_outliers(con)
    return merged


def _warm_up(pipeline: Pipeline) -> None:
    """Pass a two-line paper with no values through the pipeline, so that what loads once (spaCy's model,
    modules imported on first use: seconds) is not charged to the first paper's time budget."""
    with tempfile.TemporaryDirectory(prefix="propmine-warm-up-") as tmp:
        path = Path(tmp) / "warm-up.txt"
        path.write_text("Results\n\nThe samples were prepared as described before and measured twice.\n", "utf-8")
        try:
            pipeline.extract(path)
        except Exception:  # only a warm-up: the papers themselves will say what is wrong
            log.debug("warm-up failed", exc_info=True)


def _merge_on_the_way(db: Path, staging: Path, run_id: str | None) -> list[PaperResult]:
    """A merge in the middle of a batch: a busy or full database only postpones it to the next one."""
    try:
        return merge_task(db, staging, run_id, wait_s=5.0)
    except (DatabaseBusy, DatabaseWriteError) as err:
        log.warning("merge postponed, the results stay staged: %s", err)
        return []


# prefect's flow decorator asks for TaskRunner[PrefectFuture[Any]]; TaskRunner is invariant in its future
# type, so prefect's own ThreadPoolTaskRunner (TaskRunner[PrefectConcurrentFuture]) cannot match it.
@flow(name="mine-corpus", task_runner=ThreadPoolTaskRunner(max_workers=4), log_prints=False)  # type: ignore[arg-type]
def mine_corpus(
    source: str,
    db: str,
    options: ExtractionOptions | None = None,
    staging: str | None = None,
    merge_every: int = 10,
    progress: bool = False,
    paper_time_budget_s: float = 600.0,
    stop: StopRequest | None = None,
    allow_private_hosts: bool = False,
    allow_local_files: bool = False,
) -> BatchSummary:
    """Mine every paper of `source` (a folder, urls:FILE, arxiv:QUERY, openalex:FILTER) into the DuckDB file `db`.

    Args:
        options: what to extract and with which model (`ExtractionOptions`; None: from the environment and
            the defaults). Its key decides which papers are done already.
        staging: the folder for downloads and staged results (default: beside the database).
        merge_every: staged results are merged into the database after this many papers.
        progress: show a progress bar on the terminal.
        paper_time_budget_s: seconds one paper may take to extract; past it the paper fails and the batch goes on
            (0: no limit).
        stop: a stop request (Ctrl-C): checked between papers, and `stop.now` drops the paper in hand.
            When it was set, the summary counts what was done; the papers not started are left for the next run.
        allow_private_hosts: allow downloads from loopback, private and link-local addresses (also
            PROPMINE_FETCH_ALLOW_PRIVATE=1).
        allow_local_files: let a urls: list name local files.

    Raises:
        InputError: the source cannot be listed, another batch holds the database, the staging folder is full,
            or the last merge found the database busy or unwritable (the results stay staged).
    """
    options = options or ExtractionOptions.resolve()
    clock = time.perf_counter()
    db_path = Path(db)
    staging_dir = Path(staging) if staging else staging_dir_for(db_path)
    staging_dir.mkdir(parents=True, exist_ok=True)
    with batch_lock(db_path):
        resumed = merge_task(db_path, staging_dir, None)
        settings = FetchSettings.from_env().allowing(private_hosts=allow_private_hosts, local_files=allow_local_files)
        for partial in (staging_dir / "pdfs").glob(".partial-*"):  # downloads a killed run left half-written
            partial.unlink(missing_ok=True)
        with make_client(settings) as client:  # one connection pool for every download
            refs = list_task(source, settings, client)
            known = load_fetch_index(staging_dir)
            fetched = fetch_task.map(
                refs,
                staging=unmapped(staging_dir),
                settings=unmapped(settings),
                known=unmapped(known),
                client=unmapped(client),
            ).result()
        known.update({f.ref.reference: f.sha256 for f in fetched if f.sha256 and f.ref.kind == "url"})
        save_fetch_index(staging_dir, known)

        pipeline = Pipeline.load(options)
        key = options.key()
        with open_db(db_path, wait_s=FINAL_MERGE_WAIT_S) as con:
            done = finished_papers(con, key)
            run_id = start_run(con, "batch", run_parameters(pipeline, source=source))
        summary = BatchSummary(run_id=run_id, source=source, references=len(refs), resumed=len(resumed))
        todo: list[FetchedPaper] = []
        seen: set[str | None] = set(done)  # a failed fetch adds None, as before
        for f in fetched:  # a paper listed twice (two URLs, a copy) is extracted once
            if f.error or f.sha256 not in seen:
                todo.append(f)
                seen.add(f.sha256)
        summary.skipped = len(fetched) - len(todo)
        merged: list[PaperResult] = []
        if paper_time_budget_s > 0 and any(item.path and not item.error for item in todo):
            _warm_up(pipeline)
        for n, item in enumerate(_progress(todo, progress), start=1):
            if stop is not None and stop.requested:
                break
            if item.error or not item.path:
                result = PaperResult(
                    source=item.ref.reference,
                    doi=item.ref.doi,
                    extraction_key=key,
                    status="failed",
                    errors=[f"fetch: {item.error or 'no file'}"],
                )
            else:
                found = extract_task(
                    item.path, item.ref.reference, pipeline, item.ref.doi, budget_s=paper_time_budget_s, stop=stop
                )
                if found is None:  # stopped at once: the half-done paper is dropped, redone next run
                    break
                result = found
            stage_result(result, staging_dir)
            summary.extracted += 1
            if n % merge_every == 0:
                merged += _merge_on_the_way(db_path, staging_dir, run_id)
        merged += merge_task(db_path, staging_dir, run_id)
        for result in merged:
            summary.success += result.status == "success"
            summary.partial += result.status == "partial"
            summary.failed += result.status == "failed"
            summary.records += len(result.records)
            if result.status == "failed":
                summary.errors.append(f"{result.source}: {'; '.join(result.errors)}")
        summary.seconds = round(time.perf_counter() - clock, 2)
        with open_db(db_path, wait_s=FINAL_MERGE_WAIT_S) as con:
            finish_run(con, run_id, summary.extracted, summary.records)
    return summary


def _progress(items: list[FetchedPaper], show: bool):
    if not show:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        transient=True,
    ) as bar:
        job = bar.add_task("", total=len(items))
        for item in items:
            bar.update(job, description=Path(item.ref.reference).name[:40])
            yield item
            bar.advance(job)
