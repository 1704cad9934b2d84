"""Credibility with the paper read once: every record gets the method and score of the per-record full reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.documents.passages import column_header
from extractors.pipeline import extract_paper
from extractors.records.credibility import methods_text, paragraph_at, score_record
from extractors.records.extractor import RuleExtractor
from extractors.records.method import find_method, value_clause, value_tail
from schemas.passage import Passage
from schemas.record import Method, MethodSource, Record
from schemas.result import PaperResult

METHODS = {
    "uv_vis_methods": "Methods\n\nOptical spectra were recorded with a UV-vis spectrometer on thin films.\n\n",
    "pbe_methods": "Computational details\n\nWe used VASP with the PBE functional and a 500 eV cutoff.\n\n",
    "both_methods": "Methods\n\nFilms were grown by sputtering. DFT calculations used the HSE06 hybrid functional.\n\n",
    "no_methods": "",
}
RESULTS = (
    "Results\n\nThe band gap of ZnO is 3.3 eV.\n\n"
    "The DFT band gap of GaN is 1.9 eV, while films of GaN show 3.4 eV.\n\n"
    "Thin films of CdS have a band gap of 2.42 eV.\n\n"  # a sample form and no kind: the Methods section decides
    "The calculated band gap of Si is 0.6 eV and the measured one is 1.12 eV [3].\n\n"
    "The band gap of TiO2 nanoparticles is 3.2 eV as reported in [12].\n\n"
    "Table 1. Band gaps (eV)\n\nMaterial  PBE  Expt.\nZnS  2.1  3.7\n\n"
)
LEANINGS = {
    "computational_paper": "Introduction\n\n"
    + "First-principles calculations predict it; the theory is computed. " * 3,
    "experimental_paper": "Introduction\n\n" + "Samples were measured; the experiment observed spectra. " * 3,
    "neutral_paper": "",
}


def method_read_in_full(record: Record, passage: Passage | None, methods: str, paper: str, paragraph: str) -> Method:
    """The method as credibility read it before, every record scanning the Methods section and the paper."""
    sentence = record.evidence.text
    at = record.spans.value[0] - record.evidence.char_start
    sources: list[tuple[MethodSource, str]] = []
    if passage is not None and passage.origin == "table":
        sources.append(("table column", column_header(passage, record.spans.value[0] - passage.char_start) or ""))
    end = record.spans.value[1] - record.evidence.char_start
    sources.append(("citation", value_tail(sentence, end)))
    sources.append(("clause", value_clause(sentence, at, end)))
    sources.append(("sentence", sentence))
    if passage is not None and passage.origin == "table":
        sources.append(("table context", passage.context + "\n" + passage.text))
    else:
        sources.append(("passage", paragraph or (passage.text if passage else "")))
    sources.append(("methods section", methods))
    sources.append(("paper", paper))
    return find_method(sources, record.property)


def scored_in_full(result: PaperResult) -> list[Record]:
    doc = result.document
    methods, paper = methods_text(doc), doc.text if doc else ""
    passages = sorted(result.passages, key=lambda p: p.char_start)
    out = []
    for record in result.records:
        at = record.spans.value[0]
        passage = next(
            (p for p in passages if p.char_start <= at < p.char_end and p.origin == record.evidence.origin), None
        )
        method = method_read_in_full(record, passage, methods, paper, paragraph_at(doc, at))
        out.append(score_record(record.model_copy(update={"method": method})))
    return out


def assert_scored_as_in_full(result: PaperResult) -> None:
    assert result.records
    for got, want in zip(result.records, scored_in_full(result), strict=True):
        assert (got.value, got.method) == (want.value, want.method)
        assert got.credibility == want.credibility


@pytest.mark.parametrize("leaning", list(LEANINGS), ids=list(LEANINGS))
@pytest.mark.parametrize("methods", list(METHODS), ids=list(METHODS))
def test_each_record_is_scored_as_when_it_read_the_whole_paper(tmp_path: Path, methods: str, leaning: str) -> None:
    path = tmp_path / "paper.txt"
    path.write_text(LEANINGS[leaning] + "\n\n" + METHODS[methods] + RESULTS, encoding="utf-8")
    result = extract_paper(path, RuleExtractor())
    assert result.status == "success", result.errors
    assert_scored_as_in_full(result)


def test_a_sample_form_before_the_kind_is_dropped_as_before(tmp_path: Path) -> None:
    """find_method starts the method afresh at the first source that tells its kind: kept so, for the same scores."""
    path = tmp_path / "paper.txt"
    path.write_text(METHODS["uv_vis_methods"] + "Results\n\nThin films of CdS have a band gap of 2.42 eV.\n")
    [record] = extract_paper(path, RuleExtractor()).records
    assert (record.method.kind, record.method.detail, record.method.found_in) == (
        "experimental",
        "UV-vis",
        "methods section",
    )
    assert record.method.sample_form is None


def test_the_sample_pdf_is_scored_as_in_full(sample_pdf: Path) -> None:
    assert_scored_as_in_full(extract_paper(sample_pdf, RuleExtractor()))


def test_corpus_papers_are_scored_as_in_full(corpus: Path) -> None:
    texts = sorted((corpus / "bandgap-200-arxiv" / "texts").glob("*.txt"))[:8]
    assert texts
    for path in texts:
        result = extract_paper(path, RuleExtractor())
        if result.records:
            assert_scored_as_in_full(result)
