"""Material abbreviations a paper defines ("hexagonal boron nitride (hBN)", "(hereafter BPN)"): short form -> long form."""

from __future__ import annotations

import re
from functools import lru_cache

from extractors.quantities.material_lexicon import _ANIONS, _TRAIL, _anion_words, _element_names, _wordset
from extractors.quantities.material_spans import (
    _chunk_mentions,
    _formula_units,
    _name_mentions,
    _single_core,
    _with_modifiers,
)

# --------------------------------------------------------------------------------------------
# Abbreviations.

# A free-standing bracket: "(hBN)" after a space, not the "(BA)" of "(BA)2(MA)n-1PbnI3n+1" or the "(Co)" of "Fe(Co)".
_PAREN = re.compile(r"(?:(?<=\s)|^)\(([^()\n]{1,80})\)(?=[\s.,;:]|$)")
_HEREAFTER = re.compile(
    r"^(?:(?:hereafter|henceforth|hereinafter),?\s*)?(?:(?:called|referred to as|denoted(?: as)?|labell?ed(?: as)?|"
    r"named|abbreviated(?: as)?|termed|designated(?: as)?)\s+)?[\"“'‘]?([^\s\"”'’]{1,15})[\"”'’]?(?:\s+for short)?$"
)
_STOPWORDS = _wordset(
    "of by the a an in and or for with to on at from as is are was were be this that these those its their "
    "such which we our using via into onto than"
)
# Last words of a long form that name a material although they are not one alone ("biphenylene network").
_HEAD_NOUNS = _wordset(
    "network networks framework frameworks alloy alloys crystal crystals cement ceramic ceramics glass glasses "
    "composite composites compound compounds polymer polymers copolymer copolymers salt salts complex complexes "
    "monolayer monolayers bilayer nanosheets nanosheet nanotubes nanotube nanowires nanowire dots"
)
# Elements that a named material is made of, for checking a "name (formula)" pair.
_NAME_ELEMENTS = {
    "graphene": "C", "graphite": "C", "diamond": "C", "graphyne": "C", "fullerene": "C", "silicene": "Si",
    "germanene": "Ge", "stanene": "Sn", "plumbene": "Pb", "phosphorene": "P", "phosphorus": "P", "borophene": "B",
    "arsenene": "As", "antimonene": "Sb", "bismuthene": "Bi", "tellurene": "Te", "selenene": "Se",
}  # fmt: skip


def _sh_long_form(short: str, words_before: str) -> str | None:
    """Schwartz-Hearst: the shortest tail of the preceding words whose letters spell the short form."""
    letters = [c.lower() for c in short if c.isalnum()]
    if not letters or not short[0].isalnum():
        return None
    long = words_before
    s_i, l_i = len(letters) - 1, len(long) - 1
    while s_i >= 0:
        c = letters[s_i]
        while l_i >= 0 and (long[l_i].lower() != c or (s_i == 0 and l_i > 0 and long[l_i - 1].isalnum())):
            l_i -= 1
        if l_i < 0:
            return None
        l_i -= 1
        s_i -= 1
    start = max(long.rfind(" ", 0, l_i + 1), long.rfind("\n", 0, l_i + 1)) + 1
    found = long[start:].strip()
    if len(found.split()) > min(len(letters) + 5, 2 * len(letters)) or len(found) <= len(short):
        return None
    return found


def _short_form_ok(short: str) -> bool:
    return (
        2 <= len(short) <= 12
        and bool(re.search(r"[A-Za-z]", short))
        and bool(re.search(r"[A-Z0-9]", short))
        and not re.search(r"[.@=]", short)
    )


def _names_material(long: str) -> bool:
    """Whether a long form is the name of a material: it ends with a material mention or a material head noun."""
    long = long.strip()
    words = long.split()
    if not words or words[0].lower() in _STOPWORDS or re.search(r"@|https?:|www\.", long):
        return False
    mentions = _name_mentions(long) + _chunk_mentions(long, {})
    if not mentions:
        return False
    end = max(e for _, e, _ in mentions)
    tail = long[end:].strip(" -s")
    return not tail or words[-1].lower() in _HEAD_NOUNS


def _element_set(name: str) -> frozenset[str] | None:
    """The elements a material name fixes ("indium oxide" -> {In, O}), or None when the name does not say."""
    found: set[str] = set()
    names, anions = _element_names(), _anion_words()
    for word in re.findall(r"[a-z]+", name.lower()):
        if word in names:
            found.add(names[word])
        elif word in anions and anions[word] in _ANIONS and _ANIONS[anions[word]][0]:
            found.add(_ANIONS[anions[word]][0])  # type: ignore[arg-type]
        elif "ammonium" in word or "amonium" in word:
            found.update({"C", "H", "N"})
        elif word.rstrip("s") in _NAME_ELEMENTS:
            found.add(_NAME_ELEMENTS[word.rstrip("s")])
    return frozenset(found) or None


def _formula_elements(formula: str) -> frozenset[str]:
    elements, cations = _formula_units(formula)
    return frozenset(elements) | (frozenset({"C", "H", "N"}) if cations else frozenset())


@lru_cache(maxsize=16)  # a passage is searched several times; whole papers must not pile up
def _abbreviations(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in _PAREN.finditer(text):
        first = re.split(r"\s*[,;]\s*", m.group(1).strip())[0].strip()
        before = text[max(0, m.start() - 160) : m.start()]
        before = re.split(r"[.;:()\[\]](?:\s|$)|\n\n", before)[-1].rstrip()
        if not before:
            continue
        hereafter = _HEREAFTER.fullmatch(first)
        short = hereafter.group(1).strip(_TRAIL) if hereafter else ""
        if short and _short_form_ok(short) and short not in found:
            long = _sh_long_form(short, before)
            if long and _names_material(long):
                found[short] = long  # "hexagonal boron nitride (hBN)"
                continue
            if first != short:  # "(hereafter BPN)": the material named last before it
                mentions = _name_mentions(before) + _chunk_mentions(before, {})
                if mentions:
                    s, _, _ = max(mentions, key=lambda t: t[1])
                    long = before[_with_modifiers(before, s) :].strip()
                    if len(long.split()) <= 4 and long != short and _names_material(long):
                        found[short] = long
                        continue
            core = _single_core(short, {})
            if core is not None and core.kind == "formula":
                # "methylammonium lead iodide (MAPbI3)", "Indium oxide (In2O3)": a name, then its formula;
                # the name's elements must be the formula's ("phosphorene (MoSe2)" is not a definition).
                names = [t for t in _name_mentions(before) if not before[t[1] :].strip()]
                if names:
                    s, e, _ = max(names, key=lambda t: t[1] - t[0])
                    long = before[_with_modifiers(before, s) : e]
                    elements = _element_set(long)
                    if long.lower() != short.lower() and (elements is None or elements == _formula_elements(short)):
                        found[short] = long
                        continue
        if short and short not in found and _LABEL.fullmatch(short) and _POLYMER_WORD.search(before[-40:]):
            found[short] = "polymer"  # "a benzothiadiazole copolymer (P1)"
            continue
        # "hBN (hexagonal boron nitride)": the short form before, its long form (wholly a material) inside.
        tail = re.search(r"(\S{2,15})$", before)
        if tail and " " in first and len(first.split()) <= 6:
            short = tail.group(1).strip(_TRAIL)
            if _short_form_ok(short) and short not in found and _sh_long_form(short, first) == first:
                mentions = _name_mentions(first) + _chunk_mentions(first, {})
                if any(e >= len(first.rstrip()) - 1 and _with_modifiers(first, s) <= 1 for s, e, _ in mentions):
                    found[short] = first
    # "copolymers P1 and P2", "denoted as P1-P3": numbered polymers
    for m in _LABEL_LIST.finditer(text):
        labels = re.findall(r"P-?\d{1,2}[a-z]?", m.group(1))
        numbers = [int(re.sub(r"\D", "", x)) for x in labels]
        if len(labels) == 2 and re.search(r"\d\s*(?:[-–]|to)\s*P", m.group(1)) and numbers[1] - numbers[0] < 12:
            labels = [f"P{i}" for i in range(numbers[0], numbers[1] + 1)]
        for label in labels:
            found.setdefault(label, "polymer")
    return found


_LABEL = re.compile(r"P-?\d{1,2}[a-z]?")
_POLYMER_WORD = re.compile(r"(?i)(?:co)?polymers?\b|\bpoly[\w(\[]")
_LABEL_LIST = re.compile(
    r"(?i:(?:co)?polymers?|denoted(?: as)?|named|labell?ed(?: as)?|termed)\s*[,(:]?\s*"
    r"(P-?\d{1,2}[a-z]?(?:\s*(?:,|and|[-–]|to)\s*P-?\d{1,2}[a-z]?)*)\b"
)


def abbreviations(text: str) -> dict[str, str]:
    """Material abbreviations a text defines: short form -> long form, as written.

    Recognized: "hexagonal boron nitride (hBN)", "twisted bilayer graphene (TBG)", "gluconic acid (GA)"
    (the short form's letters spell the long form, after Schwartz & Hearst 2003), "methylammonium lead
    iodide (MAPbI3)" and "Indium oxide (In2O3)" (a formula in brackets right after a material name),
    "hBN (hexagonal boron nitride)", and "(hereafter BPN)", "(denoted as X)", "(X for short)" after a
    material. Definitions whose long form names no material ("spin-orbit coupling (SOC)", "density
    functional theory (DFT)", "quantum dots (QDs)") are left out.
    """
    return dict(_abbreviations(text))
