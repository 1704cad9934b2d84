"""Scoring extracted records against gold, as DESIGN.md defines it.

A predicted record matches a gold record when the property is the same, the value agrees within
1% after unit conversion (both ends for ranges), and the material matches: the same normalized
formula, or equal names (case-insensitive, parentheses and spaces ignored) against the gold name
or any of its synonyms. Matching is one-to-one and greedy within a paper, over the paper's distinct
facts: the same value for the same material and property stated twice is counted once.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from extractors.documents.papers import read_text_file
from extractors.quantities.formulas import normalize_formula
from extractors.quantities.units import to_canonical
from schemas.errors import InputError
from schemas.record import Record


class Counts(BaseModel):
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


class EvalReport(BaseModel):
    per_property: dict[str, Counts] = {}
    overall: Counts = Counts()
    papers: int = 0
    predicted: int = 0
    hallucinated: int = 0
    rejected: int = 0
    seconds: float = 0.0

    @property
    def hallucination_rate(self) -> float:
        return self.hallucinated / self.predicted if self.predicted else 0.0


def load_gold(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such gold file")
    items = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{p}:{n}: not JSON: {err}") from err
        if "path" in item and not Path(item["path"]).is_absolute():
            item["path"] = str(p.parent / item["path"])  # relative paths are relative to the gold file
        items.append(item)
    return items


def _name_key(name: str) -> str:
    return re.sub(r"[\s()\-_]+", "", re.sub(r"\([^)]*\)", "", name)).lower()


def material_matches(predicted: str, gold: dict) -> bool:
    names = [gold["material"], *gold.get("synonyms", [])]
    formula = normalize_formula(predicted)
    for name in names:
        if formula is not None and formula == normalize_formula(name):
            return True
        if _name_key(predicted) and _name_key(predicted) == _name_key(name):
            return True
    return False


def value_matches(record: Record, gold: dict) -> bool:
    unit = gold.get("unit") or ""
    try:
        value = to_canonical(record.value, record.unit, unit) if record.unit else record.value
        value_max = (
            (to_canonical(record.value_max, record.unit, unit) if record.unit else record.value_max)
            if record.value_max is not None
            else None
        )
    except InputError:
        return False

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 0.01 * abs(b) if b else abs(a) < 1e-9

    if gold.get("value_max") is not None:
        return value_max is not None and close(value, gold["value"]) and close(value_max, gold["value_max"])
    return value_max is None and close(value, gold["value"])


def _fact_key(record: Record) -> tuple:
    material = normalize_formula(record.material) or _name_key(record.material)
    value = record.value_canonical if record.value_canonical is not None else record.value
    return record.property, material, round(value, 6), record.value_max


def distinct_facts(records: list[Record]) -> list[Record]:
    """One record per (property, material, value): a paper that states a value in its abstract and
    again in its results holds one fact, so the second mention is neither a hit nor a false positive."""
    seen: set[tuple] = set()
    out = []
    for r in records:
        if _fact_key(r) not in seen:
            seen.add(_fact_key(r))
            out.append(r)
    return out


def match_records(predicted: list[Record], gold: list[dict]) -> dict[str, Counts]:
    """One-to-one greedy matching of a paper's distinct facts against its gold; counts per property."""
    counts: dict[str, Counts] = {}
    unmatched = list(range(len(gold)))
    for record in distinct_facts(predicted):
        c = counts.setdefault(record.property, Counts())
        hit = next(
            (
                i
                for i in unmatched
                if gold[i]["property"] == record.property
                and value_matches(record, gold[i])
                and material_matches(record.material, gold[i])
            ),
            None,
        )
        if hit is None:
            c.fp += 1
        else:
            c.tp += 1
            unmatched.remove(hit)
    for i in unmatched:
        counts.setdefault(gold[i]["property"], Counts()).fn += 1
    return counts


ExtractFn = Callable[[Path], tuple[list[Record], int]]


def evaluate(extract_fn: ExtractFn, gold: list[dict], properties: set[str] | None = None) -> EvalReport:
    """Run an extractor over every gold paper and score it.

    Args:
        extract_fn: path -> (records, number of proposals rejected by grounding).
        gold: items {"id", "text" | "path", "records"}.
        properties: score only these properties (others are ignored on both sides).
    """
    report = EvalReport()
    clock = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for n, item in enumerate(gold):
            if "path" in item:
                path = Path(item["path"])
            else:
                path = Path(tmp) / f"gold-{n}.txt"
                path.write_text(item["text"], encoding="utf-8")
            records, rejected = extract_fn(path)
            # Spans of a text file point into its characters as stored; read_text() would translate line ends.
            source_text = read_text_file(path) if path.suffix != ".pdf" else None
            wanted = [g for g in item["records"] if not properties or g["property"] in properties]
            records = [r for r in records if not properties or r.property in properties]
            report.papers += 1
            report.predicted += len(records)
            report.rejected += rejected
            if source_text is not None:
                report.hallucinated += sum(1 for r in records if not _grounded_in(r, source_text))
            for prop, c in match_records(records, wanted).items():
                total = report.per_property.setdefault(prop, Counts())
                total.tp, total.fp, total.fn = total.tp + c.tp, total.fp + c.fp, total.fn + c.fn
    report.overall = Counts(
        tp=sum(c.tp for c in report.per_property.values()),
        fp=sum(c.fp for c in report.per_property.values()),
        fn=sum(c.fn for c in report.per_property.values()),
    )
    report.seconds = time.perf_counter() - clock
    return report


def _grounded_in(record: Record, source_text: str) -> bool:
    """The record's value span, read back from the source file, holds its number."""
    start, end = record.spans.value
    span = source_text[start:end]
    number = f"{record.value:g}"
    return bool(span) and (number in span.replace("−", "-").replace(",", "") or str(record.value) in span)


def report_dict(report: EvalReport) -> dict:
    return {
        "papers": report.papers,
        "predicted": report.predicted,
        "rejected": report.rejected,
        "hallucination_rate": report.hallucination_rate,
        "seconds": round(report.seconds, 1),
        "overall": {
            "precision": report.overall.precision,
            "recall": report.overall.recall,
            "f1": report.overall.f1,
            **report.overall.model_dump(),
        },
        "per_property": {
            k: {"precision": c.precision, "recall": c.recall, "f1": c.f1, **c.model_dump()}
            for k, c in report.per_property.items()
        },
    }


def format_side_by_side(reports: dict[str, EvalReport]) -> str:
    """A plain-text table: one row per (extractor, property), plus the overall row."""
    lines = [
        f"{'extractor':28} {'property':24} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'halluc.':>8} {'rejected':>8} {'s/paper':>8}"
    ]
    for name, r in reports.items():
        rows = sorted(r.per_property.items()) + [("ALL", r.overall)]
        for prop, c in rows:
            tail = (
                f"{r.hallucination_rate:8.3f} {r.rejected:8d} {r.seconds / max(r.papers, 1):8.1f}"
                if prop == "ALL"
                else ""
            )
            lines.append(
                f"{name:28} {prop:24} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:4d} {c.fp:4d} {c.fn:4d} {tail}"
            )
    return "\n".join(lines)


def write_card_scores(adapter_dir: Path, report: EvalReport, gold_name: str, properties: list[str]) -> None:
    """Record an adapter's scores in its model card (adapter_card.json), keyed by the gold set."""
    card_path = Path(adapter_dir) / "adapter_card.json"
    if not card_path.is_file():
        raise InputError(f"{card_path}: no adapter card to write the scores into")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    scores = card.get("dev_scores") or {}
    scores[gold_name] = {"properties": properties, **report_dict(report)}
    card["dev_scores"] = scores
    card_path.write_text(json.dumps(card, indent=2), encoding="utf-8")
