"""Tables as input: flattened text re-assembled, headers read, PDF tables without rules, proposals from rows.

The texts here are written for these tests; the generated table papers come from data/make_tables.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractors.documents.papers import open_paper, parse_document
from extractors.documents.tables import (
    cell_header,
    cell_quantities,
    flattened_tables,
    header_quantity,
    mask_footnote_marks,
    row_cells,
    table_grid,
    table_passages,
)
from extractors.pipeline import extract_paper
from extractors.quantities.formulas import normalize_formula
from extractors.records.extractor import PassageProposals, RuleExtractor
from extractors.records.grounding import ground_proposal
from extractors.records.table_records import looks_like_material, table_facts, table_proposals
from schemas.passage import Passage
from schemas.record import ExtractorInfo

FLAT = """Results
The samples were grown as described above, and every value below is the mean of three.
Table 2. Band gaps and thermal conductivities of the grown films.
Material
Eg (eV)
Thermal conductivity
(W m−1 K−1)
ZnO
3.37a
50.2
hexagonal boron
nitride (h-BN)
5.9–6.1
390
GaN
3.44
–
a Measured at 300 K.
The thermal conductivity of the nitride films is lower than that of bulk crystals, as the
grain boundaries scatter phonons.
"""


def _row_texts(text: str, table) -> list[str]:
    return [text[s:e] for s, e in table.row_spans]


def test_flattened_table_is_reassembled_with_exact_row_spans() -> None:
    (table,) = flattened_tables(FLAT)
    assert table.number == 2 and table.caption.startswith("Table 2. Band gaps")
    assert table.rows == [
        ["Material", "Eg (eV)", "Thermal conductivity (W m−1 K−1)"],
        ["ZnO", "3.37a", "50.2"],
        ["hexagonal boron nitride (h-BN)", "5.9–6.1", "390"],
        ["GaN", "3.44", "–"],
    ]
    rows = _row_texts(FLAT, table)
    assert rows[1] == "ZnO\n3.37a\n50.2"
    assert rows[2] == "hexagonal boron\nnitride (h-BN)\n5.9–6.1\n390"
    assert rows[3] == "GaN\n3.44\n–"  # the footnote line and the prose after it are not a row
    assert FLAT[table.char_start : table.char_end].startswith("Material") and FLAT[table.char_end - 1] == "–"


@pytest.mark.parametrize(
    ("text", "header", "labels"),
    [
        pytest.param(
            "TABLE I. Gaps.\nPBE\nHSE06\nExp.\nSi\n0.61\n1.17\n1.12\nGe\n0.00\n0.78\n0.66\nWe now turn to the next point.\n",
            ["", "PBE", "HSE06", "Exp."],
            ["Si", "Ge"],
            id="empty-corner-roman-number",
        ),
        pytest.param(
            "Some words that end a long paragraph of the paper before the table.\nMaterial\nYield strength\n(MPa)\n"
            "T (K)\nTi-6Al-4V\n880\n300\nAISI 316L\n290\n77\nTable 3. Yield strengths of two alloys.\n"
            "The alloys were annealed before the tests and cut into dog-bone specimens.\n",
            ["Material", "Yield strength (MPa)", "T (K)"],
            ["Ti-6Al-4V", "AISI 316L"],
            id="table-above-its-caption",
        ),
        pytest.param(
            "Table 1. Band gaps of three oxides, computed and measured.\nMaterial\nBand gap (eV)\nPBE\nExp.\n"
            "ZnO\n0.73\n3.37\nSnO2\n0.65\n3.60\nTiO2\n1.77\n3.20\nThe computed gaps are too small, as usual.\n",
            ["Material", "Band gap (eV) PBE", "Band gap (eV) Exp."],
            ["ZnO", "SnO2", "TiO2"],
            id="merged-group-header",
        ),
        pytest.param(
            "Table 2. Gaps and densities of three sulfides.\nEg (eV)\nρ (g/cm3)\nLDA\nGW\nExpt.\nZnS\n2.05\n3.58\n3.68\n"
            "4.09\nCdS\n1.10\n2.37\n2.42\n4.82\nPbS\n–\n0.39\n0.41\n7.60\nThe GW gaps agree with experiment.\n",
            ["", "Eg (eV) LDA", "Eg (eV) GW", "Eg (eV) Expt.", "ρ (g/cm3)"],
            ["ZnS", "CdS", "PbS"],
            id="three-method-subheaders-under-a-group",
        ),
        pytest.param(
            "Table 3. Gaps and thermal conductivities of three tellurides.\nCompound\nEg (meV)\nMethod\nStructure\n"
            "Thermal conductivity /\nW m−1 K−1\nPbTe\n310\nExp.\nrocksalt\n2.0\nSnTe\n180\nCalc.\nrocksalt\n–\n"
            "GeTe\n610\nExp.\nrhombohedral\n1.9\nThe tellurides are good thermoelectrics.\n",
            ["Compound", "Eg (meV)", "Method", "Structure", "Thermal conductivity / W m−1 K−1"],
            ["PbTe", "SnTe", "GeTe"],
            id="missing-value-dash-ends-its-cell",
        ),
        pytest.param(
            "Table 4. Densities.\nMaterial | Density (g cm-3)\nAl2O3 | 3.95\nZrO2 | 5.68\n\nNext paragraph.\n",
            ["Material", "Density (g cm-3)"],
            ["Al2O3", "ZrO2"],
            id="rows-with-bars",
        ),
    ],
)
def test_flattened_table_layouts(text: str, header: list[str], labels: list[str]) -> None:
    (table,) = flattened_tables(text)
    assert table.rows[0] == header
    assert [r[0] for r in table.rows[1:]] == labels
    for (start, end), row in zip(table.row_spans[1:], table.rows[1:], strict=True):
        assert text[start:end].split()[0] == row[0].split()[0]  # each span starts at its row's label


def test_running_text_mention_of_a_table_is_no_caption() -> None:
    text = "Table 1 shows the compositions.\nFe\n0.2\nC\n1.5\nMn\n0.8\nSi\n0.3\n"
    assert flattened_tables(text) == []


@pytest.mark.parametrize(
    ("header", "caption", "expected"),
    [
        pytest.param("Eg (eV)", "", ("band_gap", "eV"), id="brackets"),
        pytest.param("Band gap / eV", "", ("band_gap", "eV"), id="slash"),
        pytest.param("Eg [eV]", "", ("band_gap", "eV"), id="square-brackets"),
        pytest.param("Eg (meV)", "", ("band_gap", "meV"), id="meV"),
        pytest.param("Yield strength, MPa", "", ("yield_strength", "MPa"), id="comma"),
        pytest.param("Thermal conductivity (W/mK)", "", ("thermal_conductivity", "W/mK"), id="W/mK"),
        pytest.param("κ (W m^−1 K^−1)", "", ("thermal_conductivity", "W m^−1 K^−1"), id="kappa-superscripts"),
        pytest.param("ρ (g cm−3)", "", ("density", "g cm−3"), id="rho-is-density-by-its-unit"),
        pytest.param("ρ (Ω cm)", "", ("electrical_resistivity", "Ω cm"), id="rho-is-resistivity-by-its-unit"),
        pytest.param("Curie point (°C)", "", ("curie_temperature", "°C"), id="celsius"),
        pytest.param("Eg (eV)a", "", ("band_gap", "eV"), id="footnote-mark"),
        pytest.param("𝑬𝒈 (eV)", "", ("band_gap", "eV"), id="math-italic"),
        pytest.param("Band gap (eV) HSE06", "", ("band_gap", "eV"), id="group-with-method"),
        pytest.param(
            "Eg SOC", "Table 1. Gaps Eg SOC (meV) of three monolayers.", ("band_gap", "meV"), id="caption-unit"
        ),
        pytest.param("Eg shift (K)", "", None, id="unit-of-another-dimension"),
        pytest.param("T (K)", "", None, id="no-property"),
        pytest.param("Band gap", "", None, id="no-unit-anywhere"),
    ],
)
def test_header_quantity(header: str, caption: str, expected: tuple[str, str] | None) -> None:
    found = header_quantity(header, caption)
    assert ((found.property, found.unit) if found else None) == expected


def test_table_grid_title_row_and_two_row_header() -> None:
    raw: list[list[str | None]] = [
        ["Table 3", "", "", ""],
        ["Specimen", "Yield strength", "Tensile strength", "Elongation"],
        ["", "(MPa)", "(MPa)", "(%)"],
        ["A1", "850", "940", "12"],
    ]
    rows, caption = table_grid(raw)
    assert caption == "Table 3"
    assert rows[0] == ["Specimen", "Yield strength (MPa)", "Tensile strength (MPa)", "Elongation (%)"]
    assert rows[1:] == [["A1", "850", "940", "12"]]


def test_table_grid_spreads_a_merged_header_cell() -> None:
    raw: list[list[str | None]] = [
        ["Material", "Band gap (eV)", None, "Ref."],
        ["", "PBE", "Exp.", ""],
        ["ZnO", "0.73", "3.37", "[4]"],
    ]
    rows, _ = table_grid(raw)
    assert rows[0] == ["Material", "Band gap (eV) PBE", "Band gap (eV) Exp.", "Ref."]


def test_footnote_marks_are_masked_in_place() -> None:
    text = "ZnO | 3.37a | 2.1^b | 4.0* | 2H-MoS2 | 300 K"
    masked = mask_footnote_marks(text)
    assert len(masked) == len(text)
    assert masked == "ZnO | 3.37  | 2.1   | 4.0  | 2H-MoS2 | 300 K"


def _row(text: str, context: str, start: int = 1000) -> Passage:
    return Passage(
        passage_id=f"p:{start}:{start + len(text)}",
        paper_id="p",
        text=text,
        context=context,
        char_start=start,
        char_end=start + len(text),
        origin="table",
        sentence_spans=[(0, len(text))],
    )


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        pytest.param(
            "ZnO | 3.37a | 50.2",
            "Table 1. Films.\nMaterial | Eg (eV) | Thermal conductivity (W/mK)",
            [("ZnO", "band_gap", "3.37", "eV"), ("ZnO", "thermal_conductivity", "50.2", "W/mK")],
            id="two-properties-footnote-mark",
        ),
        pytest.param(
            "hexagonal boron\nnitride (h-BN)\n5.9–6.1\n390",
            "Table 2. Nitrides.\nMaterial | Eg (eV) | κ (W m−1 K−1)",
            [
                ("hexagonal boron nitride (h-BN)", "band_gap", "5.9–6.1", "eV"),
                ("hexagonal boron nitride (h-BN)", "thermal_conductivity", "390", "W m−1 K−1"),
            ],
            id="flattened-row-wrapped-label-range",
        ),
        pytest.param(
            "VCClBr | 3.257 | 76 | D",
            "Table 1. Lattice constants (Å) and GGA+SOC gaps Eg (meV).\nName | a | Eg | BGC",
            [("VCClBr", "band_gap", "76", "meV")],
            id="unit-from-caption",
        ),
        pytest.param(
            "Al2O3 | 300 | 3.95 | Exp.",
            "Table 3.\nCompound | T (K) | ρ (g/cm3) | Method",
            [("Al2O3", "density", "3.95", "g/cm3")],
            id="temperature-column-is-a-condition",
        ),
        pytest.param(
            "This work | 3.18 | 4.79",
            "Table 4. Rutile.\nSource | Eg (eV) | a (Å)",
            [],
            id="row-label-not-a-material",
        ),
        pytest.param(
            "GaN | – | 3.44",
            "Table 5.\nMaterial | Eg PBE (eV) | Eg exp (eV)",
            [("GaN", "band_gap", "3.44", "eV")],
            id="missing-value",
        ),
    ],
)
def test_table_proposals(text: str, context: str, expected: list[tuple[str, str, str, str]]) -> None:
    got = [(p.material, p.property, p.value, p.unit) for p in table_proposals(_row(text, context))]
    assert got == expected


def test_conditions_and_method_from_other_columns() -> None:
    (fact,) = table_facts(_row("Al2O3 | 300 | 3.95 | Exp.", "Table 3.\nCompound | T (K) | ρ (g/cm3) | Method"))
    assert fact.conditions == [("T (K)", "300")] and fact.method == "Exp."
    facts = table_facts(_row("ZnO | 0.73 | 3.37", "Table 1.\nMaterial | Band gap (eV) PBE | Band gap (eV) Exp."))
    assert [f.method for f in facts] == ["GGA/PBE", "Exp."]


def test_transposed_table_gives_the_column_material_with_its_offset() -> None:
    document = "Table 1. Properties.\n | TiO2 | ZnO\nEg [eV] | 3.05 | 3.37\n"
    start = document.index("Eg [eV]")
    passage = _row("Eg [eV] | 3.05 | 3.37", "Table 1. Properties.\n | TiO2 | ZnO", start)
    got = table_proposals(passage, document=document)
    assert [(p.material, p.value, document[p.material_at : p.material_at + len(p.material)]) for p in got] == [
        ("TiO2", "3.05", "TiO2"),
        ("ZnO", "3.37", "ZnO"),
    ]
    assert table_proposals(passage) == []  # without the document the material cannot be placed


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        pytest.param("Ba0.5Sr0.5TiO3", True, id="formula"),
        pytest.param("2H-MoTe2", True, id="polytype-prefix"),
        pytest.param("Ti-6Al-4V", True, id="alloy"),
        pytest.param("AISI 316L", True, id="grade"),
        pytest.param("yttria-stabilized zirconia", True, id="name"),
        pytest.param("monolayer black phosphorus", True, id="element-name"),
        pytest.param("This work", False, id="source"),
        pytest.param("Mean", False, id="statistic"),
        pytest.param("HSE06", False, id="method"),
        pytest.param("Eg (eV)", False, id="property"),
        pytest.param("adsorbed", False, id="state"),
    ],
)
def test_looks_like_material(label: str, expected: bool) -> None:
    assert looks_like_material(label) is expected


def test_cells_and_their_headers_inside_a_row() -> None:
    passage = _row("hexagonal boron\nnitride (h-BN)\n5.9–6.1\n390", "Table 2.\nMaterial | Eg (eV) | κ (W m−1 K−1)")
    assert [passage.text[s:e] for s, e in row_cells(passage.text, 3)] == [
        "hexagonal boron\nnitride (h-BN)",
        "5.9–6.1",
        "390",
    ]
    assert cell_header(passage, passage.text.index("390")) == "κ (W m−1 K−1)"
    quantities = cell_quantities(_row("GaN\n3.44a\n–\n2.1", "T.\nMaterial | Eg (eV) | x | y"))
    assert [(q.value, q.text) for q in quantities] == [(3.44, "3.44"), (2.1, "2.1")]


# --- PDFs and generated table papers ----------------------------------------------------------


@pytest.fixture(scope="module")
def table_papers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """One generated paper per style and layout (development seed 3)."""
    from conftest import load_samples_module

    make_tables = load_samples_module("make_tables")
    folder = tmp_path_factory.mktemp("tables")
    return folder, make_tables.make_table_set(folder, [3])


def _found(doc, record: dict) -> bool:
    """The truth record's material labels a row whose cell under its column holds the value."""
    for table in doc.tables:
        if table.number != record["table"]:
            continue
        for row in table.rows[1:]:
            if " ".join(row[0].split()) == record["material"]:
                return any(str(record["value"]).rstrip("0").rstrip(".") in cell for cell in row[1:])
    return False


@pytest.mark.parametrize("style", ["ruled", "hrules", "unruled"])
def test_pdf_tables_without_rules_are_read(table_papers: tuple[Path, list[dict]], style: str) -> None:
    folder, truth = table_papers
    item = next(t for t in truth if t["style"] == style and t["layout"] == "wide")
    doc = parse_document(open_paper(folder / item["pdf"]))
    assert {r["table"] for r in item["records"]} <= {t.number for t in doc.tables}
    found = [r for r in item["records"] if _found(doc, r)]
    assert len(found) >= 0.9 * len(item["records"]), [r for r in item["records"] if r not in found]
    for table in doc.tables:  # the rows are in the document text, cells joined by ' | '
        assert [doc.text[s:e] for s, e in table.row_spans] == [" | ".join(r) for r in table.rows]


def test_parse_json_shows_tables_as_rows(table_papers: tuple[Path, list[dict]]) -> None:
    from flows.cli import app

    folder, truth = table_papers
    item = next(t for t in truth if t["style"] == "unruled" and t["layout"] == "wide")
    result = CliRunner().invoke(app, ["parse", str(folder / item["text"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    tables = json.loads(result.output)["tables"]
    first = next(r for r in item["records"] if r["table"] == 1)
    assert any(first["material"] in " ".join(row[0].split()) for t in tables for row in t["rows"][1:])


class TableRuleExtractor(RuleExtractor):
    """The rules with table rows read by table_proposals (the integration this module asks for)."""

    def propose(self, passages, properties=None, *args, **kwargs) -> list[PassageProposals]:  # type: ignore[override]
        out = super().propose(passages, properties, *args, **kwargs)
        for item in out:
            if item.passage.origin == "table":
                item.proposals = table_proposals(item.passage, properties)
        return out


def test_extract_paper_returns_table_rows_as_records(table_papers: tuple[Path, list[dict]]) -> None:
    folder, truth = table_papers
    item = next(t for t in truth if t["style"] == "hrules" and t["layout"] == "wide")
    result = extract_paper(folder / item["pdf"], TableRuleExtractor())
    assert result.document is not None
    # materials written as formulas: whether a name such as 'AISI 316L' counts as a material is grounding's call
    wanted = [r for r in item["records"] if normalize_formula(r["material"]) and " " not in r["material"]]
    assert wanted
    got = {(" ".join(r.material.split()), r.property, r.value) for r in result.records}
    hits = [r for r in wanted if (r["material"], r["property"], r["value"]) in got]
    assert len(hits) >= 0.8 * len(wanted), (wanted, got)
    for record in result.records:
        assert record.evidence.origin == "table" and record.evidence.page is not None
        value_text = result.document.text[record.spans.value[0] : record.spans.value[1]]
        assert float(value_text.split("–")[0].split("-")[0].split("±")[0].replace("^", " ").split()[0]) == record.value


def test_text_table_rows_ground_with_spans_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "paper.txt"
    path.write_text(FLAT.replace("3.37a", "3.37"), encoding="utf-8")
    doc = parse_document(open_paper(path))
    assert not any(b.kind == "text" and "50.2" in b.text for b in doc.blocks)  # cells are no sentence passage
    info = ExtractorInfo(name="rules")
    records = []
    for passage in table_passages(doc):
        for proposal in table_proposals(passage):
            grounded = ground_proposal(proposal, passage, info, str(path))
            assert grounded.record is not None, grounded.rejected
            records.append(grounded.record)
    text = path.read_text(encoding="utf-8")
    spans = {(r.property, text[r.spans.value[0] : r.spans.value[1]]) for r in records}
    assert ("band_gap", "3.37") in spans and ("thermal_conductivity", "50.2") in spans
    assert ("band_gap", "5.9–6.1") in spans
    boron = next(r for r in records if r.property == "band_gap" and r.value == 5.9)
    assert boron.value_max == 6.1 and boron.qualifier == "range"


def test_transposed_text_table_takes_its_unit_from_the_row_label(tmp_path: Path) -> None:
    """A flattened table with a property per row ("Eg [eV]") and a material per column: the unit stands only in
    the row's label, which grounding accepts, and each column's material gets its value."""
    paper = tmp_path / "layers.txt"
    cells = ["Layer", "c-TiO2", "SnO2", "NiO", "χ [eV]", "4.0 [12]", "4.5 [13]", "1.8 [14]"]
    cells += ["Eg [eV]", "3.05 [15]", "3.6 [16]", "3.7 [17]", "ε", "9", "9", "11"]
    paper.write_text(
        "Band gaps of oxide layers in a solar cell\n\nWe model a cell made of several oxide layers.\n\n"
        "TABLE I: Parameters of the layers used in the model.\n" + "\n".join(cells) + "\n\nThe parameters follow.\n",
        encoding="utf-8",
    )
    result = extract_paper(paper, RuleExtractor(), properties={"band_gap"})
    assert [(r.material, r.value, r.unit) for r in result.records] == [
        ("c-TiO2", 3.05, "eV"),
        ("SnO2", 3.6, "eV"),
        ("NiO", 3.7, "eV"),
    ]
    assert all(r.evidence.text.startswith("Eg [eV]") for r in result.records)


def test_numbered_specimens_of_a_material_class_are_the_rows_materials() -> None:
    """A metallurgy table labels its rows by specimen number under "Specimen steel No.": each row is steel No. N
    (its span is the label cell), and a bare "No." column says nothing of the material, so gives nothing."""
    context = "Table 3\nSpecimen steel No. | Tensile strength (kg/mm^2) | 0.02% yield strength (kg/mm^2)"
    passage = _row("2 | 108 | 84", context)
    info = ExtractorInfo(name="rules")
    got = [ground_proposal(p, passage, info, "patent.pdf").record for p in table_proposals(passage)]
    assert [(r.material, r.property, r.value, round(r.value_canonical)) for r in got if r] == [
        ("Specimen steel No. 2", "tensile_strength", 108.0, 1059),
        ("Specimen steel No. 2", "yield_strength", 84.0, 824),
    ]
    assert all(r.spans.material == (1000, 1001) for r in got if r)  # the label cell "2"
    bare = _row("2 | 108 | 84", "Table 3\nNo. | Tensile strength (kg/mm^2) | 0.02% yield strength (kg/mm^2)")
    assert table_proposals(bare) == []


def _line(y: float, *cells: tuple[float, str]) -> list:
    """Words of one printed table line: each cell (x, text) as words 5 pt apart per character."""
    from extractors.documents.table_layout import Word

    words = []
    for x, text in cells:
        for word in text.split():
            words.append(Word(x, y, x + 5 * len(word), y + 10, word))
            x += 5 * len(word) + 4
    return words


def test_a_row_wrapped_over_two_lines_stays_one_row() -> None:
    """An unruled table whose label and range wrap: "monolayer black | 5.63–" then "phosphorus | 7.03", and an
    uncertainty cut after "±": one row each, not a row of its own for the second line."""
    from extractors.documents.table_layout import layout_table

    words = _line(100, (70, "Sample"), (250, "Eg (eV)"), (350, "κ (W/mK)"))
    words += _line(115, (70, "WSe2"), (250, "3.99"), (350, "13.9"))
    words += _line(128, (70, "monolayer black"), (250, "5.63–"), (350, "165.7"))
    words += _line(141, (70, "phosphorus"), (250, "7.03"))
    words += _line(156, (70, "GaAs"), (250, "4.59 ±"), (350, "94.2"))
    words += _line(169, (250, "0.14"))
    words += _line(184, (70, "InP"), (250, "2.67"), (350, "284.2"))
    found = layout_table(words, (60, 95, 500, 300))
    assert found is not None
    rows, _ = found
    assert [r[:2] for r in rows[1:]] == [
        ["WSe2", "3.99"],
        ["monolayer black phosphorus", "5.63–7.03"],
        ["GaAs", "4.59 ± 0.14"],
        ["InP", "2.67"],
    ]


def test_method_columns_under_a_spanning_header_take_its_quantity() -> None:
    """ "Eg (eV) Exp." | "HSE06" | "PBE": the PDF names the group in its first column only; every method column is
    a band gap in eV, and a reference column is not."""
    passage = _row(
        "SnO2 | 2.11 | 0.42 | 5.11 | [12]", "Table 1. Reference materials.\nSystem | Eg (eV) Exp. | HSE06 | PBE | Ref."
    )
    got = [(f.proposal.property, f.proposal.value, f.proposal.unit) for f in table_facts(passage)]
    assert got == [("band_gap", "2.11", "eV"), ("band_gap", "0.42", "eV"), ("band_gap", "5.11", "eV")]


def test_a_value_with_a_glued_footnote_mark_is_a_candidate(tmp_path: Path) -> None:
    """Flattened text writes a footnote mark right after the number ("164c", "1305b"): such a row must still
    reach the extractor (read whole, "164c" looked like 164 in units of the speed of light and the row was
    skipped as holding no Curie temperature)."""
    paper = tmp_path / "magnets.txt"
    cells = ["Compound", "Curie temperature (K)", "Fe3GeTe2", "164c", "CrI3", "61", "Co", "1305b", "Ni", "627a"]
    paper.write_text(
        "Magnets\n\nWe list the Curie temperatures of the magnets studied.\n\n"
        "Table 2. Curie temperature of the studied materials.\n" + "\n".join(cells) + "\n"
        "a Measured on thin films.\n\nThe trends follow.\n",
        encoding="utf-8",
    )
    result = extract_paper(paper, RuleExtractor())
    assert sorted((r.material, r.value, r.unit) for r in result.records) == [
        ("Co", 1305.0, "K"),
        ("CrI3", 61.0, "K"),
        ("Fe3GeTe2", 164.0, "K"),
        ("Ni", 627.0, "K"),
    ]


def _grid(page, x: float, top: float, rows: int) -> None:  # noqa: ANN001
    """Ruling lines around rows of two cells (x .. x+100 .. x+200), 13 pt high, from top."""
    for i in range(rows + 1):
        page.draw_line((x, top + 13 * i), (x + 200, top + 13 * i), width=0.7)
    for at in (x, x + 100, x + 200):
        page.draw_line((at, top), (at, top + 13 * rows), width=0.7)


def _split_table_pdf(path: Path, two_columns: bool, ruled: bool = False, caption_only: bool = False) -> None:
    """A paper whose Table 1 starts at the foot of a column and goes on, without caption or header, at the
    top of the next one (the next column of the page, or the next page); ruled or with no rules at all. With
    caption_only, the caption is the column's last line and the whole table stands after the break."""
    import pymupdf

    prose = "The samples were grown by chemical vapour deposition and measured at room temperature."
    lines = [("Material", "Eg (eV)"), ("GaN", "3.40"), ("ZnO", "3.37"), ("CdS", "2.42"), ("GaAs", "1.42")]
    lines.append(("InP", "1.34"))
    cut = 0 if caption_only else 3  # lines of the table above the break
    doc = pymupdf.open()
    first = doc.new_page(width=595, height=842)
    width = 240 if two_columns else 450
    y = 72.0
    for _ in range(24):
        first.insert_text((60, y), prose[: int(width / 4.6)], fontsize=9)
        y += 11.5
    y = 740.0 if caption_only else 700.0
    first.insert_text((60, y), "Table 1. Band gap of the studied materials.", fontsize=8.5)
    for i, (name, value) in enumerate(lines[:cut]):
        first.insert_text((66, y + 16 + 13 * i), name, fontsize=8.5)
        first.insert_text((170, y + 16 + 13 * i), value, fontsize=8.5)
    if ruled:
        _grid(first, 63, y + 6, cut)
    if two_columns:
        page, x = first, 320.0
    else:
        page, x = doc.new_page(width=595, height=842), 60.0
    for i, (name, value) in enumerate(lines[cut:]):
        page.insert_text((x + 6, 70 + 13 * i), name, fontsize=8.5)
        page.insert_text((x + 110, 70 + 13 * i), value, fontsize=8.5)
    for j in range(12):
        page.insert_text((x, 160 + 11.5 * j), prose[: int(width / 4.6)], fontsize=9)
    if ruled:
        _grid(page, x + 3, 60, len(lines) - cut)
    doc.save(path)


@pytest.mark.parametrize(
    ("two_columns", "ruled", "caption_only"),
    [(False, False, False), (True, False, False), (False, True, False), (False, False, True), (True, False, True)],
    ids=["next-page", "next-column", "ruled-next-page", "caption-then-next-page", "caption-then-next-column"],
)
def test_a_table_cut_at_the_foot_of_a_column_goes_on_at_the_top_of_the_next(
    tmp_path: Path, two_columns: bool, ruled: bool, caption_only: bool
) -> None:
    path = tmp_path / "split.pdf"
    _split_table_pdf(path, two_columns, ruled, caption_only)
    doc = parse_document(open_paper(path))
    assert [t.rows for t in doc.tables] == [
        [["Material", "Eg (eV)"], ["GaN", "3.40"], ["ZnO", "3.37"], ["CdS", "2.42"], ["GaAs", "1.42"], ["InP", "1.34"]]
    ]
    assert not any(b.kind == "text" and "GaAs" in b.text for b in doc.blocks)  # the rows are no running text
    result = extract_paper(path, RuleExtractor())
    assert [(r.material, r.value, r.evidence.page) for r in result.records] == [
        ("GaN", 3.40, 1),
        ("ZnO", 3.37, 1),
        ("CdS", 2.42, 1),
        ("GaAs", 1.42, 1),
        ("InP", 1.34, 1),
    ]
