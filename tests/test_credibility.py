"""Credibility: method context around each value, rule scores with reasons, outliers, calibration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.pipeline import extract_paper
from extractors.records.credibility import (
    brier_score,
    fit_rules,
    record_features,
    reliability_table,
    robust_outliers,
    rules_toml,
)
from extractors.records.extractor import RuleExtractor
from flows.store import flag_outliers, open_db, write_paper
from schemas.credibility import load_credibility_rules


def extract_text(tmp_path: Path, text: str, name: str = "paper.txt") -> list:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = extract_paper(path, RuleExtractor())
    assert result.status == "success", result.errors
    return result.records


def by_value(records: list) -> dict:
    return {r.value: r for r in records}


def test_each_value_gets_the_method_of_its_own_clause(tmp_path: Path) -> None:
    records = by_value(
        extract_text(
            tmp_path,
            "Results\n\nZnO has an experimental band gap of 3.44 eV, while "
            "the PBE calculated band gap of ZnO is only 0.8 eV.\n",
        )
    )
    assert (records[3.44].method.kind, records[3.44].method.found_in) == ("experimental", "clause")
    assert (records[0.8].method.kind, records[0.8].method.detail) == ("computational", "GGA/PBE")


def test_a_citation_belongs_to_the_value_it_follows(tmp_path: Path) -> None:
    records = by_value(
        extract_text(
            tmp_path,
            "Results\n\nThe band gap of ZnO films is 3.30 eV, measured by UV-vis, "
            "while the band gap of GaN is 3.4 eV as reported in [12].\n",
        )
    )
    assert records[3.30].method.kind == "experimental" and records[3.4].method.kind == "literature"


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The measured band gap of ZnO is 3.2 eV, in agreement with previous reports [12].", "experimental"),
        ("Unlike previous work, we measured a band gap of ZnO of 3.2 eV.", "experimental"),
        ("The band gap of ZnO is 3.37 eV [12].", "literature"),
        ("The band gap of ZnO is 3.37 eV as reported by Smith et al.", "literature"),
    ],
    ids=["comparison_citation", "own_work_after_previous", "bracket_citation", "reported_by"],
)
def test_citations_mark_only_quoted_values(tmp_path: Path, sentence: str, kind: str) -> None:
    [record] = extract_text(tmp_path, f"Results\n\n{sentence}\n")
    assert record.method.kind == kind


def test_a_hedge_elsewhere_in_the_sentence_is_not_the_values(tmp_path: Path) -> None:
    [record] = extract_text(
        tmp_path, "Results\n\nWe measured a band gap of ZnO of 3.2 eV, which may be due to confinement.\n"
    )
    assert "hedged" not in record.credibility.features


def test_the_methods_section_names_the_functional_of_a_generic_dft_value(tmp_path: Path) -> None:
    [record] = extract_text(
        tmp_path,
        "Computational details\n\nWe used the HSE06 hybrid functional in VASP.\n\n"
        "Results\n\nFirst-principles calculations give a band gap of ZnO of 3.1 eV.\n",
    )
    assert (record.method.kind, record.method.detail) == ("computational", "HSE06")
    assert "semilocal_dft" not in record.credibility.features


def test_the_method_word_nearest_the_value_wins(tmp_path: Path) -> None:
    [record] = extract_text(
        tmp_path, "Results\n\nThe G0W0 band gap is still lower than the experimental band gap of SnO2 of 3.59 eV.\n"
    )
    assert record.method.kind == "experimental"


def test_table_column_names_the_functional(tmp_path: Path) -> None:
    from schemas.document import ParsedDocument, Table
    from schemas.result import PaperResult

    header, row = "Material | Eg PBE (eV) | Eg HSE06 (eV) | Eg exp. (eV)", "SnO2 | 0.65 | 2.90 | 3.60"
    text = f"Table 1. Band gaps of SnO2.\n{header}\n{row}\n"
    h0 = text.index(header)
    r0 = text.index(row)
    doc = ParsedDocument(
        paper_id="p",
        source="t",
        kind="text",
        text=text,
        tables=[
            Table(
                number=1,
                page=1,
                bbox=(0, 0, 1, 1),
                caption="Table 1. Band gaps of SnO2.",
                rows=[header.split(" | "), row.split(" | ")],
                row_spans=[(h0, h0 + len(header)), (r0, r0 + len(row))],
                char_start=h0,
                char_end=r0 + len(row),
            )
        ],
    )
    from extractors.pipeline import extract_document

    result = PaperResult(source="t", document=doc)
    extract_document(result, RuleExtractor(), {"band_gap"})
    records = by_value(result.records)
    assert (records[0.65].method.kind, records[0.65].method.detail, records[0.65].method.found_in) == (
        "computational",
        "GGA/PBE",
        "table column",
    )
    assert records[2.90].method.detail == "HSE06"
    assert records[3.60].method.kind == "experimental"
    # GGA band gaps are known underestimates: the PBE value scores lowest, and says why.
    assert records[0.65].credibility.score < records[2.90].credibility.score < records[3.60].credibility.score
    assert any("underestimate" in reason for reason in records[0.65].credibility.reasons)


def test_methods_section_is_the_fallback(tmp_path: Path) -> None:
    [record] = extract_text(
        tmp_path,
        "Methods\n\nOptical spectra were recorded with a UV-vis spectrometer on thin films.\n\n"
        "Results\n\nThe band gap of ZnO is 3.3 eV.\n",
    )
    assert (record.method.kind, record.method.detail, record.method.found_in) == (
        "experimental",
        "UV-vis",
        "methods section",
    )
    assert any("method read from the paper's Methods section" in reason for reason in record.credibility.reasons)


def test_a_technique_from_elsewhere_is_kept_only_for_what_it_measures(tmp_path: Path) -> None:
    """UV-vis in the Methods section is the band gap's technique, not the thermal conductivity's or the Curie
    temperature's; their kind (measured) stays. A technique the value's own clause names is kept as written."""
    records = by_value(
        extract_text(
            tmp_path,
            "Methods\n\nOptical spectra were recorded with a UV-vis spectrometer on thin films.\n\n"
            "Results\n\nThe band gap of ZnO is 3.3 eV. The thermal conductivity of ZnO is 50 W/(m K) at 300 K. "
            "The Curie temperature of CrI3 is 61 K.\n\n"
            "Finally, the thermal conductivity of GaN, measured by laser flash, is 130 W/(m K).\n",
        )
    )
    assert (records[3.3].method.kind, records[3.3].method.detail) == ("experimental", "UV-vis")
    assert (records[50.0].method.kind, records[50.0].method.detail) == ("experimental", None)
    assert (records[61.0].method.kind, records[61.0].method.detail) == ("experimental", None)
    assert (records[130.0].method.kind, records[130.0].method.detail) == ("experimental", "laser flash")


@pytest.mark.parametrize(
    ("sentence", "feature", "reason"),
    [
        ("The band gap of ZnO is 3.37 eV as reported in [12].", "literature", "second-hand"),
        ("The band gap of ZnO is about 3.3 eV.", "approximate", "approximate"),
        ("The band gap of ZnO is 3.37 ± 0.02 eV, measured by ellipsometry.", "uncertainty_stated", "uncertainty"),
        ("The band gap of ZnO is estimated to be 3.3 eV.", "hedged", "hedged"),
        ("The band gap of ZnO is below 3.5 eV.", "bound", "bound"),
    ],
    ids=["cited", "approximate", "uncertainty", "hedged", "bound"],
)
def test_reasons(tmp_path: Path, sentence: str, feature: str, reason: str) -> None:
    [record] = extract_text(tmp_path, f"Results\n\n{sentence}\n")
    assert feature in record_features(record)
    assert any(reason in r for r in record.credibility.reasons)
    assert record.credibility.rules_version == "credibility-v1"


def test_a_curie_temperature_at_room_temperature_is_suspect(tmp_path: Path) -> None:
    records = by_value(
        extract_text(
            tmp_path, "Results\n\nThe Curie temperature of Fe3O4 is 858 K. The Curie temperature of CrO2 is 300 K.\n"
        )
    )
    assert "common_measurement_temperature" in records[300.0].credibility.features
    assert records[300.0].credibility.score < records[858.0].credibility.score


def test_robust_outliers() -> None:
    assert robust_outliers([3.30, 3.37, 3.35, 3.40, 33.7]) == [False, False, False, False, True]
    assert robust_outliers([3.3, 33.0]) == [False, False]  # two values cannot say which one is wrong
    assert robust_outliers([3.37, 3.37, 3.37, 3.40]) == [False] * 4  # a tight cluster: 1% off is no outlier


def test_outliers_across_papers_in_the_database(tmp_path: Path) -> None:
    db = tmp_path / "mined.duckdb"
    with open_db(db) as con:
        for n, value in enumerate(["3.30", "3.37", "3.35", "33.7"]):
            path = tmp_path / f"p{n}.txt"
            path.write_text(
                f"Results\n\nThe band gap of ZnO films is {value} eV, measured by UV-vis.\n", encoding="utf-8"
            )
            write_paper(con, extract_paper(path, RuleExtractor()))
        assert flag_outliers(con) == 1
        assert flag_outliers(con) == 0  # idempotent
        rows = con.execute("SELECT value, credibility_score, credibility FROM records ORDER BY value").fetchall()
    scores = {value: score for value, score, _ in rows}
    assert scores[33.7] < 0.5 < scores[3.37]
    assert any("far from other papers" in r for r in json.loads(rows[-1][2])["reasons"])


def test_calibration_fits_the_rule_weights() -> None:
    base = load_credibility_rules()
    features = [{"experimental": 1.0}] * 40 + [{"semilocal_dft": 1.0, "computational": 1.0}] * 40
    labels = [1] * 36 + [0] * 4 + [1] * 10 + [0] * 30
    fitted = fit_rules(features, labels, base, "credibility-test", "synthetic")
    weights = {r.feature: r.weight for r in fitted.rules}
    assert weights["experimental"] > 0 > weights["semilocal_dft"] and weights["outlier"] == 0
    assert fitted.fitted_on == "synthetic" and "credibility-test" in rules_toml(fitted)

    def logit_score(f: dict) -> float:
        import math

        z = fitted.bias + sum(weights[k] for k in f)
        return 1 / (1 + math.exp(-z))

    scores = [logit_score(f) for f in features]
    assert brier_score(scores, labels) < brier_score([0.5] * len(labels), labels)
    assert sum(row[2] for row in reliability_table(scores, labels)) == len(labels)
