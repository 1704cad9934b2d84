"""The scorer's matching rule, its error causes, k-fold summaries, and the gold sets read from the corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.learning.evaluation import (
    Counts,
    EvalReport,
    evaluate,
    format_side_by_side,
    match_records,
    material_matches,
    score_records,
    summarize_folds,
    without_qualifiers,
)
from extractors.learning.gold import fold_of, folds, parse_value_text
from schemas.record import Evidence, ExtractorInfo, Record, Spans


def record(
    material: str,
    value: float,
    unit: str = "eV",
    prop: str = "band_gap",
    value_max: float | None = None,
    at: int = 0,
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
        spans=Spans(value=(at, at + 1), material=(0, 1)),
        evidence=Evidence(text="x", char_start=0, char_end=1),
        extractor=ExtractorInfo(name="test", version="0"),
    )


def gold(material: str, value: float, unit: str | None = "eV", prop: str = "band_gap", **extra) -> dict:
    names = [n.strip() for n in material.split(";")]
    return {"material": names[0], "synonyms": names, "property": prop, "value": value, "unit": unit, **extra}


def test_value_within_one_percent_after_conversion() -> None:
    g = [gold("TiO2", 3.2)]
    assert match_records([record("TiO2", 3.23)], g)["band_gap"].tp == 1
    assert match_records([record("TiO2", 3.3)], g)["band_gap"].fp == 1
    assert match_records([record("TiO2", 3200, "meV")], g)["band_gap"].tp == 1


@pytest.mark.parametrize(
    ("gold_value", "predicted", "prop", "unit", "matches"),
    [
        pytest.param(0.0, 0.0008, "band_gap", "eV", True, id="zero_gap_within_1_meV"),
        pytest.param(0.0, 0.002, "band_gap", "eV", False, id="zero_gap_beyond_1_meV"),
        pytest.param(0.05, 0.0509, "band_gap", "eV", True, id="small_gap_1_meV_beats_1_percent"),
        pytest.param(0.05, 50.9, "band_gap", "meV", True, id="small_gap_in_meV"),
        pytest.param(300.0, 302.9, "curie_temperature", "K", True, id="curie_within_1_percent"),
        pytest.param(300.0, 303.5, "curie_temperature", "K", False, id="curie_beyond_1_percent"),
        pytest.param(10.0, 10.15, "curie_temperature", "K", False, id="no_absolute_tolerance_for_curie"),
        pytest.param(300.0, 27.0, "curie_temperature", "degC", True, id="curie_after_conversion"),
    ],
)
def test_tolerance_by_property(gold_value: float, predicted: float, prop: str, unit: str, matches: bool) -> None:
    gold_unit = "K" if prop == "curie_temperature" else "eV"
    counts = match_records([record("ZnO", predicted, unit, prop)], [gold("ZnO", gold_value, gold_unit, prop)])
    assert (counts[prop].tp == 1) is matches


def test_gold_without_unit_compares_the_number_as_written() -> None:
    g = [gold("PffBB-14", 9.93, None, "power_conversion_efficiency")]
    assert match_records([record("PffBB-14", 9.93, "%", "power_conversion_efficiency")], g)[
        "power_conversion_efficiency"
    ].tp


@pytest.mark.parametrize(
    ("predicted", "gold_material", "matches"),
    [
        pytest.param("Titanium Dioxide", "titanium dioxide; TiO2", True, id="case_insensitive_name"),
        pytest.param("O2Ti", "titanium dioxide; TiO2", True, id="same_formula"),
        pytest.param("ZnO", "titanium dioxide; TiO2", False, id="other_material"),
        pytest.param("SmN", "SmN (AFM phase, LSDA+U+SO)", True, id="without_trailing_qualifier"),
        pytest.param("TiO2", "c-TiO2; TiO2 (c-TiO2); compact TiO2", True, id="synonym_without_qualifier"),
        pytest.param("Gd-doped Bi2Se3 film", "Gd-doped Bi2Se3", True, id="prediction_contains_gold"),
        pytest.param("SiO2", "Si", False, id="containment_needs_whole_word"),
        pytest.param("T-MoSe2", "H-MoSe2", False, id="polymorph_prefix_is_not_the_same_formula"),
        pytest.param("MoSe2", "H-MoSe2 GW", False, id="gold_longer_than_prediction"),
        pytest.param("RuSr_{2}GdCu_{2}O_{8}", "RuSr  2 GdCu  2 O  8", True, id="subscripts_and_spaces"),
        pytest.param("scandium monochloride", "scandiummonochloride", True, id="spaces_lost_in_export"),
        pytest.param("\ufeffGaAs", "GaAs (low-temperature)", True, id="byte_order_mark"),
        pytest.param("P10", "P1", False, id="short_polymer_code_not_inside_another"),
        pytest.param("P1:PC71BM", "P1", True, id="short_polymer_code_in_blend"),
    ],
)
def test_material_rule(predicted: str, gold_material: str, matches: bool) -> None:
    assert material_matches(predicted, gold(gold_material, 1.0)) is matches


def test_gold_without_material_accepts_any() -> None:
    assert material_matches("anything", {"material": None, "synonyms": [], "property": "band_gap", "value": 1.0})


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        pytest.param("SmN (AFM phase, LSDA+U+SO)", "SmN", id="one_qualifier"),
        pytest.param("MgSO4·H2O(100) (LDA)", "MgSO4·H2O(100)", id="surface_index_kept"),
        pytest.param("Ca3(PO4)2", "Ca3(PO4)2", id="formula_group_kept"),
        pytest.param("TiO2(anatase)", "TiO2", id="word_in_parentheses"),
        pytest.param("(BA)2(MA)n-1PbnI3n+1", "(BA)2(MA)n-1PbnI3n+1", id="leading_groups_kept"),
    ],
)
def test_without_qualifiers(name: str, stripped: str) -> None:
    assert without_qualifiers(name) == stripped


def test_ranges_match_both_ends_in_either_order() -> None:
    g = [gold("ZnO", 3.1, value_max=3.4)]
    assert match_records([record("ZnO", 3.1, value_max=3.4)], g)["band_gap"].tp == 1
    assert match_records([record("ZnO", 3.4, value_max=3.1)], g)["band_gap"].tp == 1
    assert match_records([record("ZnO", 3.1)], g)["band_gap"].fp == 1


def test_matching_is_maximal_whatever_the_order() -> None:
    """A greedy matcher would give the first record the only gold the second one can match."""
    g = [gold("Bi2Se3", 0.3), gold("Gd-doped Bi2Se3", 0.3)]
    predicted = [record("Gd-doped Bi2Se3", 0.3), record("Bi2Se3", 0.3)]
    assert match_records(predicted, g)["band_gap"].tp == 2
    assert match_records(predicted[::-1], g)["band_gap"].tp == 2


def test_one_to_one_and_repeats_are_duplicates() -> None:
    g = [gold("ZnO", 3.37)]
    score = score_records([record("ZnO", 3.37), record("ZnO", 3.37), record("GaN", 3.5)], g)
    counts, errors = score.counts["band_gap"], score.errors["band_gap"]
    assert (counts.tp, counts.fp, counts.fn) == (1, 2, 0)
    assert (errors.duplicate, errors.not_property) == (1, 1)
    assert match_records([], g)["band_gap"].fn == 1


def test_error_causes() -> None:
    g = [
        gold("TiO2", 3.05, from_table=True),
        gold("Eu-doped Bi2Se3", 0.030, several=True),
        gold("ZnO", 3.37),
        gold("GaN", 3.4),
    ]
    predicted = [record("Bi2Se3 film", 3.4), record("laser", 1.55), record("GaN", 3.4)]
    score = score_records(predicted, g)
    e, c = score.errors["band_gap"], score.counts["band_gap"]
    assert (c.tp, c.fp, c.fn) == (1, 2, 3)
    assert (e.missed_table, e.missed_several, e.missed_other) == (1, 1, 1)
    assert (e.wrong_material, e.not_property, e.duplicate, e.on_paper_without_gold) == (1, 1, 0, 0)
    on_empty_paper = score_records([record("ZnO", 3.37)], []).errors["band_gap"]
    assert (on_empty_paper.not_property, on_empty_paper.on_paper_without_gold) == (1, 1)


def test_evaluate_scores_only_the_items_properties_and_skips_unscored_spans() -> None:
    items = [
        {
            "id": "a",
            "text": "The band gap of ZnO is 3.37 eV; its Curie temperature is 300 K.",
            "records": [gold("ZnO", 3.37)],
            "properties": ["band_gap"],
            "unscored_spans": [[100, 120]],
        }
    ]
    returned = [
        record("ZnO", 3.37, at=23),
        record("ZnO", 300, "K", "curie_temperature", at=57),  # not scored on a band-gap item
        record("ZnO", 2.0, at=105),  # in an unscored span
    ]
    report = evaluate(lambda path: (returned, 0), items)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 0, 0)
    assert report.predicted == 1 and set(report.per_property) == {"band_gap"}


def test_folds_are_by_paper_and_deterministic() -> None:
    items = [{"id": f"{paper}-{n}", "group": paper, "records": []} for paper in "abcdefghij" for n in range(3)]
    split = folds(items, 5)
    assert sum(len(f) for f in split) == len(items)
    for i, fold in enumerate(split):
        assert all(fold_of(item["group"], 5) == i for item in fold)
    assert [[x["id"] for x in f] for f in folds(items, 5)] == [[x["id"] for x in f] for f in split]
    assert fold_of("arxiv:2311.09099", 5) == fold_of("arxiv:2311.09099", 5)


def test_summary_mean_and_sd_across_folds() -> None:
    reports = [
        EvalReport(per_property={"band_gap": Counts(tp=1, fp=1, fn=0)}, overall=Counts(tp=1, fp=1, fn=0), papers=1),
        EvalReport(per_property={"band_gap": Counts(tp=1, fp=0, fn=1)}, overall=Counts(tp=1, fp=0, fn=1), papers=1),
        EvalReport(per_property={"band_gap": Counts(tp=0, fp=0, fn=2)}, overall=Counts(tp=0, fp=0, fn=2), papers=1),
    ]
    s = summarize_folds(reports)["per_property"]["band_gap"]
    assert s["precision"]["mean"] == pytest.approx(0.75) and s["precision"]["folds"] == 2  # fold 3 predicted nothing
    assert s["recall"]["mean"] == pytest.approx(0.5) and s["recall"]["sd"] == pytest.approx(0.5)
    assert s["pooled"]["precision"] == pytest.approx(2 / 3) and s["pooled"]["recall"] == pytest.approx(0.4)


def test_side_by_side_shows_error_causes() -> None:
    report = evaluate(
        lambda path: ([record("ZnO", 3.0)], 0),
        [{"id": "a", "text": "ZnO 3.0 eV", "records": [gold("ZnO", 3.37, from_table=True)]}],
    )
    table = format_side_by_side({"rules": report})
    header, row = table.splitlines()[0], table.splitlines()[-1]
    assert "tab" in header and "notP" in header
    assert row.split()[:8] == ["rules", "ALL", "0.000", "0.000", "0.000", "0", "1", "1"]
    assert row.split()[8:14] == ["1", "0", "0", "0", "1", "0"]


@pytest.mark.parametrize(
    ("text", "value", "value_max", "qualifier", "unit"),
    [
        pytest.param("~1.13", 1.13, None, "approximate", "eV", id="approximate"),
        pytest.param("2.4-2.7eV.", 2.4, 2.7, "range", "eV", id="range_trailing_period"),
        pytest.param("586to543K.", 543.0, 586.0, "range", "K", id="range_to_descending"),
        pytest.param("1.45eVto1.08eV", 1.08, 1.45, "range", "eV", id="range_units_on_both"),
        pytest.param("sim237meV.", 237.0, None, "approximate", "meV", id="latex_sim"),
        pytest.param("2.0pm0.1", 2.0, None, "exact", "eV", id="uncertainty_default_unit"),
        pytest.param("above300K", 300.0, None, "lower_bound", "K", id="lower_bound"),
        pytest.param("6.84 x 10^-4 cm^2 / (V s)", 6.84e-4, None, "exact", "cm^2 / (V s)", id="scientific"),
        pytest.param("16.77 mA cm^-2", 16.77, None, "exact", "mA cm^-2", id="exponent_is_not_a_range"),
        pytest.param("-5.15 eV", -5.15, None, "exact", "eV", id="negative"),
    ],
)
def test_parse_value_text(text: str, value: float, value_max: float | None, qualifier: str, unit: str) -> None:
    (parsed,) = parse_value_text(text, default_unit="eV" if "K" not in text else "K")
    assert parsed["value"] == pytest.approx(value) and parsed["qualifier"] == qualifier
    assert (parsed["value_max"] == pytest.approx(value_max)) if value_max else parsed["value_max"] is None
    assert parsed["unit"] == unit


def test_gold_sets_from_the_corpus(corpus: Path) -> None:
    from extractors.learning.corpora import bandgap_200_gold
    from extractors.learning.gold import GOLD_SETS

    sets = {name: load(corpus) for name, load in GOLD_SETS.items()}
    bandgap = sets["bandgap-200"]
    assert len(bandgap) == 134 and sum(not i["records"] for i in bandgap) == 108
    assert sum(len(i["records"]) for i in bandgap) == 111
    assert sum(r["from_table"] for i in bandgap for r in i["records"]) >= 11
    zno = next(i for i in bandgap if i["id"] == "10.1016/j.mtsust.2023.100548")["records"][0]
    assert zno["synonyms"] == ["c-TiO2", "TiO2 (c-TiO2)", "compact TiO2"] and zno["value"] == 3.05
    assert sum(len(i["records"]) for i in sets["cde-bandgap"]) == 209
    bert = [r for i in sets["bert-psie"] for r in i["records"]]
    assert len(sets["bert-psie"]) == 400 and {r["property"] for r in bert} == {"band_gap", "curie_temperature"}
    polyie = {r["property"] for i in sets["polyie"] for r in i["records"]}
    assert "power_conversion_efficiency" in polyie and "open_circuit_voltage" in polyie
    sofc = {r["property"] for i in sets["sofc-exp"] for r in i["records"]}
    assert sofc == {"electrical_conductivity", "open_circuit_voltage"}
    for name, items in sets.items():
        assert all(i["group"] and i["properties"] and i["split"] in ("train", "dev") for i in items), name
        assert all(r["property"] in i["properties"] for i in items for r in i["records"]), name
    dev = bandgap_200_gold(corpus, split="dev")
    assert 40 <= len(dev) <= 50 and {i["id"] for i in dev} <= {i["id"] for i in bandgap}
    assert json.dumps(sets["sofc-exp"][0])  # JSON-safe, as a gold file line


def test_scores_go_into_the_adapter_card(tmp_path) -> None:
    from extractors.learning.evaluation import write_card_scores

    (tmp_path / "adapter_card.json").write_text(json.dumps({"name": "a", "dev_scores": None}))
    report = EvalReport(
        per_property={"band_gap": Counts(tp=3, fp=1, fn=3)}, overall=Counts(tp=3, fp=1, fn=3), papers=2, predicted=4
    )
    write_card_scores(tmp_path, report, "dev", ["band_gap"])
    card = json.loads((tmp_path / "adapter_card.json").read_text())
    assert card["dev_scores"]["dev"]["overall"]["precision"] == 0.75
    assert card["dev_scores"]["dev"]["overall"]["recall"] == 0.5


def test_fold_summary_goes_into_the_adapter_card(tmp_path) -> None:
    from extractors.learning.evaluation import write_card_fold_scores

    (tmp_path / "adapter_card.json").write_text(json.dumps({"name": "a"}))
    reports = [EvalReport(per_property={"band_gap": Counts(tp=1, fn=1)}, overall=Counts(tp=1, fn=1), papers=1)] * 2
    write_card_fold_scores(tmp_path, summarize_folds(reports), "bandgap-200 5-fold")
    card = json.loads((tmp_path / "adapter_card.json").read_text())
    scores = card["kfold_scores"]["bandgap-200 5-fold"]
    assert scores["per_property"]["band_gap"]["recall"]["mean"] == 0.5 and "per_fold" not in scores


def test_spans_of_a_crlf_text_file_read_back_from_the_file(tmp_path) -> None:
    """Spans point into the file's characters as stored: Windows line ends must not shift them."""
    from extractors.pipeline import extract_paper
    from extractors.records.extractor import RuleExtractor

    path = tmp_path / "crlf.txt"
    path.write_bytes(
        b"Introduction\r\n\r\nSome words.\r\nMore words.\r\n\r\nResults\r\n\r\nThe band gap of ZnO is 3.37 eV.\r\n"
    )

    def run(p):
        result = extract_paper(p, RuleExtractor())
        return result.records, len(result.rejected)

    items = [{"id": "crlf", "path": str(path), "records": [gold("ZnO", 3.37)]}]
    report = evaluate(run, items, {"band_gap"})
    assert report.predicted == 1 and report.hallucinated == 0 and report.overall.tp == 1
