"""The extract_paper flow: one paper from its file to rows in DuckDB, and the pieces batches reuse.

parse, figures, extract, ground and score all happen in extractors.pipeline; the task here wraps it
so that even an unexpected error becomes a failed paper with its reason, never a stopped batch.
`propmine extract` calls the pipeline directly (a Prefect run costs seconds to start) and writes
through `write_results`, as this flow does; the flow is for runs that should show in Prefect's UI.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from extractors.pipeline import Pipeline
from flows.store import finish_run, flag_outliers, open_db, start_run, write_paper
from schemas.errors import PropmineError
from schemas.options import ExtractionOptions
from schemas.result import PaperResult

log = logging.getLogger(__name__)


@task(name="extract", cache_policy=NONE)
def extract_task(path: str, source: str, pipeline: Pipeline, doi: str | None = None) -> PaperResult:
    """One paper through the pipeline; any error ends as a failed PaperResult with its reason."""
    try:
        result = pipeline.extract(path, source=source)
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


def write_results(db: Path, results: list[PaperResult], kind: str, parameters: dict) -> str:
    """Write finished papers into the DuckDB file as one run (start, papers, outliers, finish); the run id."""
    with open_db(db) as con:
        run_id = start_run(con, kind, parameters)
        for result in results:
            write_paper(con, result, run_id)
        flag_outliers(con)
        finish_run(con, run_id, len(results), sum(len(r.records) for r in results))
    return run_id


@flow(name="extract-paper", log_prints=False)
def extract_paper_flow(path: str, db: str, options: ExtractionOptions | None = None) -> PaperResult:
    """Extract one PDF or text file (text and plots) and write its records into the DuckDB file `db`."""
    pipeline = Pipeline.load(options or ExtractionOptions.resolve())
    result = extract_task(str(path), str(path), pipeline)
    write_results(Path(db), [result], "extract-paper", run_parameters(pipeline, path=str(path)))
    return result
