"""The extract_paper flow: one paper from its file to rows in DuckDB, and the pieces batches reuse.

parse, figures, extract, ground and score all happen in extractors.pipeline; the task here wraps it
so that even an unexpected error becomes a failed paper with its reason, never a stopped batch.
`propmine extract` calls the pipeline directly (a Prefect run costs seconds to start) and writes
through `write_results`, as this flow does; the flow is for runs that should show in Prefect's UI.

A batch gives each paper a time budget and can be stopped with Ctrl-C between papers or at once.
The budget is enforced from outside the computation, which knows nothing of it: the paper runs in a
worker thread while this thread watches the clock and the stop request; past the budget an
exception is raised inside the worker (CPython's PyThreadState_SetAsyncExc), which unwinds it at
its next Python instruction, so the model stays loaded for the next paper. A subprocess per paper
would need the model loaded again per paper, or a fork of a process running torch and Prefect
threads; a deadline checked between pages or passages would not stop one slow step (a quadratic
loop on one page). The exception is held back while the worker imports a module (a half-imported
module would break every later paper), and the batch warms the pipeline up first, so one-time
loading is not charged to the first paper. What the exception cannot stop is a single native call
that never returns to Python (one enormous regular expression or render): that worker is left
behind, logged, and the batch goes on beside it.
"""

from __future__ import annotations

import ctypes
import logging
import math
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from prefect import flow, task
from prefect.cache_policies import NONE

from extractors.pipeline import Pipeline
from flows.staging import stage_result, staging_dir_for
from flows.store import finish_run, flag_outliers, open_db, start_run, write_paper
from schemas.errors import ExtractionError, PropmineError
from schemas.options import ExtractionOptions
from schemas.result import PaperResult
from schemas.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# A paper past its budget gets this long to unwind (its except/finally blocks) before it is left behind.
STOP_GRACE_S = 5.0
IMPORT_WAIT_S = 120.0  # a paper past its budget inside an import is stopped once the import is done
_POLL_S = 0.1  # how often the watching thread looks at the stop request


@dataclass
class StopRequest:
    """Ctrl-C during a batch: the first stops after the paper in hand, the second at once, dropping that paper.
    SIGTERM (a scheduler ending the job: Slurm's preemption, Kubernetes' pod shutdown, `kill`) stops at once,
    since a grace period may not last a paper; what is finished is merged either way.

    The events are set from a signal handler (`on_sigint`) or by any thread; the batch reads them
    between papers, and the paper's watcher (`run_paper`) reads `now` while a paper runs.
    """

    after_paper: threading.Event = field(default_factory=threading.Event)
    now: threading.Event = field(default_factory=threading.Event)
    in_paper: threading.Event = field(default_factory=threading.Event)
    terminated: threading.Event = field(default_factory=threading.Event)

    @property
    def requested(self) -> bool:
        return self.after_paper.is_set()

    def press(self) -> str:
        """One Ctrl-C; returns what the batch will do, for the user.

        Raises:
            KeyboardInterrupt: a press when stopping at once cannot wait for a paper (none is running,
                or one was already asked to stop).
        """
        if not self.after_paper.is_set():
            self.after_paper.set()
            return "stopping after the paper in hand (Ctrl-C again to stop at once)"
        if self.in_paper.is_set() and not self.now.is_set():
            self.now.set()
            return "stopping now; the paper in hand is dropped and redone next run"
        raise KeyboardInterrupt

    def terminate(self) -> str:
        """SIGTERM: stop at once, dropping the paper in hand (it is redone next run); returns what happens."""
        self.terminated.set()
        self.after_paper.set()
        if self.in_paper.is_set():
            self.now.set()
        return "terminated: stopping now and writing what is finished"

    @contextmanager
    def on_sigint(self, notify: Callable[[str], None]) -> Iterator[StopRequest]:
        """Route Ctrl-C to `press` and SIGTERM to `terminate` inside the block (main thread only; elsewhere
        the signals are left as they are). A Prefect flow run puts its own SIGTERM handler in place (it
        ends the run as crashed), so the flow routes SIGTERM again inside itself (`on_sigterm`)."""
        with self._routed(signal.SIGINT, lambda: notify(self.press())), self.on_sigterm(notify):
            yield self

    def on_sigterm(self, notify: Callable[[str], None]) -> AbstractContextManager[None]:
        """Route SIGTERM to `terminate` inside the block (main thread only)."""
        return self._routed(signal.SIGTERM, lambda: notify(self.terminate()))

    @staticmethod
    @contextmanager
    def _routed(signum: int, act: Callable[[], None]) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signum, lambda number, frame: act())
        try:
            yield
        finally:
            signal.signal(signum, previous)


class PaperStopped(BaseException):
    """Raised inside a paper's worker thread to end it (a BaseException, so no `except Exception` swallows it)."""


class TimeBudgetExceeded(ExtractionError):
    """A paper took longer than its time budget."""

    def __init__(self, budget_s: float) -> None:
        self.budget_s = budget_s
        super().__init__(
            f"time budget ({budget_s:g} s): the paper was stopped after {budget_s:g} s; "
            "a larger --paper-time-budget (0: none) lets it finish"
        )


def _importing(thread_id: int) -> bool:
    """Whether the thread is inside an import (a frame of importlib's bootstrap on its stack)."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def run_paper(work: Callable[[], T], budget_s: float = 0.0, stop: StopRequest | None = None) -> T | None:
    """Run one paper's work within a time budget, watching for a stop request.

    Args:
        work: the paper's computation.
        budget_s: seconds it may take; 0 for no limit (then, without `stop`, it runs in this thread).
        stop: a stop request; when `stop.now` is set while the paper runs, the paper is dropped.

    Returns:
        What `work` returned; None when the paper was dropped on `stop.now`.

    Raises:
        TimeBudgetExceeded: the work ran past budget_s (it has been told to stop, see the module docstring).
        Exception: whatever the work raised.
    """
    if budget_s <= 0 and stop is None:
        return work()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except PaperStopped:
            pass
        except BaseException as err:  # handed to the watching thread, which raises it
            box["error"] = err

    worker = threading.Thread(target=target, name="propmine-paper", daemon=True)
    deadline = time.monotonic() + budget_s if budget_s > 0 else math.inf
    if stop is not None:
        stop.in_paper.set()
    worker.start()
    try:
        while worker.is_alive():
            if stop is not None and stop.now.is_set():
                _stop_worker(worker)
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                _stop_worker(worker)
                raise TimeBudgetExceeded(budget_s)
            worker.join(min(remaining, _POLL_S))
    except BaseException:  # KeyboardInterrupt in the watching thread: the worker must not run on unseen
        if worker.is_alive():
            _stop_worker(worker)
        raise
    finally:
        if stop is not None:
            stop.in_paper.clear()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["result"]  # type: ignore[return-value]


def _stop_worker(worker: threading.Thread) -> None:
    """Raise PaperStopped inside the worker and give it STOP_GRACE_S to unwind; leave it behind if it does not.

    Never while the worker imports a module: an exception there leaves a half-initialized module in
    sys.modules (a half-imported torch breaks every later paper and crashed the process at exit).
    """
    if worker.ident is None:
        return
    waited = time.monotonic() + IMPORT_WAIT_S
    while worker.is_alive() and _importing(worker.ident) and time.monotonic() < waited:
        time.sleep(0.02)
    hit = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), ctypes.py_object(PaperStopped))
    if hit > 1:  # cannot happen for one live thread id; undo rather than hit another thread
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(worker.ident), None)
    worker.join(STOP_GRACE_S)
    if worker.is_alive():
        log.warning(
            "a stopped paper is still inside a native call after %.0f s; it is left to end in the background",
            STOP_GRACE_S,
        )


@task(name="extract", cache_policy=NONE)
def extract_task(
    path: str,
    source: str,
    pipeline: Pipeline,
    doi: str | None = None,
    budget_s: float = 0.0,
    stop: StopRequest | None = None,
) -> PaperResult | None:
    """One paper through the pipeline; any error, the time budget included, ends as a failed PaperResult.

    Returns:
        The paper's result; None when `stop.now` dropped the paper.
    """
    try:
        found = run_paper(lambda: pipeline.extract(path, source=source), budget_s, stop)
        if found is None:
            return None
        result = found
    except TimeBudgetExceeded as err:
        log.warning("%s: %s", source, err)
        result = PaperResult(source=source, status="failed", errors=[str(err)])
    except PropmineError as err:
        result = PaperResult(source=source, status="failed", errors=[f"extract: {err}"])
    except Exception as err:  # a bug on one paper must not stop the batch: record it and go on
        log.exception("extracting %s failed", source)
        result = PaperResult(source=source, status="failed", errors=[f"internal error: {type(err).__name__}: {err}"])
    result.doi = doi
    result.extraction_key = pipeline.options.key()
    for record in result.records:
        record.doi = doi
    return result


def run_parameters(pipeline: Pipeline, **extra: object) -> dict:
    """What a run's row in DuckDB says about how it extracted: the options and the extractor's identity."""
    return {"options": pipeline.options.model_dump(), "extractor": pipeline.extractor.info.model_dump(), **extra}


def check_database(db: Path) -> None:
    """Open (creating or migrating) the DuckDB file and close it: the checks a write at the end would meet.

    Run before any work, so that a folder, a path under a file, a read-only, busy or foreign file is
    one line at once, not after the extraction.

    Raises:
        PropmineError: what open_db raises (InputError, DatabaseBusy, ConfigError).
    """
    with open_db(db):
        pass


def write_results(db: Path, results: list[PaperResult], kind: str, parameters: dict) -> str:
    """Write finished papers into the DuckDB file as one run (start, papers, outliers, finish); the run id.

    Raises:
        PropmineError: the file cannot be opened or written (keep_results saves the results then).
    """
    with open_db(db) as con:
        run_id = start_run(con, kind, parameters)
        for result in results:
            write_paper(con, result, run_id)
        flag_outliers(con)
        finish_run(con, run_id, len(results), sum(len(r.records) for r in results))
    return run_id


def keep_results(db: Path, results: list[PaperResult]) -> Path:
    """Save results that could not be written into `db` where a later batch on `db` picks them up.

    The staging folder beside the database (DB.staging/results, merged first by the next
    `propmine batch ... --db DB`), else a folder in the cache directory, else the temporary folder.

    Returns:
        The staging folder the results were written into (its results/ holds one JSON file per paper).

    Raises:
        PropmineError: no place could take them.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    places = [staging_dir_for(db), Settings.from_env().cache_dir / "propmine-unsaved" / f"{Path(db).stem}-{stamp}"]
    places.append(Path(tempfile.gettempdir()) / f"propmine-unsaved-{Path(db).stem}-{stamp}")
    last: Exception | None = None
    for staging in places:
        try:
            for result in results:
                stage_result(result, staging)
            return staging
        except (PropmineError, OSError) as err:
            log.warning("cannot keep the results in %s: %s", staging, err)
            last = err
    raise ExtractionError(f"the results could not be saved anywhere either ({last})")


@flow(name="extract-paper", log_prints=False)
def extract_paper_flow(path: str, db: str, options: ExtractionOptions | None = None) -> PaperResult:
    """Extract one PDF or text file (text and plots) and write its records into the DuckDB file `db`."""
    check_database(Path(db))
    pipeline = Pipeline.load(options or ExtractionOptions.resolve())
    result = extract_task(str(path), str(path), pipeline)
    assert result is not None  # only a stop request drops a paper, and none is passed
    write_results(Path(db), [result], "extract-paper", run_parameters(pipeline, path=str(path)))
    return result
