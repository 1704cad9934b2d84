"""The record: one (material, property, value, unit, conditions, method) fact with its evidence.

The JSON form of `Record` is the contract of `propmine extract --format jsonl` (DESIGN.md):
fields may be added, none renamed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field

from schemas.document import BBox
from schemas.passage import Origin
from schemas.quantity import Qualifier

MethodKind = Literal["experimental", "computational", "literature", "unknown"]


class Condition(BaseModel):
    """A condition the value holds under: temperature, pressure, wavelength, ..."""

    name: str = Field(description="temperature, pressure, wavelength, frequency, field, ...")
    value: float | None = None
    unit: str | None = None
    text: str = Field(description="The condition as written")


MethodSource = Literal[
    "table column", "clause", "citation", "sentence", "table context", "passage", "methods section", "paper", "none"
]


class Method(BaseModel):
    kind: MethodKind = Field(default="unknown", description="How the value was obtained")
    detail: str | None = Field(default=None, description="Technique or level of theory, e.g. 'UV-vis', 'HSE06'")
    found_in: MethodSource = Field(
        default="none",
        description="Where the method was read: the value's own clause is the strongest evidence, the Methods section the weakest",
    )
    sample_form: str | None = Field(
        default=None, description="single crystal, thin film, powder, nanoparticles, bulk, monolayer, ..."
    )


class Spans(BaseModel):
    """Character offsets [start, end) into the source text (the text `propmine parse` gives)."""

    value: tuple[int, int] = Field(description="The number with its unit")
    material: tuple[int, int] | None = None
    property: tuple[int, int] | None = None


class Evidence(BaseModel):
    text: str = Field(description="The sentence or table row the record was read from")
    char_start: int
    char_end: int
    page: int | None = None
    bbox: BBox | None = None
    origin: Origin = "text"
    figure_number: int | None = Field(
        default=None, description="For origin 'figure': the figure the value was read from"
    )
    panel: str | None = Field(default=None, description="For origin 'figure': the panel, 'a', 'b', ...")
    point: tuple[float, float] | None = Field(
        default=None, description="For origin 'figure': the [x, y] read off the plot, in data coordinates"
    )


class Credibility(BaseModel):
    score: float = Field(ge=0.0, le=1.0, description="How far the value can be trusted, 0..1")
    reasons: list[str] = Field(default=[], description="Why the score is what it is")
    features: dict[str, float] = Field(default={}, description="The rule features that fired (1.0) and made the score")
    rules_version: str | None = Field(default=None, description="The credibility rules file that scored the record")


class ExtractorInfo(BaseModel):
    name: str = Field(description="'llm' or 'rules' (the rule-based stand-in)")
    base_model: str | None = None
    adapter: str | None = None
    adapter_sha256: str | None = Field(
        default=None, description="Hash of the adapter's weights: the same name retrained is another adapter"
    )
    prompt_version: str | None = None


class Record(BaseModel):
    """A grounded, normalized property record."""

    record_id: str = ""
    paper_id: str
    doi: str | None = None
    source: str
    material: str = Field(description="The material as written in the text")
    formula: str | None = Field(default=None, description="Normalized formula, or null")
    property: str = Field(description="Canonical property name from the vocabulary, e.g. band_gap")
    property_text: str = Field(description="The property as written")
    value: float
    value_max: float | None = Field(default=None, description="Upper end of a range")
    uncertainty: float | None = None
    qualifier: Qualifier = "exact"
    unit: str | None = Field(description="The unit as written")
    value_canonical: float | None = None
    value_max_canonical: float | None = None
    unit_canonical: str | None = None
    conditions: list[Condition] = []
    method: Method = Method()
    spans: Spans
    evidence: Evidence
    credibility: Credibility = Credibility(score=0.5, reasons=["not scored"])
    extractor: ExtractorInfo

    def with_id(self) -> Record:
        """Return the record with its stable `record_id` (a hash of what identifies the fact)."""
        key = json.dumps(
            [self.paper_id, self.property, self.material, self.spans.value, self.value, self.unit],
            ensure_ascii=False,
        )
        return self.model_copy(update={"record_id": hashlib.sha256(key.encode()).hexdigest()[:24]})


class RejectedRecord(BaseModel):
    """A record the extractor proposed but that could not be grounded: kept for review, never a fact."""

    paper_id: str
    source: str
    passage_id: str
    reason: str
    proposed: dict = Field(description="What the model wrote")
    extractor: ExtractorInfo


class Proposal(BaseModel):
    """One record as an extractor writes it, before grounding: every field is text from the passage."""

    material: str = Field(description="The material exactly as written in the passage")
    property: str = Field(description="Canonical property name from the vocabulary")
    value: str = Field(description="The quantity exactly as written in the passage, number and unit, e.g. '3.2 eV'")
    unit: str | None = Field(
        default=None, description="The unit, when the passage gives it apart from the number (a table header)"
    )
    material_at: int | None = Field(
        default=None,
        description="Where the material stands in the document text when it is outside the passage (an earlier "
        "sentence, the title); grounding checks that the material is written there",
    )
