"""The rules' pairing of values, properties and materials in a sentence, and grounding a material by its offset."""

from __future__ import annotations

import pytest

from extractors.pipeline import extract_paper
from extractors.records.context import PaperContext
from extractors.records.extractor import RuleExtractor
from extractors.records.grounding import ground_proposal
from extractors.records.pairing import sentence_pairs
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.vocabulary import load_vocabulary


def pairs_of(sentence: str, properties: set[str] | None = None) -> list[tuple[str, str, float, float | None]]:
    context = PaperContext.of_text(sentence)
    found = sentence_pairs(sentence, 0, load_vocabulary(), context, properties)
    return [(p.material.text, p.property, p.value.value, p.value.value_max) for p in found]


def records_of(tmp_path, text: str, properties: set[str] | None = None) -> list:
    """The rules' records of a text paper written to tmp_path."""
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")
    return extract_paper(path, RuleExtractor(), properties=properties).records


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        pytest.param("The band gap of ZnO is 3.37 eV at room temperature.", [("ZnO", 3.37)], id="gap_of_material"),
        pytest.param("ZnO has a direct band gap of 3.37 eV.", [("ZnO", 3.37)], id="material_has_gap"),
        pytest.param(
            "MoS2, WS2 and MoSe2 have band gaps of 1.8, 2.0 and 1.5 eV, respectively.",
            [("MoS2", 1.8), ("WS2", 2.0), ("MoSe2", 1.5)],
            id="respectively_three",
        ),
        pytest.param(
            "The band gaps are 1.1 and 1.6 eV for Si and GaAs, respectively.",
            [("Si", 1.1), ("GaAs", 1.6)],
            id="respectively_materials_after",
        ),
        pytest.param(
            "We find band gaps of 2.3 eV (GaN) and 3.4 eV (AlN).",
            [("GaN", 2.3), ("AlN", 3.4)],
            id="parenthesised_after",
        ),
        pytest.param(
            "Amongst them is the wide band gap (3.4 eV) semiconductor ZnO, which has native donors.",
            [("ZnO", 3.4)],
            id="material_after_the_value",
        ),
        pytest.param("The band gap of TiO2 increases by 0.2 eV under strain.", [], id="change_is_not_a_gap"),
        pytest.param("The band gap of GaAs was probed with a photon energy of 2.5 eV.", [], id="photon_energy"),
        pytest.param("The superconducting gap 2Δ of MgB2 is 7 meV.", [], id="superconducting_gap"),
        pytest.param("The band offset between GaAs and AlAs is 0.5 eV.", [], id="band_offset"),
        pytest.param(
            "The Fermi level lies 0.2 eV below the CB of ZnO, whose band gap is 3.4 eV.",
            [("ZnO", 3.4)],
            id="below_the_band",
        ),
        pytest.param(
            "The optical band gaps of chitosan, Cu2O and PPy – rGO–Fe3O4 were found to be 4.1 eV, 2.1 eV and 1.7 eV"
            " respectively.",
            [("chitosan", 4.1), ("Cu2O", 2.1), ("PPy – rGO–Fe3O4", 1.7)],
            id="respectively_item_the_recognizer_splits",
        ),
        pytest.param(
            "The band gaps of the PTQ-C4, PTQ-C6 and PTQ-C10 films obtained from the absorption edge are 1.92, 1.95"
            " and 1.97 eV, respectively.",
            [("PTQ-C4", 1.92), ("PTQ-C6", 1.95), ("PTQ-C10", 1.97)],
            id="respectively_sample_codes_absorption_edge",
        ),
        pytest.param(
            "Computed band gaps are 1.52 eV, 1.61 eV and 1.70 eV for 2% Sn-doped ZnO, 4% Sn-doped ZnO and undoped"
            " ZnO, which agrees with experiment.",
            [("2% Sn-doped ZnO", 1.52), ("4% Sn-doped ZnO", 1.61), ("undoped ZnO", 1.7)],
            id="value_list_for_material_list",
        ),
        pytest.param(
            "The band gap of GaN and AlN computed with U = 5 eV is 3.1 eV and 5.9 eV, respectively.",
            [("GaN", 3.1), ("AlN", 5.9)],
            id="hubbard_u_is_not_a_value",
        ),
        pytest.param(
            "The band gap of (Zn1-xMgx)O rises from 3.30 eV of ZnO (x = 0) to 3.62 eV of (Zn0.8Mg0.2)O (x = 0.2).",
            [("ZnO", 3.3), ("(Zn0.8Mg0.2)O", 3.62)],
            id="from_value_of_one_to_value_of_another",
        ),
        pytest.param(
            "The band gap difference between GaAs (about 1.42 eV) and InP (about 1.34 eV) is small.",
            [("GaAs", 1.42), ("InP", 1.34)],
            id="difference_between_parenthesised_values",
        ),
        pytest.param("The band gap of ZnO increases from 3.30 eV to 3.40 eV under strain.", [], id="change_of_one"),
        pytest.param(
            "ZnGeN2 films were grown by MOCVD on GaN templates with band gaps up to 3.4 eV.",
            [("ZnGeN2", 3.4)],
            id="not_the_support",
        ),
        pytest.param(
            "The larger current was due to the wider band gap (2.7 eV) of ZnS shells than that of CdSe cores.",
            [("ZnS", 2.7)],
            id="parenthesised_value_then_of_material",
        ),
        pytest.param(
            "Hydrogenation yields a 3.5 eV band gap in graphene.", [("graphene", 3.5)], id="value_gap_in_material"
        ),
        pytest.param(
            "Bi2Se3 is a narrow-band-gap (~0.3 eV) topological insulator.", [("Bi2Se3", 0.3)], id="hyphenated_property"
        ),
        pytest.param("The spin-gap of CuGeO3 is 2 meV.", [], id="spin_gap"),
        pytest.param(
            "The direct band gap was 3.56 eV for PVDF nanofibers and 2.43 eV for the IL.",
            [("PVDF", 3.56)],
            id="a_value_for_an_unknown_name_is_left_out",
        ),
        pytest.param(
            "Indirect band gaps of 2.1 and 3.3 eV are found for gamma-Ga2O3 and delta-Ga2O3, respectively.",
            [("gamma-Ga2O3", 2.1), ("delta-Ga2O3", 3.3)],
            id="spelled_greek_phase_prefix",
        ),
        pytest.param(
            "The absorption spectrum of the ZnO film shows the band gap transitions at 3.3 eV.",
            [("ZnO", 3.3)],
            id="gap_transitions_at",
        ),
        pytest.param(
            "α-WO3/ZnO and β-WO3/ZnO have band gaps of 2.6 eV and 2.9 eV, respectively.",
            [("α-WO3/ZnO", 2.6), ("β-WO3/ZnO", 2.9)],
            id="greek_phase_prefix_is_not_a_property_symbol",
        ),
        pytest.param(
            "The band gap of MoS2 under a field of 0.04 eV/\u02daA shrinks, while its band gap at zero field is 1.8 eV.",
            [("MoS2", 1.8)],
            id="field_in_eV_per_broken_angstrom",
        ),
    ],
)
def test_band_gap_pairs(sentence: str, expected: list[tuple[str, float]]) -> None:
    got = [(m, v) for m, prop, v, _ in pairs_of(sentence, {"band_gap"})]
    assert got == expected


def test_an_energy_stated_above_a_qualified_gap_is_not_a_gap() -> None:
    sentence = (
        "The band gap of WS2 is 2.08 eV, and the trion was seen in spectra taken with 2.17 eV "
        "(90 meV above the calculated band gap)."
    )
    got = [(m, v) for m, prop, v, _ in pairs_of(sentence, {"band_gap"})]
    assert ("WS2", 2.08) in got and ("WS2", 90.0) not in got


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        pytest.param(
            "Kerr traces of CdSe were taken for probe energies of 1.70 eV (at the band gap) and 1.78 eV.",
            [],
            id="gap_inside_a_closed_parenthesis_is_not_the_next_values",
        ),
        pytest.param(
            "Carriers in CdSe cross the band gap (1.74 eV) within 2 ps.",
            [("CdSe", 1.74)],
            id="apposition_to_the_gap_itself_is_kept",
        ),
        pytest.param("Taking half the band gap Eg/2 = 0.87 eV of CdSe as the barrier.", [], id="half_the_gap"),
        pytest.param(
            "The gap of Ga2O3 is indirect; the direct gap is only 29 meV higher in energy.", [], id="higher_in_energy"
        ),
        pytest.param("The band gap of Bi2Se3 is larger than 0.3 eV.", [("Bi2Se3", 0.3)], id="a_bound_of_a_material"),
    ],
)
def test_look_alikes_placed_by_the_sentence(sentence: str, expected: list[tuple[str, float]]) -> None:
    got = [(m, v) for m, prop, v, _ in pairs_of(sentence, {"band_gap"})]
    assert got == expected


def test_a_constituent_element_is_not_the_material_of_the_next_sentence(tmp_path) -> None:
    text = (
        "Results\n\nWe study SmN. Both configurations of the samarium moments are stable. "
        "The indirect gap has a size of about 0.2 eV.\n"
    )
    [record] = records_of(tmp_path, text, {"band_gap"})
    assert (record.material, record.value) == ("SmN", 0.2)


def test_a_sentence_without_a_material_takes_the_one_before_it(tmp_path) -> None:
    text = "Results\n\nWe grew hexagonal boron nitride (hBN) films on copper. Their band gap is 5.9 eV.\n"
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")
    result = extract_paper(path, RuleExtractor(), properties={"band_gap"})
    [record] = result.records
    assert record.value == 5.9
    start, end = record.spans.material or (0, 0)
    assert text[start:end] == record.material and record.material in ("hBN", "hexagonal boron nitride")
    assert not (record.evidence.char_start <= start < record.evidence.char_end), "the material stands before"


def test_grounding_checks_a_material_outside_the_passage_by_its_offset() -> None:
    document = "GaN films were grown. The band gap is 3.4 eV."
    start = document.index("The band")
    passage = Passage(
        passage_id=f"p:{start}:{len(document)}",
        paper_id="p",
        text=document[start:],
        char_start=start,
        char_end=len(document),
    )
    info = ExtractorInfo(name="rules")
    good = Proposal(material="GaN", property="band_gap", value="3.4 eV", material_at=0)
    context = PaperContext.of_text(document)
    grounded = ground_proposal(good, passage, info, "s", context)
    assert grounded.record is not None and grounded.record.spans.material == (0, 3)
    wrong_offset = Proposal(material="GaN", property="band_gap", value="3.4 eV", material_at=5)
    assert ground_proposal(wrong_offset, passage, info, "s", context).record is None
    made_up = Proposal(material="AlN", property="band_gap", value="3.4 eV", material_at=0)
    assert ground_proposal(made_up, passage, info, "s", context).record is None


@pytest.mark.parametrize(
    ("text", "value", "conditions"),
    [
        pytest.param("The band gap of ZnO is 3.37 eV at 300 K.", 3.37, ["300 K"], id="own_temperature"),
        pytest.param(
            "The band gap of BaTiO3 is 3.2 eV and its permittivity is 1200 at 1 kHz.",
            3.2,
            [],
            id="other_values_frequency",
        ),
        pytest.param(
            "ZnO absorbs strongly at 350 nm, and its band gap is 3.3 eV.", 3.3, [], id="wavelength_of_another_clause"
        ),
        pytest.param("At 10 K the band gap of GaAs is 1.52 eV.", 1.52, ["10 K"], id="temperature_before"),
    ],
)
def test_a_condition_belongs_to_the_value_nearest_it(tmp_path, text: str, value: float, conditions: list[str]) -> None:
    path = tmp_path / "paper.txt"
    path.write_text(f"Results\n\n{text}\n", encoding="utf-8")
    [record] = [r for r in extract_paper(path, RuleExtractor(), properties={"band_gap"}).records if r.value == value]
    assert [c.text for c in record.conditions] == conditions


def test_the_model_adds_only_what_passes_the_rules_checks(tmp_path) -> None:
    """The hybrid keeps the rules' pairs and the model's proposals that name a real material and the property."""
    import json

    from extractors.records.hybrid import HybridExtractor
    from extractors.records.llm import LLMExtractor, QueuedCompleter

    text = (
        "Results\n\nThe band gap of GaN is 3.4 eV.\n\n"
        "Spin-orbit coupling (SOC) shifts the band gap of InN by 0.7 eV.\n\n"
        "A value of 0.69 eV, which we identify as the fundamental band gap of InN, agrees with theory.\n"
    )
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")

    def answer(*records: tuple[str, str]) -> str:
        return json.dumps([{"material": m, "property": "band_gap", "value": v} for m, v in records])

    # one answer per candidate passage (a paragraph each here), in order; the rules read only the first
    completer = QueuedCompleter(
        [answer(("GaN", "3.4 eV")), answer(("SOC", "0.7 eV"), ("InN", "0.7 eV")), answer(("InN", "0.69 eV"))]
    )
    info = ExtractorInfo(name="llm", base_model="test", prompt_version="extract-v1")
    hybrid = HybridExtractor(LLMExtractor(completer, info))
    records = extract_paper(path, hybrid, properties={"band_gap"}).records
    assert sorted((r.material, r.value) for r in records) == [("GaN", 3.4), ("InN", 0.69)]
    assert hybrid.info.prompt_version == "extract-v1+rules-v2"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        pytest.param(
            "Both CrI3 films have a Curie temperature of about 61 K, with a magnetic moment of 0.003 emu/g at 2 K.",
            [("CrI3", "curie_temperature", 61.0)],
            id="a_condition_at_is_not_the_value",
        ),
        pytest.param(
            "The Sm0.5Sr0.5CoO3 cell gives an open circuit voltage of 1.05 V at 700 °C.",
            [("Sm0.5Sr0.5CoO3", "open_circuit_voltage", 1.05)],
            id="a_property_named_voltage_is_not_a_lookalike_of_itself",
        ),
        pytest.param(
            "Nanostructured PbTe reaches a ZT of about 1.8 at 800 K.", [("PbTe", "zt", 1.8)], id="dimensionless_zt"
        ),
        pytest.param(
            "The refractive index of Ta2O5 (n = 2.1) suits the coating.",
            [("Ta2O5", "refractive_index", 2.1)],
            id="dimensionless_symbol_equals",
        ),
        pytest.param(
            "The gauge factors of the Pt and NiCr foils are 6.1 and 2.0, respectively.",
            [("Pt", "gauge_factor", 6.1), ("NiCr", "gauge_factor", 2.0)],
            id="dimensionless_respectively",
        ),
        pytest.param(
            "The refractive index of MgxZn1-xO at x = 0.25 and 0.50 is shown in Fig. 3.",
            [],
            id="dimensionless_not_a_variable",
        ),
        pytest.param(
            "The dielectric constant of the ZrO2 film was measured in 2019 with a ratio of 0.8.",
            [],
            id="dimensionless_not_a_year_or_a_ratio",
        ),
        pytest.param(
            "The LSCF cathode shows an electrical conductivity of 300 S cm−1 at 600 °C and 200 S cm−1 at 800 °C.",
            [("LSCF", "electrical_conductivity", 300.0), ("LSCF", "electrical_conductivity", 200.0)],
            id="siemens_is_not_a_seebeck_symbol",
        ),
        pytest.param(
            "The P3HT:PCBM cell gave a V oc of 0.61 V and a J sc of 9.8 mA/cm^2.",
            [("P3HT:PCBM", "open_circuit_voltage", 0.61), ("P3HT:PCBM", "short_circuit_current_density", 9.8)],
            id="subscript_split_off_by_pdf_to_text",
        ),
    ],
)
def test_other_property_pairs(sentence: str, expected: list[tuple[str, str, float]]) -> None:
    assert [(m, prop, v) for m, prop, v, _ in pairs_of(sentence)] == expected


def test_a_dimensionless_value_is_grounded_without_a_unit(tmp_path) -> None:
    paper = tmp_path / "thermoelectric.txt"
    paper.write_text(
        "Thermoelectric selenides\n\nSingle crystals of SnSe reach a ZT of 2.6 at 923 K.\n", encoding="utf-8"
    )
    [record] = extract_paper(paper, RuleExtractor(), properties={"zt"}).records
    assert (record.material, record.value, record.unit) == ("SnSe", 2.6, None)
    text = paper.read_text(encoding="utf-8")
    assert text[record.spans.value[0] : record.spans.value[1]] == "2.6"


def test_prose_after_the_reference_list_is_read_but_its_entries_are_not(tmp_path) -> None:
    """Nature-style papers put Methods after the references; the entries quote other papers' titles."""
    text = (
        "Results\n\nWe grew CdTe films.\n\nReferences\n\n"
        "1. A. Author, B. Writer et al., Band gap of 1.61 eV in CdTe films, Phys. Rev. B 12, 345 (2019).\n\n"
        "The absorption edge of the CdTe films gives a band gap of 1.48 eV.\n"
    )
    assert [r.value for r in records_of(tmp_path, text, {"band_gap"})] == [1.48]


def test_a_clause_after_an_equations_debris_is_read(tmp_path) -> None:
    """pdf-to-text writes an equation one glyph per line; the clause after it is still a sentence."""
    text = (
        "Results\n\nThe high temperature data of LiZn2Mo3O8 was fit to a model \nT\nK\nE\no\nB\ng\ne\n2\n/\n\uf072\n"
        "\uf072\uf03d\n giving \nan estimated band gap of Eg = 0.12 eV.23 \n"
    )
    [record] = records_of(tmp_path, text, {"band_gap"})
    assert (record.material, record.value) == ("LiZn2Mo3O8", 0.12)
    assert text[record.spans.value[0] : record.spans.value[1]] == "0.12 eV"


def test_a_fill_factor_stated_as_a_fraction_is_a_percentage(tmp_path) -> None:
    """Fill factors are often written as fractions: 0.62 is 62%. A bare efficiency is not taken as one."""
    text = "Results\n\nThe P3HT:PCBM cell had a fill factor of 0.62. Its PCE was 0.5 after aging.\n"
    [record] = records_of(tmp_path, text)
    assert (record.property, record.value, record.unit) == ("fill_factor", 0.62, None)
    assert (record.value_canonical, record.unit_canonical) == (62.0, "percent")


@pytest.mark.parametrize(
    ("text", "material"),
    [
        pytest.param("Devices of PTB7 and PC71BM reached a PCE of 7.4%.", "PTB7", id="not_the_acceptor_alone"),
        pytest.param(
            "We made P3HT cells. With 3% DIO as additive, a PCE of 4.1% was achieved.", "P3HT", id="not_the_additive"
        ),
    ],
)
def test_a_solar_cells_efficiency_is_not_its_acceptors_or_additives(tmp_path, text: str, material: str) -> None:
    [record] = records_of(tmp_path, f"Results\n\n{text}\n", {"power_conversion_efficiency"})
    assert record.material == material


def test_an_acceptor_keeps_its_own_properties() -> None:
    assert [(m, prop) for m, prop, _, _ in pairs_of("The band gap of PC71BM is 1.9 eV.")] == [("PC71BM", "band_gap")]
