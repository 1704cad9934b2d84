"""The figure scorer (extractors.figures.evaluation) and the generated plots of known data (data/make_plots.py)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

from extractors.documents.pdf import parse_pdf
from extractors.figures.evaluation import format_scores, same_unit, score_figures
from schemas.figure import FigureData, Series

REPO = Path(__file__).resolve().parent.parent


def load_plots_module():
    spec = importlib.util.spec_from_file_location("make_plots", REPO / "data" / "make_plots.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_plots"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def plot_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    folder = tmp_path_factory.mktemp("plots")
    return folder, load_plots_module().make_plot_set(folder)


def perfect(entry: dict) -> FigureData:
    """What an ideal reader returns for a truth entry."""
    if entry["expect"] == "skip":
        return FigureData(
            source=f"/some/where/{entry['file']}",
            page=entry["page"],
            bbox=(0, 0, 1, 1),
            number=entry["number"],
            kind=entry["kind"],
            status="skipped",
            reason=entry["reason"],
        )
    return FigureData(
        source=f"/some/where/{entry['file']}",
        page=entry["page"],
        bbox=(0, 0, 1, 1),
        number=entry["number"],
        panel=entry["panel"],
        kind=entry["kind"],
        x_unit=entry["x_unit"],
        y_unit=entry["y_unit"],
        x_scale=entry["x_scale"],
        y_scale=entry["y_scale"],
        series=[
            Series(label=s["label"], style=s["style"], points=[tuple(p) for p in s["points"]]) for s in entry["series"]
        ],
    )


def line_entry(**update: object) -> dict:
    """A one-plot truth: two labelled lines on linear axes, y range 0..10."""
    entry = {
        "file": "t.pdf",
        "page": 1,
        "number": 1,
        "panel": None,
        "kind": "vector",
        "expect": "read",
        "reason": None,
        "x_label": "Temperature",
        "x_unit": "K",
        "x_scale": "linear",
        "y_label": "Band gap",
        "y_unit": "eV",
        "y_scale": "linear",
        "x_range": [0.0, 100.0],
        "y_range": [0.0, 10.0],
        "series": [
            {"label": "TiO2", "style": "line", "points": [[x, 2 + 0.05 * x] for x in range(0, 101, 10)]},
            {"label": "ZnO", "style": "line", "points": [[x, 8 - 0.04 * x] for x in range(0, 101, 10)]},
        ],
    }
    return entry | update


def series_of(result: dict) -> list[dict]:
    (plot,) = result["plots"]
    return plot["series"]


def test_perfect_prediction_scores_full_marks(plot_set: tuple[Path, list[dict]]) -> None:
    _, truth = plot_set
    scores = score_figures(truth, [perfect(t) for t in truth])
    for kind in ("vector", "raster"):
        s = scores[kind]
        assert s["plots_found"] == s["plots_expected"] == 15
        assert s["series_recovered"] == s["series_expected"] > 0 and s["series_recovery"] == 1.0
        assert s["median_y_error"] == 0.0
        assert s["x_scale_correct"] == s["y_scale_correct"] == s["x_unit_correct"] == s["y_unit_correct"] == 1.0
        assert s["skipped_right_reason"] == s["skip_expected"] > 0 and s["wrongly_read"] == 0
    table = format_scores(scores)
    assert "series recovered" in table and "27/27" in table


def test_shifted_series_scores_its_shift() -> None:
    entry = line_entry()
    pred = perfect(entry)
    pred.series[0].points = [(x, y + 0.3) for x, y in pred.series[0].points]  # 3% of the y range
    pred.series[1].points = [(x, y - 0.8) for x, y in pred.series[1].points]  # 8%: not recovered
    tio2, zno = series_of(score_figures([entry], [pred]))
    assert tio2["median_error"] == pytest.approx(0.03) and tio2["recovered"]
    assert zno["median_error"] == pytest.approx(0.08) and not zno["recovered"]
    assert score_figures([entry], [pred])["vector"]["series_recovered"] == 1


def test_line_is_interpolated_at_the_truth_x() -> None:
    entry = line_entry()
    pred = perfect(entry)
    pred.series[0].points = [(x, 2 + 0.05 * x) for x in (0.0, 33.0, 71.0, 100.0)]  # other x, same straight line
    tio2, _ = series_of(score_figures([entry], [pred]))
    assert tio2["median_error"] == pytest.approx(0.0, abs=1e-12) and tio2["coverage"] == 1.0


def test_missing_series_lowers_recovery() -> None:
    entry = line_entry()
    pred = perfect(entry)
    pred.series = pred.series[1:]
    scores = score_figures([entry], [pred])
    assert scores["vector"]["series_recovered"] == 1 and scores["vector"]["series_recovery"] == 0.5
    tio2, zno = series_of(scores)
    assert tio2["matched"] is None and zno["recovered"]


def test_unlabelled_series_are_matched_by_error() -> None:
    entry = line_entry()
    pred = perfect(entry)
    pred.series = [Series(points=s.points) for s in reversed(pred.series)]
    assert all(s["recovered"] for s in series_of(score_figures([entry], [pred])))


def test_partial_line_is_not_recovered() -> None:
    entry = line_entry()
    pred = perfect(entry)
    pred.series[0].points = [(x, y) for x, y in pred.series[0].points if x <= 50]
    tio2, _ = series_of(score_figures([entry], [pred]))
    assert tio2["median_error"] == 0.0 and tio2["coverage"] == pytest.approx(0.52) and not tio2["recovered"]


def test_log_axis_is_scored_in_log_space() -> None:
    points = [[x, 10 ** (-6 + x / 20)] for x in range(0, 101, 10)]
    entry = line_entry(
        y_scale="log", y_range=[1e-6, 1e-1], series=[{"label": None, "style": "scatter", "points": points}]
    )
    pred = perfect(entry)
    pred.series[0].points = [(x, y * 10**0.2) for x, y in pred.series[0].points]  # 0.2 decades of 5
    (only,) = series_of(score_figures([entry], [pred]))
    assert only["median_error"] == pytest.approx(0.04) and only["recovered"]
    pred.y_scale = "linear"  # the reader's scale is scored apart from its points
    assert score_figures([entry], [pred])["vector"]["y_scale_correct"] == 0.0


def test_scatter_point_needs_a_prediction_near_its_x() -> None:
    entry = line_entry(series=[{"label": "GaN", "style": "scatter", "points": [[10, 5], [50, 5], [90, 5]]}])
    pred = perfect(entry)
    pred.series[0].points = [(11.0, 5.2), (50.0, 5.0), (95.0, 5.0)]  # 1%, 0% and 5% of the x range away
    (gan,) = series_of(score_figures([entry], [pred]))
    assert gan["errors"] == pytest.approx([0.02, 0.0]) and gan["coverage"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("status", "reason", "right", "skipped", "wrong"),
    [
        pytest.param("skipped", "no axes: a photo or schematic", 1, 1, 0, id="right_reason"),
        pytest.param("skipped", "3d plot", 0, 1, 0, id="wrong_reason"),
        pytest.param("read", None, 0, 0, 1, id="read_instead"),
    ],
)
def test_skip_expected(status: str, reason: str | None, right: int, skipped: int, wrong: int) -> None:
    entry = line_entry(kind="raster", expect="skip", reason="no axes", series=[])
    pred = FigureData(source="t.pdf", page=1, bbox=(0, 0, 1, 1), number=1, kind="raster", status=status, reason=reason)  # type: ignore[arg-type]
    s = score_figures([entry], [pred])["raster"]
    assert (s["skipped_right_reason"], s["skipped"], s["wrongly_read"], s["skip_missing"]) == (right, skipped, wrong, 0)
    assert score_figures([entry], [])["raster"]["skip_missing"] == 1


def test_unread_plot_is_not_found() -> None:
    entry = line_entry()
    failed = FigureData(source="t.pdf", page=1, bbox=(0, 0, 1, 1), number=1, status="failed", reason="error")
    s = score_figures([entry], [failed])["vector"]
    assert (s["plots_found"], s["series_recovered"], s["median_y_error"]) == (0, 0, None)


def test_panels_are_matched_by_letter() -> None:
    a, b = line_entry(panel="a"), line_entry(panel="b", y_unit="Ω cm")
    pa, pb = perfect(a), perfect(b)
    pb.y_unit = "ohm cm"
    s = score_figures([a, b], [pb, pa])["vector"]
    assert s["plots_found"] == 2 and s["y_unit_correct"] == 0.5
    whole = FigureData(source="t.pdf", page=1, bbox=(0, 0, 1, 1), number=1, status="failed", reason="error")
    result = score_figures([a, b], [whole])
    assert result["vector"]["plots_found"] == 0 and [p["status"] for p in result["plots"]] == ["failed", "failed"]
    single = perfect(line_entry())
    single.panel = "a"  # a figure without panels read as panel (a)
    assert score_figures([line_entry()], [single])["vector"]["series_recovered"] == 2


@pytest.mark.parametrize(
    ("expected", "got", "same"),
    [
        pytest.param("S cm^-1", "S cm$^{-1}$", True, id="tex"),
        pytest.param("S cm^-1", "s cm⁻¹", True, id="unicode_superscript"),
        pytest.param("μV K^-1", "µV K^−1", True, id="micro_sign_and_minus"),
        pytest.param("eV", "ev", True, id="case"),
        pytest.param(None, "", True, id="no_unit"),
        pytest.param("eV", "meV", False, id="other_unit"),
    ],
)
def test_unit_comparison(expected: str | None, got: str, same: bool) -> None:
    assert same_unit(expected, got) is same


def test_plot_set_files_and_truth(plot_set: tuple[Path, list[dict]]) -> None:
    folder, truth = plot_set
    assert json.loads((folder / "truth.json").read_text(encoding="utf-8")) == truth
    reads = [t for t in truth if t["expect"] == "read"]
    assert len(reads) == 30 and {t["kind"] for t in reads} == {"vector", "raster"}
    assert {t["reason"] for t in truth if t["expect"] == "skip"} == {"no axes", "3d plot", "inset", "unreadable image"}
    assert {t["panel"] for t in reads} == {None, "a", "b"}
    assert {"log"} <= {t["x_scale"] for t in reads} and {"log"} <= {t["y_scale"] for t in reads}
    assert {s["style"] for t in reads for s in t["series"]} == {"line", "scatter"}
    assert any(y < 0 for t in reads for s in t["series"] for _, y in s["points"])
    for t in reads:  # the truth points lie inside the axes as drawn
        (x0, x1), (y0, y1) = t["x_range"], t["y_range"]
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for s in t["series"] for x, y in s["points"]), t["caption"]
    conductivity = next(t for t in reads if t["y_unit"] == "S cm^-1" and t["kind"] == "vector")
    assert conductivity["y_scale"] == "log" and [s["label"] for s in conductivity["series"]] == ["YSZ", "GDC"]


@pytest.mark.parametrize("name", ["plots_vector.pdf", "plots_raster.pdf", "bad_figures.pdf"])
def test_parser_finds_every_generated_figure(plot_set: tuple[Path, list[dict]], name: str) -> None:
    folder, truth = plot_set
    doc = parse_pdf(folder / name, name.removesuffix(".pdf"), str(folder / name))
    expected = sorted({(t["number"], t["page"], t["kind"]) for t in truth if t["file"] == name})
    assert sorted((f.number, f.page, f.kind) for f in doc.figures) == expected
    for figure in doc.figures:
        assert figure.caption.startswith(f"Fig. {figure.number}.")
        assert not math.isclose(figure.bbox[3], figure.bbox[1])


def test_plot_data_is_deterministic() -> None:
    first, again = (load_plots_module().plot_specs() for _ in range(2))  # two module loads: two seeded generators
    assert [dataclasses.asdict(s) for s in first] == [dataclasses.asdict(s) for s in again]
