"""The figure reader on plots drawn in other styles (data/make_plots_styles.py): faces, light frames, offsets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractors.documents.pdf import parse_pdf
from extractors.figures.digitizer import Digitizer
from extractors.figures.evaluation import score_figures
from extractors.figures.reading import read_figures
from tests.conftest import load_samples_module

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract is not installed (Debian: apt-get install tesseract-ocr)"
)

# dev seeds (never held-back ones): 2 ggplot (grey face, no spines, rotated ticks, dashes),
# 3 seaborn (face, no tick marks, a light frame), 6 default (light grey frame, x10^5 offset, a band)
SEEDS = (2, 3, 6)


@pytest.fixture(scope="module")
def styled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    load_samples_module("make_plots")
    gen = load_samples_module("make_plots_styles")
    folder = tmp_path_factory.mktemp("styles")
    return folder, gen.make_style_set(folder, SEEDS, name="styles")


_SCORED: dict[tuple[str, str], dict] = {}


def _scores(folder: Path, truth: list[dict], kind: str) -> dict:
    """The scores of one kind's PDF, read once per test session."""
    key = (str(folder), kind)
    if key not in _SCORED:
        path = folder / f"styles_{kind}.pdf"
        predicted = read_figures(path, parse_pdf(path, path.stem, str(path)), Digitizer())
        _SCORED[key] = score_figures([t for t in truth if t["kind"] == kind], predicted)
    return _SCORED[key]


def test_the_style_set_has_dev_and_held_back_seeds_and_tags_each_figure(styled: tuple[Path, list[dict]]) -> None:
    gen = load_samples_module("make_plots_styles")
    assert not set(gen.DEV_SEEDS) & set(gen.HELD_SEEDS)
    folder, truth = styled
    assert [(t["seed"], t["kind"]) for t in truth] == [(s, k) for s in SEEDS for k in ("vector", "raster")]
    by_seed = {t["seed"]: t for t in truth}
    assert by_seed[2]["style"] == "ggplot" and by_seed[3]["style"] == "seaborn"
    assert "sci offset" in by_seed[6]["tags"] and "light frame" in by_seed[6]["tags"]
    assert by_seed[6]["y_range"][1] > 1e4  # the offset's values, as plotted
    assert (folder / "styles_truth.json").exists()


@pytest.mark.parametrize("seed", SEEDS, ids=["ggplot-face", "seaborn-face", "light-frame-offset"])
def test_vector_plots_in_other_styles_are_read_within_2_percent(styled: tuple[Path, list[dict]], seed: int) -> None:
    folder, truth = styled
    scores = _scores(folder, truth, "vector")
    [plot] = [
        p
        for p, t in zip(scores["plots"], [t for t in truth if t["kind"] == "vector"], strict=True)
        if t["seed"] == seed
    ]
    assert plot["status"] == "read", plot["reason"]
    assert [s["median_error"] <= 0.02 and s["coverage"] >= 0.8 for s in plot["series"]] == [True] * len(plot["series"])


@needs_tesseract
@pytest.mark.parametrize("seed", SEEDS, ids=["ggplot-face", "seaborn-face", "light-frame-offset"])
def test_raster_plots_in_other_styles_are_read_within_2_percent(styled: tuple[Path, list[dict]], seed: int) -> None:
    folder, truth = styled
    scores = _scores(folder, truth, "raster")
    [plot] = [
        p
        for p, t in zip(scores["plots"], [t for t in truth if t["kind"] == "raster"], strict=True)
        if t["seed"] == seed
    ]
    assert plot["status"] == "read", plot["reason"]
    assert [s["median_error"] <= 0.02 and s["coverage"] >= 0.8 for s in plot["series"]] == [True] * len(plot["series"])
