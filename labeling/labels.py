"""Writing labels: checking what a reviewer wrote, then storing it at once with optimistic concurrency.

Every item has a version (the number of labels about it). A write names the version its author
saw; if the item moved on, `LabelConflict` refuses it (HTTP 409) and nothing is lost. The label_id
ITEM@VERSION is the last guard: two writes that saw the same version cannot both be stored.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import duckdb

from labeling.database import WRITE_LOCK
from labeling.review import (
    LABEL_COLUMNS,
    RECORD_ACTIONS,
    Action,
    FieldEdit,
    ItemState,
    LabelConflict,
    LabelRefused,
    LabelRow,
    PassageRow,
    PassageView,
    RecordFields,
    label_rows,
    load_labels,
    load_passage,
)
from schemas.errors import InputError
from schemas.vocabulary import load_vocabulary

# ---------------------------------------------------------------- checking what a reviewer wrote


def allowed_values(passage: PassageRow, prop: str) -> list[tuple[str, tuple[int, int], str | None]]:
    """The values the constrained decoder lets the model write for this passage and property.

    Returns (text, span in the passage, unit or None) for each, in text order. The texts are those of
    extractors.records.llm.passage_grammar, so a label never asks the model for a value it cannot write.
    """
    from extractors.quantities.tagger import tag_quantities
    from extractors.records.llm import passage_grammar

    grammar = passage_grammar(passage.as_passage(), [prop])
    allowed = set(grammar.values)
    out = []
    for q in tag_quantities(passage.text, include_unitless=True):
        text = passage.text[q.span[0] : q.span[1]]
        if text in allowed:
            out.append((text, q.span, q.unit))
    return out


def header_units(passage: PassageRow) -> list[str]:
    from extractors.quantities.units import header_units as units_in

    return units_in(passage.context or "")


def _nearest(candidates: list[tuple[int, int]], anchor: int) -> tuple[int, int] | None:
    return min(candidates, key=lambda s: (abs(s[0] - anchor), s[0])) if candidates else None


def check_fields(passage: PassageRow, edit: FieldEdit, current: RecordFields | None) -> RecordFields:
    """Merge a reviewer's edit into a record and check it the way the fine-tuning data needs it.

    The value must be a quantity the model could write for this passage (a selection inside one is
    widened to it); the material must be text of the passage; the property must be in the vocabulary.

    Raises:
        LabelRefused: with a message that says what to do.
    """
    vocab = load_vocabulary()
    text = passage.text
    off = passage.char_start
    prop_name = (edit.property if edit.property is not None else (current.property if current else "")).strip()
    prop = vocab.get(prop_name) or vocab.get(vocab.resolve(prop_name) or "") if prop_name else None
    if prop is None:
        raise LabelRefused(
            f"property {prop_name!r} is not in the vocabulary; choose one from the list"
            if prop_name
            else "choose a property"
        )
    # The value: the quantity the reviewer typed or selected.
    if edit.value is not None or edit.value_start is not None or current is None:
        wanted = (edit.value or "").strip()
        if not wanted:
            raise LabelRefused("the value is empty; select the number with its unit in the passage")
        allowed = allowed_values(passage, prop.name)
        chosen = None
        if edit.value_start is not None:
            start, end = edit.value_start, edit.value_start + len(wanted)
            chosen = next((a for a in allowed if a[1][0] <= start < a[1][1] or start <= a[1][0] < end), None)
        if chosen is None:
            exact = [a for a in allowed if a[0] == wanted]
            anchor = (current.value_span[0] - off) if current else 0
            chosen = min(exact, key=lambda a: abs(a[1][0] - anchor)) if exact else None
        if chosen is None:
            from extractors.quantities.tagger import tag_quantities
            from extractors.records.grounding import find_quantity

            q = find_quantity(wanted, tag_quantities(text, include_unitless=True), text)
            chosen = next((a for a in allowed if q is not None and a[1] == q.span), None)
        if chosen is None:
            raise LabelRefused(
                f"{wanted!r} is not a quantity in this passage that the model can write "
                f"({prop.name}); select the number with its unit in the passage text"
            )
        value_text, (vs, ve), value_unit = chosen
        value_span = (off + vs, off + ve)
    else:
        value_text, value_span = current.value, current.value_span
        local = (value_span[0] - off, value_span[1] - off)
        same = next((a for a in allowed_values(passage, prop.name) if a[1] == local), None)
        if same is None:
            raise LabelRefused(
                f"{value_text!r} is not a value the model can write for {prop.name} here; change the value too"
            )
        value_unit = same[2]
    # The unit: only for a bare number, and then from the table header.
    unit = (edit.unit if edit.unit is not None else (current.unit if current else None)) or None
    unit = unit.strip() if unit else None
    if value_unit is not None:
        if unit and unit != value_unit:
            raise LabelRefused(f"the unit is part of the value here ({value_text!r}); change the value instead")
        unit = None
    elif prop.unit:
        units = header_units(passage)
        if unit is None and len(units) == 1:
            unit = units[0]
        if unit is None or unit not in units:
            raise LabelRefused(
                f"{value_text!r} has no unit; {prop.name} needs one from the table header "
                f"({', '.join(units) or 'none found'})"
            )
    effective_unit = value_unit or unit
    if prop.unit and effective_unit:
        from extractors.quantities.units import to_canonical

        try:
            to_canonical(1.0, effective_unit, prop.unit)
        except InputError as err:
            raise LabelRefused(
                f"the unit of {value_text!r} does not fit {prop.name} ({prop.unit}); choose another value or property"
            ) from err
    elif not prop.unit and value_unit:
        from extractors.quantities.units import dimension_of

        if dimension_of(value_unit) not in (None, "dimensionless"):
            raise LabelRefused(f"{prop.name} has no unit, but {value_text!r} has one; choose another value or property")
    # The material: exact text of the passage.
    material = (edit.material if edit.material is not None else (current.material if current else "")).strip()
    if not material:
        raise LabelRefused("the material is empty; select it in the passage")
    if edit.material_start is not None and text[edit.material_start : edit.material_start + len(material)] == material:
        m_local = (edit.material_start, edit.material_start + len(material))
    elif current is not None and edit.material is None:
        m_local = (current.material_span[0] - off, current.material_span[1] - off)
    else:
        hits = []
        at = text.find(material)
        while at >= 0:
            hits.append((at, at + len(material)))
            at = text.find(material, at + 1)
        nearest = _nearest(hits, value_span[0] - off)
        if nearest is None:
            raise LabelRefused(f"material {material!r} is not in the passage text; select it in the passage")
        m_local = nearest
    # The property words nearest the value, for highlighting.
    mentions = [m for m in vocab.mentions(text) if m[0] == prop.name]
    p_local = _nearest([(s, e) for _, s, e in mentions], value_span[0] - off)
    return RecordFields(
        material=material,
        property=prop.name,
        value=value_text,
        unit=unit,
        value_span=value_span,
        material_span=(off + m_local[0], off + m_local[1]),
        property_span=(off + p_local[0], off + p_local[1]) if p_local else None,
    )


# ---------------------------------------------------------------- writing


def added_id(passage_id: str, fields: RecordFields) -> str:
    """A stable id for a record a reviewer adds: two people adding the same record collide (409)."""
    key = json.dumps([passage_id, fields.property, fields.material, list(fields.value_span)])
    return "added-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _describe(label: LabelRow | None) -> str:
    if label is None:
        return "someone"
    verb = {
        "accept": "accepted",
        "reject": "rejected",
        "correct": "corrected",
        "add": "added",
        "credible": "marked credible",
        "not_credible": "marked not credible",
        "done": "marked done",
        "undo": "undid a label on",
    }[label.action]
    return f"{label.who} {verb} it at {label.labeled_at:%Y-%m-%d %H:%M:%S} UTC"


def _insert(con: duckdb.DuckDBPyConnection, label: LabelRow) -> None:
    try:
        con.execute(
            f"INSERT INTO labels ({LABEL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                label.label_id,
                label.record_id,
                label.paper_id,
                label.passage_id,
                label.action,
                label.fields.model_dump_json() if label.fields else None,
                label.who,
                label.labeled_at,
                label.version,
                label.undoes,
                label.via,
            ],
        )
    except (duckdb.ConstraintException, duckdb.TransactionException) as err:
        raise LabelConflict("someone else labeled this item at the same moment; reload to see their label") from err


def _write(con: duckdb.DuckDBPyConnection, label: LabelRow) -> None:
    """Append one label in its own transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        _insert(con, label)
        _commit(con)
    except Exception:
        con.execute("ROLLBACK")
        raise


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("COMMIT")
    except (duckdb.ConstraintException, duckdb.TransactionException) as err:
        raise LabelConflict("someone else labeled this item at the same moment; reload to see their label") from err


def write_label(
    con: duckdb.DuckDBPyConnection,
    passage_id: str,
    item_id: str | None,
    action: Action,
    seen_version: int,
    who: str,
    edit: FieldEdit | None = None,
    via: str = "ui",
) -> tuple[LabelRow, PassageView]:
    """Check and store one label at once (one transaction); returns it with the passage as it is now.

    Args:
        item_id: a record id ('added-...' for an added record); None for passage-level actions
            ('done') and for 'add'.
        seen_version: the item's version the author saw; 'add' ignores it.

    Raises:
        LabelConflict: the item changed since `seen_version`, or someone added the same record.
        LabelRefused: the action does not fit the item, or an edit does not check out.
        InputError: no such passage or record.
    """
    who = who.strip()
    if not who:
        raise LabelRefused("say who you are first (your name is stored with every label)")
    with WRITE_LOCK:
        view = load_passage(con, passage_id)
        if action == "add":
            if edit is None:
                raise LabelRefused("an added record needs its material, property and value")
            fields = check_fields(view.passage, edit, None)
            item_id = added_id(passage_id, fields)
            existing = next((it for it in view.items if it.item_id == item_id), None)
            if existing is not None:
                raise LabelConflict(f"this record is already there: {_describe(existing.last)}")
            key = (fields.material, fields.property, fields.value_span)
            proposed = next(
                (
                    it
                    for it in view.items
                    if it.model is not None
                    and it.fields is not None
                    and (it.fields.material, it.fields.property, it.fields.value_span) == key
                ),
                None,
            )
            if proposed is not None:
                raise LabelRefused("the model proposed this record already; accept it instead of adding it")
            version = max((lb.version for lb in load_labels(con, passage_id).get(item_id, [])), default=0)
            item = ItemState(item_id=item_id, passage_id=passage_id, version=version)
            seen_version = version
        elif action == "done":
            item, item_id = view.passage_state, None
            if view.open_records:
                raise LabelRefused(
                    f"{view.open_records} record(s) here still need accept or reject before the passage is done"
                )
            fields = None
        elif action in RECORD_ACTIONS:
            found = next((it for it in view.items if it.item_id == item_id), None)
            if found is None:
                raise InputError(f"no record {item_id!r} in passage {passage_id!r}")
            item = found
            fields = item.fields
            if action == "correct":
                if edit is None:
                    raise LabelRefused("a correction needs the changed fields")
                fields = check_fields(view.passage, edit, item.fields)
        else:
            raise LabelRefused(f"unknown action {action!r}")
        if item.version != seen_version:
            raise LabelConflict(
                f"this record changed after you loaded it: {_describe(item.last)}; reload to see the change"
            )
        label = LabelRow(
            label_id=f"{item_id or passage_id}@{item.version + 1}",
            record_id=item_id if action != "done" else None,
            paper_id=view.passage.paper_id,
            passage_id=passage_id,
            action=action,
            fields=fields,
            who=who,
            labeled_at=_now(),
            version=item.version + 1,
            via=via,
        )
        _write(con, label)
        return label, load_passage(con, passage_id)


def undo_label(con: duckdb.DuckDBPyConnection, who: str, label_id: str | None = None) -> tuple[LabelRow, LabelRow]:
    """Take back a label: the given one, or the latest one `who` wrote that is still in effect.

    Only the latest label in effect on its item can be taken back: if someone labeled the item
    after it, undoing would silently drop their label too.

    Returns:
        (the undo row, the label it took back).

    Raises:
        LabelConflict: the item was labeled again since.
        LabelRefused: nothing to undo.
    """
    with WRITE_LOCK:
        rows = label_rows(con)
        undone = {r.undoes for r in rows if r.action == "undo"}
        if label_id is None:
            mine = [r for r in rows if r.who == who and r.action != "undo" and r.label_id not in undone]
            if not mine:
                raise LabelRefused("nothing of yours to undo")
            target = max(mine, key=lambda r: (r.labeled_at, r.version))
        else:
            found = next((r for r in rows if r.label_id == label_id), None)
            if found is None or found.action == "undo" or found.label_id in undone:
                raise LabelRefused(f"label {label_id!r} is not in effect; nothing to undo")
            target = found
        item_rows = [r for r in rows if r.item_id == target.item_id]
        later = [r for r in item_rows if r.version > target.version and r.action != "undo" and r.label_id not in undone]
        if later:
            raise LabelConflict(f"cannot undo: {_describe(later[-1])} after your label; change it instead")
        version = max(r.version for r in item_rows) + 1
        label = LabelRow(
            label_id=f"{target.item_id}@{version}",
            record_id=target.record_id,
            paper_id=target.paper_id,
            passage_id=target.passage_id,
            action="undo",
            fields=None,
            who=who,
            labeled_at=_now(),
            version=version,
            undoes=target.label_id,
            via=target.via,
        )
        _write(con, label)
        return label, target
