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

Scale-out (flows.dask_runner): with `workers` > 1 or a `dask_address`, extraction runs on Dask
through prefect-dask, `chunk_size` papers a task, a few chunks ahead per worker; workers stage
results, and this process still merges alone, as chunks finish and at the end. With `shared`,
several batches (processes, hosts, Prefect workers of one pool) mine one corpus into one database:
each claims a paper before extracting it (flows.claims), the database lock is taken shared, and a
killed batch's claims are free again after `claim_ttl_s`. Without either, the batch is as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from prefect import flow, task, unmapped
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.pipeline import Pipeline
from flows.claims import DEFAULT_TTL_S, Claims
from flows.dask_runner import (
    DEFAULT_CHUNK_SIZE,
    StagedPaper,
    chunks,
    dask_task_runner,
    extract_chunk,
    preload_pipelines,
    warm_up,
)
from flows.extract_paper import StopRequest, extract_task, run_parameters
from flows.fetch import fetch_paper, list_references, make_client
from flows.staging import is_staged, load_fetch_index, save_fetch_index, stage_result, staging_dir_for
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
    progress: Callable[[str, Any, int], None] | None = None,
    paper_time_budget_s: float = 600.0,
    stop: StopRequest | None = None,
    allow_private_hosts: bool = False,
    allow_local_files: bool = False,
    workers: int = 1,
    dask_address: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    shared: bool = False,
    claim_ttl_s: float = DEFAULT_TTL_S,
) -> BatchSummary:
    """Mine every paper of `source` (a folder, urls:FILE, arxiv:QUERY, openalex:FILTER) into the DuckDB file `db`.

    Args:
        options: what to extract and with which model (`ExtractionOptions`; None: from the environment and
            the defaults). Its key decides which papers are done already.
        staging: the folder for downloads and staged results (default: beside the database).
        merge_every: staged results are merged into the database after this many papers.
        progress: called as progress(source, None, total) when a paper starts (where this process runs it) and
            progress(source, outcome, total) when it is staged: its PaperResult, or a Dask chunk's StagedPaper;
            total is the number of papers this run extracts (flows.progress.BatchProgress shows them).
        paper_time_budget_s: seconds one paper may take to extract; past it the paper fails and the batch goes on
            (0: no limit).
        stop: a stop request (Ctrl-C): checked between papers, and `stop.now` drops the paper in hand.
            When it was set, the summary counts what was done; the papers not started are left for the next run.
        allow_private_hosts: allow downloads from loopback, private and link-local addresses (also
            PROPMINE_FETCH_ALLOW_PRIVATE=1).
        allow_local_files: let a urls: list name local files.
        workers: Dask worker processes of a local cluster (one thread each); 1 without `dask_address`: no Dask.
        dask_address: the scheduler of an existing Dask cluster (tcp://host:8786); its workers must see the
            staging folder and the papers under the same paths, and reach the Prefect API.
        chunk_size: papers per Dask task (the Prefect task run's cost is shared by them).
        shared: other batches may mine the same source into the same database at once: papers are claimed
            before they are extracted (in the staging folder, which they must share), so none is done twice.
        claim_ttl_s: seconds after which a killed shared batch's claims are taken over.

    Raises:
        InputError: the source cannot be listed, another batch holds the database, the staging folder is full,
            or the last merge found the database busy or unwritable (the results stay staged).
    """
    options = options or ExtractionOptions.resolve()
    clock = time.perf_counter()
    db_path = Path(db)
    staging_dir = Path(staging) if staging else staging_dir_for(db_path)
    staging_dir.mkdir(parents=True, exist_ok=True)
    on_dask = workers > 1 or bool(dask_address)
    with batch_lock(db_path, shared=shared), ExitStack() as stack:
        resumed = merge_task(db_path, staging_dir, None)
        runner = None
        if on_dask:  # started first: the cluster starts and its workers load the model while the papers download
            runner = stack.enter_context(dask_task_runner(workers, dask_address))
            preload_pipelines(runner, options, warm=paper_time_budget_s > 0)
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

        key = options.key()
        # On Dask the workers load the model; this process only needs to say how the run extracts.
        pipeline = None if on_dask else Pipeline.load(options)
        if pipeline is not None:
            parameters = run_parameters(pipeline, source=source)
        else:
            parameters = {"options": options.model_dump(), "extraction_key": key, "source": source}
            parameters["dask"] = {"workers": workers, "address": dask_address, "chunk_size": chunk_size}
        if shared:
            parameters["shared"] = True
        with open_db(db_path, wait_s=FINAL_MERGE_WAIT_S) as con:
            done = finished_papers(con, key)
            run_id = start_run(con, "batch", parameters)
        summary = BatchSummary(run_id=run_id, source=source, references=len(refs), resumed=len(resumed))
        todo: list[FetchedPaper] = []
        seen: set[str | None] = set(done)  # a failed fetch adds None, as before
        for f in fetched:  # a paper listed twice (two URLs, a copy) is extracted once
            if f.error or f.sha256 not in seen:
                todo.append(f)
                seen.add(f.sha256)
        summary.skipped = len(fetched) - len(todo)
        staged: set[str] = set()  # the sources this batch staged
        with ExitStack() as held:
            claims = held.enter_context(Claims(staging_dir, key, ttl_s=claim_ttl_s)) if shared else None
            if pipeline is not None:
                merged = _extract_here(
                    todo, pipeline, staging_dir, db_path, run_id, summary, merge_every, paper_time_budget_s, stop,
                    claims, progress, staged,
                )  # fmt: skip
            else:
                assert runner is not None
                merged = _extract_on_dask(
                    todo, options, staging_dir, db_path, run_id, summary, merge_every, paper_time_budget_s, stop,
                    claims, progress, staged, runner=runner, workers=workers, chunk_size=chunk_size,
                )  # fmt: skip
            merged += merge_task(db_path, staging_dir, run_id)  # before the claims are let go: no one redoes them
        if shared:  # a shared batch's merges also write what the others staged: count only its own papers
            merged = [result for result in merged if result.source in staged]
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


def _failed_fetch(item: FetchedPaper, key: str) -> PaperResult:
    return PaperResult(
        source=item.ref.reference,
        doi=item.ref.doi,
        extraction_key=key,
        status="failed",
        errors=[f"fetch: {item.error or 'no file'}"],
    )


def _extract_here(
    todo: list[FetchedPaper],
    pipeline: Pipeline,
    staging_dir: Path,
    db_path: Path,
    run_id: str,
    summary: BatchSummary,
    merge_every: int,
    paper_time_budget_s: float,
    stop: StopRequest | None,
    claims: Claims | None,
    progress: Callable[[str, Any, int], None] | None,
    staged: set[str],
) -> list[PaperResult]:
    """One paper at a time in this process, the model loaded once (the batch as it always was, plus claims)."""
    key = pipeline.options.key()
    merged: list[PaperResult] = []
    if paper_time_budget_s > 0 and any(item.path and not item.error for item in todo):
        warm_up(pipeline)
    for n, item in enumerate(todo, start=1):
        if stop is not None and stop.requested:
            break
        if progress is not None:
            progress(item.ref.reference, None, len(todo))
        if item.error or not item.path:
            result = _failed_fetch(item, key)
        else:
            if claims is not None and item.sha256 and not claims.claim(item.sha256):
                continue  # another batch has it, or finished it since this one began
            found = extract_task(
                item.path, item.ref.reference, pipeline, item.ref.doi, budget_s=paper_time_budget_s, stop=stop
            )
            if found is None:  # stopped at once: the half-done paper is dropped, redone next run
                break
            result = found
        stage_result(result, staging_dir)
        staged.add(result.source)
        if progress is not None:
            progress(result.source, result, len(todo))
        if claims is not None and item.sha256:
            claims.done(item.sha256)
        summary.extracted += 1
        if n % merge_every == 0:
            merged += _merge_on_the_way(db_path, staging_dir, run_id)
    return merged


def _extract_on_dask(
    todo: list[FetchedPaper],
    options: ExtractionOptions,
    staging_dir: Path,
    db_path: Path,
    run_id: str,
    summary: BatchSummary,
    merge_every: int,
    paper_time_budget_s: float,
    stop: StopRequest | None,
    claims: Claims | None,
    progress: Callable[[str, Any, int], None] | None,
    staged: set[str],
    *,
    runner: Any,
    workers: int,
    chunk_size: int,
) -> list[PaperResult]:
    """Chunks of papers on a DaskTaskRunner, a few chunks ahead per worker; results merged here as chunks finish.

    A stop request is passed to the workers as a file in the staging folder (seen between papers);
    `stop.now` leaves the chunks in hand (a local cluster is shut down with them). A chunk lost with
    its worker (Dask gave up on it) is submitted once more, without the papers it had staged already;
    lost twice, its papers are left for the next run and named in the summary.
    """
    key = options.key()
    merged: list[PaperResult] = []
    for item in todo:
        if item.error or not item.path or not item.sha256:
            result = _failed_fetch(item, key)
            stage_result(result, staging_dir)
            staged.add(result.source)
            summary.extracted += 1
            if progress is not None:
                progress(result.source, result, len(todo))
    papers = [item for item in todo if item.path and item.sha256 and not item.error]
    if not papers:
        return merged
    stop_file = staging_dir / f".stop-{run_id}"
    queue: list[tuple[list[FetchedPaper], int]] = [(chunk, 1) for chunk in chunks(papers, chunk_size)]
    queue.reverse()  # popped from the end: in the corpus's order
    in_flight: dict[Any, tuple[list[FetchedPaper], int]] = {}
    since_merge = 0
    slots = _slots(runner, workers)
    while True:
        stopping = stop is not None and stop.requested
        while not stopping and queue and len(in_flight) < slots:
            chunk, attempt = queue.pop()
            if claims is not None and attempt == 1:
                chunk = [item for item in chunk if item.sha256 and claims.claim(item.sha256)]
            if chunk:
                parameters = {
                    "papers": chunk,
                    "options": options,
                    "staging": str(staging_dir),
                    "budget_s": paper_time_budget_s,
                    "stop_file": str(stop_file),
                }
                in_flight[runner.submit(extract_chunk, parameters)] = (chunk, attempt)
        if not in_flight:
            break
        if stopping:
            stop_file.touch()
            if stop is not None and stop.now.is_set():
                break
        for future in _first_finished(list(in_flight), timeout_s=0.5):
            chunk, attempt = in_flight.pop(future)
            done, again = _chunk_result(future, chunk, attempt, staging_dir, summary)
            if again:
                queue.append((again, attempt + 1))
            names = {paper.sha256 for paper in done}
            for item in chunk:
                if claims is not None and item.sha256 and item not in again:
                    (claims.done if item.sha256 in names else claims.release)(item.sha256)
            staged.update(paper.source for paper in done)
            summary.extracted += len(done)
            since_merge += len(done)
            if progress is not None:
                for paper in done:
                    progress(paper.source, paper, len(todo))
        if since_merge >= merge_every:
            merged += _merge_on_the_way(db_path, staging_dir, run_id)
            since_merge = 0
    if claims is not None:  # chunks left in flight by a stop: let the papers go for the next run at once
        for chunk, _ in in_flight.values():
            for item in chunk:
                if item.sha256:
                    claims.release(item.sha256)
    stop_file.unlink(missing_ok=True)
    return merged


def _chunk_result(
    future: Any, chunk: list[FetchedPaper], attempt: int, staging_dir: Path, summary: BatchSummary
) -> tuple[list[StagedPaper], list[FetchedPaper]]:
    """A finished chunk's receipts, and the papers to submit again: a lost chunk's unstaged papers, once."""
    try:
        return list(future.result()), []
    except Exception as err:  # a worker killed under it more often than Dask retries, a broken cluster
        kept = [item for item in chunk if item.sha256 and is_staged(staging_dir, item.sha256, item.ref.reference)]
        rest = [item for item in chunk if item not in kept]
        receipts = [
            StagedPaper(sha256=item.sha256 or "", source=item.ref.reference, status="staged", seconds=0.0)
            for item in kept
        ]
        if attempt == 1 and rest:
            log.warning(
                "a chunk of %d papers was lost (%s); its %d unfinished papers go again", len(chunk), err, len(rest)
            )
            return receipts, rest
        if rest:
            log.error("a chunk was lost twice (%s); its papers are left for the next run", err)
            summary.errors.extend(
                f"{item.ref.reference}: lost twice with its Dask worker ({type(err).__name__}); run again"
                for item in rest
            )
        return receipts, []


def _first_finished(futures: list[Any], timeout_s: float) -> list[Any]:
    """The futures done within timeout_s (none when none finished: the caller looks at its stop request again).

    Polled: distributed.wait wants a default client, and the task runner's is deliberately not one.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        finished = [future for future in futures if future.wrapped_future.done()]
        if finished or time.monotonic() >= deadline:
            return finished
        time.sleep(0.02)


def _slots(runner: Any, workers: int) -> int:
    """Chunks kept in flight: two per worker thread, so no worker waits for this process between chunks."""
    try:
        threads = sum(runner.client.nthreads().values())
    except Exception:  # a cluster still starting its workers
        threads = 0
    return 2 * max(threads, workers, 1)
