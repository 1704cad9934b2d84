"""The material mention recognizer: what is a material in scientific text, and what only looks like one."""

from __future__ import annotations

import pytest

from extractors.quantities.materials import (
    MaterialMention,
    abbreviations,
    find_materials,
    is_material,
    paper_subject,
)


def mentions(text: str) -> list[tuple[str, str]]:
    """(text, kind) of every mention, checking that each span is the text it claims."""
    found = find_materials(text)
    for m in found:
        assert text[m.start : m.end] == m.text, m
    return [(m.text, m.kind) for m in found]


def one(text: str) -> MaterialMention:
    found = find_materials(text)
    assert len(found) == 1, [m.text for m in found]
    return found[0]


@pytest.mark.parametrize(
    ("text", "material", "start", "formula"),
    [
        ("The gap of TiO2 is 3.2 eV.", "TiO2", 11, "O2Ti"),
        ("Cs3Bi2Br9-xIx shows", "Cs3Bi2Br9-xIx", 0, None),
        ("in Zn1-xBexSe alloys", "Zn1-xBexSe", 3, None),
        ("Ba0.5Sr0.5TiO3 films", "Ba0.5Sr0.5TiO3", 0, "Ba0.5O3Sr0.5Ti"),
        ("doped Mn:ZnO layers", "Mn:ZnO", 6, None),
        ("with MAPbI3 absorbers", "MAPbI3", 5, "CH6I3NPb"),
        ("and FAPbI3.", "FAPbI3", 4, "CH5I3N2Pb"),
        ("CsPbBr3 nanocrystals", "CsPbBr3", 0, "Br3CsPb"),
        ("FA0.85MA0.15PbI3 cells", "FA0.85MA0.15PbI3", 0, "CH5.15I3N1.85Pb"),
        ("the (BA)2(MA)n-1PbnI3n+1 series", "(BA)2(MA)n-1PbnI3n+1", 4, None),
        ("magnetic (Ga,Mn)As", "(Ga,Mn)As", 9, None),
        ("bulk MgSO4·H2O", "MgSO4·H2O", 5, "H2MgO5S"),
        ("YBa2Cu3O7−δ is", "YBa2Cu3O7−δ", 0, None),
        ("the wz-GaN phase", "wz-GaN", 4, "GaN"),
        ("and zb-GaN", "zb-GaN", 4, "GaN"),
        ("exfoliated 2H-MoS2", "2H-MoS2", 11, "MoS2"),
        ("metallic 1T'-MoTe2", "1T'-MoTe2", 9, "MoTe2"),
        ("the α-Fe2O3 grains", "α-Fe2O3", 4, "Fe2O3"),
        ("β-Ga2O3 is", "β-Ga2O3", 0, "Ga2O3"),
        ("a c-TiO2 layer", "c-TiO2", 2, "O2Ti"),
        ("the H-MoSe2 phase", "H-MoSe2", 4, "MoSe2"),
        ("α-P displays", "α-P", 0, None),
        ("white-P is insulating", "white-P", 0, None),
        ("on anatase TiO2 films", "anatase TiO2", 3, "O2Ti"),
        ("monolayer MoS2 flakes", "monolayer MoS2", 0, "MoS2"),
        ("Eu- and Gd-doped Bi2Se3 films", "Eu- and Gd-doped Bi2Se3", 0, None),
        ("MoS2-based devices", "MoS2", 0, "MoS2"),
        ("a GaAs(001) substrate", "GaAs", 2, "AsGa"),
        ("Li2MnSiO4@C nanoboxes", "Li2MnSiO4@C", 0, None),
        ("the α-P/H-MoSe2 heterostructure", "α-P/H-MoSe2", 4, None),
        ("Cu3(BTC)2 frameworks", "Cu3(BTC)2", 0, None),
        ("ZnO:B films", "ZnO:B", 0, None),
        ("Y2O3:Eu3+ phosphor", "Y2O3:Eu3+", 0, None),
        ("the W–Nb–Mo–Ta alloy", "W–Nb–Mo–Ta", 4, None),
        ("a NaCl crystal", "NaCl", 2, "ClNa"),
        ("C60 molecules", "C60", 0, "C60"),
        ("bulk Si wafers", "Si", 5, "Si"),
        ("BN sheets", "BN", 0, "BN"),
    ],
    ids=[
        "oxide",
        "x_variable_halide",
        "x_variable_alloy",
        "fractional",
        "dopant_colon",
        "perovskite_ma",
        "perovskite_fa",
        "perovskite_cs",
        "mixed_cation",
        "layered_perovskite_n",
        "alloy_group",
        "hydrate",
        "delta_oxygen",
        "wurtzite_prefix",
        "zincblende_prefix",
        "polytype_2h",
        "polytype_1t_prime",
        "greek_prefix",
        "greek_prefix_beta",
        "compact_prefix",
        "capital_phase_prefix",
        "greek_single_element",
        "colour_single_element",
        "anatase_word",
        "monolayer_word",
        "doped_list",
        "based_suffix",
        "facet_dropped",
        "core_shell",
        "heterostructure",
        "mof_ligand",
        "dopant_single_letter",
        "dopant_ion",
        "en_dash_alloy",
        "binary_salt",
        "fullerene_formula",
        "element_symbol",
        "caps_whitelist",
    ],
)
def test_formulas(text: str, material: str, start: int, formula: str | None) -> None:
    m = one(text)
    assert (m.text, m.start, m.end, m.kind, m.formula) == (material, start, start + len(material), "formula", formula)


@pytest.mark.parametrize(
    ("text", "material", "formula"),
    [
        ("Free-standing silicene is", "silicene", None),
        ("graphene sheets", "graphene", None),
        ("black phosphorene and", "black phosphorene", None),
        ("few-layer phosphorene", "few-layer phosphorene", None),
        ("an hBN substrate", "hBN", "BN"),
        ("on h-BN", "h-BN", "BN"),
        ("hexagonal boron nitride", "hexagonal boron nitride", "BN"),
        ("nitrogen-vacancy centres in diamond.", "diamond", None),
        ("lead halide perovskites", "lead halide perovskites", None),
        ("Ti3C2Tx MXene", "MXene", None),
        ("P3HT:PCBM", "P3HT:PCBM", None),
        ("PEDOT:PSS", "PEDOT:PSS", None),
        ("the Spiro-OMeTAD layer", "Spiro-OMeTAD", None),
        ("PTB7-Th donors", "PTB7-Th", None),
        ("ZIF-8 crystals", "ZIF-8", None),
        ("Ni-MOF-74 powder", "Ni-MOF-74", None),
        ("crystalline silicon", "crystalline silicon", "Si"),
        ("bulk germanium", "germanium", "Ge"),
        ("zinc oxide", "zinc oxide", "OZn"),
        ("titanium dioxide", "titanium dioxide", "O2Ti"),
        ("iron(III) oxide", "iron(III) oxide", "Fe2O3"),
        ("methylammonium lead iodide", "methylammonium lead iodide", None),
        ("poly(3-hexylthiophene)", "poly(3-hexylthiophene)", None),
        ("polystyrene beads", "polystyrene", None),
        ("gluconic acid", "gluconic acid", None),
        ("rutile", "rutile", "O2Ti"),
        ("twisted bilayer graphene", "twisted bilayer graphene", None),
        ("N-doped graphene", "N-doped graphene", None),
        ("in chloroform", "chloroform", None),
    ],
    ids=[
        "silicene",
        "graphene",
        "phosphorene_colour",
        "phosphorene_layers",
        "hbn",
        "h_bn",
        "boron_nitride",
        "diamond",
        "perovskite_plural",
        "mxene",
        "polymer_blend",
        "pedot_pss",
        "spiro",
        "polymer_hyphen",
        "mof_code",
        "mof_metal_prefix",
        "element_name",
        "element_name_bulk",
        "compound_name",
        "compound_name_prefix",
        "compound_name_roman",
        "perovskite_name",
        "poly_brackets",
        "poly_word",
        "acid",
        "mineral",
        "twisted_bilayer",
        "doped_name",
        "solvent",
    ],
)
def test_names(text: str, material: str, formula: str | None) -> None:
    found = [m for m in find_materials(text) if m.kind == "name" or m.text == material]
    assert [(m.text, m.formula) for m in found] == [(material, formula)]
    assert text[found[0].start : found[0].end] == material


@pytest.mark.parametrize(
    "text",
    [
        "V = 3 V and c = 4 Å",
        "with x = 0.2 at T = 300 K",
        "In this work, As shown, He et al. argued that No one",
        "Be aware",
        "the Eg, SOC, DFT, HSE, GGA, PBE, LDA, CBM, VBM and DOS",
        "space groups P6_3/mmc, P63/mmc, Fm-3m, R3c, C2/m, I4/mmm, P21/c and Pnma",
        "3 eV, 40 meV, 5 K, 10 GPa, 10 Pa, 0.40 V",
        "as in Ref. [12] and Fig. 3(b), Table S1, Eq. (2), Sec. III.2",
        "the Mexican-hat shaped band",
        "upon Ti-alloying, Ga-rich growth, Eu-doped",
        "O 2p and Fe 3d states, Li atoms, Er3+ ions, Cu(II)",
        "Li et al. [5] and Y. Li and X. Wang",
        "spin-orbit coupling and the nd band",
        "polymer solar cells (PSCs) reached PCEs of 9%",
        "the Ti–O bonds and U–Pb ages",
        "the Γ-X and Γ-M directions",
        "THERMAL PROPERTIES",
        "a CdI2-type layered structure and NaCl-like packing",
    ],
    ids=[
        "variables",
        "variables_temperature",
        "english_symbol_words",
        "english_be",
        "property_and_method_symbols",
        "space_groups",
        "units",
        "citations_and_figures",
        "shape",
        "processes",
        "orbitals_atoms_ions",
        "author_names",
        "words",
        "plural_acronyms",
        "bonds_and_isotope_pairs",
        "k_path",
        "heading_in_capitals",
        "structure_types",
    ],
)
def test_not_materials(text: str) -> None:
    assert mentions(text) == []


def test_possessive_is_not_part_of_the_name() -> None:
    assert [m.text for m in find_materials("light above ZnSiP2's 2.1 eV optical band gap")] == ["ZnSiP2"]


def test_spans_in_a_sentence() -> None:
    text = "H-MoSe2 is a semiconductor while T-MoSe2, ZT-MoSe2 and SO-MoSe2 are zero band gap materials."
    assert mentions(text) == [
        ("H-MoSe2", "formula"),
        ("T-MoSe2", "formula"),
        ("ZT-MoSe2", "formula"),
        ("SO-MoSe2", "formula"),
    ]
    assert [(m.start, m.end) for m in find_materials(text)] == [(0, 7), (33, 40), (42, 50), (55, 63)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hexagonal boron nitride (hBN) is", {"hBN": "hexagonal boron nitride"}),
        ("methylammonium lead iodide (MAPbI3) films", {"MAPbI3": "methylammonium lead iodide"}),
        ("twisted bilayer graphene (TBG) shows", {"TBG": "twisted bilayer graphene"}),
        ("a biphenylene network (hereafter BPN) on GaN", {"BPN": "biphenylene network"}),
        ("Indium oxide (In2O3) is", {"In2O3": "Indium oxide"}),
        ("hBN (hexagonal boron nitride) is", {"hBN": "hexagonal boron nitride"}),
        ("Two copolymers, P1 and P2, were made", {"P1": "polymer", "P2": "polymer"}),
        ("spin-orbit coupling (SOC) and density functional theory (DFT)", {}),
        ("Ge quantum dots (QDs) and perovskite solar cells (PSCs)", {}),
        ("black phosphorene (MoSe2)", {}),
        ("the (BA)2(MA)n-1PbnI3n+1 series", {}),
    ],
    ids=[
        "initials",
        "formula_after_name",
        "three_words",
        "hereafter",
        "formula_after_compound_name",
        "long_form_in_brackets",
        "numbered_polymers",
        "not_materials",
        "devices_and_dots",
        "elements_disagree",
        "formula_groups_are_not_definitions",
    ],
)
def test_abbreviations(text: str, expected: dict[str, str]) -> None:
    assert abbreviations(text) == expected


def test_abbreviation_recognized_later_and_in_another_passage() -> None:
    paper = "We grow a biphenylene network (hereafter BPN) on GaN. The BPN-GaN interface is metallic."
    found = find_materials(paper)
    assert [(m.text, m.kind) for m in found][-1] == ("BPN-GaN", "formula")
    assert ("BPN", "abbreviation", "biphenylene network") in [(m.text, m.kind, m.expansion) for m in found]
    passage = "The BPN layer has a gap of 0.8 eV."
    assert find_materials(passage) == []
    (m,) = find_materials(passage, abbreviations(paper))
    assert (m.text, m.start, m.end, m.kind, m.expansion) == ("BPN", 4, 7, "abbreviation", "biphenylene network")


def test_abbreviation_takes_the_formula_of_its_long_form() -> None:
    text = "hexagonal boron nitride (hBN) is an insulator. The hBN layer has a gap of 6 eV."
    last = find_materials(text)[-1]
    assert (last.text, last.start, last.kind, last.formula) == ("hBN", 51, "abbreviation", "BN")


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        (
            "Band gap of monolayer MoS2 on hBN",
            "We study MoS2 and WS2. MoS2 is direct. The perovskite is not studied.",
            ["monolayer MoS2", "hBN", "WS2"],
        ),
        (None, "Perovskites are promising. We grow CsPbBr3; CsPbBr3 films are stable. ZnO too.", ["CsPbBr3", "ZnO"]),
        ("A theory of everything", "We discuss the coupling constant.", []),
    ],
    ids=["title_first", "most_mentioned_before_generic", "none"],
)
def test_paper_subject(title: str | None, abstract: str, expected: list[str]) -> None:
    found = paper_subject(title, abstract, limit=2 if title is None else 3)
    assert [m.text for m in found] == expected
    joined = f"{title}\n{abstract}" if title else abstract
    assert all(m.kind == "subject" and joined[m.start : m.end] == m.text for m in found)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("V", False),
        ("c", False),
        ("coupling", False),
        ("SOC", False),
        ("Eg", False),
        ("nd", False),
        ("P6_3/mmc", False),
        ("Mexican-hat", False),
        ("Ti-alloying", False),
        ("[12]", False),
        ("In", False),
        ("the sample", False),
        ("TiO2", True),
        ("anatase TiO2 films", True),
        ("SmN (AFM phase)", True),
        ("H-MoSe2 GW", True),
        ("hBN", True),
        ("Spiro-OMeTAD", True),
        ("twisted bilayer graphene", True),
    ],
    ids=[
        "variable_v",
        "variable_c",
        "word",
        "acronym",
        "property_symbol",
        "fragment",
        "space_group",
        "shape",
        "process",
        "citation",
        "english_symbol",
        "phrase",
        "formula",
        "formula_with_words",
        "formula_with_qualifier",
        "formula_with_method",
        "named",
        "polymer",
        "named_with_modifiers",
    ],
)
def test_is_material(name: str, expected: bool) -> None:
    assert is_material(name) is expected


def test_is_material_knows_the_papers_abbreviations() -> None:
    assert not is_material("BPN")
    assert is_material("BPN", {"BPN": "biphenylene network"})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("NI-TAT-NI-C12", True, id="compound_code"),
        pytest.param("PBDB-T-2Cl", True, id="polymer_code"),
        pytest.param("PBE-D3", False, id="method_two_parts"),
        pytest.param("G0W0-LDA", False, id="method_pair"),
        pytest.param("Ti-alloying", False, id="process"),
    ],
)
def test_compound_codes_are_materials_methods_are_not(name: str, expected: bool) -> None:
    assert is_material(name) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Devices of PTB7-Th: PC 71 BM (1:1.5) gave 9.2%.", ["PTB7-Th: PC 71 BM"], id="colon_tokenized"),
        pytest.param("Cells of P2 / IC 60 BA were made.", ["P2 / IC 60 BA"], id="slash_sample_code_donor"),
        pytest.param("The PBDB-T:ITIC blend absorbs to 780 nm.", ["PBDB-T:ITIC"], id="colon_glued"),
        pytest.param(
            "ITO/PEDOT:PSS/P3HT:PCBM/Al devices", ["ITO", "PEDOT:PSS", "P3HT:PCBM", "Al"], id="device_stack_stays_apart"
        ),
        pytest.param("With PCBM as the acceptor.", ["PCBM"], id="acceptor_alone"),
        pytest.param(
            "Cells of APFO - Green15 / [60]PCBM (1:4)", ["APFO - Green15 / [60]PCBM"], id="bracketed_fullerene"
        ),
    ],
)
def test_donor_acceptor_blends_are_one_material(text: str, expected: list[str]) -> None:
    """An organic solar cell's efficiency is the blend's: "PTB7: PC71BM" is one material, not the acceptor."""
    assert [m.text for m in find_materials(text)] == expected
