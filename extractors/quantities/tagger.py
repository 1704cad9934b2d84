"""The quantity tagger: numbers with units in text, with spans, qualifiers and SI values.

Handles plain values (3.2 eV), ranges (3.1–3.4 eV, 3.1 to 3.4 eV, between 3.1 and 3.4 eV),
uncertainties (1.67 ± 0.09 eV, 1.67(9) eV), scientific notation (1.2 × 10^5 S cm^-1, 2x10^5,
2 × 10⁵, 1.2e5), compound units (cm^2/Vs, cm2 V−1 s−1, cm² V⁻¹ s⁻¹, mWm−2), lists sharing a unit
(2.3, 2.8 and 3.2 eV), approximations (~, ≈, about), bounds (<, ≥, less than, up to), hyphenated
and spelled-out amounts of time (a 5-year study, 2-min anneal, two days). Units come from the
symbols papers use (units.py), and are then checked by pint, so "3 samples" or "Fig. 3 a" are
not quantities.

Look-alikes that are read as numbers only (or skipped), each by a rule on its context:
- an element symbol after a number in a composition ("C 0.05%, Si 0.40, ... 0.40 V, 0.009 S"): the
  number stands in a list of element-number pairs (each within 40 characters of the next) naming three
  elements, one of them not a unit symbol (Si, Mn), or two with a composition word nearby (wt.%,
  mass%, at.%, composition, balance); "0.40 V versus Li/Li+" and "1.2 V, 3 A and 5 W" stay units;
- a capital letter after a spaced unit ("0.25 mm W", "0.005% N"), which no unit ends with;
- a reference mark before an author initial ("^1M. Bode", "10 V. Tiberkevich," at a line start), a
  figure panel ("Figures 3I and 3J"), an isotope or polytype ("13C/12C", "35S-methionine", "3C-SiC"),
  a dimensionality ("2D"), a stoichiometric coefficient ("3MgF2").
Two numbers joined by "and" with a unit each ("1 nA and 0.15 V", "1.2 eV and 1.5 eV") are two
quantities; "1.2 and 1.5 eV" is two values of one unit; "between 1.2 and 1.5 eV" is one range.
"""

from __future__ import annotations

import re

import periodictable

from extractors.quantities.units import PREFIXABLE_SYMBOLS, PREFIXES, SUPERSCRIPTS, WHOLE_SYMBOLS, dimension_of, to_si
from schemas.quantity import Qualifier, Quantity

_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SYMBOL = (
    "(?:"
    + "|".join(
        sorted(
            [re.escape(w) for w in WHOLE_SYMBOLS] + [f"[{PREFIXES}]?{re.escape(p)}" for p in PREFIXABLE_SYMBOLS],
            key=len,
            reverse=True,
        )
    )
    + ")"
)
# An exponent that marks itself (^2, **2, -1, ⁻¹): a word may follow it glued ("mm^2or", "cm⁻¹at").
# A signed bare exponent is 1-4 and alone, so "5 K-10 K" stays a range; PDF text writes "cm–1" for cm⁻¹.
_EXP_MARKED = rf"(?:\s?\^\s?[-−–+]?\d+(?:\.\d+)?|\*\*[-−]?\d+|[-−–][1-4](?!,?\d)|[⁻⁺]?[{_SUP}]+)"
# The next factor of a unit written without spaces, which must carry an exponent: "cm2V−1s−1", "mWm−2".
# A capital letter with a bare digit is a formula's ("3MgF2", "2As2"), not a unit's.
_GLUED = rf"(?:{_SYMBOL}{_EXP_MARKED}|(?![A-Z]\d){_SYMBOL}\d)"
# A percent sign ends its unit whatever follows ("50wt%PbO", "5%Ni").
_FACTOR = rf"{_SYMBOL}(?:{_EXP_MARKED}|(?<=%)|[1-4](?:\.5)?(?=[^\w^]|$|{_GLUED})|(?=[^\w^{_SUP}]|$|{_GLUED}))"
# Denominators written fused ("cm^2/Vs", "W/mK"); units.py splits them.
_FUSED = r"(?:Vs|cmK|kgK|gK|molK)(?![\w^])"
# Factors are joined by a dot, a space, nothing (glued) or a slash; across a line break only when the next
# factor has its exponent ("W m−1\nK−1"), since PDF text puts table cells and labels one per line.
_NEXT = (
    rf"(?:\s?[·⋅•∙*]\s?|[^\S\n]|\n(?={_SYMBOL}{_EXP_MARKED})|)\(?{_FACTOR}\)?"
    rf"|[^\S\n]?/[^\S\n]?\(?(?:{_FUSED}|{_FACTOR})\)?"
)
_UNIT = rf"(?:{_FACTOR}\s?/\s?\({_FACTOR}(?:\s?[·⋅*]?\s?{_FACTOR})*\)|{_FACTOR}(?:{_NEXT})*)"
# Units that may follow a number with a hyphen, as an adjective: "a 5-year study", "the 10-nm film".
_HYPHEN_UNIT = (
    r"(?:[nµμumck]?m|[nµμm]?s|min|mins|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|yr|kDa|degrees?|"
    r"[kMG]?Hz|[kMG]?Pa|[kmM]?eV|[mk]?V|[mk]?W|nA|mA|mol|ka|Ma|Ga|kyr|Myr)(?![\w^])"
)
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_TEN = rf"10(?:\s?\^\s?[-−+]?\d+|[-−+]\d+|[⁻⁺]?[{_SUP}]+)"
_TEN_AFTER_TIMES = rf"10(?:\s?\^\s?[-−–+]?\d+|[-−–+]\d+|[⁻⁺]?[{_SUP}]+)"  # "12.5 × 10–6 K–1" from a PDF
# "5x1016 cm-3" is 5×10^16 with the superscript flattened (PDF text); "2 x 100 nm" is not.
_SCI = rf"{_NUM}(?:\s?[×x✕]\s?(?:{_TEN_AFTER_TIMES}|10[1-9]\d?(?!\d))|[eE][-−+]?\d+)?|{_TEN}"
_SIGNED = rf"[-−]?(?:{_SCI})"
_APPROX = r"~|∼|≈|≃|about|around|approximately|approx\.|nearly|roughly|almost|ca\.|circa|of order|on the order of"
_LOWER = r">|≥|⩾|>=|more than|greater than|larger than|higher than|above|over|exceeding|at least|in excess of"
_UPPER = r"<|≤|⩽|<=|less than|smaller than|lower than|below|under|up to|at most|as low as|not exceeding"
# QUANTITY is a verbose regex, where a plain space means nothing: spell the spaces out.
_APPROX, _LOWER, _UPPER = (w.replace(" ", r"\s+") for w in (_APPROX, _LOWER, _UPPER))

QUANTITY = re.compile(
    rf"""
    (?:(?P<qual>{_APPROX}|{_LOWER}|{_UPPER}|between|from)\s*)?
    (?<![\w.\-−/^ˆ)\x00-\x08\x0e-\x1f\x7f\ufffd])(?<!\w–)(?P<num>{_SIGNED})(?:\((?P<paren>\d{{1,3}})\))?
    (?:(?:[^\S\n]{{1,2}}|\n|-(?={_HYPHEN_UNIT}))?(?P<unit1>{_UNIT}))?
    (?:\s*(?:(?P<sep>–|—|-|to|and|~)\s*(?P<num2>{_SIGNED}))(?:\((?P<paren2>\d{{1,3}})\))?)?
    (?:\s*(?:±|\+/-|\+-|\+/−)\s*(?P<unc>{_SCI}))?
    (?:(?:[^\S\n]{{1,2}}|\n)?(?P<unit>{_UNIT}))?
    (?:(?![\w])|(?<=\^\d)|(?<=\^\d\d)|(?<=[{_SUP}%]))  # a word glued after an exponent or %: "kg/mm^2or"
    """,
    re.VERBOSE,
)
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
# Spelled-out amounts only with word units: "two days", "a three metre core", "Ten-day-old".
WORD_QUANTITY = re.compile(
    rf"\b(?=[otfsenhOTFSENH])(?P<num>{'|'.join(_WORD_NUMBERS)})[ -](?P<unit>seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
    r"metres?|meters?|percent|degrees?)\b",
    re.IGNORECASE,
)
_LIST_BEFORE = re.compile(rf"(?<![\w.\-−/])({_SIGNED})\s*(?:,\s*and|,|and|or|/)\s*$")
_BEFORE_NOT_QUANTITY = re.compile(
    r"\b(?:Fig(?:ure)?s?\.?|Tables?|Eqs?\.?|Equations?|Refs?\.?|Sections?|Sec\.|No\.|Nos\.|pp?\.|Vol\.|Chapter|Step|Scheme|Supplementary)\s*\(?S?$",
    re.IGNORECASE,
)
# Single capital letters that are units but also element symbols, panel letters, polytypes and initials.
_LETTER_UNITS = ("D", "M", "T", "C", "S", "A", "L", "F", "N", "V", "K", "W", "J")
# Of those, the ones that before a lowercase word are more often a label than a unit ("sample S is").
_PROSE_LETTERS = ("°", "D", "M", "T", "C", "S", "A", "L", "F", "N")
_PERCENT_LIKE = re.compile(r"^(?:%|‰|ppm|ppb|(?:wt|at|vol|mass|mol)\.?\s?%)")
_PANEL = r"S?\d+[A-Za-z]?"
_FIGURE_BEFORE = re.compile(
    rf"\bFig(?:ure)?s?\.?\s*{_PANEL}(?:\s*(?:,|and|&|–|-|to)\s*{_PANEL})*\s*(?:,|and|&|–|-|to)\s*$", re.IGNORECASE
)
# A name after a reference mark: "M. Bode", "K. Smith,", "J. R. Doe and".
_AUTHOR_AFTER = re.compile(r"\.\s?(?:[A-Z]\.\s?)*[A-Z][a-z]+(?:-[A-Z][a-z]+)?[\d*†‡§]*(?=\s*(?:,|and\b|&|et al|$|\n))")
_REFERENCE_BEFORE = re.compile(r"(?:^|\n|[\^ˆ]|,\s?|\band\s|&\s?)$")

_ELEMENTS = sorted((e.symbol for e in periodictable.elements if e.number > 0), key=len, reverse=True)
# Element symbols that are also English words: "In 2010", "As 5 samples", "At 300 K" are no compositions.
_WORDY = {"In", "As", "At", "No", "Be", "He", "I", "Am", "Es", "Ts"}
_ELEMENT = "(?:" + "|".join(e for e in _ELEMENTS if e not in _WORDY) + ")"
_ELEMENT_NUMBER = re.compile(
    rf"(?<![\w.])(?P<a>{_ELEMENT})(?:[^\S\n]?[:=][^\S\n]?|[^\S\n])\d+(?:\.\d+)?(?![\d.])"
    rf"|(?<![\w.])\d+(?:\.\d+)?[^\S\n]?(?:(?:wt|at|mass|mol)\.?[^\S\n]?)?%?[^\S\n]?(?P<b>{_ELEMENT})"
    r"(?=[^\S\n]*(?:[,;)–—-]|and\b|\.?$|\.?\n|\d))"
)
_COMPOSITION_WORD = re.compile(
    r"(?:wt|at|mass|mol)\.?\s?%|\bcompositions?\b|\bbalance\b|\bbal\.|\bwt\.?\s?pct\b", re.IGNORECASE
)
_UNIT_LETTERS = set(PREFIXABLE_SYMBOLS) | set(WHOLE_SYMBOLS)
_ELEMENT_UNITS = {e for e in _ELEMENTS if e in _UNIT_LETTERS}  # C, V, S, N, W, K, Pa, Ga, ...


def _number(text: str) -> float:
    t = re.sub(r"\s+", "", text.translate(SUPERSCRIPTS).replace("−", "-").replace("–", "-").replace(",", ""))
    m = re.match(r"^(-?[\d.]+)(?:[×x✕]10\^?([-+]?\d+))?$", t)
    if m and m.group(2) is not None:
        return float(m.group(1)) * 10 ** int(m.group(2))
    m = re.match(r"^(-?)10\^?([-+]\d+|\d+)$", t) if not re.fullmatch(r"-?\d+(?:\.\d+)?", t) else None
    if m:
        return float(f"{m.group(1)}1") * 10.0 ** int(m.group(2))
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


def _trim_unit(unit: str | None) -> str | None:
    """Drop what follows a unit but is not part of it: the N of "0.005% N", the W of "0.25 mm W".

    A percent ends its unit unless an exponent follows ("10 ppm K−1"); a bare capital letter after a
    space ends none ("J/kg K" keeps its K, after the slash).
    """
    if not unit:
        return unit
    words = unit.split()
    while len(words) > 1 and "/" not in " ".join(words[:-1]) and words[-1] in _LETTER_UNITS:
        words.pop()
    m = _PERCENT_LIKE.match(unit)
    if m and len(words) > 1 and not re.search(rf"[-−^\d{_SUP}]", " ".join(words[1:])):
        words = unit[: m.end()].split()
    if len(words) == len(unit.split()):
        return unit
    return unit[: unit.index(words[-1], len(" ".join(words[:-1]))) + len(words[-1])]


def shifted(q: Quantity, offset: int, text: str | None = None) -> Quantity:
    """The quantity with its spans moved by `offset` characters: from a piece's offsets to the whole text's.

    With `text` (the whole text), the quantity's text is read again from it: a piece tagged with its footnote
    marks blanked keeps the text as written.
    """

    def move(span: tuple[int, int] | None) -> tuple[int, int] | None:
        return (span[0] + offset, span[1] + offset) if span else None

    span = (q.span[0] + offset, q.span[1] + offset)
    update: dict[str, object] = {"span": span, "unit_span": move(q.unit_span), "value_span": move(q.value_span)}
    if text is not None:
        update["text"] = text[span[0] : span[1]]
    return q.model_copy(update=update)


def tag_quantities(text: str, include_unitless: bool = False) -> list[Quantity]:
    """Every quantity in text, in order, with [start, end) spans into text.

    Args:
        include_unitless: also return bare numbers (unit None), e.g. ZT = 1.2 or a table cell.
    """
    found: list[Quantity] = []
    pos = 0
    while (m := QUANTITY.search(text, pos)) is not None:
        pos = m.end()
        start = m.start("num")
        if _BEFORE_NOT_QUANTITY.search(text[max(0, start - 25) : start]) or (start > 0 and text[start - 1] == "["):
            continue
        qual_word = m.group("qual")
        unit1, unit2 = _trim_unit(m.group("unit1")), _trim_unit(m.group("unit"))
        num2, sep = m.group("num2"), m.group("sep")
        unit_end = m.end("num")
        if unit1 and num2 and not (unit1 == unit2 and (sep != "and" or qual_word == "between")):
            # "1 nA and 0.15 V", "3 K to 5 eV", "1.2 eV and 1.5 eV": the first quantity ends at its unit and
            # the rest is read again. A range writes its unit once at the end or twice ("3.1 eV to 3.4 eV").
            pos = m.start("unit1") + len(unit1)
            num2 = sep = unit2 = None
            unit_end = pos
        elif unit2:
            unit_end = m.start("unit") + len(unit2)
        elif unit1:
            unit_end = m.start("unit1") + len(unit1)
        unit = unit2 or unit1
        value_start, value_end = start, m.end("num")
        if not _valid_unit(unit) or not _letter_unit_ok(text, value_start, value_end, unit, unit_end):  # type: ignore[arg-type]
            unit = None
        if unit is None and not include_unitless:
            continue
        value = _number(m.group("num"))
        value_max = None
        qualifier = _qualifier(qual_word)
        span_start = m.start("qual") if qual_word and qualifier != "exact" else start
        if num2 is not None and sep == "and" and qual_word != "between":
            # "2.3 and 3.2 eV": a list, not a range; the first number is handled as its own quantity.
            found.append(_make(text, start, m.end("num"), value, None, None, "exact", unit, start, m.end("num")))
            value = _number(num2)
            start = span_start = value_start = m.start("num2")
            value_end = m.end("num2")
        elif num2 is not None:
            value_max = _number(num2)
            if value_max < value and sep in ("-", "–"):
                value_max = None  # "5-3" style or a minus sign glued to the second number is not a range
            else:
                qualifier = "range"
                if qual_word in ("between", "from"):
                    span_start = m.start("qual")
                if value_max < value:  # "narrowed from 4.7 to 3.1 eV": the range is 3.1-4.7 eV
                    value, value_max = value_max, value
        uncertainty = None
        if m.group("unc") and m.start("unc") < pos:
            uncertainty = _number(m.group("unc"))
        elif m.group("paren"):
            digits = m.group("paren")
            decimals = len(m.group("num").split(".")[1]) if "." in m.group("num") else 0
            uncertainty = int(digits) * 10**-decimals
        if unit is None:
            end = _bare_end(m, pos)
        elif num2 is not None and value_max is None and sep != "and" and not unit2:
            end = m.start("unit1") + len(unit1)  # type: ignore[arg-type]
        else:
            end = unit_end
        while unit and unit.count(")") > unit.count("(") and text[end - 1] == ")":
            unit, end = unit[:-1], end - 1  # "(σ of 5 S/cm)": the bracket closes the sentence's, not the unit's
        found.append(
            _make(text, span_start, end, value, value_max, uncertainty, qualifier, unit, value_start, value_end)
        )
    found.extend(_word_quantities(text))
    return _expand_lists(text, _dedupe(found))


def _bare_end(m: re.Match[str], limit: int) -> int:
    """End of a quantity without a unit: its last number, uncertainty or bracket before limit."""
    for group in ("unc", "paren2", "num2", "paren", "num"):
        if m.group(group) and m.end(group) <= limit:
            return m.end(group) + (1 if group.startswith("paren") else 0)
    return m.end("num")


def _letter_unit_ok(text: str, start: int, end: int, unit: str, unit_end: int) -> bool:
    """Whether a unit that is also a letter, an element symbol or a mark is a unit here.

    Args:
        start, end: the number's span; unit_end: where the unit ends.
    """
    glued = text[end : end + 1] not in (" ", "\n", "\u00a0", "\u2009", "\u202f", "-")
    after = text[unit_end : unit_end + 30]
    if re.match(r"\s*et\s+al\b", after):
        return False  # "1 Ma et al.": a name
    if unit.startswith("D") and glued and re.fullmatch(r"[0-3]", text[start:end]):
        return False  # "2D and 3D materials": dimensionality, not debye
    if (
        unit in _PROSE_LETTERS
        and re.match(r"\s[a-z]", after)
        and not re.match(r"\s(?:and|or|to|vs\.?|versus)\s[-−]?\d", after)
        and not (glued and unit == "°")
    ):
        return False  # "3 samples of 5 S in" is prose; "5 V applied", "10 W power" and "45° case" are not
    if unit in _LETTER_UNITS:
        before = text[max(0, start - 40) : start]
        if glued and unit not in ("K", "V") and re.match(r"[-/][A-Za-z\d]|\s?NMR", after):
            return False  # "13C/12C", "35S-methionine", "3C-SiC", "13C NMR"; a "10K-anomaly" is a temperature
        if glued and _FIGURE_BEFORE.search(before):
            return False  # "Figures 3I and 3J", "Fig. 1I–1M"
        if "." not in text[start:end] and _AUTHOR_AFTER.match(after):
            # "^1M. Bode", "Doe, 2K. Smith", a reference list's "10 V. Tiberkevich, A. N. Slavin"
            small = re.fullmatch(r"\d{1,2}", text[start:end]) is not None
            if re.search(r"(?:^|\n|[\^ˆ])$", before) or ((glued or small) and _REFERENCE_BEFORE.search(before)):
                return False
    return not (unit in _ELEMENT_UNITS and _in_composition(text, start, unit_end))


def _in_composition(text: str, start: int, end: int) -> bool:
    """Whether the number at [start, end) stands in a list of element contents (a steel's composition).

    The list is the chain of element-number pairs around it, each within 40 characters of the next.
    """
    lo = max(0, start - 150)
    window = text[lo : end + 150]
    pairs = [(m.start() + lo, m.end() + lo, m.group("a") or m.group("b")) for m in _ELEMENT_NUMBER.finditer(window)]
    at = [i for i, (s, e, _) in enumerate(pairs) if s < end and start < e]
    if not at:
        return False
    first, last = at[0], at[-1]
    while first > 0 and pairs[first][0] - pairs[first - 1][1] <= 40:
        first -= 1
    while last + 1 < len(pairs) and pairs[last + 1][0] - pairs[last][1] <= 40:
        last += 1
    elements = {symbol for _, _, symbol in pairs[first : last + 1]}
    if len(elements) >= 3 and elements - _UNIT_LETTERS:
        return True
    return len(elements) >= 2 and bool(_COMPOSITION_WORD.search(window))


def _word_quantities(text: str) -> list[Quantity]:
    out = []
    for m in WORD_QUANTITY.finditer(text):
        value = float(_WORD_NUMBERS[m.group("num").lower()])
        unit = m.group("unit")
        if _valid_unit(unit):
            out.append(_make(text, m.start(), m.end(), value, None, None, "exact", unit, m.start(), m.end("num")))
    return out


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
            if not m:
                break
            # a bare number read already (include_unitless) is this list member: it takes the unit
            out = [o for o in out if not (o.unit is None and o.span == (m.start(1), m.end(1)))]
            if any(o.span[1] > m.start(1) for o in out):
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
