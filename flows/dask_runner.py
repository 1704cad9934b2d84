"""Extraction on Dask through prefect-dask: a local cluster of worker processes, or an existing scheduler.

mine_corpus hands papers to `extract_chunk` tasks, several papers a task, on a DaskTaskRunner: one
Prefect task run (its API calls, its state changes: ~0.45 s here) is shared by a chunk instead of
paid per paper. Each worker process loads the pipeline once (`worker_pipeline`, cached by the
extraction key) and keeps it for every later chunk; one thread per worker, because the model uses
the process's cores itself and a second thread would only contend for them and for memory.

Workers write each paper's result into the staging folder themselves (one file per paper, renamed
into place: flows.staging.stage_result) and return only a small receipt; the flow's process alone
merges into DuckDB. The staging folder and the papers' files must therefore be reachable under the
same paths from every worker: always so for a local cluster, a shared file system on Slurm or
Kubernetes. Workers import propmine, so it must be installed where they run.

distributed and prefect_dask are imported only when a Dask runner is made: the ordinary batch never loads them.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import task
from prefect.cache_policies import NONE
from pydantic import BaseModel

from extractors.pipeline import Pipeline
from flows.extract_paper import extract_task
from flows.staging import Provenance, stage_result
from schemas.fetch import FetchedPaper
from schemas.options import ExtractionOptions
from schemas.result import PaperResult

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 8

# One pipeline per extraction key per worker process, loaded by the first chunk and kept for every later one.
_PIPELINES: dict[str, Pipeline] = {}
_PIPELINES_LOCK = threading.Lock()


class StagedPaper(BaseModel):
    """What a chunk task returns for one paper: enough for the flow's counts and claims, not the result itself."""

    sha256: str
    source: str
    status: str
    seconds: float
    worker: str | None = None
    stage_seconds: dict[str, float] = {}


# The stages extractors.pipeline times itself (PaperResult.seconds); what remains of a paper's time is grounding,
# credibility scoring and the bookkeeping around them.
PIPELINE_STAGES = ("parse", "passages", "extract", "figures")


def paper_stage_seconds(result: PaperResult, total_s: float) -> dict[str, float]:
    """Where one paper's extraction time went: the pipeline's own stages, and the rest as `ground_score`.

    Args:
        total_s: the wall time of the paper's pipeline run (extract_paper), measured by the caller.
    """
    stages = {name: round(result.seconds.get(name, 0.0), 4) for name in PIPELINE_STAGES}
    stages["ground_score"] = round(max(0.0, total_s - sum(stages.values())), 4)
    return stages


def warm_up(pipeline: Pipeline) -> None:
    """Pass a two-line paper with no values through the pipeline, so that what loads once (spaCy's model,
    modules imported on first use: seconds) is not charged to the first paper's time budget."""
    with tempfile.TemporaryDirectory(prefix="propmine-warm-up-") as tmp:
        path = Path(tmp) / "warm-up.txt"
        path.write_text("Results\n\nThe samples were prepared as described before and measured twice.\n", "utf-8")
        try:
            pipeline.extract(path)
        except Exception:  # only a warm-up: the papers themselves will say what is wrong
            log.debug("warm-up failed", exc_info=True)


def worker_pipeline(options: ExtractionOptions, warm: bool = True) -> Pipeline:
    """This process's pipeline for `options`, loaded (and warmed up) on first use and kept."""
    key = options.key()
    with _PIPELINES_LOCK:  # threads_per_worker > 1 must not load the model twice
        pipeline = _PIPELINES.get(key)
        if pipeline is None:
            pipeline = Pipeline.load(options)
            if warm:
                warm_up(pipeline)
            _PIPELINES[key] = pipeline
    return pipeline


def preload_pipelines(runner: DaskTaskRunner, options: ExtractionOptions, warm: bool = True) -> None:
    """Have every worker, and every worker that joins later (a restarted one), load the pipeline in the background.

    A WorkerPlugin whose setup starts a thread: the worker's event loop stays free (heartbeats), and the
    first chunk on that worker waits in `worker_pipeline` until the load is done. Called before the
    papers are fetched, so the model loads while they download.
    """
    from flows.dask_plugin import PreloadPipeline

    load = functools.partial(worker_pipeline, options, warm)
    runner.client.register_plugin(PreloadPipeline(load), name=f"propmine-pipeline-{options.key()}")


def _worker_name() -> str | None:
    try:
        from distributed import get_worker

        return str(get_worker().name)
    except (ImportError, ValueError):  # not inside a Dask worker
        return None


@task(name="extract-chunk", cache_policy=NONE)
def extract_chunk(
    papers: list[FetchedPaper],
    options: ExtractionOptions,
    staging: str,
    budget_s: float = 0.0,
    stop_file: str | None = None,
) -> list[StagedPaper]:
    """Extract a few papers on this worker and stage each result as soon as it is done.

    Every paper ends staged, as a success or a failed result with its reason (flows.extract_paper.extract_task).
    The chunk ends early when `stop_file` exists (a stop request of the flow, seen between papers); the
    papers it did not reach are left for the next run.
    """
    pipeline = worker_pipeline(options, warm=budget_s > 0)
    worker = _worker_name()
    done: list[StagedPaper] = []
    for item in papers:
        if stop_file and Path(stop_file).exists():
            break
        if not item.path or not item.sha256:
            continue  # the flow stages failed fetches itself
        clock = time.perf_counter()
        result = extract_task.fn(item.path, item.ref.reference, pipeline, item.ref.doi, budget_s=budget_s)
        assert result is not None  # only a stop request drops a paper, and none is passed
        extracted_s = time.perf_counter() - clock
        stage_result(result, Path(staging), Provenance.here(worker), item.ref.metadata())
        stages = paper_stage_seconds(result, extracted_s)
        stages["stage"] = round(time.perf_counter() - clock - extracted_s, 4)
        done.append(
            StagedPaper(
                sha256=item.sha256,
                source=item.ref.reference,
                status=result.status,
                seconds=round(time.perf_counter() - clock, 3),
                worker=worker,
                stage_seconds=stages,
            )
        )
    return done


def dask_task_runner(workers: int = 2, address: str | None = None) -> DaskTaskRunner:
    """A DaskTaskRunner: on the scheduler at `address`, else a local cluster of `workers` processes, one thread each.

    A local cluster's workers are told this process's Prefect API (the temporary server a plain
    `propmine batch` starts is otherwise unknown to them and each would start its own). Workers of an
    existing cluster need PREFECT_API_URL in their own environment (see the README).
    """
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    # The scheduler (in this process) and the workers log their start and stop at INFO through Prefect's handlers:
    # a batch's terminal shows warnings and errors only. The workers read it from the environment they are
    # spawned with (the Nanny's `env` is applied too late for the logging set up on import).
    logging.getLogger("distributed").setLevel(logging.WARNING)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    env = {"PREFECT_API_URL": url} if (url := prefect_api_url()) else {}
    # N worker processes share the cores: each model gets its share of threads, not all of them
    env["PROPMINE_THREADS"] = os.environ.get("PROPMINE_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))
    cluster_kwargs: dict[str, Any] = {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,  # no web dashboard (and no bokeh needed)
        "silence_logs": logging.ERROR,  # the scheduler's and workers' chatter stays off the batch's terminal
        "env": env,
    }
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=cluster_kwargs)


def prefect_api_url() -> str | None:
    """The Prefect API this process talks to: PREFECT_API_URL, or the temporary server it started."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if url:
        return str(url)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    return server.api_url if server.running else None


def chunks(items: list[FetchedPaper], size: int) -> list[list[FetchedPaper]]:
    """Consecutive chunks of at most `size` papers."""
    size = max(1, size)
    return [items[i : i + size] for i in range(0, len(items), size)]
