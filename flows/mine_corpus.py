"""The mine_corpus flow: a source of papers in, DuckDB rows out; resumable, idempotent, one writer.

    source -> references -> fetch (parallel, polite, a few papers ahead) -> skip what the DB already holds
    for this extraction key -> extract (one paper at a time: the model uses every core) -> stage -> merge

A pipeline, not phases: downloads run on the flow's thread pool, at most `FETCH_AHEAD` papers ahead of
extraction, and a paper is extracted as soon as its download has finished, while the next ones download
(the model loads while the first ones do). Extraction runs one paper at a time in this process, with the
model loaded once. Results are staged as files and merged by this process alone (DuckDB has one writer),
every `merge_every` papers and at the end, so a killed run loses at most the paper in hand: the next run
merges what was staged and skips what was merged (and finds what was downloaded through the fetch index,
saved at every merge). A lock file keeps a second batch off the same database.

Each paper has a time budget (flows.extract_paper.run_paper): past it the paper ends as failed
and the batch goes on. A stop request (Ctrl-C, through the CLI) ends the loop after the paper in
hand, or at once, dropping it; downloads not yet started are cancelled, and what is finished is merged
either way. A merge that finds the database busy or unwritable mid-batch leaves the results staged for
the next merge; only the last merge of the run must succeed.

Scale-out (flows.dask_runner): with `workers` > 1 or a `dask_address`, extraction runs on Dask
through prefect-dask, `chunk_size` papers a task, a few chunks ahead per worker, chunks made as the
papers' downloads finish; workers stage results, and this process still merges alone, as chunks finish
and at the end. With `shared`, several batches (processes, hosts, Prefect workers of one pool) mine one
corpus into one database: each claims a paper before extracting it (flows.claims), the database lock is
taken shared, and a killed batch's claims are free again after `claim_ttl_s`. Without either, the batch
is as it was.

Where the time goes: the run's `stage_seconds` (in the `runs` table, and logged at the end) sums each
stage over the papers: fetch (downloads, which overlap extraction), fetch_wait (what extraction waited for
downloads), parse, passages, extract, figures, ground_score, prefect (per-paper task bookkeeping), store
(staging and merging), and wall.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.task_runners import ThreadPoolTaskRunner

from extractors.pipeline import Pipeline
from flows.claims import DEFAULT_TTL_S, Claims
from flows.dask_runner import (
    DEFAULT_CHUNK_SIZE,
    StagedPaper,
    dask_task_runner,
    extract_chunk,
    paper_stage_seconds,
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
# Downloads in flight or finished and waiting for extraction: twice the flow's 4 fetch threads, so they stay busy
# while a paper is extracted, and few enough that a stop or a crash leaves little downloaded for nothing.
FETCH_AHEAD = 8

log = logging.getLogger(__name__)


@task(name="list-references", cache_policy=NONE)
def list_task(source: str, settings: FetchSettings, client: httpx.Client) -> list[PaperRef]:
    # No task retries: the API calls retry themselves, and a wrong SOURCE is the user's to fix.
    return list_references(source, settings, client)


@task(name="fetch", cache_policy=NONE)
def fetch_task(ref: PaperRef, staging: Path, settings: FetchSettings, client: httpx.Client) -> FetchedPaper:
    """Download (or hash) one paper into STAGING/pdfs."""
    (staging / "pdfs").mkdir(parents=True, exist_ok=True)
    return fetch_paper(ref, staging / "pdfs", settings, client)


def fetched_before(ref: PaperRef, staging: Path, known: dict[str, str]) -> FetchedPaper | None:
    """A URL downloaded by an earlier run (the fetch index names its file, and the file is there), else None."""
    sha = known.get(ref.reference)
    cached = staging / "pdfs" / f"{sha}.pdf"
    if sha and ref.kind == "url" and cached.is_file():
        return FetchedPaper(ref=ref, path=str(cached), sha256=sha, size_bytes=cached.stat().st_size, cached=True)
    return None


class StageClock:
    """Seconds per stage, summed over a batch's papers (downloads overlap extraction: the sum can exceed the wall time)."""

    ORDER = (
        "fetch", "fetch_wait", "parse", "passages", "extract", "figures", "ground_score", "prefect", "stage", "store",
    )  # fmt: skip

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(self.ORDER, 0.0)

    def add(self, stages: dict[str, float]) -> None:
        for name, seconds in stages.items():
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def rounded(self, wall_s: float) -> dict[str, float]:
        return {**{name: round(s, 2) for name, s in self.seconds.items()}, "wall": round(wall_s, 2)}

    def line(self, wall_s: float) -> str:
        """'fetch 12.1 s, fetch_wait 0.4 s, parse 3.2 s, ... (wall 20.5 s)': the stages that took any time."""
        parts = [f"{name} {s:.1f} s" for name, s in self.seconds.items() if s >= 0.05]
        return ", ".join(parts) + f" (wall {wall_s:.1f} s)"


class FetchQueue:
    """The papers of a batch, fetched on the flow's thread pool at most `ahead` at a time, handed on as each finishes.

    A reference downloaded by an earlier run (the fetch index) is handed on without a task. Papers come out in the
    order their downloads finish; a paper listed twice (two URLs, a copy) and a paper the database already holds
    for this extraction key are counted as skipped and not handed on.
    """

    def __init__(
        self,
        refs: list[PaperRef],
        submit: Callable[[PaperRef], Any],
        staging: Path,
        known: dict[str, str],
        ahead: int = FETCH_AHEAD,
    ) -> None:
        self._refs = iter(refs)
        self._submit = submit
        self._staging = staging
        self.known = known  # reference -> sha256, grown as downloads finish (saved by the flow)
        self._ahead = max(1, ahead)
        self._in_flight: list[Any] = []
        self._ready: list[FetchedPaper] = []
        self._seen: set[str | None] = set()
        self.skipped = 0
        self.fetch_s = 0.0
        self._top_up()

    def skip(self, paper_ids: set[str]) -> None:
        """Papers already done (the database's, for this extraction key): skipped when they come out."""
        self._seen |= paper_ids

    @property
    def exhausted(self) -> bool:
        """Every reference has been fetched and handed on (or skipped)."""
        return not self._in_flight and not self._ready

    def _top_up(self) -> None:
        while len(self._in_flight) + len(self._ready) < self._ahead:
            ref = next(self._refs, None)
            if ref is None:
                return
            before = fetched_before(ref, self._staging, self.known)
            if before is not None:
                self._ready.append(before)
            else:
                self._in_flight.append(self._submit(ref))

    def poll(self, timeout_s: float | None) -> list[FetchedPaper]:
        """The papers whose fetch finished, waiting up to timeout_s for one (None: until one has).

        Raises:
            InputError: the staging folder cannot be written (a full disk): that stops the batch.
        """
        if not self._ready and self._in_flight:
            waiting = {future.wrapped_future: future for future in self._in_flight}
            done, _ = concurrent.futures.wait(
                list(waiting), timeout=timeout_s, return_when=concurrent.futures.FIRST_COMPLETED
            )
            finished = [waiting[f] for f in waiting if f in done]  # in the corpus's order
            self._in_flight = [future for future in self._in_flight if future not in finished]
            for future in finished:
                fetched: FetchedPaper = future.result()
                self.fetch_s += fetched.seconds
                if fetched.sha256 and fetched.ref.kind == "url":
                    self.known[fetched.ref.reference] = fetched.sha256
                self._ready.append(fetched)
        out, self._ready = self._ready, []
        self._top_up()
        admitted = []
        for fetched in out:
            if fetched.error or fetched.sha256 not in self._seen:  # a failed fetch is always handed on, as before
                admitted.append(fetched)
                self._seen.add(fetched.sha256)
            else:
                self.skipped += 1
        return admitted

    def stream(self, stop: StopRequest | None, clock: StageClock) -> Iterator[FetchedPaper]:
        """Every paper, one at a time as they finish, until a stop request; the wait for downloads goes to `clock`."""
        while not self.exhausted and not (stop is not None and stop.requested):
            waited = time.perf_counter()
            found = self.poll(timeout_s=0.5)  # short waits: a stop request is seen while a download goes on
            clock.add({"fetch_wait": time.perf_counter() - waited})
            for item in found:
                if stop is not None and stop.requested:
                    return  # the papers fetched but not extracted are the next run's (their files are kept)
                yield item

    def cancel(self) -> None:
        """Cancel the downloads not started yet (those under way finish on their own)."""
        for future in self._in_flight:
            future.wrapped_future.cancel()


class _TimedPipeline(Pipeline):
    """The same loaded parts, keeping the wall time of the last paper: the task's own bookkeeping is told apart."""

    last_s: float = 0.0

    @classmethod
    def of(cls, pipeline: Pipeline) -> _TimedPipeline:
        return cls(pipeline.options, pipeline.extractor, pipeline.figure_reader)

    def extract(self, path: str | Path, source: str | None = None) -> PaperResult:
        clock = time.perf_counter()
        try:
            return super().extract(path, source=source)
        finally:
            self.last_s = time.perf_counter() - clock


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


def _merge_on_the_way(
    db: Path, staging: Path, run_id: str | None, clock: StageClock | None = None, known: dict[str, str] | None = None
) -> list[PaperResult]:
    """A merge in the middle of a batch: a busy or full database only postpones it to the next one.

    The fetch index is saved with it, so a killed run's successor finds what this one downloaded.
    """
    started = time.perf_counter()
    try:
        if known is not None:
            save_fetch_index(staging, known)
        return merge_task(db, staging, run_id, wait_s=5.0)
    except (DatabaseBusy, DatabaseWriteError) as err:
        log.warning("merge postponed, the results stay staged: %s", err)
        return []
    finally:
        if clock is not None:
            clock.add({"store": time.perf_counter() - started})


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
            total is the number of papers this run expects to extract (the papers listed, less those found done
            so far: papers are fetched while others are extracted, so it can only fall).
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
    stages = StageClock()
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
        client = stack.enter_context(make_client(settings))  # one connection pool for every download
        refs = list_task(source, settings, client)

        def submit(ref: PaperRef) -> Any:
            return fetch_task.submit(ref, staging=staging_dir, settings=settings, client=client)

        # The first downloads start now: they go on while the model loads and the run is registered.
        fetches = FetchQueue(refs, submit, staging_dir, load_fetch_index(staging_dir))
        stack.callback(fetches.cancel)  # a stop, or an error: no download starts after the flow ends

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
            fetches.skip(finished_papers(con, key))
            run_id = start_run(con, "batch", parameters)
        summary = BatchSummary(run_id=run_id, source=source, references=len(refs), resumed=len(resumed))
        staged: set[str] = set()  # the sources this batch staged
        with ExitStack() as held:
            claims = held.enter_context(Claims(staging_dir, key, ttl_s=claim_ttl_s)) if shared else None
            if stop is not None:  # SIGTERM ends the papers gracefully, not the flow run as crashed (Prefect's handler)
                held.enter_context(stop.on_sigterm(lambda message: log.warning("%s", message)))
            if pipeline is not None:
                merged = _extract_here(
                    fetches, pipeline, staging_dir, db_path, run_id, summary, merge_every, paper_time_budget_s, stop,
                    claims, progress, staged, stages,
                )  # fmt: skip
            else:
                assert runner is not None
                merged = _extract_on_dask(
                    fetches, options, staging_dir, db_path, run_id, summary, merge_every, paper_time_budget_s, stop,
                    claims, progress, staged, stages, runner=runner, workers=workers, chunk_size=chunk_size,
                )  # fmt: skip
            save_fetch_index(staging_dir, fetches.known)
            started = time.perf_counter()
            merged += merge_task(db_path, staging_dir, run_id)  # before the claims are let go: no one redoes them
            stages.add({"store": time.perf_counter() - started})
        summary.skipped = fetches.skipped
        stages.add({"fetch": fetches.fetch_s})
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
        summary.stage_seconds = stages.rounded(summary.seconds)
        log.info("where the time went, summed over papers: %s", stages.line(summary.seconds))
        with open_db(db_path, wait_s=FINAL_MERGE_WAIT_S) as con:
            finish_run(con, run_id, summary.extracted, summary.records, stages.rounded(summary.seconds))
    return summary


def _expected(fetches: FetchQueue, summary: BatchSummary) -> int:
    """The papers this run expects to extract: those listed, less those found done (so far)."""
    return max(summary.references - fetches.skipped, summary.extracted)


def _failed_fetch(item: FetchedPaper, key: str) -> PaperResult:
    return PaperResult(
        source=item.ref.reference,
        doi=item.ref.doi,
        extraction_key=key,
        status="failed",
        errors=[f"fetch: {item.error or 'no file'}"],
    )


def _extract_here(
    fetches: FetchQueue,
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
    stages: StageClock,
) -> list[PaperResult]:
    """One paper at a time in this process as their downloads finish, the model loaded once (plus claims)."""
    key = pipeline.options.key()
    merged: list[PaperResult] = []
    timed = _TimedPipeline.of(pipeline)
    warm = paper_time_budget_s > 0
    n = 0
    for item in fetches.stream(stop, stages):
        if warm and item.path and not item.error:  # before the first paper's budget starts, if there is one to extract
            warm_up(pipeline)
            warm = False
        if progress is not None:
            progress(item.ref.reference, None, _expected(fetches, summary))
        if item.error or not item.path:
            result = _failed_fetch(item, key)
        else:
            if claims is not None and item.sha256 and not claims.claim(item.sha256):
                continue  # another batch has it, or finished it since this one began
            clock = time.perf_counter()
            found = extract_task(
                item.path,
                item.ref.reference,
                timed,
                item.ref.doi,
                budget_s=paper_time_budget_s,
                stop=stop,
            )
            if found is None:  # stopped at once: the half-done paper is dropped, redone next run
                break
            result = found
            took = time.perf_counter() - clock
            stages.add({**paper_stage_seconds(result, timed.last_s), "prefect": max(0.0, took - timed.last_s)})
        clock = time.perf_counter()
        stage_result(result, staging_dir, metadata=item.ref.metadata())
        stages.add({"stage": time.perf_counter() - clock})
        staged.add(result.source)
        if progress is not None:
            progress(result.source, result, _expected(fetches, summary))
        if claims is not None and item.sha256:
            claims.done(item.sha256)
        summary.extracted += 1
        n += 1
        if n % merge_every == 0:
            merged += _merge_on_the_way(db_path, staging_dir, run_id, stages, fetches.known)
    return merged


def _extract_on_dask(
    fetches: FetchQueue,
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
    stages: StageClock,
    *,
    runner: Any,
    workers: int,
    chunk_size: int,
) -> list[PaperResult]:
    """Chunks of papers on a DaskTaskRunner, made as downloads finish, a few chunks ahead per worker; results merged
    here as chunks finish.

    A chunk is sent when it is full, when the downloads are all done, or when a worker would otherwise wait for one.
    A stop request is passed to the workers as a file in the staging folder (seen between papers);
    `stop.now` leaves the chunks in hand (a local cluster is shut down with them). A chunk lost with
    its worker (Dask gave up on it) is submitted once more, without the papers it had staged already;
    lost twice, its papers are left for the next run and named in the summary.
    """
    key = options.key()
    merged: list[PaperResult] = []
    stop_file = staging_dir / f".stop-{run_id}"
    queue: list[tuple[list[FetchedPaper], int]] = []  # popped from the end: retries first, new chunks in order
    ready: list[FetchedPaper] = []  # downloaded, not yet in a chunk
    in_flight: dict[Any, tuple[list[FetchedPaper], int]] = {}
    since_merge = 0
    slots = _slots(runner, workers)
    while True:
        stopping = stop is not None and stop.requested
        if not stopping and not fetches.exhausted:
            waited = time.perf_counter()
            idle = not in_flight and not queue and not ready
            for item in fetches.poll(timeout_s=0.5 if idle else 0):  # waits only when there is nothing else to do
                if item.error or not item.path or not item.sha256:
                    result = _failed_fetch(item, key)
                    stage_result(result, staging_dir, metadata=item.ref.metadata())
                    staged.add(result.source)
                    summary.extracted += 1
                    if progress is not None:
                        progress(result.source, result, _expected(fetches, summary))
                else:
                    ready.append(item)
            if idle:
                stages.add({"fetch_wait": time.perf_counter() - waited})
        hungry = len(in_flight) + len(queue) < workers  # a worker would wait for a full chunk
        while ready and (len(ready) >= chunk_size or fetches.exhausted or hungry or stopping):
            queue.insert(0, (ready[:chunk_size], 1))
            ready = ready[chunk_size:]
            hungry = len(in_flight) + len(queue) < workers
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
        if not in_flight and (stopping or (fetches.exhausted and not queue and not ready)):
            break
        if stopping:
            stop_file.touch()
            if stop is not None and stop.now.is_set():
                break
        for future in _first_finished(list(in_flight), timeout_s=0.5) if in_flight else []:
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
            for paper in done:
                stages.add(paper.stage_seconds)
            if progress is not None:
                for paper in done:
                    progress(paper.source, paper, _expected(fetches, summary))
        if since_merge >= merge_every:
            merged += _merge_on_the_way(db_path, staging_dir, run_id, stages, fetches.known)
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
