"""Scoring extracted records against gold, as DESIGN.md defines it, by one rule for every tool.

A predicted record matches a gold record when
- the property is the same;
- the value agrees after unit conversion within 1% (band gaps: within max(1 meV, 1%), so that a
  zero gap or a gap of a few meV can match at all); for ranges both ends must agree;
- the material matches (`material_matches`): after normalization (case, spaces, hyphens, sub- and
  superscript marks) it equals the gold name or one of its synonyms, or equals one of them without
  its trailing parenthesised qualifiers ("SmN (AFM phase)" -> "SmN"), or contains one of them as a
  whole word ("Gd-doped Bi2Se3" contains "Bi2Se3"); or both are formulas with the same composition
  ("O2Ti" = "TiO2"). A gold record without a material accepts any.

Matching is one-to-one within a paper and maximal (an augmenting-path bipartite matching, so the
order of the records never changes the score). Records are not merged first: a fact stated twice
and extracted twice matches two gold records if the curators listed it twice (bandgap-200 lists a
value found in a table and in a sentence twice, PolyIE every mention), else the second is a false
positive of cause "duplicate". Predictions on a paper with no gold are false positives. This is the
rule by which the published tools were compared on unseen papers (issue 13), so the figures compare.

Every error is also counted by cause (`ErrorCounts`), so that progress shows by category: misses of
values that stand in tables, misses in sentences that state several values, false records whose value
is a gold value of the paper but whose material is wrong, false records whose value is no gold value
(not the property), and duplicates (a gold fact already matched, under another name).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from extractors.documents.papers import read_text_file
from extractors.quantities.formulas import hill_formula, parse_formula
from extractors.quantities.units import parse_unit, ureg
from schemas.errors import InputError
from schemas.record import Record

RELATIVE_TOLERANCE = 0.01
# Absolute tolerances by property, (amount, unit): a band gap within 1 meV matches even where 1% is less
# (zero-gap and meV-gap materials); other properties are compared within 1% only.
ABSOLUTE_TOLERANCE: dict[str, tuple[float, str]] = {"band_gap": (0.001, "eV")}


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

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


class ErrorCounts(BaseModel):
    """False negatives and false positives by cause (each error counted in exactly one of its two groups)."""

    missed_table: int = Field(default=0, description="Missed gold values that stand in a table")
    missed_several: int = Field(
        default=0, description="Missed gold values of a sentence that states several values (or says 'respectively')"
    )
    missed_other: int = Field(default=0, description="Other missed gold values")
    wrong_material: int = Field(
        default=0, description="False records whose value is a gold value of the paper but whose material is not"
    )
    not_property: int = Field(default=0, description="False records whose value is no gold value of the paper")
    duplicate: int = Field(default=0, description="False records of a gold fact already matched by another record")
    on_paper_without_gold: int = Field(
        default=0, description="False records on papers with no gold for the property (also counted above)"
    )

    def add(self, other: ErrorCounts) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PaperScore(BaseModel):
    """One paper's counts and error causes, per property."""

    counts: dict[str, Counts] = {}
    errors: dict[str, ErrorCounts] = {}


class EvalReport(BaseModel):
    """One extractor's scores over a list of gold items: counts and error causes per property, and costs."""

    per_property: dict[str, Counts] = {}
    overall: Counts = Counts()
    papers: int = 0
    predicted: int = 0
    hallucinated: int = 0
    rejected: int = 0
    seconds: float = 0.0
    errors: ErrorCounts = Field(default_factory=ErrorCounts, description="Error causes over all properties")
    errors_per_property: dict[str, ErrorCounts] = {}
    failed: int = Field(default=0, description="Papers the extractor could not read (their gold counts as missed)")

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


_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u00ad"), None)
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−", "-"))


def _loose(name: str) -> str:
    """Case-folded, Unicode-normalized, sub/superscript marks (_ { } ^ $) dropped, spaces collapsed."""
    s = unicodedata.normalize("NFKC", name).translate(_INVISIBLE).translate(_DASHES).casefold()
    s = re.sub(r"[_{}^$\\]", "", s)
    return re.sub(r"[.,;:\s]+$", "", re.sub(r"\s+", " ", s)).strip()


def _squash(name: str) -> str:
    return re.sub(r"[\s\-]+", "", _loose(name))


def without_qualifiers(name: str) -> str:
    """The name without its trailing parenthesised qualifiers: 'SmN (AFM phase, LSDA+U)' -> 'SmN'.

    A parenthesis that ends a formula ('Ca3(PO4)2' does not end in one; 'MgSO4·H2O(100)' does) is kept
    unless a space precedes it or it holds a word.
    """
    out = name.strip()
    while True:
        m = re.search(r"(\s+\([^()]*\)|\((?=[^()]*(?:[a-z]{3}|[\s,]))[^()]*\))\s*$", out)
        if not m or not out[: m.start()].strip():
            return out
        out = out[: m.start()].strip()


@lru_cache(maxsize=65536)
def _containment(name: str) -> re.Pattern[str] | None:
    squashed = _squash(name)
    if len(squashed) < 2:  # "I", "C": too short to be found inside another name by chance only
        return None
    body = r"[\s\-]*".join(re.escape(c) for c in squashed)
    return re.compile(rf"(?<!\w){body}(?!\w)")


@lru_cache(maxsize=65536)
def _whole_formula(name: str) -> str | None:
    """The Hill formula if the whole name (spaces ignored) is a formula; prefixes such as 'T-' keep it None."""
    counts = parse_formula(re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).translate(_INVISIBLE)))
    return hill_formula(counts) if counts else None


def gold_names(gold: dict) -> list[str]:
    """The gold's accepted names: its material, its synonyms, and each without trailing qualifiers."""
    names: list[str] = []
    for name in [gold.get("material"), *gold.get("synonyms", [])]:
        for candidate in (name, without_qualifiers(name) if name else None):
            if candidate and candidate not in names:
                names.append(candidate)
    return names


def material_matches(predicted: str, gold: dict) -> bool:
    """The predicted material names the gold's (see the module docstring); a gold without material accepts any."""
    if not gold.get("material") and not gold.get("synonyms"):
        return True
    loose, squashed, formula = _loose(predicted), _squash(predicted), _whole_formula(predicted)
    if not squashed:
        return False
    for name in gold_names(gold):
        if squashed == _squash(name):
            return True
        pattern = _containment(name)
        if pattern is not None and pattern.search(loose):
            return True
        if formula is not None and formula == _whole_formula(name):
            return True
    return False


def _convert(value: float, unit: str, target: str) -> float | None:
    src, dst = parse_unit(unit), parse_unit(target)
    if src is None or dst is None:
        return None
    try:
        return float(ureg.Quantity(value, src).to(dst).magnitude)
    except Exception:  # pint's DimensionalityError and offset-unit errors: not comparable
        return None


def _in_gold_unit(record: Record, gold_unit: str | None) -> tuple[float | None, float | None] | None:
    """The record's value (and upper end) in the gold's unit; None if the units do not convert."""
    if gold_unit is None:  # the gold gives no unit: compare the numbers as written
        return record.value, record.value_max
    if record.unit:
        unit, value, value_max = record.unit, record.value, record.value_max
    elif record.unit_canonical and record.value_canonical is not None:
        unit, value, value_max = record.unit_canonical, record.value_canonical, record.value_max_canonical
    else:
        return record.value, record.value_max
    converted = _convert(value, unit, gold_unit)
    if converted is None:
        return None
    top = _convert(value_max, unit, gold_unit) if value_max is not None else None
    return converted, top


def _tolerance(prop: str, gold_value: float, gold_unit: str | None) -> float:
    relative = RELATIVE_TOLERANCE * abs(gold_value)
    if prop in ABSOLUTE_TOLERANCE and gold_unit is not None:
        amount, unit = ABSOLUTE_TOLERANCE[prop]
        absolute = _convert(amount, unit, gold_unit)
        if absolute is not None:
            return max(relative, absolute)
    return max(relative, 1e-9 * max(abs(gold_value), 1.0))


def value_matches(record: Record, gold: dict) -> bool:
    """Same value within tolerance after conversion to the gold's unit; ranges must agree at both ends."""
    values = _in_gold_unit(record, gold.get("unit"))
    if values is None or values[0] is None:
        return False
    value: float = values[0]
    value_max = values[1]
    if value_max is not None and value > value_max:  # "decreased from 2.07 to 1.30 eV": the same two ends
        value, value_max = value_max, value
    prop = gold.get("property", record.property)

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= _tolerance(prop, b, gold.get("unit"))

    if gold.get("value_max") is not None:
        return value_max is not None and close(value, gold["value"]) and close(value_max, gold["value_max"])
    return value_max is None and close(value, gold["value"])


def _max_matching(edges: list[list[int]], n_gold: int) -> list[int | None]:
    """Maximum bipartite matching (Kuhn's augmenting paths): for each prediction, its gold index or None."""
    owner: list[int | None] = [None] * n_gold

    def augment(p: int, seen: set[int]) -> bool:
        for g in edges[p]:
            if g in seen:
                continue
            seen.add(g)
            if owner[g] is None or augment(owner[g], seen):  # type: ignore[arg-type]
                owner[g] = p
                return True
        return False

    for p in range(len(edges)):
        augment(p, set())
    matched: list[int | None] = [None] * len(edges)
    for g, owned_by in enumerate(owner):
        if owned_by is not None:
            matched[owned_by] = g
    return matched


def score_records(predicted: list[Record], gold: list[dict]) -> PaperScore:
    """Score one paper: a maximal one-to-one matching of its records to its gold; counts and causes per property."""
    score = PaperScore()
    facts = predicted
    same_value = [[i for i, g in enumerate(gold) if g["property"] == r.property and value_matches(r, g)] for r in facts]
    edges = [[i for i in same_value[p] if material_matches(r.material, gold[i])] for p, r in enumerate(facts)]
    matched = _max_matching(edges, len(gold))
    gold_properties = {g["property"] for g in gold}
    for p, record in enumerate(facts):
        counts = score.counts.setdefault(record.property, Counts())
        errors = score.errors.setdefault(record.property, ErrorCounts())
        if matched[p] is not None:
            counts.tp += 1
            continue
        counts.fp += 1
        if edges[p]:
            errors.duplicate += 1
        elif same_value[p]:
            errors.wrong_material += 1
        else:
            errors.not_property += 1
        if record.property not in gold_properties:
            errors.on_paper_without_gold += 1
    taken = {g for g in matched if g is not None}
    for i, g in enumerate(gold):
        if i in taken:
            continue
        score.counts.setdefault(g["property"], Counts()).fn += 1
        errors = score.errors.setdefault(g["property"], ErrorCounts())
        if g.get("from_table"):
            errors.missed_table += 1
        elif g.get("several"):
            errors.missed_several += 1
        else:
            errors.missed_other += 1
    for prop in gold_properties:
        score.counts.setdefault(prop, Counts())
        score.errors.setdefault(prop, ErrorCounts())
    return score


def match_records(predicted: list[Record], gold: list[dict]) -> dict[str, Counts]:
    """One-to-one matching of a paper's records against its gold; counts per property."""
    return score_records(predicted, gold).counts


ExtractFn = Callable[[Path], tuple[list[Record], int]]


def _scored(record: Record, properties: set[str] | None, unscored: list[list[int]]) -> bool:
    if properties is not None and record.property not in properties:
        return False
    start = record.spans.value[0]
    return not any(s <= start < e for s, e in unscored)


def evaluate(extract_fn: ExtractFn, gold: list[dict], properties: set[str] | None = None) -> EvalReport:
    """Run an extractor over every gold paper and score it.

    Args:
        extract_fn: path -> (records, number of proposals rejected by grounding).
        gold: items {"id", "text" | "path", "records"}, optionally "properties" (only these are scored
            on the item: its gold is complete for them) and "unscored_spans" ([start, end) offsets where
            the gold is not complete: predictions whose value starts there are not scored).
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
                path.write_text(item["text"], encoding="utf-8", newline="")
            scored = set(item["properties"]) if item.get("properties") is not None else None
            if properties:
                scored = set(properties) if scored is None else scored & set(properties)
            try:
                records, rejected = extract_fn(path)
            except InputError:  # a paper the extractor cannot read: its gold is missed, the batch goes on
                records, rejected = [], 0
                report.failed += 1
            # Spans of a text file point into its characters as stored; read_text() would translate line ends.
            source_text = read_text_file(path) if path.suffix != ".pdf" else None
            wanted = [g for g in item["records"] if scored is None or g["property"] in scored]
            records = [r for r in records if _scored(r, scored, item.get("unscored_spans") or [])]
            report.papers += 1
            report.predicted += len(records)
            report.rejected += rejected
            if source_text is not None:
                report.hallucinated += sum(1 for r in records if not _grounded_in(r, source_text))
            paper = score_records(records, wanted)
            for prop, c in paper.counts.items():
                report.per_property.setdefault(prop, Counts()).add(c)
            for prop, e in paper.errors.items():
                report.errors_per_property.setdefault(prop, ErrorCounts()).add(e)
    for c in report.per_property.values():
        report.overall.add(c)
    for e in report.errors_per_property.values():
        report.errors.add(e)
    report.seconds = time.perf_counter() - clock
    return report


def evaluate_folds(
    extract_for_fold: Callable[[int], ExtractFn], items: list[dict], k: int = 5, properties: set[str] | None = None
) -> list[EvalReport]:
    """k-fold by paper: fold i is scored with the extractor `extract_for_fold(i)` (one trained without fold i).

    An extractor that was not trained on these papers is the same for every fold: `lambda fold: run`.
    """
    from extractors.learning.gold import folds

    return [evaluate(extract_for_fold(i), fold, properties) for i, fold in enumerate(folds(items, k))]


def _mean_sd(values: list[float]) -> dict[str, float | int | None]:
    finite = [v for v in values if not math.isnan(v)]
    return {
        "mean": statistics.fmean(finite) if finite else None,
        "sd": statistics.stdev(finite) if len(finite) > 1 else None,
        "folds": len(finite),
    }


def summarize_folds(reports: list[EvalReport]) -> dict:
    """Mean and sample standard deviation across folds of P, R, F1, overall and per property, with pooled counts.

    A fold where a figure is undefined (P with no prediction, R with no gold) is left out of that
    figure's mean; "folds" says how many folds it is over. "pooled" is P/R/F1 of all folds' counts together.
    """

    def figures(counts: list[Counts]) -> dict:
        pooled = Counts()
        for c in counts:
            pooled.add(c)
        return {
            "precision": _mean_sd([c.precision if c.tp + c.fp else math.nan for c in counts]),
            "recall": _mean_sd([c.recall if c.tp + c.fn else math.nan for c in counts]),
            "f1": _mean_sd([c.f1 if c.tp + c.fp + c.fn else math.nan for c in counts]),
            "pooled": {"precision": pooled.precision, "recall": pooled.recall, "f1": pooled.f1, **pooled.model_dump()},
        }

    properties = sorted({p for r in reports for p in r.per_property})
    errors = ErrorCounts()
    for r in reports:
        errors.add(r.errors)
    seconds = sum(r.seconds for r in reports)
    papers = sum(r.papers for r in reports)
    return {
        "folds": len(reports),
        "papers": papers,
        "seconds": round(seconds, 1),
        "papers_per_hour": round(3600 * papers / seconds, 1) if seconds else None,
        "overall": figures([r.overall for r in reports]),
        "per_property": {p: figures([r.per_property.get(p, Counts()) for r in reports]) for p in properties},
        "errors": errors.model_dump(),
        "errors_per_property": {
            p: _sum_errors([r.errors_per_property.get(p, ErrorCounts()) for r in reports]).model_dump()
            for p in properties
        },
        "per_fold": [report_dict(r) for r in reports],
    }


def _sum_errors(errors: list[ErrorCounts]) -> ErrorCounts:
    total = ErrorCounts()
    for e in errors:
        total.add(e)
    return total


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
        "failed": report.failed,
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
        "errors": report.errors.model_dump(),
        "errors_per_property": {k: e.model_dump() for k, e in report.errors_per_property.items()},
    }


ERROR_COLUMNS = (
    ("tab", "missed_table"),
    ("sev", "missed_several"),
    ("oth", "missed_other"),
    ("mat", "wrong_material"),
    ("notP", "not_property"),
    ("dup", "duplicate"),
)


def format_side_by_side(reports: dict[str, EvalReport]) -> str:
    """A plain-text table: one row per (extractor, property), plus the overall row, with the error causes.

    Causes: misses in tables (tab), in sentences with several values (sev), other misses (oth); false
    records with a gold value but the wrong material (mat), with no gold value (notP), duplicates (dup).
    """
    causes = " ".join(f"{short:>4}" for short, _ in ERROR_COLUMNS)
    lines = [
        f"{'extractor':28} {'property':24} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4} {causes} "
        f"{'halluc.':>8} {'rejected':>8} {'s/paper':>8}"
    ]
    for name, r in reports.items():
        rows = [(p, c, r.errors_per_property.get(p, ErrorCounts())) for p, c in sorted(r.per_property.items())]
        rows.append(("ALL", r.overall, r.errors))
        for prop, c, e in rows:
            tail = (
                f"{r.hallucination_rate:8.3f} {r.rejected:8d} {r.seconds / max(r.papers, 1):8.1f}"
                if prop == "ALL"
                else ""
            )
            cells = " ".join(f"{getattr(e, field):4d}" for _, field in ERROR_COLUMNS)
            lines.append(
                f"{name:28} {prop:24} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:4d} {c.fp:4d} {c.fn:4d} "
                f"{cells} {tail}".rstrip()
            )
    return "\n".join(lines)


def _fmt(stat: dict) -> str:
    if stat["mean"] is None:
        return f"{'-':>11}"
    sd = f"{stat['sd']:.2f}" if stat["sd"] is not None else " -  "
    return f"{stat['mean']:.2f}±{sd:<4}"[:11].rjust(11)


def format_folds(summaries: dict[str, dict]) -> str:
    """A plain-text table of `summarize_folds` results: mean±sd across folds of P, R, F1, pooled P/R/F1 and causes.

    `summaries` is keyed by a row label, e.g. "rules | bandgap-200".
    """
    causes = " ".join(f"{short:>4}" for short, _ in ERROR_COLUMNS)
    lines = [
        f"{'extractor | gold set':34} {'property':28} {'P mean±sd':>11} {'R mean±sd':>11} {'F1 mean±sd':>11} "
        f"{'pooled P':>8} {'R':>5} {'F1':>5} {'tp':>5} {'fp':>5} {'fn':>5} {causes} {'papers/h':>9}"
    ]
    for label, s in summaries.items():
        rows = [(p, f, s["errors_per_property"][p]) for p, f in s["per_property"].items()]
        if len(rows) != 1:
            rows.append(("ALL", s["overall"], s["errors"]))
        for prop, f, e in rows:
            pooled = f["pooled"]
            cells = " ".join(f"{e[field]:4d}" for _, field in ERROR_COLUMNS)
            speed = f"{s['papers_per_hour']:9.0f}" if s["papers_per_hour"] else f"{'-':>9}"
            lines.append(
                f"{label:34} {prop:28} {_fmt(f['precision'])} {_fmt(f['recall'])} {_fmt(f['f1'])} "
                f"{pooled['precision']:8.3f} {pooled['recall']:5.3f} {pooled['f1']:5.3f} "
                f"{pooled['tp']:5d} {pooled['fp']:5d} {pooled['fn']:5d} {cells} {speed}"
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


def write_card_fold_scores(adapter_dir: Path, summary: dict, gold_name: str) -> None:
    """Record an adapter's k-fold summary (`summarize_folds`) in its model card, under kfold_scores[gold_name].

    The per-fold reports are left out: the card keeps mean, sd and pooled figures per property and the
    error causes, which is what a reader compares adapters by.
    """
    card_path = Path(adapter_dir) / "adapter_card.json"
    if not card_path.is_file():
        raise InputError(f"{card_path}: no adapter card to write the scores into")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    scores = card.get("kfold_scores") or {}
    scores[gold_name] = {k: v for k, v in summary.items() if k != "per_fold"}
    card["kfold_scores"] = scores
    card_path.write_text(json.dumps(card, indent=2), encoding="utf-8")
