"""The per-paper result that travels alongside a paper through the pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from schemas.document import PaperFile, ParsedDocument
from schemas.figure import Curve, FigureData
from schemas.passage import Passage
from schemas.record import Record, RejectedRecord

Status = Literal["success", "partial", "failed", "skipped"]


class PaperResult(BaseModel):
    """Everything one paper produced, with a status and the errors of each stage."""

    source: str
    doi: str | None = Field(default=None, description="The DOI, where the fetcher knew it")
    extraction_key: str | None = Field(
        default=None,
        description="What made the records (extractor, model, adapter, prompt, rules, properties): a re-run with the same key skips the paper",
    )
    paper: PaperFile | None = None
    document: ParsedDocument | None = None
    passages: list[Passage] = []
    records: list[Record] = []
    rejected: list[RejectedRecord] = []
    figures: list[FigureData] = Field(
        default=[], description="Every plot (panel) a figure reader read, skipped or failed"
    )
    curves: list[Curve] = Field(default=[], description="Series along a condition, from the plots")
    status: Status = "success"
    errors: list[str] = Field(default=[], description="'stage: message' for every stage that failed")
    n_candidates: int = 0
    seconds: dict[str, float] = Field(default={}, description="Wall time of each stage")


class BatchSummary(BaseModel):
    """What one batch run did, paper by paper counted."""

    run_id: str
    source: str
    references: int = Field(default=0, description="Papers the source listed")
    resumed: int = Field(default=0, description="Results a killed run had staged, merged now instead of redone")
    skipped: int = Field(
        default=0, description="Papers already extracted with the same model, adapter, prompt and rules"
    )
    extracted: int = 0
    success: int = 0
    partial: int = 0
    failed: int = 0
    records: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = Field(
        default={},
        description="Seconds per stage summed over papers (downloads overlap extraction) and the run's wall time",
    )
    errors: list[str] = Field(default=[], description="'source: reason' of each failed paper")
