"""The matching rule of DESIGN.md, on hand-made records."""

from __future__ import annotations

from extractors.learning.evaluation import match_records, material_matches
from schemas.record import Evidence, ExtractorInfo, Record, Spans


def record(
    material: str, value: float, unit: str = "eV", prop: str = "band_gap", value_max: float | None = None
) -> Record:
    return Record(
        paper_id="p",
        source="s",
        material=material,
        property=prop,
        property_text=prop,
        value=value,
        value_max=value_max,
        unit=unit,
        spans=Spans(value=(0, 1), material=(0, 1)),
        evidence=Evidence(text="x", char_start=0, char_end=1),
        extractor=ExtractorInfo(name="test", version="0"),
    )


def test_value_within_one_percent_after_conversion() -> None:
    gold = [{"material": "TiO2", "property": "band_gap", "value": 3.2, "unit": "eV"}]
    assert match_records([record("TiO2", 3.23)], gold)["band_gap"].tp == 1
    assert match_records([record("TiO2", 3.3)], gold)["band_gap"].fp == 1
    assert match_records([record("TiO2", 3200, "meV")], gold)["band_gap"].tp == 1


def test_material_by_formula_or_synonym() -> None:
    gold = {"material": "titanium dioxide", "synonyms": ["TiO2"], "property": "band_gap", "value": 3.2, "unit": "eV"}
    assert material_matches("O2Ti", gold) and material_matches("Titanium Dioxide", gold)
    assert not material_matches("ZnO", gold)


def test_ranges_match_both_ends() -> None:
    gold = [{"material": "ZnO", "property": "band_gap", "value": 3.1, "value_max": 3.4, "unit": "eV"}]
    assert match_records([record("ZnO", 3.1, value_max=3.4)], gold)["band_gap"].tp == 1
    assert match_records([record("ZnO", 3.1)], gold)["band_gap"].fp == 1


def test_one_to_one_and_repeated_facts_count_once() -> None:
    gold = [{"material": "ZnO", "property": "band_gap", "value": 3.37, "unit": "eV"}]
    counts = match_records([record("ZnO", 3.37), record("ZnO", 3.37), record("GaN", 3.4)], gold)["band_gap"]
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)
    missed = match_records([], gold)["band_gap"]
    assert missed.fn == 1


def test_scores_go_into_the_adapter_card(tmp_path) -> None:
    import json

    from extractors.learning.evaluation import Counts, EvalReport, write_card_scores

    (tmp_path / "adapter_card.json").write_text(json.dumps({"name": "a", "dev_scores": None}))
    report = EvalReport(
        per_property={"band_gap": Counts(tp=3, fp=1, fn=3)}, overall=Counts(tp=3, fp=1, fn=3), papers=2, predicted=4
    )
    write_card_scores(tmp_path, report, "dev", ["band_gap"])
    card = json.loads((tmp_path / "adapter_card.json").read_text())
    assert card["dev_scores"]["dev"]["overall"]["precision"] == 0.75
    assert card["dev_scores"]["dev"]["overall"]["recall"] == 0.5


def test_spans_of_a_crlf_text_file_read_back_from_the_file(tmp_path) -> None:
    """Spans point into the file's characters as stored: Windows line ends must not shift them."""
    from extractors.learning.evaluation import evaluate
    from extractors.pipeline import extract_paper
    from extractors.records.extractor import RuleExtractor

    path = tmp_path / "crlf.txt"
    path.write_bytes(
        b"Introduction\r\n\r\nSome words.\r\nMore words.\r\n\r\nResults\r\n\r\nThe band gap of ZnO is 3.37 eV.\r\n"
    )

    def run(p):
        result = extract_paper(p, RuleExtractor())
        return result.records, len(result.rejected)

    gold = [
        {
            "id": "crlf",
            "path": str(path),
            "records": [{"material": "ZnO", "property": "band_gap", "value": 3.37, "unit": "eV"}],
        }
    ]
    report = evaluate(run, gold, {"band_gap"})
    assert report.predicted == 1 and report.hallucinated == 0 and report.overall.tp == 1
