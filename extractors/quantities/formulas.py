"""Chemical formulas: find one in a material name and write it in one canonical (Hill) form.

"anatase TiO2 films" -> "O2Ti"; "Ba0.5Sr0.5TiO3" -> "Ba0.5O3Sr0.5Ti"; "TiO2" and "O2Ti" compare
equal. Element symbols are checked against `periodictable`; names like MAPbI3 (MA is not an
element) give None rather than a wrong formula.
"""

from __future__ import annotations

import re
from functools import cache

import periodictable

_TOKEN = re.compile(
    r"(?:[A-Z][a-z]?|\((?:[A-Z][a-z]?[0-9.]*)+\))[0-9.]*(?:(?:[A-Z][a-z]?|\((?:[A-Z][a-z]?[0-9.]*)+\))[0-9.]*)*"
)
_PART = re.compile(r"([A-Z][a-z]?)([0-9]*\.?[0-9]*)|\(([^()]*)\)([0-9]*\.?[0-9]*)")
# Words that are also element symbols; alone they are prose, not a material.
_NOT_ALONE = {
    "I",
    "In",
    "As",
    "At",
    "No",
    "He",
    "Be",
    "Am",
    "Es",
    "Cs",
    "Ca",
    "Co",
    "Pu",
    "U",
    "W",
    "Y",
    "V",
    "K",
    "B",
    "S",
    "P",
    "N",
    "O",
    "H",
    "F",
}


@cache
def _elements() -> frozenset[str]:
    return frozenset(el.symbol for el in periodictable.elements if el.number > 0)


def parse_formula(text: str) -> dict[str, float] | None:
    """The composition of a formula string (TiO2 -> {Ti: 1, O: 2}), or None if it is not one."""
    if not _TOKEN.fullmatch(text):
        return None
    counts: dict[str, float] = {}
    pos = 0
    for m in _PART.finditer(text):
        if m.start() != pos:
            return None
        pos = m.end()
        if m.group(1):
            symbol, amount = m.group(1), m.group(2)
            if symbol not in _elements():
                return None
            counts[symbol] = counts.get(symbol, 0.0) + (float(amount) if amount not in ("", ".") else 1.0)
        else:
            inner = parse_formula(m.group(3))
            if inner is None:
                return None
            mult = float(m.group(4)) if m.group(4) not in ("", ".") else 1.0
            for symbol, amount_f in inner.items():
                counts[symbol] = counts.get(symbol, 0.0) + amount_f * mult
    return counts if pos == len(text) and counts else None


def hill_formula(counts: dict[str, float]) -> str:
    """Hill order: C, then H, then the rest alphabetically (all alphabetical without carbon)."""
    order = sorted(counts)
    if "C" in counts:
        order = ["C"] + (["H"] if "H" in counts else []) + [s for s in order if s not in ("C", "H")]
    parts = []
    for symbol in order:
        amount = counts[symbol]
        text = "" if abs(amount - 1.0) < 1e-9 else f"{amount:g}"
        parts.append(symbol + text)
    return "".join(parts)


def normalize_formula(material: str) -> str | None:
    """The canonical formula of the first formula-like word in a material name, or None."""
    for word in re.split(r"[\s,;/]+", material):
        word = re.sub(r"^(?:[a-zα-ωA-Z]{1,3}-)", "", word.strip("()[]{}.:"))  # c-TiO2, H-MoSe2, 2H-MoS2
        word = re.sub(r"^[0-9]+[A-Z]-", "", word)
        if not word or word in _NOT_ALONE:
            continue
        counts = parse_formula(word)
        if counts is None:
            continue
        if len(counts) == 1 and not re.search(r"[0-9]", word) and len(word) < 2:
            continue
        return hill_formula(counts)
    return None


# An element symbol and the count after it, in text read by OCR.
_OCR_COUNT = re.compile(r"([A-Z][a-z]?)(\d+)(?![.\d])")


def repair_ocr_formula(word: str) -> str:
    """A formula read by OCR with a letter O taken for a zero, put right: Al203 -> Al2O3, Ti02 -> TiO2,
    YBa2Cu307 -> YBa2Cu3O7, MnO read as Mn0 -> MnO. Only where the zero cannot be part of a count (a count that
    starts with 0, or a three-digit count with a 0 inside, which no formula writes); C60 and Fe80B20 stay."""

    def fix(m: re.Match[str]) -> str:
        symbol, count = m.group(1), m.group(2)
        if symbol not in _elements():
            return m.group(0)
        if count.startswith("0"):
            return symbol + "O" + count[1:]
        inner = count.find("0", 1)
        if len(count) >= 3 and 0 < inner < len(count) - 1:
            return symbol + count[:inner] + "O" + count[inner + 1 :]
        return m.group(0)

    repaired = _OCR_COUNT.sub(fix, word)
    return repaired if repaired != word and parse_formula(repaired) is not None else word
