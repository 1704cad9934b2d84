"""What a reviewer sees: passages with the model's records, the label log folded into each record's
state, and the queue order. (labeling.labels writes labels.)

The `labels` table is an append-only log (schemas.tables). Every item (a model record, a record a
reviewer added, or a passage as a whole) has a version: the number of labels written about it.
Folding an item's labels in version order gives its state; an undo is a label that takes an
earlier one back.

Queue order (most doubtful first, so that labels teach the model where it is weakest):
  - a passage with records has doubt 1 - the lowest credibility score among its records;
  - a passage without records where the model proposed something it could not ground, or that
    names a vocabulary property next to a quantity whose unit fits it (a possible miss), has doubt 1;
  - any other passage with a quantity (a number with a unit) but no records has doubt 0.3;
  - passages with neither records nor quantities are not queued.
Ties keep the paper and the position in the paper. The order depends on the model's output only,
never on labels, so it does not shift under a reviewer's feet; reviewed passages stay in place.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, Field

from schemas.errors import InputError
from schemas.passage import Origin, Passage
from schemas.record import Credibility

log = logging.getLogger(__name__)

Action = Literal["accept", "reject", "correct", "add", "credible", "not_credible", "done", "undo"]
RECORD_ACTIONS = ("accept", "reject", "correct", "add", "credible", "not_credible")
Decision = Literal["accept", "reject"]
MISS_DOUBT = 1.0
QUANTITY_ONLY_DOUBT = 0.3


class LabelConflict(Exception):
    """A label was written against a version that is no longer current (HTTP 409)."""


class LabelRefused(InputError):
    """A label that cannot be stored as asked: a value that is not a quantity of the passage, ... (HTTP 422)."""


class RecordFields(BaseModel):
    """A record as the fine-tuning data needs it; every text is from the passage (spans in document offsets)."""

    material: str = Field(description="The material exactly as written in the passage")
    property: str = Field(description="Canonical property name from the vocabulary")
    value: str = Field(description="The quantity exactly as written in the passage, number and unit")
    unit: str | None = Field(
        default=None, description="The unit, only when the passage gives it apart from the value (a table header)"
    )
    value_span: tuple[int, int] = Field(description="[start, end) of the value in the document text")
    material_span: tuple[int, int] = Field(description="[start, end) of the material in the document text")
    property_span: tuple[int, int] | None = Field(
        default=None, description="[start, end) of the property words, when the passage has them"
    )


class FieldEdit(BaseModel):
    """What a reviewer changed or selected; offsets are into the passage text (as the page shows it)."""

    material: str | None = None
    material_start: int | None = None
    property: str | None = None
    value: str | None = None
    value_start: int | None = None
    unit: str | None = None


class LabelRow(BaseModel):
    """One row of the `labels` table."""

    label_id: str
    record_id: str | None
    paper_id: str
    passage_id: str
    action: Action
    fields: RecordFields | None = None
    who: str
    labeled_at: datetime
    version: int
    undoes: str | None = None
    via: str = "ui"

    @property
    def item_id(self) -> str:
        return self.record_id or self.passage_id


@dataclass
class PassageRow:
    passage_id: str
    paper_id: str
    text: str
    context: str
    char_start: int
    char_end: int
    origin: Origin  # the query coalesces a missing origin to 'text'
    page: int | None
    section: str | None
    source: str | None = None
    title: str | None = None

    def as_passage(self) -> Passage:
        return Passage(
            passage_id=self.passage_id,
            paper_id=self.paper_id,
            text=self.text,
            context=self.context or "",
            char_start=self.char_start,
            char_end=self.char_end,
            origin=self.origin or "text",
        )


@dataclass
class ModelRecord:
    """A row of `records`, with what the review page shows."""

    record_id: str
    paper_id: str
    material: str
    formula: str | None
    property: str
    property_text: str | None
    value: float
    value_max: float | None
    unit: str | None
    qualifier: str | None
    value_canonical: float | None
    value_max_canonical: float | None
    unit_canonical: str | None
    spans: dict[str, Any]
    evidence: dict[str, Any]
    method: dict[str, Any]
    credibility: Credibility
    extractor: dict[str, Any]
    value_span: tuple[int, int] = (0, 0)


@dataclass
class ItemState:
    """A record (or a passage) after its labels: the current fields, decision, flags and version."""

    item_id: str
    passage_id: str
    model: ModelRecord | None = None
    fields: RecordFields | None = None
    decision: Decision | None = None
    corrected: bool = False
    added: bool = False
    credible: bool | None = None
    done: bool = False
    version: int = 0
    exists: bool = True
    last: LabelRow | None = None
    history: list[LabelRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.decision == "reject":
            return "rejected"
        if self.added:
            return "added"
        if self.corrected:
            return "corrected"
        return "accepted" if self.decision == "accept" else "open"


@dataclass
class PassageView:
    passage: PassageRow
    items: list[ItemState]
    passage_state: ItemState
    doubt: float
    kind: str
    rejected_proposals: list[dict[str, Any]]

    @property
    def open_records(self) -> int:
        return sum(1 for it in self.items if it.exists and it.model is not None and it.decision is None)

    @property
    def reviewed(self) -> bool:
        return is_reviewed(self.items, self.passage_state)


@dataclass
class QueueEntry:
    passage_id: str
    paper_id: str
    source: str | None
    char_start: int
    doubt: float
    kind: str  # "records", "possible miss", "quantities"
    n_records: int
    n_decided: int
    reviewed: bool
    snippet: str
    min_credibility: float | None


@dataclass
class Progress:
    passages: int
    reviewed: int
    records: int
    decided: int

    def as_dict(self) -> dict[str, int]:
        return {"passages": self.passages, "reviewed": self.reviewed, "records": self.records, "decided": self.decided}


def is_reviewed(items: list[ItemState], passage_state: ItemState, has_model_records: bool | None = None) -> bool:
    """A passage is reviewed when every model record in it has a decision and it has some, or the
    reviewer marked it done. A record that arrives later (the paper extracted again) opens it again.

    Args:
        items: the passage's items; only model records count (pass them alone with has_model_records=True).
    """
    models = items if has_model_records else [it for it in items if it.model is not None]
    if any(it.decision is None for it in models):
        return False
    return passage_state.done or bool(models)


# ---------------------------------------------------------------- reading


def _passage_from_row(row: tuple) -> PassageRow:
    return PassageRow(*row)


_PASSAGE_COLUMNS = (
    "p.passage_id, p.paper_id, p.text, coalesce(p.context, ''), p.char_start, p.char_end, "
    "coalesce(p.origin, 'text'), p.page, p.section, pa.source, pa.title"
)
_RECORD_COLUMNS = (
    "record_id, paper_id, material, formula, property, property_text, value, value_max, unit, qualifier, "
    "value_canonical, value_max_canonical, unit_canonical, spans, evidence, method, credibility, extractor"
)


def _record_from_row(row: tuple) -> ModelRecord:
    (
        record_id,
        paper_id,
        material,
        formula,
        prop,
        prop_text,
        value,
        value_max,
        unit,
        qualifier,
        value_canonical,
        value_max_canonical,
        unit_canonical,
        spans,
        evidence,
        method,
        credibility,
        extractor,
    ) = row
    parsed_spans = json.loads(spans or "{}")
    start, end = parsed_spans.get("value") or (0, 0)
    return ModelRecord(
        record_id=record_id,
        paper_id=paper_id,
        material=material or "",
        formula=formula,
        property=prop or "",
        property_text=prop_text,
        value=value,
        value_max=value_max,
        unit=unit,
        qualifier=qualifier,
        value_canonical=value_canonical,
        value_max_canonical=value_max_canonical,
        unit_canonical=unit_canonical,
        spans=parsed_spans,
        value_span=(int(start), int(end)),
        evidence=json.loads(evidence or "{}"),
        method=json.loads(method or "{}"),
        credibility=Credibility.model_validate_json(credibility)
        if credibility
        else Credibility(score=0.5, reasons=["not scored"]),
        extractor=json.loads(extractor or "{}"),
    )


def passage_of(passages: list[PassageRow], record: ModelRecord) -> PassageRow | None:
    """The passage a record was read from: it holds the value span; the same origin, then the shortest, wins."""
    start, end = record.value_span
    holding = [p for p in passages if p.char_start <= start and end <= p.char_end]
    if not holding:
        return None
    origin = record.evidence.get("origin")
    return min(holding, key=lambda p: (p.origin != origin, p.char_end - p.char_start))


def _label_from_row(row: tuple) -> LabelRow:
    label_id, record_id, paper_id, passage_id, action, fields, who, labeled_at, version, undoes, via = row
    parsed = None
    if fields:
        try:
            parsed = RecordFields.model_validate_json(fields)
        except ValueError:
            parsed = None
    return LabelRow(
        label_id=label_id,
        record_id=record_id,
        paper_id=paper_id or "",
        passage_id=passage_id or "",
        action=action,
        fields=parsed,
        who=who or "?",
        labeled_at=labeled_at or datetime(1970, 1, 1),
        version=version or 0,
        undoes=undoes,
        via=via or "ui",
    )


LABEL_COLUMNS = "label_id, record_id, paper_id, passage_id, action, fields, who, labeled_at, version, undoes, via"


def label_rows(con: duckdb.DuckDBPyConnection, where: str = "", params: list[Any] | None = None) -> list[LabelRow]:
    """Rows of `labels` (oldest version first); a row this version cannot read stays in the table, unread."""
    out = []
    for row in con.execute(
        f"SELECT {LABEL_COLUMNS} FROM labels {where} ORDER BY version, labeled_at", params or []
    ).fetchall():
        try:
            out.append(_label_from_row(row))
        except ValueError as err:
            log.warning("label %s skipped: %s", row[0], err)
    return out


def load_labels(con: duckdb.DuckDBPyConnection, passage_id: str | None = None) -> dict[str, list[LabelRow]]:
    """Labels by item (record id, added id, or passage id for passage-level labels), oldest first."""
    rows = label_rows(con, "WHERE passage_id = ?", [passage_id]) if passage_id is not None else label_rows(con)
    by_item: dict[str, list[LabelRow]] = {}
    for label in rows:
        by_item.setdefault(label.item_id, []).append(label)
    return by_item


def fold(item: ItemState, labels: list[LabelRow]) -> ItemState:
    """Apply an item's labels in version order; undone labels and undo rows are skipped."""
    labels = sorted(labels, key=lambda lb: lb.version)
    undone = {lb.undoes for lb in labels if lb.action == "undo"}
    item.history = labels
    item.version = max((lb.version for lb in labels), default=0)
    if item.model is None and item.item_id.startswith("added-"):
        item.exists = False
        item.added = True
    for lb in labels:
        if lb.action == "undo" or lb.label_id in undone:
            continue
        item.last = lb
        if lb.action == "add":
            item.exists, item.added, item.decision = True, True, "accept"
            item.fields = lb.fields
        elif lb.action == "correct":
            item.decision, item.corrected = "accept", True
            item.fields = lb.fields or item.fields
        elif lb.action in ("accept", "reject"):
            item.decision = lb.action
        elif lb.action in ("credible", "not_credible"):
            item.credible = lb.action == "credible"
        elif lb.action == "done":
            item.done = True
    return item


def model_fields(record: ModelRecord, passage: PassageRow) -> RecordFields:
    """A model record's fields as passage text (value as the quantity text; unit only when apart from it)."""
    vs, ve = record.value_span
    value_text = passage.text[vs - passage.char_start : ve - passage.char_start]
    material_span = tuple(record.spans.get("material") or (vs, vs))
    unit = record.unit if record.unit and record.unit not in value_text else None
    prop_span = record.spans.get("property")
    return RecordFields(
        material=record.material,
        property=record.property,
        value=value_text,
        unit=unit,
        value_span=(vs, ve),
        material_span=material_span,
        property_span=tuple(prop_span) if prop_span else None,
    )


def load_passage(con: duckdb.DuckDBPyConnection, passage_id: str) -> PassageView:
    """One passage with its records folded with their labels.

    Raises:
        InputError: no such passage.
    """
    row = con.execute(
        f"SELECT {_PASSAGE_COLUMNS} FROM passages p LEFT JOIN papers pa USING (paper_id) WHERE p.passage_id = ?",
        [passage_id],
    ).fetchone()
    if row is None:
        raise InputError(f"no passage {passage_id!r} in this database")
    passage = _passage_from_row(row)
    siblings = [
        _passage_from_row(r)
        for r in con.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p LEFT JOIN papers pa USING (paper_id) "
            "WHERE p.paper_id = ? AND p.char_start < ? AND p.char_end > ?",
            [passage.paper_id, passage.char_end, passage.char_start],
        ).fetchall()
    ]
    records = [
        _record_from_row(r)
        for r in con.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE paper_id = ? "
            "AND CAST(json_extract(spans, '$.value[0]') AS INTEGER) >= ? AND CAST(json_extract(spans, '$.value[1]') AS INTEGER) <= ?",
            [passage.paper_id, passage.char_start, passage.char_end],
        ).fetchall()
    ]
    records = [r for r in records if (p := passage_of(siblings, r)) is not None and p.passage_id == passage.passage_id]
    labels = load_labels(con, passage_id)
    items = []
    for record in sorted(records, key=lambda r: (r.value_span, r.record_id)):
        item = ItemState(
            item_id=record.record_id, passage_id=passage_id, model=record, fields=model_fields(record, passage)
        )
        items.append(fold(item, labels.pop(record.record_id, [])))
    passage_state = fold(ItemState(item_id=passage_id, passage_id=passage_id), labels.pop(passage_id, []))
    for item_id, item_labels in labels.items():
        if item_id.startswith("added-"):
            item = fold(ItemState(item_id=item_id, passage_id=passage_id), item_labels)
            if item.exists:
                items.append(item)
    items.sort(key=lambda it: (it.fields.value_span if it.fields else (0, 0), it.item_id))
    rejected = [
        {"reason": reason, "proposed": json.loads(proposed or "{}")}
        for reason, proposed in con.execute(
            "SELECT reason, proposed FROM rejected_records WHERE passage_id = ?", [passage_id]
        ).fetchall()
    ]
    doubt, kind = _doubt(passage, [it.model for it in items if it.model], bool(rejected))
    return PassageView(
        passage=passage, items=items, passage_state=passage_state, doubt=doubt, kind=kind, rejected_proposals=rejected
    )


@lru_cache(maxsize=200_000)
def _text_signals(text: str, context: str, origin: Origin) -> tuple[bool, bool]:
    """(has a quantity with a unit, is a candidate: a property word next to a quantity whose unit fits)."""
    from extractors.documents.passages import is_candidate
    from extractors.quantities.tagger import tag_quantities

    has_quantity = bool(tag_quantities(text))
    passage = Passage(
        passage_id="x", paper_id="x", text=text, context=context, char_start=0, char_end=len(text), origin=origin
    )
    return has_quantity, is_candidate(passage)


def _doubt(passage: PassageRow, records: list[ModelRecord], has_rejected: bool) -> tuple[float, str]:
    if records:
        return round(1.0 - min(r.credibility.score for r in records), 4), "records"
    has_quantity, candidate = _text_signals(passage.text, passage.context or "", passage.origin or "text")
    if has_rejected or candidate:
        return MISS_DOUBT, "possible miss"
    if has_quantity:
        return QUANTITY_ONLY_DOUBT, "quantities"
    return 0.0, "none"


@dataclass(frozen=True)
class _Slot:
    """A queued passage as the model's output makes it (labels aside)."""

    passage_id: str
    paper_id: str
    source: str | None
    char_start: int
    doubt: float
    kind: str
    record_ids: tuple[str, ...]
    snippet: str
    min_credibility: float | None


# The queue's skeleton depends on the model's output only: it is kept while the passages, records
# (and their scores) and rejected proposals stay the same, so that a label costs no full rebuild.
_SKELETONS: dict[tuple, list[_Slot]] = {}
_SKELETON_LOCK = threading.Lock()


def _signature(con: duckdb.DuckDBPyConnection) -> tuple:
    found = con.execute(
        "SELECT (SELECT count(*) FROM passages), (SELECT coalesce(sum(hash(passage_id)), 0) FROM passages), "
        "(SELECT count(*) FROM records), "
        "(SELECT coalesce(sum(hash(record_id || ':' || coalesce(CAST(credibility_score AS VARCHAR), ''))), 0) FROM records), "
        "(SELECT count(*) FROM rejected_records), (SELECT coalesce(sum(hash(coalesce(passage_id, ''))), 0) FROM rejected_records)"
    ).fetchone()
    return tuple(found or ())


def _skeleton(con: duckdb.DuckDBPyConnection) -> list[_Slot]:
    """Every passage worth a look, most doubtful first (see the module docstring)."""
    signature = _signature(con)
    with _SKELETON_LOCK:
        if signature in _SKELETONS:
            return _SKELETONS[signature]
    passages = [
        _passage_from_row(r)
        for r in con.execute(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p LEFT JOIN papers pa USING (paper_id) "
            "ORDER BY p.paper_id, p.char_start"
        ).fetchall()
    ]
    by_paper: dict[str, list[PassageRow]] = {}
    for p in passages:
        by_paper.setdefault(p.paper_id, []).append(p)
    records_of: dict[str, list[ModelRecord]] = {}
    for row in con.execute(f"SELECT {_RECORD_COLUMNS} FROM records").fetchall():
        record = _record_from_row(row)
        home = passage_of(by_paper.get(record.paper_id, []), record)
        if home is not None:
            records_of.setdefault(home.passage_id, []).append(record)
    with_rejected = {r[0] for r in con.execute("SELECT DISTINCT passage_id FROM rejected_records").fetchall()}
    slots = []
    for p in passages:
        records = sorted(records_of.get(p.passage_id, []), key=lambda r: r.value_span)
        doubt, kind = _doubt(p, records, p.passage_id in with_rejected)
        if kind == "none":
            continue
        slots.append(
            _Slot(
                passage_id=p.passage_id,
                paper_id=p.paper_id,
                source=p.source,
                char_start=p.char_start,
                doubt=doubt,
                kind=kind,
                record_ids=tuple(r.record_id for r in records),
                snippet=p.text[:160] + ("…" if len(p.text) > 160 else ""),
                min_credibility=min((r.credibility.score for r in records), default=None),
            )
        )
    slots.sort(key=lambda slot: -slot.doubt)  # stable: paper and position break ties
    with _SKELETON_LOCK:
        if len(_SKELETONS) > 8:
            _SKELETONS.clear()
        _SKELETONS[signature] = slots
    return slots


def load_queue(con: duckdb.DuckDBPyConnection) -> tuple[list[QueueEntry], Progress]:
    """Every passage worth a look, most doubtful first (see the module docstring), with progress counts."""
    labels = load_labels(con)
    entries = []
    progress = Progress(0, 0, 0, 0)
    for slot in _skeleton(con):
        items = [
            fold(ItemState(item_id=rid, passage_id=slot.passage_id), labels.get(rid, [])) for rid in slot.record_ids
        ]
        passage_state = fold(
            ItemState(item_id=slot.passage_id, passage_id=slot.passage_id), labels.get(slot.passage_id, [])
        )
        decided = sum(1 for it in items if it.decision is not None)
        reviewed = is_reviewed(items, passage_state, has_model_records=bool(items))
        progress.passages += 1
        progress.reviewed += reviewed
        progress.records += len(items)
        progress.decided += decided
        entries.append(
            QueueEntry(
                passage_id=slot.passage_id,
                paper_id=slot.paper_id,
                source=slot.source,
                char_start=slot.char_start,
                doubt=slot.doubt,
                kind=slot.kind,
                n_records=len(items),
                n_decided=decided,
                reviewed=reviewed,
                snippet=slot.snippet,
                min_credibility=slot.min_credibility,
            )
        )
    return entries, progress
