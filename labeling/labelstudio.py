"""Label Studio: tasks with the model's records as pre-annotations, and annotations back as labels.

A task is one passage: `data.text` is the passage text and `data.passage_id` ties it back to the
database. Each record becomes spans labeled Material, Property and Value (from_name "label"),
relations Material -> Value and Property -> Value, and the canonical property as a per-region
choice on the Value span (from_name "property"). Use `label_config()` as the project's labeling
configuration.

Offsets: Label Studio counts text offsets in UTF-16 code units (JavaScript strings), Python in
code points; they differ after a character outside the Basic Multilingual Plane (mathematical
italic letters from PDFs, for one), so both directions convert.

An imported annotation is the whole truth for its passage: a model record whose value span is
annotated is accepted (or corrected, if its material or property differ), a model record not
annotated is rejected, an annotated record the model did not propose is added, and the passage is
marked done. Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import duckdb

from labeling.export import check_target_file
from labeling.labels import check_fields, write_label
from labeling.review import (
    Action,
    FieldEdit,
    ItemState,
    LabelConflict,
    LabelRefused,
    PassageView,
    RecordFields,
    load_passage,
    load_queue,
)
from schemas.errors import InputError
from schemas.storage import atomic_write_text
from schemas.vocabulary import load_vocabulary

log = logging.getLogger(__name__)

SPAN_LABELS = ("Material", "Property", "Value")
COLORS = {"Material": "#2563eb", "Property": "#15803d", "Value": "#c2410c"}


def label_config() -> str:
    """The Label Studio labeling configuration (XML) the tasks are written for."""
    choices = "\n".join(f"      <Choice value={quoteattr(name)}/>" for name in load_vocabulary().names)
    labels = "\n".join(
        f"    <Label value={quoteattr(name)} background={quoteattr(COLORS[name])}/>" for name in SPAN_LABELS
    )
    return f"""<View>
  <Header value="Material-property records: mark Material, Property and Value; relate Material and Property to each Value"/>
  <Relations>
    <Relation value="of"/>
  </Relations>
  <Labels name="label" toName="text">
{labels}
  </Labels>
  <Text name="text" value="$text"/>
  <View visibleWhen="region-selected" whenLabelValue="Value">
    <Header value="Property of the selected value"/>
    <Choices name="property" toName="text" perRegion="true" choice="single" showInline="false">
{choices}
    </Choices>
  </View>
</View>
"""


def _to_js(text: str, index: int) -> int:
    """A Python offset into text as a JavaScript (UTF-16) offset."""
    return len(text[:index].encode("utf-16-le")) // 2


def _from_js(text: str, index: int) -> int:
    """A JavaScript (UTF-16) offset into text as a Python offset."""
    units = 0
    for i, ch in enumerate(text):
        if units >= index:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


# ---------------------------------------------------------------- export


def task_of(view: PassageView) -> dict[str, Any]:
    """One Label Studio task for a passage, the model's (and reviewers') records as a prediction."""
    p = view.passage
    off = p.char_start
    regions: dict[tuple[str, int, int], str] = {}
    result: list[dict[str, Any]] = []
    relations: set[tuple[str, str]] = set()

    def region(label: str, span: tuple[int, int]) -> str:
        start, end = span[0] - off, span[1] - off
        key = (label, start, end)
        if key not in regions:
            regions[key] = f"{label[0].lower()}{start}-{end}"
            result.append(
                {
                    "id": regions[key],
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": _to_js(p.text, start),
                        "end": _to_js(p.text, end),
                        "text": p.text[start:end],
                        "labels": [label],
                    },
                }
            )
        return regions[key]

    scores = []
    for item in view.items:
        if not item.exists or item.fields is None or item.decision == "reject":
            continue
        f = item.fields
        value_id = region("Value", f.value_span)
        start, end = f.value_span[0] - off, f.value_span[1] - off
        result.append(
            {
                "id": value_id,
                "from_name": "property",
                "to_name": "text",
                "type": "choices",
                "value": {
                    "start": _to_js(p.text, start),
                    "end": _to_js(p.text, end),
                    "text": p.text[start:end],
                    "choices": [f.property],
                },
            }
        )
        if f.material_span[1] > f.material_span[0]:
            relations.add((region("Material", f.material_span), value_id))
        if f.property_span:
            relations.add((region("Property", f.property_span), value_id))
        if item.model is not None:
            scores.append(item.model.credibility.score)
    for from_id, to_id in sorted(relations):
        result.append({"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": ["of"]})
    model_version = (
        next(
            (
                it.model.extractor.get("adapter") or it.model.extractor.get("name")
                for it in view.items
                if it.model is not None
            ),
            None,
        )
        or "propmine"
    )
    return {
        "data": {
            "text": p.text,
            "context": p.context or "",
            "passage_id": p.passage_id,
            "paper_id": p.paper_id,
            "source": p.source or "",
            "doubt": view.doubt,
        },
        "predictions": [
            {"model_version": str(model_version), "score": min(scores) if scores else 0.0, "result": result}
        ],
    }


def _is_task_file(path: Path) -> bool:
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
        return isinstance(tasks, list) and all("passage_id" in t.get("data", {}) for t in tasks)
    except (OSError, ValueError, AttributeError):
        return False


def export_tasks(
    con: duckdb.DuckDBPyConnection,
    out: str | Path,
    include_reviewed: bool = False,
    limit: int | None = None,
    force: bool = False,
) -> int:
    """Write queued passages (most doubtful first) as Label Studio tasks; returns how many.

    Raises:
        InputError: out is not a place the export may write, or no passage is queued.
    """
    target = check_target_file(out, _is_task_file, force)
    entries, _ = load_queue(con)
    entries = [e for e in entries if include_reviewed or not e.reviewed][:limit]
    if not entries:
        raise InputError("no passages to export: every queued passage is reviewed (use --include-reviewed)")
    tasks = [task_of(load_passage(con, e.passage_id)) for e in entries]
    atomic_write_text(target, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    return len(tasks)


# ---------------------------------------------------------------- import


@dataclass
class ImportStats:
    tasks: int = 0
    imported: int = 0
    skipped: int = 0
    unchanged: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        acts = ", ".join(f"{n} {a}" for a, n in sorted(self.actions.items())) or "no changes"
        text = f"{self.tasks} tasks: {self.imported} passages imported ({acts}), {self.unchanged} unchanged, {self.skipped} skipped"
        return text + (f"; {len(self.problems)} problems" if self.problems else "")


def _who(annotation: dict[str, Any]) -> str:
    by = annotation.get("completed_by")
    if isinstance(by, dict):
        name = (
            by.get("email")
            or " ".join(x for x in (by.get("first_name"), by.get("last_name")) if x)
            or f"user {by.get('id')}"
        )
    else:
        name = f"user {by}" if by is not None else "unknown"
    return f"label-studio:{name}"


def _chosen_annotation(task: dict[str, Any]) -> dict[str, Any] | None:
    """The annotation to import: a ground-truth one, else the latest that was not cancelled."""
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not live:
        return None
    return max(
        live,
        key=lambda a: (
            bool(a.get("ground_truth")),
            str(a.get("updated_at") or a.get("created_at") or ""),
            str(a.get("id") or ""),
        ),
    )


def annotated_records(text: str, result: list[dict[str, Any]], view: PassageView) -> list[FieldEdit]:
    """The records of one annotation: each Value span with its related (else nearest) Material and Property.

    Raises:
        LabelRefused: a value whose material or property cannot be told.
    """
    vocab = load_vocabulary()
    spans: dict[str, tuple[str, int, int, str]] = {}
    choices: dict[str, str] = {}
    links: dict[str, set[str]] = {}
    for item in result:
        kind = item.get("type")
        value = item.get("value") or {}
        if kind == "labels" and value.get("labels"):
            label = value["labels"][0]
            if label in SPAN_LABELS:
                start, end = _from_js(text, int(value["start"])), _from_js(text, int(value["end"]))
                spans[item["id"]] = (label, start, end, text[start:end])
        elif kind == "choices" and value.get("choices"):
            choices[item["id"]] = value["choices"][0]
        elif kind == "relation":
            links.setdefault(item["from_id"], set()).add(item["to_id"])
            links.setdefault(item["to_id"], set()).add(item["from_id"])
    by_value = {
        (it.fields.value_span[0] - view.passage.char_start, it.fields.value_span[1] - view.passage.char_start): it
        for it in view.items
        if it.fields is not None and it.model is not None
    }

    def related(region_id: str, label: str, anchor: int) -> tuple[int, int, str] | None:
        linked = [spans[r] for r in links.get(region_id, ()) if r in spans and spans[r][0] == label]
        pool = linked or [s for s in spans.values() if s[0] == label]
        if not pool:
            return None
        best = min(pool, key=lambda s: abs(s[1] - anchor))
        return best[1], best[2], best[3]

    edits = []
    for region_id, (label, start, end, value_text) in spans.items():
        if label != "Value":
            continue
        material = related(region_id, "Material", start)
        if material is None:
            raise LabelRefused(f"value {value_text!r} has no Material span")
        prop = choices.get(region_id)
        if prop is None:
            prop_span = related(region_id, "Property", start)
            prop = vocab.resolve(prop_span[2]) if prop_span else None
        model = by_value.get((start, end))
        if prop is None and model is not None and model.fields is not None:
            prop = model.fields.property
        if prop is None:
            raise LabelRefused(f"value {value_text!r}: choose its property (no property choice or Property span)")
        edits.append(
            FieldEdit(
                material=material[2],
                material_start=material[0],
                property=prop,
                value=value_text,
                value_start=start,
                unit=model.fields.unit if model and model.fields else None,
            )
        )
    return edits


def _same(a: RecordFields | None, b: RecordFields) -> bool:
    return a is not None and (a.material, a.material_span, a.property, a.value, a.unit, a.value_span) == (
        b.material,
        b.material_span,
        b.property,
        b.value,
        b.unit,
        b.value_span,
    )


def _plan(view: PassageView, wanted: list[RecordFields]) -> list[tuple[ItemState | None, Action, RecordFields | None]]:
    """The labels that bring a passage to the annotated state: (item, action, fields), nothing already true."""
    plan: list[tuple[ItemState | None, Action, RecordFields | None]] = []
    remaining = list(wanted)
    for item in view.items:
        if not item.exists or item.fields is None:
            continue
        match = next(
            (w for w in remaining if w.value_span == item.fields.value_span and w.property == item.fields.property),
            None,
        )
        match = match or next((w for w in remaining if w.value_span == item.fields.value_span), None)
        if match is None:
            if item.decision != "reject":
                plan.append((item, "reject", None))
            continue
        remaining.remove(match)
        if _same(item.fields, match):
            if item.decision != "accept":
                plan.append((item, "accept", None))
        else:
            plan.append((item, "correct", match))
    plan.extend((None, "add", w) for w in remaining)
    return plan


def import_annotations(con: duckdb.DuckDBPyConnection, path: str | Path) -> ImportStats:
    """Read a Label Studio JSON export (the full format, with relations) back as labels.

    Raises:
        InputError: the file is missing or not a Label Studio JSON export.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    try:
        tasks = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(f"{p}: not JSON ({err}); export the project from Label Studio as JSON") from err
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in tasks):
        raise InputError(
            f"{p}: not a Label Studio JSON export (a list of tasks with data and annotations); "
            "JSON_MIN and CSV drop the relations, export as JSON"
        )
    stats = ImportStats(tasks=len(tasks))
    for task in tasks:
        passage_id = task["data"].get("passage_id")
        annotation = _chosen_annotation(task)
        if not passage_id or annotation is None:
            stats.skipped += 1
            continue
        try:
            changed = _import_task(con, passage_id, task["data"].get("text"), annotation, stats)
        except (LabelRefused, LabelConflict, InputError) as err:
            stats.skipped += 1
            stats.problems.append(f"task {task.get('id', '?')} ({passage_id}): {err}")
            continue
        if changed:
            stats.imported += 1
        else:
            stats.unchanged += 1
    return stats


def _import_task(
    con: duckdb.DuckDBPyConnection,
    passage_id: str,
    task_text: str | None,
    annotation: dict[str, Any],
    stats: ImportStats,
) -> bool:
    view = load_passage(con, passage_id)
    if task_text is not None and task_text != view.passage.text:
        raise InputError("the task text differs from the passage in the database (was the paper extracted again?)")
    edits = annotated_records(view.passage.text, annotation.get("result") or [], view)
    wanted: list[RecordFields] = []
    for edit in edits:
        checked = check_fields(view.passage, edit, None)
        if not any(_same(w, checked) for w in wanted):
            wanted.append(checked)
    who = _who(annotation)
    changed = False
    for item, action, fields in _plan(view, wanted):
        change = None
        if fields is not None:
            change = FieldEdit(
                material=fields.material,
                material_start=fields.material_span[0] - view.passage.char_start,
                property=fields.property,
                value=fields.value,
                value_start=fields.value_span[0] - view.passage.char_start,
                unit=fields.unit,
            )
        write_label(
            con,
            passage_id,
            item.item_id if item else None,
            action,
            item.version if item else 0,
            who,
            change,
            via="label-studio",
        )
        stats.actions[action] = stats.actions.get(action, 0) + 1
        changed = True
    view = load_passage(con, passage_id)
    if not view.passage_state.done:
        write_label(con, passage_id, None, "done", view.passage_state.version, who, via="label-studio")
        stats.actions["done"] = stats.actions.get("done", 0) + 1
        changed = True
    return changed
