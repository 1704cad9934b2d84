"""The quantity tagger: numbers with units in text, with spans, qualifiers and SI values.

Handles plain values (3.2 eV), ranges (3.1–3.4 eV, 3.1 to 3.4 eV, between 3.1 and 3.4 eV),
uncertainties (1.67 ± 0.09 eV, 1.67(9) eV), scientific notation (1.2 × 10^5 S cm^-1, 1.2e5),
lists sharing a unit (2.3, 2.8 and 3.2 eV), approximations (~, ≈, about) and bounds (<, ≥,
less than, up to). Units come from a list of symbols papers use, and are then checked by pint,
so "3 samples" or "Fig. 3 a" are not quantities.
"""

from __future__ import annotations

import re

from extractors.quantities.units import dimension_of, to_si
from schemas.quantity import Qualifier, Quantity

# No atto prefix: it would read the English "as" and "am" after a unit as attoseconds and attometres.
_PREFIX = "(?:[yzfpnuµμmcdkMGT])?"
# Unit symbols that take SI prefixes, and whole symbols that do not; longest first within the regex.
_PREFIXABLE = [
    "eV",
    "Pa",
    "Hz",
    "Wh",
    "mol",
    "Oe",
    "Ohm",
    "ohm",
    "Ω",
    "V",
    "A",
    "W",
    "J",
    "S",
    "g",
    "m",
    "s",
    "F",
    "C",
    "N",
    "T",
    "L",
    "K",
    "M",
]
_WHOLE = [
    "°C",
    "℃",
    "°",
    "K",
    "Å",
    "%",
    "at.%",
    "wt.%",
    "at%",
    "wt%",
    "vol%",
    "ppm",
    "ppb",
    "mAh",
    "Ah",
    "emu",
    "bar",
    "atm",
    "Torr",
    "‰",
    "weeks",
    "week",
    "months",
    "years",
    "year",
    "yr",
    "hours",
    "hour",
    "cal",
    "kcal",
    "erg",
    "dB",
    "min",
    "h",
    "hr",
    "days",
    "day",
    "rpm",
    "wt",
    "eV",
    "D",
]
_EXP = r"(?:\^?[-−]?\d(?:\.\d)?|[⁻]?[¹²³⁴])?"
_SYMBOL = (
    "(?:"
    + "|".join(
        sorted([re.escape(w) for w in _WHOLE] + [_PREFIX + re.escape(p) for p in _PREFIXABLE], key=len, reverse=True)
    )
    + ")"
)
_FACTOR = rf"{_SYMBOL}{_EXP}(?![A-Za-z0-9])"
_UNIT = rf"(?:{_FACTOR}(?:(?:\s?[·⋅•∙*]\s?|\s|\s?/\s?)\(?{_FACTOR}\)?)*|{_FACTOR}\s?/\s?\({_FACTOR}(?:\s?[·⋅*]?\s?{_FACTOR})*\))"
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_SCI = rf"{_NUM}(?:\s?[×x✕]\s?10\s?\^?\s?[-−+]?\d+|[eE][-−+]?\d+)?|10\^[-−+]?\d+"
_SIGNED = rf"[-−]?(?:{_SCI})"
_APPROX = r"~|∼|≈|≃|about|around|approximately|approx\.|nearly|roughly|almost|ca\.|circa|of order|on the order of"
_LOWER = r">|≥|⩾|>=|more than|greater than|larger than|higher than|above|over|exceeding|at least|in excess of"
_UPPER = r"<|≤|⩽|<=|less than|smaller than|lower than|below|under|up to|at most|as low as|not exceeding"
# QUANTITY is a verbose regex, where a plain space means nothing: spell the spaces out.
_APPROX, _LOWER, _UPPER = (w.replace(" ", r"\s+") for w in (_APPROX, _LOWER, _UPPER))

QUANTITY = re.compile(
    rf"""
    (?:(?P<qual>{_APPROX}|{_LOWER}|{_UPPER}|between|from)\s*)?
    (?<![\w.\-−/])(?P<num>{_SIGNED})(?:\((?P<paren>\d{{1,3}})\))?
    (?:\s?(?P<unit1>{_UNIT}))?
    (?:\s*(?:(?P<sep>–|—|-|to|and|~)\s*(?P<num2>{_SIGNED}))(?:\((?P<paren2>\d{{1,3}})\))?)?
    (?:\s*(?:±|\+/-|\+-|\+/−)\s*(?P<unc>{_SCI}))?
    (?:\s?(?P<unit>{_UNIT}))?
    (?![\w])
    """,
    re.VERBOSE,
)
_LIST_BEFORE = re.compile(rf"(?<![\w.\-−/])({_SIGNED})\s*(?:,\s*and|,|and|or|/)\s*$")
_BEFORE_NOT_QUANTITY = re.compile(
    r"\b(?:Fig(?:ure)?s?\.?|Tables?|Eqs?\.?|Equations?|Refs?\.?|Sections?|Sec\.|No\.|Nos\.|pp?\.|Vol\.|Chapter|Step|Scheme|Supplementary)\s*\(?S?$",
    re.IGNORECASE,
)


def _number(text: str) -> float:
    t = re.sub(r"\s+", "", text.replace("−", "-").replace(",", ""))  # "1.2 ×\n10^5" wraps across lines
    m = re.match(r"^(-?[\d.]+)(?:[×x✕]10\^?([-+]?\d+))?$", t)
    if m and m.group(2) is not None:
        return float(m.group(1)) * 10 ** int(m.group(2))
    if t.startswith("10^"):
        return 10.0 ** int(t[3:].replace("−", "-"))
    return float(t)


def _qualifier(word: str | None) -> Qualifier:
    if not word:
        return "exact"
    word = re.sub(r"\s+", " ", word)
    if re.fullmatch(_APPROX, word):
        return "approximate"
    if re.fullmatch(_LOWER, word):
        return "lower_bound"
    if re.fullmatch(_UPPER, word):
        return "upper_bound"
    return "exact"


def _valid_unit(unit: str | None) -> bool:
    return bool(unit) and dimension_of(unit) is not None  # type: ignore[arg-type]


def tag_quantities(text: str, include_unitless: bool = False) -> list[Quantity]:
    """Every quantity in text, in order, with [start, end) spans into text.

    Args:
        include_unitless: also return bare numbers (unit None), e.g. ZT = 1.2 or a table cell.
    """
    found: list[Quantity] = []
    for m in QUANTITY.finditer(text):
        start = m.start("num")
        if _BEFORE_NOT_QUANTITY.search(text[max(0, start - 25) : start]) or (start > 0 and text[start - 1] == "["):
            continue
        qual_word = m.group("qual")
        unit = m.group("unit") or m.group("unit1")
        unit1 = m.group("unit1")
        num2 = m.group("num2")
        sep = m.group("sep")
        if unit1 and m.group("unit") and unit1 != m.group("unit") and num2:
            num2 = None  # "3 K to 5 eV" is two things, not a range
        if not _valid_unit(unit):
            unit = None
        if unit is None and not include_unitless:
            continue
        if (
            unit
            and unit in ("°", "D", "M", "T", "C", "S", "A", "L", "F", "N", "V")
            and not _spaced_symbol_ok(text, m, unit)
        ):
            unit = None
            if not include_unitless:
                continue
        value = _number(m.group("num"))
        value_max = None
        qualifier = _qualifier(qual_word)
        span_start = m.start("qual") if qual_word and qualifier != "exact" else start
        if num2 is not None and sep in ("and",) and qual_word != "between":
            # "2.3 and 3.2 eV": a list, not a range; the first number is handled as its own quantity.
            end_first = m.end("unit1") if m.group("unit1") else m.end("num")
            found.append(_make(text, start, end_first, value, None, None, "exact", unit, m.start("num"), m.end("num")))
            value = _number(num2)
            start = span_start = m.start("num2")
        elif num2 is not None:
            value_max = _number(num2)
            if value_max < value and sep in ("-", "–"):
                # "5-3" style or a minus sign glued to the second number is not a range
                value_max = None
            else:
                qualifier = "range"
        uncertainty = None
        if m.group("unc"):
            uncertainty = _number(m.group("unc"))
        elif m.group("paren"):
            digits = m.group("paren")
            decimals = len(m.group("num").split(".")[1]) if "." in m.group("num") else 0
            uncertainty = int(digits) * 10**-decimals
        end = m.end()
        if unit and not m.group("unit") and num2 is not None and value_max is None and sep != "and":
            end = m.end("unit1")
        while unit and unit.count(")") > unit.count("(") and text[end - 1] == ")":
            unit, end = unit[:-1], end - 1  # "(σ of 5 S/cm)": the bracket closes the sentence's, not the unit's
        found.append(
            _make(text, span_start, end, value, value_max, uncertainty, qualifier, unit, m.start("num"), m.end("num"))
        )
    return _expand_lists(text, _dedupe(found))


def _spaced_symbol_ok(text: str, m: re.Match[str], unit: str) -> bool:
    """Single capital-letter units (V, A, S, T, ...) count only right after a number, not before prose."""
    after = text[m.end() : m.end() + 2]
    return not re.match(r"\s[a-z]", after) or unit in ("V", "K")


def _make(
    text: str,
    start: int,
    end: int,
    value: float,
    value_max: float | None,
    uncertainty: float | None,
    qualifier: Qualifier,
    unit: str | None,
    vstart: int,
    vend: int,
) -> Quantity:
    unit_span = None
    si = None
    if unit:
        at = text.rfind(unit, start, end)
        unit_span = (at, at + len(unit)) if at >= 0 else None
        si = to_si(value, unit)
    return Quantity(
        span=(start, end),
        text=text[start:end],
        value=value,
        value_max=value_max,
        uncertainty=uncertainty,
        qualifier=qualifier,
        unit=unit,
        unit_span=unit_span,
        value_span=(vstart, vend),
        dimension=dimension_of(unit) if unit else None,
        value_si=si[0] if si else None,
        unit_si=si[1] if si else None,
    )


def _dedupe(found: list[Quantity]) -> list[Quantity]:
    out: list[Quantity] = []
    for q in sorted(found, key=lambda q: (q.span[0], -q.span[1])):
        if out and q.span[0] < out[-1].span[1]:
            continue
        out.append(q)
    return out


def _expand_lists(text: str, found: list[Quantity]) -> list[Quantity]:
    """Give "2.3, 2.8 and 3.2 eV" all three values: bare numbers before a quantity share its unit."""
    out: list[Quantity] = []
    for q in found:
        extra: list[Quantity] = []
        head = q.span[0]
        while q.unit and q.qualifier in ("exact", "approximate"):
            m = _LIST_BEFORE.search(text, max(0, head - 40), head)
            if not m or any(o.span[1] > m.start(1) for o in out):
                break
            extra.insert(
                0,
                _make(
                    text, m.start(1), m.end(1), _number(m.group(1)), None, None, "exact", q.unit, m.start(1), m.end(1)
                ),
            )
            extra[0] = extra[0].model_copy(update={"unit_span": q.unit_span})
            head = m.start(1)
        out.extend(extra)
        out.append(q)
    return out
