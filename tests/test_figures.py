"""Figures: axis calibration, the vector digitizer on generated plots of known data, records and curves from plots."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pymupdf
import pytest
from typer.testing import CliRunner

from extractors.documents.pdf import parse_pdf
from extractors.figures.axes import calibrate, parse_tick, split_axis_title
from extractors.figures.base import figure_images
from extractors.figures.digitizer import read_vector
from extractors.figures.evaluation import score_figures
from extractors.figures.reading import make_figure_reader, read_figures
from extractors.figures.records import figure_records, x_condition
from flows.cli import app
from schemas.errors import InputError
from schemas.figure import FigureData, FigureSkip, Series

runner = CliRunner()


class VectorOnly:
    """The digitizer without its pixel fallback: what the drawing paths alone give."""

    name = "digitizer"

    def read(self, figure):
        plots = read_vector(figure) if figure.paths else None
        if plots is None:
            raise FigureSkip("no axes: no frame among the drawings")
        return plots


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.5", 0.5),
        ("\u22122", -2.0),
        ("1e-3", 1e-3),
        ("10^3", 1000.0),
        ("10\u00b3", 1000.0),
        ("10\u207b\u00b2", 0.01),
        ("2\u00d710^5", 2e5),
        ("1,000", 1000.0),
        ("0,5", 0.5),
        ("$\\mathdefault{10^{-1}}$", 0.1),
        ("GaN", None),
        ("(a)", None),
    ],
)
def test_tick_labels_are_read_as_numbers(text: str, value: float | None) -> None:
    assert parse_tick(text) == value


def test_calibration_chooses_the_scale_and_outvotes_a_misread_label() -> None:
    log = calibrate([(0, 1), (10, 10), (20, 100), (30, 1000)])
    assert log is not None and log.scale == "log" and math.isclose(log.value(15), 10**1.5)
    linear = calibrate([(0, 0), (10, 1), (20, 2), (30, 8), (40, 4)])  # "8" is an OCR misread of "3"
    assert linear is not None and linear.scale == "linear" and linear.ticks == 4 and math.isclose(linear.value(25), 2.5)
    assert calibrate([(0, 100), (50, 1000)]).scale == "log"  # two decade labels: matplotlib's log axis
    assert calibrate([(5, 3)]) is None  # one label cannot calibrate an axis


@pytest.mark.parametrize(
    ("title", "label", "unit"),
    [
        ("Temperature (K)", "Temperature", "K"),
        ("E / eV", "E", "eV"),
        ("Band gap [eV]", "Band gap", "eV"),
        ("$E_g$ (eV)", "E_g", "eV"),
        ("Conductivity / S cm$^{-1}$", "Conductivity", "S cm^-1"),
        ("x", "x", None),
    ],
)
def test_axis_titles_split_into_label_and_unit(title: str, label: str, unit: str | None) -> None:
    assert split_axis_title(title) == (label, unit)


def test_vector_plots_are_recovered_to_within_one_percent(plot_set) -> None:
    folder, truth = plot_set
    path = folder / "plots_vector.pdf"
    plots = read_figures(path, parse_pdf(path, "vector", str(path)), VectorOnly())
    scores = score_figures([t for t in truth if t["file"] == "plots_vector.pdf"], plots)["vector"]
    assert scores["series_recovery"] >= 0.9, scores
    assert scores["median_y_error"] <= 0.01, scores
    assert scores["x_scale_correct"] == scores["y_scale_correct"] == 1.0, scores
    assert scores["y_unit_correct"] >= 0.9, scores


def test_figures_that_are_not_plots_are_skipped_with_the_reason(plot_set) -> None:
    folder, truth = plot_set
    path = folder / "bad_figures.pdf"
    plots = read_figures(path, parse_pdf(path, "bad", str(path)), VectorOnly())
    expected = {t["number"]: t["reason"] for t in truth if t["file"] == "bad_figures.pdf" and t["kind"] == "vector"}
    assert expected, "the generator made vector figures to skip"
    for plot in plots:
        assert plot.status != "read", f"figure {plot.number} was digitized: {plot.series}"
        if plot.number in expected:
            assert plot.reason and plot.reason.startswith(expected[plot.number]), (plot.number, plot.reason)


def _bar_chart_pdf(
    path: Path, y_title: str = "Band gap (eV)", caption: str = "Fig. 3. Band gaps of four films measured by UV-vis."
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3.2, 2.4))
    ax.bar(["TiO2", "ZnO", "GaN", "SiC"], [3.2, 3.37, 3.4, 2.36])
    ax.set_ylabel(y_title)
    fig.tight_layout()
    src = path.with_suffix(".plot.pdf")
    fig.savefig(src)
    plt.close(fig)
    doc = pymupdf.open()
    page = doc.new_page()
    page.show_pdf_page(pymupdf.Rect(72, 72, 302, 245), pymupdf.open(src), 0)
    page.insert_text((72, 262), caption, fontsize=9)
    doc.save(path)
    return path


def test_a_bar_chart_gives_one_record_per_material(tmp_path: Path) -> None:
    path = _bar_chart_pdf(tmp_path / "bars.pdf")
    doc = parse_pdf(path, "bars", str(path))
    plots = read_figures(path, doc, make_figure_reader("digitizer"))
    assert [p.x_categories for p in plots] == [["TiO2", "ZnO", "GaN", "SiC"]]
    records, curves = figure_records(doc, plots)
    assert [(r.material, r.value, r.unit) for r in records] == [
        ("TiO2", 3.2, "eV"),
        ("ZnO", 3.37, "eV"),
        ("GaN", 3.4, "eV"),
        ("SiC", 2.36, "eV"),
    ]
    first = records[0]
    assert first.property == "band_gap" and first.evidence.origin == "figure" and first.evidence.figure_number == 3
    assert (
        doc.text[first.evidence.char_start : first.evidence.char_end] == first.evidence.text
    )  # the caption, in the paper's text
    assert first.method.detail == "UV-vis" and first.value_canonical == 3.2
    assert len(curves) == 1 and curves[0].property == "band_gap"


def test_an_axis_unit_that_does_not_fit_the_property_gives_no_record(tmp_path: Path) -> None:
    path = _bar_chart_pdf(tmp_path / "bars.pdf", y_title="Band gap (K)")
    doc = parse_pdf(path, "bars", str(path))
    records, curves = figure_records(doc, read_figures(path, doc, make_figure_reader("digitizer")))
    assert records == [] and len(curves) == 1


def test_a_curve_along_a_condition_is_stored_as_a_curve_not_as_records(plot_set) -> None:
    folder, _ = plot_set
    path = folder / "plots_vector.pdf"
    doc = parse_pdf(path, "vector", str(path))
    plots = [p for p in read_figures(path, doc, VectorOnly()) if p.number == 1]  # band gap vs temperature, 3 films
    records, curves = figure_records(doc, plots)
    assert records == []
    assert {c.material for c in curves} == {"TiO2", "ZnO", "GaN"}
    assert {c.property for c in curves} == {"band_gap"} and {c.x_condition for c in curves} == {"temperature"}
    assert all(len(c.points) == 25 for c in curves)


def test_a_single_point_series_is_a_record_with_its_condition() -> None:
    plot = FigureData(
        source="s",
        page=1,
        bbox=(0, 0, 10, 10),
        number=2,
        y_label="Band gap",
        y_unit="eV",
        x_label="Temperature",
        x_unit="K",
        series=[Series(label="GaN", points=[(300.0, 3.39)], style="scatter")],
    )
    from schemas.document import Figure, ParsedDocument

    caption = "Fig. 2. Band gap of GaN at room temperature (DFT-HSE06)."
    doc = ParsedDocument(
        paper_id="p",
        source="s",
        kind="pdf",
        text=caption,
        figures=[
            Figure(
                number=2,
                page=1,
                bbox=(0, 0, 10, 10),
                caption=caption,
                caption_char_start=0,
                caption_char_end=len(caption),
                kind="vector",
            )
        ],
    )
    assert x_condition(plot) == "temperature"
    records, _ = figure_records(doc, [plot])
    assert len(records) == 1
    r = records[0]
    assert (r.material, r.value, r.conditions[0].name, r.conditions[0].value) == ("GaN", 3.39, "temperature", 300.0)
    assert r.spans.material == (caption.index("GaN"), caption.index("GaN") + 3)


def test_rendered_figures_carry_their_text_and_paths(sample_pdf: Path) -> None:
    doc = parse_pdf(sample_pdf, "sample", str(sample_pdf))
    vector = next(f for f in figure_images(sample_pdf, doc) if f.figure.kind == "vector")
    assert vector.image.width > 300 and vector.paths
    assert {"Photon energy (eV)", "2.8", "3.5"} <= {s.text for s in vector.spans}
    x, y = vector.to_page(*vector.to_pixels(100.0, 450.0))
    assert math.isclose(x, 100.0) and math.isclose(y, 450.0)


def test_an_unknown_figure_reader_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="unknown figure reader"):
        make_figure_reader("magic")
    assert make_figure_reader("none") is None


def test_figures_command_writes_the_contract_as_jsonl(plot_set) -> None:
    folder, _ = plot_set
    result = runner.invoke(app, ["figures", str(folder / "plots_vector.pdf"), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 15
    for key in (
        "source",
        "page",
        "bbox",
        "caption",
        "x_label",
        "x_unit",
        "x_scale",
        "y_label",
        "y_unit",
        "y_scale",
        "series",
    ):
        assert key in rows[0]
    assert rows[0]["series"][0]["label"] == "TiO2" and len(rows[0]["series"][0]["points"][0]) == 2
    bad = runner.invoke(app, ["figures", str(folder / "truth.json")])
    assert bad.exit_code == 2 and "not a PDF" in bad.stderr


def test_extract_stores_figure_records_curves_and_figure_rows(tmp_path: Path) -> None:
    path = _bar_chart_pdf(tmp_path / "bars.pdf")
    db = tmp_path / "m.duckdb"
    result = runner.invoke(app, ["extract", str(path), "--extractor", "rules", "--db", str(db), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM records WHERE origin = 'figure'").fetchone() == (4,)
        assert con.execute("SELECT status, reader FROM figures").fetchall() == [("read", "digitizer")]
        assert con.execute("SELECT count(*), any_value(property) FROM curves").fetchone() == (1, "band_gap")
    none = runner.invoke(app, ["extract", str(path), "--extractor", "rules", "--figures", "none", "--format", "jsonl"])
    assert none.exit_code == 0 and none.stdout == ""  # no text records, and no figure reader: no records
