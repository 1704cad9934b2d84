"""Axis calibration shared by the figure readers: tick labels to a position -> value map, axis titles to label and unit.

A reader finds tick marks (page or pixel positions) and reads their labels (text layer or OCR);
`calibrate` fits value = a + b * position on a linear axis, or log10(value) = a + b * position on
a log axis, robustly: one misread tick label (OCR's "5" for "8") is outvoted by the others.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import combinations

from extractors.quantities.units import SUPERSCRIPTS
from schemas.figure import AxisScale

_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2012": "-", "\ufe63": "-", "\uff0d": "-"})
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_POWER = re.compile(r"^(?:(?P<m>[-+]?\d+(?:\.\d*)?)\s*[x×·]\s*)?10\s*(?:\^|\*\*)?\s*\{?(?P<e>[-+]?\d+)\}?$")


def parse_tick(text: str) -> float | None:
    """A tick label's value: '0.5', '−2', '1e-3', '10^3', '10³', '10{-2}', '2×10^5'; None if not a number."""
    t = text.strip().translate(_MINUS).replace("$", "").replace("\\times", "×").replace("\\mathdefault", "")
    t = t.replace("{", "").replace("}", "").replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", t):  # 1,000
        t = t.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d+", t):  # 0,5 (a decimal comma)
        t = t.replace(",", ".")
    first_sup = next((i for i, c in enumerate(t) if c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"), None)
    if first_sup is not None:  # 10⁻³
        t = f"{t[:first_sup]}^{t[first_sup:].translate(SUPERSCRIPTS)}"
    if _NUMBER.match(t):
        return float(t)
    m = _POWER.match(t)
    if m:
        mantissa = float(m.group("m")) if m.group("m") else 1.0
        return mantissa * 10.0 ** int(m.group("e"))
    return None


@dataclass(frozen=True)
class Calibration:
    """value = a + b * position (linear) or 10 ** (a + b * position) (log)."""

    scale: AxisScale
    a: float
    b: float
    ticks: int  # how many tick labels agree with the fit
    residual: float  # the largest disagreement of those ticks, as a fraction of the axis' span

    def value(self, position: float) -> float:
        v = self.a + self.b * position
        return 10.0**v if self.scale == "log" else v

    def position(self, value: float) -> float:
        v = math.log10(value) if self.scale == "log" else value
        return (v - self.a) / self.b


def calibrate(ticks: list[tuple[float, float]], tolerance: float = 0.02) -> Calibration | None:
    """Fit an axis to (position, value) tick pairs; None where fewer than two labels agree.

    Both scales are tried. A log axis is preferred when its ticks are positive and evenly spaced in
    log10 (1, 10, 100) but not in value; where both fit (two ticks), linear wins. Tick pairs that
    disagree with the best model by more than `tolerance` of the axis span are dropped as misreads.
    """
    ticks = sorted({(round(p, 3), v) for p, v in ticks})
    if len({p for p, _ in ticks}) < 2:
        return None
    best: Calibration | None = None
    for scale in ("linear", "log"):
        pairs = [(p, v if scale == "linear" else math.log10(v)) for p, v in ticks if scale == "linear" or v > 0]
        fit = _robust_fit(pairs, tolerance)
        if fit is None:
            continue
        cal = Calibration(scale, *fit)
        if (
            best is None
            or cal.ticks > best.ticks
            or cal.ticks == best.ticks
            and cal.residual < 0.5 * best.residual - 1e-9
        ):
            best = cal
    if best is not None and best.scale == "linear" and _decades([v for _, v in ticks]):
        log = _robust_fit([(p, math.log10(v)) for p, v in ticks], tolerance)
        if log is not None and log[2] >= best.ticks:  # 10^2 and 10^3 fit a line too: labels in decades mean a log axis
            best = Calibration("log", *log)
    return best if best and best.ticks >= 2 else None


def _decades(values: list[float]) -> bool:
    """All tick values are distinct powers of ten (10, 100, 1000): the labels of a log axis."""
    return (
        len(set(values)) >= 2
        and all(v > 0 and abs(math.log10(v) - round(math.log10(v))) < 1e-9 for v in values)
        and not {0.0, 1.0} >= set(values)
    )


def _robust_fit(pairs: list[tuple[float, float]], tolerance: float) -> tuple[float, float, int, float] | None:
    """The line through two of the pairs that the most pairs agree with, refitted on them by least squares."""
    if len(pairs) < 2:
        return None
    span_p = max(p for p, _ in pairs) - min(p for p, _ in pairs)
    best_inliers: list[tuple[float, float]] = []
    for (p1, v1), (p2, v2) in combinations(pairs, 2):
        if abs(p2 - p1) < 1e-6 * max(1.0, span_p) or v1 == v2:
            continue
        b = (v2 - v1) / (p2 - p1)
        a = v1 - b * p1
        span_v = abs(b) * span_p or 1.0
        inliers = [(p, v) for p, v in pairs if abs(a + b * p - v) <= tolerance * span_v]
        if len(inliers) > len(best_inliers):
            best_inliers = inliers
    if len(best_inliers) < 2:
        return None
    n = len(best_inliers)
    mp = sum(p for p, _ in best_inliers) / n
    mv = sum(v for _, v in best_inliers) / n
    sxx = sum((p - mp) ** 2 for p, _ in best_inliers)
    if sxx == 0:
        return None
    b = sum((p - mp) * (v - mv) for p, v in best_inliers) / sxx
    a = mv - b * mp
    span_v = abs(b) * span_p or 1.0
    residual = max(abs(a + b * p - v) for p, v in best_inliers) / span_v
    return a, b, n, residual


_UNIT_IN_BRACKETS = re.compile(r"^(?P<label>.*?)\s*[\(\[](?P<unit>[^()\[\]]*(?:\([^()]*\)[^()\[\]]*)*)[\)\]]\s*$")
_UNIT_AFTER_SLASH = re.compile(r"^(?P<label>.*\S)\s+/\s*(?P<unit>\S.*)$")
_UNIT_AFTER_COMMA = re.compile(r"^(?P<label>.*\S),\s*(?P<unit>[^\s,]{1,12})$")
_NOT_UNITS = {"a.u.", "arb. units", "arb. unit", "arb.units", "au", "a. u.", "norm.", "normalized", "%"}


def split_axis_title(title: str) -> tuple[str, str | None]:
    """'Temperature (K)' -> ('Temperature', 'K'); 'E / eV' -> ('E', 'eV'); 'Band gap, eV' -> ('Band gap', 'eV').

    Arbitrary units ('a.u.') are a unit too: they say the values are not physical numbers. The unit is
    returned as written, with TeX markup removed; no unit gives None.
    """
    t = _untex(title).strip()
    for pattern in (_UNIT_IN_BRACKETS, _UNIT_AFTER_SLASH, _UNIT_AFTER_COMMA):
        m = pattern.match(t)
        if m and m.group("label").strip() and m.group("unit").strip():
            return m.group("label").strip(), m.group("unit").strip()
    return t, None


def is_arbitrary_unit(unit: str | None) -> bool:
    if not unit:
        return False
    return unit.strip().lower() in _NOT_UNITS


def _untex(text: str) -> str:
    """'$E_g$ (eV)' -> 'E_g (eV)'; 'S cm$^{-1}$' -> 'S cm^-1'; '\\mathrm{K}' -> 'K'."""
    t = re.sub(r"\\math(?:rm|it|bf|default)\{([^{}]*)\}", r"\1", text)
    t = t.replace("$", "").replace("\\,", " ").replace("\\ ", " ").replace("\\circ", "°").replace("\\mu", "µ")
    t = t.replace("\\Omega", "Ω").replace("\\alpha", "α").replace("\\sigma", "σ").replace("\\rho", "ρ")
    t = re.sub(r"\^\{([^{}]*)\}", r"^\1", t)
    t = re.sub(r"_\{([^{}]*)\}", r"_\1", t)
    return re.sub(r"\s+", " ", t)
