"""Units as papers write them, made safe for pint, and conversion to a property's canonical unit.

pint alone misreads several everyday spellings (STACK-NOTES): `cm−1` with a Unicode minus becomes
centimetres, `W/mK` becomes watt per millikelvin, and `W m-1 K-1` does not parse. So a unit text
is first rewritten into an explicit pint expression: exponents get `**`, a bare `/` divides by
everything after it (`W/m K` is W/(m K), as physicists mean it), and a few fused denominators
(`mK`, `Vs`) are split.

Conventions chosen here (each with its reason):
- `kg/mm2`, `kg/cm2` (and `kg mm-2`) are kilogram-force per area, a stress or pressure: older metallurgy
  writes yield strengths so, and a mass per square millimetre is not a quantity papers report. `kg/m2`
  (a body-mass index, an areal density) stays a mass per area. `kgf/mm2` is 9.80665 MPa.
- `°C` alone is a temperature; inside a compound (`°C/min`, `W/m °C`) it is a temperature difference.
- Angles (`°`, `degrees`, `°N`) are pint-dimensionless, but `dimension_of` calls them `[angle]` and
  `to_canonical` refuses to turn one into a percent or a ratio: a 2θ of 25° is no efficiency of 25%.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import cast

import pint

from schemas.errors import InputError

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("emu = 1e-3 * ampere * meter ** 2")  # the CGS electromagnetic unit of magnetic moment
ureg.define("atom_percent = percent = at%")
ureg.define("weight_percent = percent = wt%")

# Unit symbols as papers write them: the tagger builds its regex from these, and `normalize_unit` splits
# glued factors ("mWm-2", "cm2V-1s-1") with them. No atto prefix: it would read "as" and "am" as units.
PREFIXES = "yzfpnuµμmcdkMGT"
PREFIXABLE_SYMBOLS = (
    "eV", "Pa", "Hz", "Wh", "mol", "Oe", "Ohm", "ohm", "Ω", "bar", "Bar", "Torr", "Da", "deg",
    "V", "A", "W", "J", "S", "g", "m", "s", "F", "C", "N", "T", "L", "K", "M",
)  # fmt: skip
# Symbols that take no prefix (or whose prefixed forms are listed whole).
WHOLE_SYMBOLS = (
    "°C", "° C", "℃", "°N", "°S", "°E", "°W", "°", "K", "Å", "˚A", "%", "at.%", "wt.%", "at%", "wt%", "at. %", "wt. %",
    "vol%", "vol.%", "mass%", "mol%", "ppm", "ppb", "‰", "mAh", "Ah", "emu", "atm", "cal", "kcal", "erg", "dB",
    "kgf", "gf", "lbf", "psi", "ksi", "rpm", "mL", "ml", "µl", "μl", "µL", "μL", "dl",
    "s", "sec", "min", "mins", "minute", "minutes", "seconds", "h", "hr", "hrs", "hour", "hours", "day", "days",
    "week", "weeks", "month", "months", "year", "years", "yr", "yrs", "ka", "Ma", "Ga", "kyr", "Myr", "Gyr",
    "degree", "degrees", "Mt", "Gt", "wt", "eV", "D",
)  # fmt: skip

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")  # 10⁻³ -> 10-3
_REPLACE = [
    ("−", "-"),
    ("–", "-"),
    ("‒", "-"),
    ("µ", "u"),
    ("μ", "u"),
    ("Ω", "ohm"),
    ("Å", "angstrom"),
    ("˚A", "angstrom"),  # LaTeX's \AA as PDF text often comes out as a ring (U+02DA) before an A
    ("°C", "degC"),
    ("° C", "degC"),
    ("℃", "degC"),
    ("°K", "K"),
    ("°N", "degree"),
    ("°S", "degree"),
    ("°E", "degree"),
    ("°W", "degree"),
    ("°", "degree"),
    ("·", " "),
    ("⋅", " "),
    ("•", " "),
    ("∙", " "),
    ("%", "percent"),
    ("‰", "permille"),
]
# Fused unit pairs after a slash that pint would read as one prefixed unit.
_FUSED = {"mK": "m K", "Vs": "V s", "cmK": "cm K", "gK": "g K", "kgK": "kg K", "molK": "mol K"}
_ALIASES = {
    "Ohm": "ohm",
    "ohms": "ohm",
    "mAh": "mA h",
    "Ah": "A h",
    "Wh": "W h",
    "mWh": "mW h",
    "sec": "s",
    "mins": "min",
    "minutes": "minute",
    "seconds": "second",
    "hrs": "h",
    "hr": "h",
    "Torr": "torr",
    "Bar": "bar",
    "yr": "year",
    "yrs": "year",
    "years": "year",
    "degrees": "degree",
    "weeks": "week",
    "months": "month",
    "hours": "hour",
}
_TOKEN = re.compile(r"^([A-Za-z]+)(?:\^|\*\*)?([-+]?\d+(?:\.\d+)?)?$")
# "wt.%", "at. %", "mass%", "vol.%": all percent; the qualifier word says what of.
_PERCENT_OF = re.compile(r"\b(?:wt|at|vol|mass|mol)\.?\s?%")
# A glued unit ("cm2V-1s-1", "mWm-2"): factors each with its own exponent.
_GLUED = re.compile(r"[A-Za-z]+(?:\^?[-+]?\d+(?:\.\d+)?)?")
_KNOWN = (
    frozenset(PREFIXABLE_SYMBOLS) | {p + u for p in PREFIXES for u in PREFIXABLE_SYMBOLS} | frozenset(WHOLE_SYMBOLS)
)
_ANGLES = ("degree", "radian", "arcminute", "arcsecond")


@lru_cache(maxsize=4096)
def normalize_unit(text: str) -> str:
    """Rewrite a unit as written ('W m^-1 K^-1', 'cm−1', 'W/mK') into a pint expression."""
    s = _PERCENT_OF.sub("%", text.strip().translate(SUPERSCRIPTS))
    for old, new in _REPLACE:
        s = s.replace(old, new)
    s = re.sub(r"\s*\^\s*", "^", s)
    s = re.sub(r"\(\s*([^()]*?)\s*\)", r"(\1)", s)
    numerator, _, denominator = s.partition("/")
    if "/" in denominator:
        raise ValueError(f"two slashes in unit {text!r}")
    num = _product(numerator)
    expr = f"({num or '1'})/({_product(denominator.strip('() '), fused=True)})" if denominator else num
    if expr != "degC":
        expr = expr.replace("degC", "delta_degC")  # °C/min is a rate of temperature change
    # kg/mm2 in a stress is kilogram-force per area (module docstring)
    return re.sub(r"^\(kg\)/\(([cm]m\*\*2)\)$|^kg\*([cm]m\*\*-2)$", _kilogram_force, expr)


def _kilogram_force(m: re.Match[str]) -> str:
    return f"(kgf)/({m.group(1)})" if m.group(1) else f"kgf*{m.group(2)}"


def _product(part: str, fused: bool = False) -> str:
    factors = []
    for word in re.split(r"[\s*]+", part.strip("() ")):
        if not word or word == "1":  # the 1 of 1/K
            continue
        if fused and word in _FUSED:
            factors.extend(_FUSED[word].split())
            continue
        word = _ALIASES.get(word, word)
        if word.endswith(("Torr", "Bar")):
            word = word[:-4] + word[-4:].lower()  # pint spells mtorr, mbar
        for w in word.split():
            factors.extend(_split_glued(w))
    out = []
    for factor in factors:
        m = _TOKEN.match(factor)
        if m and m.group(2):
            out.append(f"{m.group(1)}**{m.group(2)}")
        elif m or factor in ("degC", "delta_degC", "percent", "angstrom"):
            out.append(factor)
        else:
            raise ValueError(f"not a unit factor: {factor!r}")
    return "*".join(out)


def _split_glued(word: str) -> list[str]:
    """Split a unit written without spaces into factors: 'cm2V-1s-1' -> cm2, V-1, s-1; 'mWm-2' -> mW, m-2."""
    if _TOKEN.match(word) and _symbol(_TOKEN.match(word).group(1)):  # type: ignore[union-attr]
        return [word]
    pieces = _GLUED.findall(word)
    if "".join(pieces) != word:
        return [word]
    out = []
    for piece in pieces:
        m = _TOKEN.match(piece)
        letters, exponent = (m.group(1), piece[len(m.group(1)) :]) if m else (piece, "")
        if _symbol(letters):
            out.append(piece)
            continue
        # Two symbols glued, the exponent on the second ("mWm-2", "kgs-1"): the first split that names two.
        for i in range(1, len(letters)):
            if letters[:i] in _KNOWN and letters[i:] in _KNOWN:
                out.extend([letters[:i], letters[i:] + exponent])
                break
        else:
            out.append(piece)
    return out


def _symbol(letters: str) -> bool:
    return (
        letters in _KNOWN
        or letters in _ALIASES
        or letters in ("degree", "percent", "angstrom", "degC", "delta_degC", "ohm", "kgf")
    )


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Unit | None:
    """The pint unit for a unit as written, or None if it is not one."""
    if not text or not text.strip():
        return None
    try:
        expr = normalize_unit(text)
        quantity = ureg.parse_expression(expr)
    except (ValueError, pint.errors.PintError, AttributeError, TypeError, SyntaxError, TokenError_):
        return None
    if not isinstance(quantity, pint.Quantity) or quantity.magnitude != 1:
        return None
    return cast(pint.Unit, quantity.units)


try:  # tokenize errors surface from pint's parser on odd input
    from tokenize import TokenError as TokenError_
except ImportError:  # pragma: no cover
    TokenError_ = ValueError  # type: ignore[misc,assignment]


@lru_cache(maxsize=4096)
def dimension_of(text: str) -> str | None:
    """The pint dimensionality of a unit as written ('[temperature]'), 'dimensionless', or None.

    Takes a paper's spelling ('cm2/Vs', 'W m-1 K-1') and pint's own syntax, in which the vocabulary's
    canonical units are written ('cm**2/(V*s)', 'g/cm**3').
    """
    unit = parse_unit(text)
    if unit is None and "**" in text:
        try:
            unit = cast(pint.Unit, ureg.parse_expression(text).units)
        except (pint.errors.PintError, SyntaxError, TypeError, ValueError):
            return None
    if unit is None:
        return None
    dim = str(ureg.Quantity(1, unit).dimensionality)
    if dim in ("", "dimensionless") and _is_angle(unit):
        return "[angle]"
    return dim if dim else "dimensionless"


def _is_angle(unit: pint.Unit) -> bool:
    return any(name in str(unit) for name in _ANGLES) and ureg.Quantity(1, unit).dimensionless


def to_canonical(value: float, unit_text: str, canonical: str) -> float:
    """Convert a value in a unit as written to the canonical unit (pint syntax).

    Raises:
        InputError: the unit is unknown or of another dimension than the canonical unit.
    """
    unit = parse_unit(unit_text)
    if unit is None:
        raise InputError(f"unknown unit {unit_text!r}")
    target = cast(pint.Unit, ureg.parse_expression(canonical).units if canonical else ureg.dimensionless)
    if _is_angle(unit) != _is_angle(target):
        raise InputError(f"{unit_text!r} is an angle; {canonical or 'a dimensionless number'} is not")
    try:
        return float(ureg.Quantity(value, unit).to(target).magnitude)
    except pint.errors.DimensionalityError as err:
        raise InputError(f"{unit_text!r} cannot be converted to {canonical or 'a dimensionless number'}") from err


# Named SI units a quantity is given in where its dimension is theirs: "5.3e-19 J", not "kg * m ** 2 / s ** 2".
_NAMED_SI = ("J", "W", "Pa", "N", "V", "ohm", "S", "T", "Wb", "C", "F", "H", "Hz", "S/m", "ohm*m", "W/(m*K)")


def to_si(value: float, unit_text: str) -> tuple[float, str] | None:
    """Value and unit in SI (base units, or the named SI unit of its dimension), or None for an unknown unit.

    The value keeps 12 significant digits: 30 nm is 3e-08 m, not 3.0000000000000004e-08.
    """
    si = _si_of(unit_text)
    if si is None:
        return None
    scale, offset, unit = si
    return float(f"{value * scale + offset:.12g}"), unit


@lru_cache(maxsize=4096)
def _si_of(unit_text: str) -> tuple[float, float, str] | None:
    """Scale, offset (°C) and SI unit of a unit as written: pint's conversion is slow, a tagger calls it often."""
    unit = parse_unit(unit_text)
    if unit is None:
        return None
    zero = ureg.Quantity(0.0, unit).to_base_units()
    one = ureg.Quantity(1.0, unit).to_base_units()
    for named in _NAMED_SI:
        target = ureg.Unit(named)
        if target.dimensionality == one.dimensionality and one.dimensionality:
            return float(ureg.Quantity(1.0, unit).to(target).magnitude), 0.0, f"{target:~}"
    return float(one.magnitude - zero.magnitude), float(zero.magnitude), f"{one.units:~}"


def strip_marks(cell: str) -> str:
    """A header or label without trailing footnote marks: 'Eg (eV)a' -> 'Eg (eV)', 'estimation*)' -> 'estimation'."""
    s = cell.strip()
    for _ in range(2):
        s = re.sub(r"(?:\^\{?[a-z*†‡§¶#]{1,3}\}?|[*†‡§¶#]+\)?|(?<=[)\]])[a-f])$", "", s).rstrip()
    return s


_UNIT_PATTERNS = (
    re.compile(r"\(\s*(?:in\s+)?([^()]{1,24}?)\s*\)"),  # Eg (eV), (in eV)
    re.compile(r"\[\s*(?:in\s+)?([^\[\]]{1,24}?)\s*\]"),  # Eg [eV]
    re.compile(r"(?:\s/|,)\s*([^,/()\[\]]{1,20}(?:/[^,()\[\]]{1,12})?)\s*$"),  # Band gap / eV, Yield strength, MPa
    re.compile(r"\bin\s+(?:units\s+of\s+)?([A-Za-zµμ°Å][^\s,;.)]{0,10})"),  # gaps in eV
)


def header_units(text: str) -> list[str]:
    """Units a header or caption states, as written (each checked by pint): 'Band gap / eV' -> ['eV'].

    After a slash or comma the unit is the longest run of words that pint reads ('Band gap / eV PBE',
    a group header with its sub-header, gives 'eV')."""
    found: list[str] = []
    for pattern in _UNIT_PATTERNS:
        for m in pattern.finditer(text):
            words = strip_marks(m.group(1)).split()
            for n in range(len(words), 0, -1):
                unit = " ".join(words[:n])
                if dimension_of(unit) not in (None, "dimensionless"):
                    if unit not in found:
                        found.append(unit)
                    break
    return found
