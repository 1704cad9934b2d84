"""Credibility: how far a record's value can be trusted, scored from its method context, with reasons.

`method_context` reads the method around a record (extractors.records.method), with the paper-level part
(the Methods section, the whole paper) read once per paper in a `PaperMethods`; `record_features` turns the
record into named 0/1 features; `score_features` weighs them with a versioned rules file
(schemas.credibility) into a score in [0, 1] and the reasons behind it. `fit_rules` fits the same
weights to labels (logistic regression), and `robust_outliers` finds values far from other
papers' values for the same material and property (the flows apply it across a database).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from extractors.documents.passages import column_header
from extractors.records.method import find_method, measures, value_clause, value_tail
from schemas.credibility import (
    DEFAULT_RULES,
    CredibilityRule,
    CredibilityRules,
    load_credibility_rules,
)
from schemas.document import ParsedDocument
from schemas.passage import Passage
from schemas.record import Credibility, Method, MethodSource, Record
from schemas.result import PaperResult
from schemas.vocabulary import load_vocabulary

# Plain "DFT" nearly always means a semilocal functional (LDA or GGA).
SEMILOCAL = {"LDA", "GGA/PBE", "DFT"}
BEYOND_SEMILOCAL = {"HSE06", "PBE0", "B3LYP", "GW", "G0W0", "mBJ"}
# Temperatures at which things are measured, in K: room temperature, liquid nitrogen, 0 °C.
COMMON_MEASUREMENT_K = (77.0, 273.0, 273.15, 293.0, 295.0, 298.0, 298.15, 300.0)
_HEDGE = re.compile(
    r"\bestimat\w*|\bexpected\b|\bmay\b|\bmight\b|\broughly\b|\bpresumabl\w*|\blikely\b|\bsuggests?\b", re.IGNORECASE
)
_METHODS_CHARS = 6000  # enough for a Methods section's first paragraphs, where the technique is named


def methods_text(document: ParsedDocument | None) -> str:
    """The text of the paper's Methods (or Computational/Experimental details) sections."""
    if document is None:
        return ""
    parts = []
    for i, section in enumerate(document.sections):
        if section.kind == "methods":
            end = document.sections[i + 1].char_start if i + 1 < len(document.sections) else len(document.text)
            parts.append(document.text[section.char_start : min(end, section.char_start + _METHODS_CHARS)])
    return "\n".join(parts)


@dataclass(frozen=True)
class PaperMethods:
    """What the Methods section and the whole paper say of the method, read once for all of a paper's records.

    Reading them costs dozens of regular expressions over the whole text: done per record, a paper's
    scoring time grew with records x length. `complete` continues a record's own method with them
    exactly as `find_method` would with the two texts as its last sources.
    """

    from_methods: Method | None = None  # what find_method reads in the Methods section alone (None: nothing)
    from_paper: Method | None = None  # and in the whole paper

    @classmethod
    def read(cls, methods: str, paper: str) -> PaperMethods:
        def alone(source: MethodSource, text: str) -> Method | None:
            method = find_method([(source, text)])
            return None if method.kind == "unknown" else method

        return cls(from_methods=alone("methods section", methods), from_paper=alone("paper", paper))

    def complete(self, method: Method, prop: str | None = None) -> Method:
        """`method` (read from a record's own sources) continued with the Methods section, then the paper.

        As in find_method: the first source that tells the kind decides it (and the method starts afresh
        from it), a later one of the same kind may only name a more specific technique or functional.
        """
        for found in (self.from_methods, self.from_paper):
            if found is None:
                continue
            if prop and not measures(found.detail, prop):  # UV-vis in the Methods is no thermal conductivity's
                found = found.model_copy(update={"detail": None})
            if method.kind == "unknown":
                method = Method(kind=found.kind, detail=found.detail, found_in=found.found_in)
            elif method.detail in (None, "DFT") and found.kind == method.kind and found.detail not in (None, "DFT"):
                method = method.model_copy(update={"detail": found.detail})
        return method


def method_context(
    record: Record,
    passage: Passage | None,
    methods: str = "",
    paper: str = "",
    paragraph: str = "",
    shared: PaperMethods | None = None,
) -> Method:
    """The method of a record from its column, citation, clause, sentence, paragraph (or table caption
    and header), the Methods section and the paper.

    Args:
        shared: the Methods section and paper already read (PaperMethods.read); `methods` and `paper`
            are read here when it is None, which costs a scan of the whole paper per call.
    """
    sentence = record.evidence.text
    at = record.spans.value[0] - record.evidence.char_start
    sources: list[tuple[MethodSource, str]] = []
    if passage is not None and passage.origin == "table":
        sources.append(("table column", column_header(passage, record.spans.value[0] - passage.char_start) or ""))
    end = record.spans.value[1] - record.evidence.char_start
    sources.append(("citation", value_tail(sentence, end)))  # a cited value is second-hand, however it was obtained
    sources.append(("clause", value_clause(sentence, at, end)))
    sources.append(("sentence", sentence))
    if passage is not None and passage.origin == "table":
        sources.append(("table context", passage.context + "\n" + passage.text))
    else:
        sources.append(("passage", paragraph or (passage.text if passage else "")))
    shared = shared or PaperMethods.read(methods, paper)
    return shared.complete(find_method(sources, record.property), record.property)


def record_features(record: Record) -> dict[str, float]:
    """The named features of a record that the rules weigh (only those that fire, each 1.0)."""
    m = record.method
    on = {
        "experimental": m.kind == "experimental",
        "computational": m.kind == "computational",
        "literature": m.kind == "literature",
        "no_method": m.kind == "unknown",
        "method_from_methods_section": m.found_in in ("methods section", "paper"),
        "semilocal_dft": m.kind in ("computational", "literature") and m.detail in SEMILOCAL,
        "beyond_semilocal": m.kind in ("computational", "literature") and m.detail in BEYOND_SEMILOCAL,
        "ml_predicted": m.detail == "machine learning",
        "uncertainty_stated": record.uncertainty is not None,
        "approximate": record.qualifier == "approximate",
        "hedged": _HEDGE.search(_clause_of(record)) is not None,
        "bound": record.qualifier in ("lower_bound", "upper_bound"),
        "range": record.qualifier == "range",
        "sample_form_stated": m.sample_form is not None,
        "conditions_stated": bool(record.conditions),
        "from_table": record.evidence.origin == "table",
        "common_measurement_temperature": record.unit_canonical == "K"
        and record.value_canonical is not None
        and any(abs(record.value_canonical - t) < 0.2 for t in COMMON_MEASUREMENT_K),
        "outlier": record.credibility.features.get("outlier", 0.0) > 0,
    }
    return {name: 1.0 for name, fired in on.items() if fired}


def _clause_of(record: Record) -> str:
    """The words of the record's own value in its sentence (extractors.records.method.value_clause)."""
    at = record.spans.value[0] - record.evidence.char_start
    return value_clause(record.evidence.text, at, record.spans.value[1] - record.evidence.char_start)


def _applies(rule: CredibilityRule, prop: str) -> bool:
    return rule.properties is None or prop in rule.properties


def score_features(features: dict[str, float], prop: str, method: Method, rules: CredibilityRules) -> Credibility:
    """Weigh a record's features with the rules: a score in [0, 1] and the reasons, strongest first."""
    known = load_vocabulary().get(prop)
    logit = rules.bias
    fired = []
    for rule in rules.rules:
        if features.get(rule.feature) and _applies(rule, prop):
            logit += rule.weight * features[rule.feature]
            text = rule.reason.format(
                detail=method.detail or "",
                sample_form=method.sample_form or "",
                property=known.label if known else prop,
            )
            text = re.sub(r"\s*\(\s*\)", "", text).strip()
            fired.append((rule.weight, f"{'+' if rule.weight >= 0 else '-'} {text}"))
    fired.sort(key=lambda pair: -abs(pair[0]))
    score = 1.0 / (1.0 + math.exp(-logit))
    return Credibility(
        score=round(score, 4), reasons=[text for _, text in fired], features=features, rules_version=rules.version
    )


def score_record(record: Record, rules: CredibilityRules | None = None) -> Record:
    """The record with its credibility computed from its own fields (method included)."""
    rules = rules or load_credibility_rules(DEFAULT_RULES)
    credibility = score_features(record_features(record), record.property, record.method, rules)
    return record.model_copy(update={"credibility": credibility})


def score_paper(result: PaperResult, rules: CredibilityRules | None = None) -> None:
    """Give every record of a paper its method context and credibility (in place).

    The paper-level evidence is read once and passages and paragraphs are found by bisection, so the
    time grows with records + text, not records x text.
    """
    rules = rules or load_credibility_rules(DEFAULT_RULES)
    shared = PaperMethods.read(methods_text(result.document), result.document.text if result.document else "")
    passages: dict[str, _Spans] = {}
    for p in sorted(result.passages, key=lambda p: p.char_start):
        passages.setdefault(p.origin, _Spans()).add(p.char_start, p.char_end, p)
    blocks = _Spans.of_blocks(result.document)
    scored = []
    for record in result.records:
        at = record.spans.value[0]
        group = passages.get(record.evidence.origin)
        passage = group.first_holding(at) if group else None
        paragraph = blocks.first_holding(at) or ""
        record = record.model_copy(
            update={"method": method_context(record, passage, paragraph=paragraph, shared=shared)}
        )
        scored.append(score_record(record, rules))
    result.records = scored


def paragraph_at(document: ParsedDocument | None, offset: int) -> str:
    """The text of the block (paragraph or caption) holding a document offset."""
    if document is None:
        return ""
    block = next((b for b in document.blocks if b.char_start <= offset < b.char_end), None)
    return document.text[block.char_start : block.char_end] if block else ""


class _Spans:
    """Items with [start, end) character spans: the first one (in the order added) that holds an offset.

    Added in order of start (as the parser writes blocks and passages), the look-up is a bisection.
    """

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.items: list[Any] = []
        self._reach: list[int] | None = None  # the largest end among the items up to each one
        self._ordered = True

    def add(self, start: int, end: int, item: Any) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.items.append(item)
        self._reach = None

    @classmethod
    def of_blocks(cls, document: ParsedDocument | None) -> _Spans:
        """The texts of a document's blocks, found as paragraph_at finds them."""
        spans = cls()
        for b in document.blocks if document else []:
            spans.add(b.char_start, b.char_end, document.text[b.char_start : b.char_end] if document else "")
        return spans

    def first_holding(self, offset: int) -> Any:
        """The first item whose span holds `offset`, or None."""
        if self._reach is None:
            self._reach = list(accumulate(self.ends, max))
            self._ordered = all(a <= b for a, b in zip(self.starts, self.starts[1:], strict=False))
        if not self._ordered:  # not added in order of start: look at each
            return next(
                (x for s, e, x in zip(self.starts, self.ends, self.items, strict=True) if s <= offset < e), None
            )
        candidates = bisect_right(self.starts, offset)  # the items starting at or before the offset
        i = bisect_right(self._reach, offset)  # the first item ending after the offset
        return self.items[i] if i < candidates else None


def robust_outliers(values: Sequence[float], threshold: float = 3.5) -> list[bool]:
    """Which values are far from the rest: |x - median| / (1.4826 * MAD) above the threshold.

    The scale has a floor of 5% of the median, so a tight cluster of equal values does not make a
    value 1% away an outlier. Fewer than 3 values cannot say who is wrong: nothing is flagged.
    """
    if len(values) < 3:
        return [False] * len(values)
    ordered = sorted(values)
    median = _median(ordered)
    mad = _median(sorted(abs(v - median) for v in values))
    scale = max(1.4826 * mad, 0.05 * abs(median), 1e-12)
    return [abs(v - median) / scale > threshold for v in values]


def cross_paper_outliers(values: Sequence[tuple[str, str, str, str, float]]) -> set[str]:
    """Record ids whose value is far from other papers' values for the same material and property.

    Args:
        values: (record_id, paper_id, material key, property, canonical value) rows.

    A group counts only when at least two papers report it; ranges are left out by the caller.
    """
    groups: dict[tuple[str, str], list[tuple[str, str, float]]] = {}
    for record_id, paper_id, material, prop, value in values:
        groups.setdefault((material, prop), []).append((record_id, paper_id, value))
    flagged = set()
    for members in groups.values():
        if len({paper for _, paper, _ in members}) < 2:
            continue
        for (record_id, _, _), far in zip(members, robust_outliers([v for _, _, v in members]), strict=True):
            if far:
                flagged.add(record_id)
    return flagged


def _median(ordered: Sequence[float]) -> float:
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def fit_rules(
    features: list[dict[str, float]],
    labels: list[int],
    base: CredibilityRules,
    version: str,
    fitted_on: str,
    l2: float = 1.0,
    steps: int = 500,
) -> CredibilityRules:
    """Fit the weights of `base`'s features to labels (1 = correct) by L2-regularized logistic regression.

    The reasons and property scopes of `base` are kept; only the numbers change. Features that never
    fire in the labels keep a weight of 0 (no evidence either way).
    """
    import numpy as np

    names = [r.feature for r in base.rules]
    x = np.array([[f.get(n, 0.0) for n in names] for f in features], dtype=float)
    y = np.array(labels, dtype=float)
    w = np.zeros(len(names))
    b = 0.0
    for _ in range(steps):  # Newton steps would be faster; plain gradient descent is enough here
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        grad_w = x.T @ (p - y) / len(y) + l2 * w / len(y)
        grad_b = float(np.mean(p - y))
        w -= 1.0 * grad_w
        b -= 1.0 * grad_b
    rules = [r.model_copy(update={"weight": round(float(wi), 3)}) for r, wi in zip(base.rules, w, strict=True)]
    return CredibilityRules(version=version, bias=round(b, 3), rules=rules, fitted_on=fitted_on)


def rules_toml(rules: CredibilityRules) -> str:
    """A rules set as the TOML of a file in data/credibility."""
    lines = [f'version = "{rules.version}"', f"bias = {rules.bias}"]
    if rules.fitted_on:
        lines.append(f'fitted_on = "{rules.fitted_on}"')
    for r in rules.rules:
        lines += ["", "[[rule]]", f'feature = "{r.feature}"', f"weight = {r.weight}", f'reason = "{r.reason}"']
        if r.properties:
            lines.append("properties = [" + ", ".join(f'"{p}"' for p in r.properties) + "]")
    return "\n".join(lines) + "\n"


def brier_score(scores: Sequence[float], labels: Sequence[int]) -> float:
    return sum((s - y) ** 2 for s, y in zip(scores, labels, strict=True)) / max(len(scores), 1)


def reliability_table(
    scores: Sequence[float], labels: Sequence[int], bins: int = 5
) -> list[tuple[float, float, int, float]]:
    """(bin low, bin high, count, fraction correct) for equal-width score bins."""
    table = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [y for s, y in zip(scores, labels, strict=True) if lo <= s < hi or (i == bins - 1 and s == 1.0)]
        table.append((lo, hi, len(inside), sum(inside) / len(inside) if inside else float("nan")))
    return table
