"""Checks on tick labels as OCR reads them: an axis calibrated from misreads is failed, not read wrong; the
decimal points and decades OCR lost are put back; the raster morphology helpers equal scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from extractors.figures.raster import morph
from extractors.figures.raster.glyphs import _Word
from extractors.figures.raster.labels import _TickLabel
from extractors.figures.raster.ocr import _Crop
from extractors.figures.raster.reader import _calibration, _multiplier


def labels(texts: list[str], start: float = 100.0, gap: float = 120.0) -> list[_TickLabel]:
    """Tick labels read as `texts` at evenly spaced positions; 'B^E' is a base with a raised exponent read apart."""
    out = []
    for k, text in enumerate(texts):
        base, _, exp = text.partition("^")
        pos = start + k * gap
        box = (int(pos) - 10, 500, int(pos) + 10, 515)
        crop = _Crop(box, text=base)
        exponent = _Crop(box, text=exp) if "^" in text else None
        out.append(_TickLabel(_Word([k + 1], box), pos, crop, exponent))
    return out


@pytest.mark.parametrize(
    ("texts", "first", "last"),
    [
        (["0", "10", "20", "30"], 0.0, 30.0),
        (["3.0", "2.5", "20", "15", "10"], 3.0, 1.0),  # the points of 2.0, 1.5, 1.0 lost
        (["10^0", "10^1", "10^2", "10^3"], 1.0, 1000.0),
        (["10", "102", "10", "103", "104"], 1.0, 1e4),  # slanted 10^0..10^4, exponents run into the base
        (["10^3", "10-^2", "10"], 1000.0, 10.0),  # a stray stroke read as a minus; the last exponent lost
        (["275", "250", "225", "200", "175", "150", "128", "100"], 275.0, 100.0),  # one misread near its value
    ],
    ids=["linear", "lost-points", "powers", "slanted-decades", "stray-minus", "one-near-misread"],
)
def test_axes_read_from_labels(texts: list[str], first: float, last: float) -> None:
    labs = labels(texts)
    cal, why = _calibration(labs)
    assert cal is not None, why
    assert cal.value(labs[0].pos) == pytest.approx(first, rel=1e-6)
    assert cal.value(labs[-1].pos) == pytest.approx(last, rel=1e-6)


@pytest.mark.parametrize(
    "texts",
    [
        [".3", "28", "36", "43", "36", "2"],  # 0..50 misread: three line up within the tolerance, not in steps
        ["10^2", "19"],  # 10^1 misread as 19 beside 10^2: two points always fit a line
        ["10-^", "10^4", "10^0"],  # 10^2, 10^1, 10^0 with 10^1 misread as 10^4: no step of four decades
        ["10", "10", "10", "107", "10^4"],  # exponents lost: two misreads that agree on a step of three
    ],
    ids=["chance-line", "lone-misread", "wide-decade-step", "chance-decades"],
)
def test_axes_from_misread_labels_are_not_calibrated(texts: list[str]) -> None:
    cal, _ = _calibration(labels(texts))
    assert cal is None


@pytest.mark.parametrize(
    ("text", "factor"),
    [("1e6", 1e6), ("x10-5", 1e-5), ("×104", 1e4), ("1e-5", 1e-5)],
    ids=["1e6", "x10-5", "x10^4-in-one", "1e-5"],
)
def test_offset_multipliers(text: str, factor: float) -> None:
    (lab,) = labels([text])
    assert _multiplier(lab) == pytest.approx(factor)


def test_morphology_on_the_mask_box_equals_scipy() -> None:
    rng = np.random.default_rng(0)
    disk = ndimage.generate_binary_structure(2, 1)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(5, 60, 2))
        m = rng.random((h, w)) < rng.uniform(0.01, 0.5)
        m[: int(rng.integers(0, h))] = False
        k = int(rng.choice([3, 5, 7]))
        assert np.array_equal(morph.close_square(m, k), ndimage.binary_closing(m, np.ones((k, k), bool)))
        assert np.array_equal(morph.dilate(m, 3), ndimage.binary_dilation(m, iterations=3))
        assert np.array_equal(morph.dilate(m, 2, disk), ndimage.binary_dilation(m, disk, iterations=2))
        assert np.array_equal(morph.open_(m, np.ones((2, 2), bool)), ndimage.binary_opening(m, np.ones((2, 2), bool)))
        assert np.array_equal(morph.fill_holes(m), ndimage.binary_fill_holes(m))


def test_labels_that_differ_by_less_than_the_step_grid_resolves_do_not_break_the_reader() -> None:
    cal, why = _calibration(labels(["1", "1.0000001", "1.0000002", "1.0000003"]))
    assert cal is None or cal.scale == "linear", why
