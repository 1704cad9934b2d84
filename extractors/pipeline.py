"""One paper through the computation: open, parse, passages, candidates, propose, ground, score.

Returns a PaperResult with a status and the errors of each stage instead of raising, so that
one bad paper never stops a batch. Storing is the flows' job.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from extractors.documents.papers import open_paper, parse_document
from extractors.documents.passages import is_bibliographic, is_candidate, make_passages
from extractors.figures.base import FigureReader
from extractors.figures.reading import make_figure_reader, read_figures
from extractors.figures.records import figure_records
from extractors.records.context import PaperContext
from extractors.records.credibility import score_paper
from extractors.records.extractor import RecordExtractor
from extractors.records.grounding import ground_proposal
from schemas.errors import PropmineError
from schemas.options import ExtractionOptions
from schemas.result import PaperResult

log = logging.getLogger(__name__)


def make_extractor(options: ExtractionOptions) -> RecordExtractor:
    """The extractor the options name: the LLM (base model + adapter, with the rules), the rules, or none."""
    if options.extractor == "rules":
        from extractors.records.extractor import RuleExtractor

        return RuleExtractor()
    if options.extractor == "none":
        from extractors.records.extractor import NoExtractor

        return NoExtractor()
    from extractors.records.hybrid import HybridExtractor
    from extractors.records.llm import LLMExtractor

    # The model's proposals join the rules' pairs where they pass the same checks (records.hybrid): on unseen
    # band-gap papers the model alone scored below the rules, so it adds to them rather than replacing them.
    return HybridExtractor(LLMExtractor.from_options(options))


@dataclass
class Pipeline:
    """A run's loaded parts (the extractor, the figure reader) with the options that chose them.

    Load once (the model takes seconds), then `extract` each paper.
    """

    options: ExtractionOptions
    extractor: RecordExtractor
    figure_reader: FigureReader | None = None

    @classmethod
    def load(cls, options: ExtractionOptions) -> Pipeline:
        return cls(options, make_extractor(options), make_figure_reader(options.figure_reader or "none"))

    def extract(self, path: str | Path, source: str | None = None) -> PaperResult:
        """One paper through the pipeline with these options (see `extract_paper`)."""
        return extract_paper(
            path,
            self.extractor,
            properties=self.options.property_set,
            max_pages=self.options.max_pages,
            source=source,
            figure_reader=self.figure_reader,
        )


def extract_paper(
    path: str | Path,
    extractor: RecordExtractor,
    properties: set[str] | None = None,
    max_pages: int = 200,
    source: str | None = None,
    figure_reader: FigureReader | None = None,
) -> PaperResult:
    """Extract grounded records from one PDF or text file (and from its plots, with a figure reader)."""
    result = PaperResult(source=source or str(path))
    clock = time.perf_counter()
    try:
        result.paper = open_paper(path, source=source)
        result.document = parse_document(result.paper, max_pages=max_pages)
    except PropmineError as err:
        result.status = "failed"
        result.errors.append(f"parse: {err}")
        return result
    result.seconds["parse"] = time.perf_counter() - clock
    extract_document(result, extractor, properties, figure_reader)
    return result


def extract_document(
    result: PaperResult,
    extractor: RecordExtractor,
    properties: set[str] | None = None,
    figure_reader: FigureReader | None = None,
) -> None:
    """Fill a parsed PaperResult with passages, proposals and grounded records (in place)."""
    assert result.document is not None
    clock = time.perf_counter()
    result.passages = make_passages(result.document)
    # a reference list quotes other papers' titles ("... band gap of 1.4 eV ..."): never this paper's facts; prose
    # after it (Methods, captions, notes) is
    candidates = [
        p
        for p in result.passages
        if (p.section != "references" or not is_bibliographic(p.text)) and is_candidate(p, properties)
    ]
    result.n_candidates = len(candidates)
    result.seconds["passages"] = time.perf_counter() - clock
    clock = time.perf_counter()
    context = PaperContext.of(result.document)
    try:
        proposed = extractor.propose(candidates, properties, context)
    except PropmineError as err:
        result.status = "partial" if result.passages else "failed"
        result.errors.append(f"extract: {err}")
        return
    result.seconds["extract"] = time.perf_counter() - clock
    seen: set[str] = set()
    for item in proposed:
        result.errors.extend(f"extract: {item.passage.passage_id}: {e}" for e in item.errors)
        for proposal in item.proposals:
            if properties and proposal.property not in properties:
                continue
            grounded = ground_proposal(proposal, item.passage, extractor.info, result.source, context)
            if grounded.record and grounded.record.record_id not in seen:
                seen.add(grounded.record.record_id)
                result.records.append(grounded.record)
            elif grounded.rejected:
                result.rejected.append(grounded.rejected)
    if figure_reader is not None:
        read_plots(result, figure_reader, properties, seen)
    score_paper(result)
    if result.errors and result.status == "success":
        result.status = "partial"


def read_plots(result: PaperResult, reader: FigureReader, properties: set[str] | None, seen: set[str]) -> None:
    """The paper's figures through a figure reader: plots, curves, and records where a plot gives one value per material."""
    doc, paper = result.document, result.paper
    if doc is None or paper is None or paper.kind != "pdf" or not doc.figures:
        return
    clock = time.perf_counter()
    try:
        result.figures = read_figures(Path(paper.path), doc, reader)
    except PropmineError as err:  # the reader itself cannot run (no model, no OCR engine): the text's records stand
        result.errors.append(f"figures: {err}")
        return
    records, result.curves = figure_records(doc, result.figures, properties)
    for record in records:
        if record.record_id not in seen:
            seen.add(record.record_id)
            result.records.append(record)
    result.seconds["figures"] = time.perf_counter() - clock
