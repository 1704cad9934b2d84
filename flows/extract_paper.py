"""The extract_paper flow: one paper from its file to rows in DuckDB, and the tasks batches reuse.

parse, figures-as-passages, extract, ground and score all happen in extractors.pipeline; the task
here wraps it so that even an unexpected error becomes a failed paper with its reason, never a
stopped batch. `propmine extract` calls the pipeline directly (a Prefect run costs seconds to
start); this flow is for runs that should show up in Prefect's UI.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NONE

from extractors.figures.base import FigureReader
from extractors.figures.reading import make_figure_reader
from extractors.pipeline import extract_paper, make_extractor
from extractors.records.extractor import RecordExtractor
from flows.store import finish_run, flag_outliers, open_db, start_run, write_paper
from schemas.credibility import DEFAULT_RULES
from schemas.errors import PropmineError
from schemas.record import ExtractorInfo
from schemas.result import PaperResult

log = logging.getLogger(__name__)


def extraction_key(info: ExtractorInfo, properties: set[str] | None, figure_reader: FigureReader | None = None) -> str:
    """What decides a paper's records: a re-run with the same key skips papers already done."""
    key = [
        info.name,
        info.base_model,
        info.adapter,
        info.adapter_sha256,
        info.prompt_version,
        DEFAULT_RULES,
        sorted(properties or []),
    ]
    if figure_reader is not None:  # a key made before figures were read (no reader) stays what it was
        key.append(figure_reader.name)
    return json.dumps(key)


@task(name="extract", cache_policy=NONE)
def extract_task(
    path: str,
    source: str,
    extractor: RecordExtractor,
    properties: set[str] | None = None,
    max_pages: int = 200,
    doi: str | None = None,
    key: str | None = None,
    figure_reader: FigureReader | None = None,
) -> PaperResult:
    """One paper through the pipeline; any error ends as a failed PaperResult with its reason."""
    try:
        result = extract_paper(
            path, extractor, properties=properties, max_pages=max_pages, source=source, figure_reader=figure_reader
        )
    except PropmineError as err:
        result = PaperResult(source=source, status="failed", errors=[f"extract: {err}"])
    except Exception as err:  # a bug on one paper must not stop the batch: record it and go on
        log.exception("extracting %s failed", source)
        result = PaperResult(source=source, status="failed", errors=[f"internal error: {type(err).__name__}: {err}"])
    result.doi = doi
    result.extraction_key = key
    for record in result.records:
        record.doi = doi
    return result


@flow(name="extract-paper", log_prints=False)
def extract_paper_flow(
    path: str,
    db: str,
    extractor_name: str = "llm",
    properties: list[str] | None = None,
    base_model: str | None = None,
    adapter: str | None = None,
    max_pages: int = 200,
    figure_reader: str = "digitizer",
) -> PaperResult:
    """Extract one PDF or text file (text and plots) and write its records into the DuckDB file `db`."""
    extractor = make_extractor(extractor_name, base_model, adapter)
    reader = make_figure_reader(figure_reader)
    wanted = set(properties) if properties else None
    key = extraction_key(extractor.info, wanted, reader)
    result = extract_task(str(path), str(path), extractor, wanted, max_pages, None, key, reader)
    with open_db(Path(db)) as con:
        run_id = start_run(con, "extract-paper", {"extractor": extractor.info.model_dump(), "path": str(path)})
        write_paper(con, result, run_id)
        flag_outliers(con)
        finish_run(con, run_id, 1, len(result.records))
    return result
