"""Units as papers write them, made safe for pint, and conversion to a property's canonical unit.

pint alone misreads several everyday spellings (STACK-NOTES): `cm−1` with a Unicode minus becomes
centimetres, `W/mK` becomes watt per millikelvin, and `W m-1 K-1` does not parse. So a unit text
is first rewritten into an explicit pint expression: exponents get `**`, a bare `/` divides by
everything after it (`W/m K` is W/(m K), as physicists mean it), and a few fused denominators
(`mK`, `Vs`) are split.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pint

from schemas.errors import InputError

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("emu = 1e-3 * ampere * meter ** 2")  # the CGS electromagnetic unit of magnetic moment
ureg.define("atom_percent = percent = at%")
ureg.define("weight_percent = percent = wt%")

SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")  # 10⁻³ -> 10-3
_REPLACE = [
    ("−", "-"),
    ("–", "-"),
    ("‒", "-"),
    ("µ", "u"),
    ("μ", "u"),
    ("Ω", "ohm"),
    ("Å", "angstrom"),
    ("°C", "degC"),
    ("° C", "degC"),
    ("℃", "degC"),
    ("°K", "K"),
    ("·", " "),
    ("⋅", " "),
    ("•", " "),
    ("∙", " "),
    ("at.%", "percent"),
    ("wt.%", "percent"),
    ("at%", "percent"),
    ("wt%", "percent"),
    ("vol%", "percent"),
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
    "hrs": "h",
    "hr": "h",
    "Torr": "torr",
    "yr": "year",
    "years": "year",
    "weeks": "week",
    "months": "month",
    "hours": "hour",
}
_TOKEN = re.compile(r"^([A-Za-z]+)(?:\^|\*\*)?([-+]?\d+(?:\.\d+)?)?$")


@lru_cache(maxsize=4096)
def normalize_unit(text: str) -> str:
    """Rewrite a unit as written ('W m^-1 K^-1', 'cm−1', 'W/mK') into a pint expression."""
    s = text.strip().translate(SUPERSCRIPTS)
    for old, new in _REPLACE:
        s = s.replace(old, new)
    s = re.sub(r"\s*\^\s*", "^", s)
    s = re.sub(r"\(\s*([^()]*?)\s*\)", r"(\1)", s)
    numerator, _, denominator = s.partition("/")
    if "/" in denominator:
        raise ValueError(f"two slashes in unit {text!r}")
    num = _product(numerator)
    if not denominator:
        return num
    den = _product(denominator.strip("() "), fused=True)
    return f"({num or '1'})/({den})"


def _product(part: str, fused: bool = False) -> str:
    factors = []
    for word in re.split(r"[\s*]+", part.strip("() ")):
        if not word:
            continue
        if fused and word in _FUSED:
            factors.extend(_FUSED[word].split())
            continue
        word = _ALIASES.get(word, word)
        factors.extend(word.split())
    out = []
    for factor in factors:
        m = _TOKEN.match(factor)
        if m and m.group(2):
            out.append(f"{m.group(1)}**{m.group(2)}")
        elif m or factor in ("degC", "percent", "angstrom"):
            out.append(factor)
        else:
            raise ValueError(f"not a unit factor: {factor!r}")
    return "*".join(out)


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
    return quantity.units


try:  # tokenize errors surface from pint's parser on odd input
    from tokenize import TokenError as TokenError_
except ImportError:  # pragma: no cover
    TokenError_ = ValueError  # type: ignore[misc,assignment]


def dimension_of(text: str) -> str | None:
    """The pint dimensionality of a unit as written ('[temperature]'), 'dimensionless', or None."""
    unit = parse_unit(text)
    if unit is None:
        return None
    dim = str(ureg.Quantity(1, unit).dimensionality)
    return dim if dim else "dimensionless"


def to_canonical(value: float, unit_text: str, canonical: str) -> float:
    """Convert a value in a unit as written to the canonical unit (pint syntax).

    Raises:
        InputError: the unit is unknown or of another dimension than the canonical unit.
    """
    unit = parse_unit(unit_text)
    if unit is None:
        raise InputError(f"unknown unit {unit_text!r}")
    target = ureg.parse_expression(canonical).units if canonical else ureg.dimensionless
    try:
        return float(ureg.Quantity(value, unit).to(target).magnitude)
    except pint.errors.DimensionalityError as err:
        raise InputError(f"{unit_text!r} cannot be converted to {canonical or 'a dimensionless number'}") from err


def to_si(value: float, unit_text: str) -> tuple[float, str] | None:
    """Value and unit in SI base units, or None for an unknown unit."""
    unit = parse_unit(unit_text)
    if unit is None:
        return None
    q = ureg.Quantity(value, unit).to_base_units()
    return float(q.magnitude), f"{q.units:~}"


def header_units(context: str) -> list[str]:
    """Units named in a table header, in order: 'Band gap (eV)' -> ['eV'], 'Tc [K]' -> ['K']."""
    found = []
    for m in re.finditer(r"[(\[]([^()\[\]]{1,15})[)\]]", context):
        unit = m.group(1).strip()
        if '"' not in unit and unit not in found and dimension_of(unit) not in (None, "dimensionless"):
            found.append(unit)
    return found
