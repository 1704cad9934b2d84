"""Score a figure reader against plots of known data (the truth written by data/make_plots.py).

Per kind of figure (vector, raster): how many plots were found and read, how many of their series
were recovered, the median y error of the matched series' points as a fraction of the y axis range, the
share of correct axis scales and units, and for the figures that must be skipped (photos,
schematics, 3D plots, insets, unreadable images) whether they were skipped, and for the right reason.

Errors are measured in the axis' own scale: on a log axis the y values and the range are log10.
The error of a truth point of a line series is the predicted line (interpolated at the point's x)
minus the truth; of a scatter point, the y distance to the nearest predicted point within 2% of
the x range. A truth series is RECOVERED when a predicted series is matched to it one-to-one, its
median point error is at most 5% of the y range, and the prediction covers at least 80% of it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

import numpy as np

from extractors.quantities.units import SUPERSCRIPTS
from schemas.figure import FigureData, Series

KINDS = ("vector", "raster")
X_TOLERANCE = 0.02  # a scatter point is found within 2% of the x range of the truth point
MAX_ERROR = 0.05  # a recovered series' median error, as a fraction of the y range
MIN_COVERAGE = 0.8  # a recovered series spans 80% of the truth's x extent (lines) or points (scatter)
_NO_MATCH = 1e6  # the assignment cost of a pair that shares no x


def score_figures(truth: list[dict], predicted: list[FigureData]) -> dict:
    """Score `predicted` (a reader's FigureData over the generated PDFs) against `truth`.

    A predicted plot belongs to a truth entry when the basename of its `source` is the truth's `file`
    and its figure `number` and `panel` are the truth's; a figure without panels may also come back
    as a single plot with a panel letter. A figure to skip is judged as a whole: any plot of it read
    is a wrong read.

    Returns:
        {"vector": {...}, "raster": {...}, "plots": [...]}: per kind the counts and rates listed in
        `_summary`, and per truth entry what was found, with each series' error and coverage.
    """
    by_key: dict[tuple, list[FigureData]] = {}
    for fig in predicted:
        by_key.setdefault((Path(fig.source).name, fig.number, fig.panel), []).append(fig)
    plots = []
    for entry in truth:
        candidates = by_key.get((entry["file"], entry["number"], entry.get("panel")), [])
        figure = [
            f
            for (file, number, _), figs in by_key.items()
            for f in figs
            if file == entry["file"] and number == entry["number"]
        ]
        if entry["expect"] == "skip" or (not candidates and entry.get("panel") is None and len(figure) == 1):
            candidates = figure  # a figure to skip is judged whole; a panel-less plot may come back as one panel
        plots.append(_score_plot(entry, candidates, figure))
    return {kind: _summary([p for p in plots if p["kind"] == kind]) for kind in KINDS} | {"plots": plots}


def _score_plot(entry: dict, candidates: list[FigureData], figure: list[FigureData]) -> dict:
    """One truth entry against its predictions (`figure`: everything predicted for its figure number)."""
    read = next((f for f in candidates if f.status == "read"), None)
    shown = read or (candidates[0] if candidates else None)
    status, reason = (shown.status, shown.reason) if shown else ("missing", None)
    if shown is None and figure:  # the figure came back, this panel did not (failed as a whole, or other panels)
        other = figure[0]
        status = other.status if other.status != "read" else "other panel"
        reason = other.reason if other.status != "read" else f"panels {sorted(str(f.panel) for f in figure)}"
    out = {
        "file": entry["file"],
        "number": entry["number"],
        "panel": entry.get("panel"),
        "kind": entry["kind"],
        "expect": entry["expect"],
        "expected_reason": entry.get("reason"),
        "status": status,
        "reason": reason,
        "found": read is not None,
        "series": [],
    }
    if entry["expect"] == "skip":
        out["reason_ok"] = (
            shown is not None and shown.status != "read" and _reason_class_ok(entry.get("reason"), shown.reason)
        )
        return out
    if read is None:
        out["series"] = [
            {
                "label": s.get("label"),
                "matched": None,
                "median_error": None,
                "coverage": 0.0,
                "recovered": False,
                "errors": [],
            }
            for s in entry["series"]
        ]
        return out
    out |= {
        "x_scale_ok": read.x_scale == entry["x_scale"],
        "y_scale_ok": read.y_scale == entry["y_scale"],
        "x_unit_ok": same_unit(entry.get("x_unit"), read.x_unit),
        "y_unit_ok": same_unit(entry.get("y_unit"), read.y_unit),
    }
    out["series"] = match_series(entry, read.series)
    return out


def match_series(entry: dict, predicted: list[Series]) -> list[dict]:
    """Each truth series of `entry` with its one-to-one matched prediction, point errors and coverage.

    Series pair by legend label where both sides have the same one; the rest by lowest cost
    (median error plus the uncovered share) with the Hungarian algorithm.
    """
    truth = entry["series"]
    scored = [[_series_error(entry, t, p) for p in predicted] for t in truth]
    pairs: dict[int, int] = {}
    for i, t in enumerate(truth):
        for j, p in enumerate(predicted):
            if (
                j not in pairs.values()
                and t.get("label")
                and p.label
                and _norm_label(t["label"]) == _norm_label(p.label)
            ):
                pairs[i] = j
                break
    rows = [i for i in range(len(truth)) if i not in pairs]
    cols = [j for j in range(len(predicted)) if j not in pairs.values()]
    if rows and cols:
        from scipy.optimize import linear_sum_assignment

        cost = np.array([[_cost(scored[i][j]) for j in cols] for i in rows])
        for r, c in zip(*linear_sum_assignment(cost), strict=True):
            if cost[r, c] < _NO_MATCH:
                pairs[rows[r]] = cols[c]
    out = []
    for i, t in enumerate(truth):
        pick = pairs.get(i)
        if pick is None or not scored[i][pick]["errors"]:
            out.append(
                {
                    "label": t.get("label"),
                    "matched": None,
                    "median_error": None,
                    "coverage": 0.0,
                    "recovered": False,
                    "errors": [],
                }
            )
            continue
        s = scored[i][pick]
        out.append(
            {
                "label": t.get("label"),
                "matched": predicted[pick].label or f"#{pick}",
                "median_error": s["median"],
                "coverage": s["coverage"],
                "errors": s["errors"],
                "recovered": s["median"] <= MAX_ERROR and s["coverage"] >= MIN_COVERAGE,
            }
        )
    return out


def _cost(scored: dict) -> float:
    if not scored["errors"]:
        return _NO_MATCH
    return scored["median"] + (1.0 - scored["coverage"])


def _series_error(entry: dict, truth: dict, predicted: Series) -> dict:
    """Absolute y errors (fractions of the y range) of the truth points the prediction covers, and the coverage."""
    fx, fy = _axis(entry["x_scale"]), _axis(entry["y_scale"])
    tx, ty = _finite(truth["points"], fx, fy)
    px, py = _finite(predicted.points, fx, fy)
    x_span = _span(entry.get("x_range"), fx) or (float(np.ptp(tx)) if tx.size else 0.0) or 1.0
    y_span = _span(entry.get("y_range"), fy) or (float(np.ptp(ty)) if ty.size else 0.0) or 1.0
    if not tx.size or not px.size:
        return {"errors": [], "median": math.inf, "coverage": 0.0}
    tol = X_TOLERANCE * x_span
    if truth.get("style") == "scatter":
        errors = []
        for x, y in zip(tx, ty, strict=True):
            near = np.abs(px - x) <= tol
            if near.any():
                d = ((px[near] - x) / x_span) ** 2 + ((py[near] - y) / y_span) ** 2
                errors.append(abs(float(py[near][np.argmin(d)]) - y) / y_span)
        coverage = len(errors) / tx.size
    else:
        order = np.argsort(px, kind="stable")
        px, py = px[order], py[order]
        inside = (tx >= px[0] - tol) & (tx <= px[-1] + tol)
        errors = [abs(float(e)) / y_span for e in np.interp(tx[inside], px, py) - ty[inside]]
        extent = float(tx.max() - tx.min())
        overlap = min(px[-1] + tol, tx.max()) - max(px[0] - tol, tx.min())
        coverage = min(1.0, max(0.0, overlap / extent)) if extent > 0 else float(bool(inside.any()))
    return {"errors": errors, "median": float(np.median(errors)) if errors else math.inf, "coverage": coverage}


def _axis(scale: str):
    return np.log10 if scale == "log" else (lambda v: v)


def _finite(points: list, fx, fy) -> tuple[np.ndarray, np.ndarray]:
    """The points in axis scale, without those a log axis cannot show (<= 0) or that are not numbers."""
    a = np.asarray(points, dtype=float).reshape(-1, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        x, y = fx(a[:, 0]), fy(a[:, 1])
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _span(limits: list | tuple | None, f) -> float | None:
    if not limits:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        lo, hi = f(np.asarray(limits, dtype=float))
    span = abs(float(hi - lo))
    return span if math.isfinite(span) and span > 0 else None


def _norm_label(label: str) -> str:
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKC", label).lower())


def _unit_key(unit: str | None) -> str:
    """A unit compared without case, spaces, carets, braces or TeX: 'S cm$^{-1}$' == 's cm^-1' == 'S cm⁻¹'."""
    if not unit:
        return ""
    u = unicodedata.normalize("NFKC", unit).translate(SUPERSCRIPTS).replace("\u2212", "-")
    u = u.replace("\\mu", "μ").replace("\\Omega", "Ω").replace("\\AA", "Å").replace("µ", "μ")
    return re.sub(r"[\s^{}$\\·*]|mathrm", "", u).lower()


def same_unit(expected: str | None, got: str | None) -> bool:
    return _unit_key(expected) == _unit_key(got)


def _reason_class_ok(expected: str | None, got: str | None) -> bool:
    if not expected:
        return True
    if not got:
        return False
    return expected.lower() in got.lower()


def _summary(plots: list[dict]) -> dict:
    """Counts and rates of one kind of figure."""
    reads = [p for p in plots if p["expect"] == "read"]
    found = [p for p in reads if p["found"]]
    series = [s for p in reads for s in p["series"]]
    errors = [e for s in series if s["matched"] is not None for e in s["errors"]]
    skips = [p for p in plots if p["expect"] == "skip"]

    def share(key: str) -> float | None:
        return sum(bool(p[key]) for p in found) / len(found) if found else None

    recovered = sum(s["recovered"] for s in series)
    return {
        "plots_expected": len(reads),
        "plots_found": len(found),
        "series_expected": len(series),
        "series_matched": sum(s["matched"] is not None for s in series),
        "series_recovered": recovered,
        "series_recovery": recovered / len(series) if series else None,
        "median_y_error": float(np.median(errors)) if errors else None,
        "x_scale_correct": share("x_scale_ok"),
        "y_scale_correct": share("y_scale_ok"),
        "x_unit_correct": share("x_unit_ok"),
        "y_unit_correct": share("y_unit_ok"),
        "skip_expected": len(skips),
        "skipped_right_reason": sum(p["reason_ok"] for p in skips),
        "skipped": sum(p["status"] in ("skipped", "failed") for p in skips),
        "wrongly_read": sum(p["status"] == "read" for p in skips),
        "skip_missing": sum(p["status"] == "missing" for p in skips),
    }


_ROWS = [
    ("plots found", "plots_found", "plots_expected"),
    ("series recovered", "series_recovered", "series_expected"),
    ("series recovery", "series_recovery", None),
    ("median y error (of range)", "median_y_error", None),
    ("x scale correct", "x_scale_correct", None),
    ("y scale correct", "y_scale_correct", None),
    ("x unit correct", "x_unit_correct", None),
    ("y unit correct", "y_unit_correct", None),
    ("skipped, right reason", "skipped_right_reason", "skip_expected"),
    ("skipped at all", "skipped", "skip_expected"),
    ("wrongly read", "wrongly_read", "skip_expected"),
    ("not found by the parser", "skip_missing", "skip_expected"),
]


def format_scores(scores: dict) -> str:
    """The per-kind scores as a compact text table."""
    lines = [f"{'':28}{'vector':>12}{'raster':>12}"]
    for title, key, of in _ROWS:
        cells = []
        for kind in KINDS:
            s = scores[kind]
            value = s[key]
            if of:
                cells.append(f"{value}/{s[of]}")
            elif value is None:
                cells.append("-")
            elif key == "median_y_error":
                cells.append(f"{100 * value:.2f}%")
            else:
                cells.append(f"{100 * value:.0f}%")
        lines.append(f"{title:28}" + "".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)
