"""The per-paper result that travels alongside a paper through the pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from schemas.document import PaperFile, ParsedDocument
from schemas.passage import Passage
from schemas.record import Record, RejectedRecord

Status = Literal["success", "partial", "failed", "skipped"]


class PaperResult(BaseModel):
    """Everything one paper produced, with a status and the errors of each stage."""

    source: str
    paper: PaperFile | None = None
    document: ParsedDocument | None = None
    passages: list[Passage] = []
    records: list[Record] = []
    rejected: list[RejectedRecord] = []
    status: Status = "success"
    errors: list[str] = Field(default=[], description="'stage: message' for every stage that failed")
    n_candidates: int = 0
    seconds: dict[str, float] = Field(default={}, description="Wall time of each stage")
