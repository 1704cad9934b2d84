"""Material mentions: which strings in a text name a material, and which only look like one.

A record's material must be a material. Extractors proposed "V", "c", "coupling", "SOC", "Eg",
"P6_3/mmc", "Mexican-hat" or "Ti-alloying" because a formula-word finder accepts anything made of
element symbols and a model copies whatever word stands near the value. This module is a rule-based
recognizer of what can be a material, in four kinds:

- ``formula``: element symbols checked against `periodictable` (two-letter symbols first, so "Eg" or
  "Tc"-like property symbols fail), with numeric, fractional and variable subscripts (Ba0.5Sr0.5TiO3,
  Zn1-xBexSe, Cs3Bi2Br9-xIx, (BA)2(MA)n-1PbnI3n+1), groups and alloy groups ((Ga,Mn)As), hydrates
  (MgSO4·H2O), the organic cations of halide perovskites (MA, FA, BA, PEA, GA, EA, DMA), dopant
  notation (Mn:ZnO, Y2O3:Eu3+), phase prefixes (wz-, zb-, 2H-, 1T'-, α-, c-, h-) and phase words in
  front (anatase TiO2, monolayer MoS2, Eu-doped Bi2Se3);
- ``name``: named materials (graphene, silicene, hBN, diamond, perovskite, MXene, silicon, boron
  nitride, gluconic acid), polymers (P3HT, PEDOT:PSS, PC71BM, Spiro-OMeTAD, poly(...)), frameworks
  (MOF-5, ZIF-8), common organic compounds;
- ``abbreviation``: a short form the paper defines ("hexagonal boron nitride (hBN)",
  "(hereafter BPN)"), recognized wherever it recurs;
- ``subject``: the paper's main materials from its title and abstract (`paper_subject`).

What is refused: bare single-letter symbols and variables (V, c, x, T), English words made of
symbols (In, As, He, No, Be), all-capital acronyms made of one-letter symbols (SOC, SCF, PV, ICP),
property and method symbols (Eg, DFT, HSE, PBE, CBM), space groups (P6_3/mmc, Fm-3m, C2/m), units
after numbers (10 Pa, 5 K), charged ions (Er3+), orbitals (O 2p, Fe 3d), elements used as dopants
or sites (Ti-alloying, Ga-rich, Li atoms), author names (Li et al., Y. Li).

Everything is regular expressions compiled once and dictionary look-ups; a 100 KB paper takes about
60 ms of CPU (benchmarks/material_mentions.py measures it).

The vocabulary is in `material_lexicon`, the formula/name/alloy passes in `material_spans`, the
abbreviations a paper defines in `material_abbreviations`; this module merges them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from extractors.quantities.material_abbreviations import _abbreviations, abbreviations
from extractors.quantities.material_lexicon import _DOPED, _GENERIC
from extractors.quantities.material_spans import (
    _alloy_mentions,
    _chunk_mentions,
    _Core,
    _name_mentions,
    _single_core,
    _with_modifiers,
)

MentionKind = Literal["formula", "name", "abbreviation", "subject"]


@dataclass(frozen=True, slots=True)
class MaterialMention:
    """One material named in a text: the words as written, their [start, end) span, how it was recognized.

    Attributes:
        text: the mention as written (text[start:end]).
        start, end: character offsets into the text that was searched.
        kind: "formula" (a chemical formula, possibly with a phase prefix or dopant), "name" (a named
            material, polymer, framework or compound name), "abbreviation" (a short form the paper
            defines), "subject" (a main material of the paper, from `paper_subject`).
        formula: the normalized (Hill) formula where the composition is fixed and known (TiO2 -> O2Ti,
            MAPbI3 -> CH6I3NPb, "boron nitride" -> BN), else None (variables x/δ/n, dopants, blends,
            allotropes of one element such as graphene or diamond).
        expansion: for an abbreviation, the long form the paper gave ("hexagonal boron nitride").
    """

    text: str
    start: int
    end: int
    kind: MentionKind
    formula: str | None = None
    expansion: str | None = None


def find_materials(text: str, abbreviations: Mapping[str, str] | None = None) -> list[MaterialMention]:
    """Every material mention in a text, in order, without overlaps.

    Args:
        text: any text: a sentence, a passage, a whole paper.
        abbreviations: short form -> long form of material abbreviations defined elsewhere in the
            paper (from `abbreviations(paper_text)`), so that a passage that only says "hBN" or
            "BPN" is understood. Abbreviations defined inside `text` itself are always used.

    Returns:
        MaterialMention objects with spans into `text`, sorted by start.
    """
    abbrs = dict(abbreviations or {})
    abbrs.update(_abbreviations(text))
    raw = _name_mentions(text) + _chunk_mentions(text, abbrs) + _alloy_mentions(text) + _acceptor_mentions(text)
    for key, long in abbrs.items():
        if _single_core(key, {}) or " " in key:
            continue  # found by the passes above
        for m in re.finditer(rf"(?<![\w\-]){re.escape(key)}(?![\w])", text):
            raw.append((m.start(), m.end(), _Core("abbreviation", None, expansion=long)))
    # Longest first, then drop anything that overlaps a kept mention.
    raw.sort(key=lambda t: (-(t[1] - t[0]), t[0]))
    kept: list[tuple[int, int, _Core]] = []
    taken = bytearray(len(text))
    for s, e, core in raw:
        if 1 in taken[s:e]:
            continue
        kept.append((s, e, core))
        taken[s:e] = b"\x01" * (e - s)
    kept.sort(key=lambda t: t[0])
    out: list[MaterialMention] = []
    for s, e, core in kept:
        s2 = _with_modifiers(text, s)
        while out and s2 <= out[-1].start:
            out.pop()  # "anatase" of "anatase TiO2" is the phase of the formula after it
        if out and s2 < out[-1].end:
            s2 = s
        kind: MentionKind = core.kind
        formula = core.formula
        expansion = core.expansion
        word = text[s:e]
        if word in abbrs:
            expansion = abbrs[word]
            kind = "formula" if kind == "formula" else "abbreviation"
        if kind == "abbreviation" and expansion and formula is None:
            formula = _expansion_formula(expansion)
        if s2 < s and re.search(_DOPED, text[s2:s]):
            formula = None  # Eu-doped Bi2Se3 is not Bi2Se3
        out.append(MaterialMention(text=text[s2:e], start=s2, end=e, kind=kind, formula=formula, expansion=expansion))
    return _blends(text, out)


# Fullerene and common non-fullerene acceptors of organic solar cells, also as tokenized text writes them
# ("PC 70 BM", "IC 60 BA"); a donor joined to one by a colon or a slash is a blend, the device's active layer.
_ACCEPTOR = re.compile(
    r"(?<![\w\-])(?:PC\s?(?:60|61|70|71)\s?BM|IC\s?(?:60|70)\s?BA|(?:\[[67]0\])?PCBM|ICBA|ITIC(?:-\w+)?|Y6|"
    r"N2200|IT-4F|O-IDTBR|EH-IDTBR)(?![\w\-])"
)
_DONOR_BEFORE = re.compile(r"(?<![\w\-/:])([A-Z][\w\-]*(?: - [A-Z\d][\w\-]*)*)\s?[:/]\s?$")


# What a solar cell is processed with, not made of: solvent additives and solvents
_PROCESSING = re.compile(
    r"(?:DIO|1,8-diiodooctane|1-?CN|chloronaphthalene|CB|chlorobenzene|o-?DCB|DCB|dichlorobenzene|CF|chloroform|"
    r"ODT|octanedithiol|DPE|diphenyl ether|THF|toluene|xylene|fullerenes?)",
    re.IGNORECASE,
)


def is_cell_component(name: str) -> bool:
    """Whether a name is an acceptor alone or a processing additive: a part of a solar cell, not the cell whose
    efficiency a sentence states ("devices of PBDTTT-C-T and PC71BM ... a PCE of 7.49%", "with DIO ... 5.35%")."""
    name = name.strip()
    return bool(_ACCEPTOR.fullmatch(name) or _PROCESSING.fullmatch(name))


def _acceptor_mentions(text: str) -> list[tuple[int, int, _Core]]:
    return [(m.start(), m.end(), _Core("name", None)) for m in _ACCEPTOR.finditer(text)]


def _blends(text: str, mentions: list[MaterialMention]) -> list[MaterialMention]:
    """Donor-acceptor blends as one mention: "PTB7: PC71BM", "P3HT / IC 60 BA", "PTTBTz:ICBA" (but not a device
    stack "ITO/PEDOT:PSS/P3HT:PCBM/Al", whose layers stay apart: the blend inside it is already one token)."""
    out: list[MaterialMention] = []
    for mention in mentions:
        acceptor = _ACCEPTOR.fullmatch(mention.text)
        donor = _DONOR_BEFORE.search(text[max(0, mention.start - 40) : mention.start]) if acceptor else None
        if (
            donor is not None
            and not re.match(r"\s?/", text[mention.end : mention.end + 2])
            and not _ACCEPTOR.fullmatch(donor.group(1))
        ):
            start = mention.start - len(donor.group(0))
            while out and out[-1].end > start:
                out.pop()  # the donor's own mention becomes part of the blend
            out.append(MaterialMention(text=text[start : mention.end], start=start, end=mention.end, kind="name"))
            continue
        out.append(mention)
    return out


def _expansion_formula(long: str) -> str | None:
    for mention in find_materials(long, {}) if long else []:
        if mention.formula:
            return mention.formula
    return None


# --------------------------------------------------------------------------------------------
# Paper subject and the check of proposed names.


def _mention_key(mention: MaterialMention) -> str:
    if mention.formula:
        return "f:" + mention.formula
    if mention.expansion:
        return "n:" + mention.expansion.lower()
    text = mention.text.lower()
    return "n:" + (text[:-1] if text.endswith("s") and not text.endswith("ss") else text)


def paper_subject(title: str | None, abstract: str, limit: int = 3) -> list[MaterialMention]:
    """The paper's main materials, for passages that name none.

    Materials named in the title come first (in title order), then the ones the abstract names most
    often; generic names (perovskite, fullerene, MXene) only when nothing more specific is named.

    Args:
        title: the paper's title, or None.
        abstract: its abstract (or the first part of the text when no abstract is known).
        limit: how many to return at most.

    Returns:
        MaterialMention objects of kind "subject". Spans index into ``title + "\\n" + abstract`` when a
        title is given, else into the abstract; each is the material's first mention there.
    """
    text = f"{title}\n{abstract}" if title else abstract
    title_end = len(title) if title else 0
    mentions = find_materials(text, abbreviations(text))
    first: dict[str, MaterialMention] = {}
    counts: dict[str, int] = {}
    in_title: dict[str, int] = {}
    for i, mention in enumerate(mentions):
        key = _mention_key(mention)
        first.setdefault(key, mention)
        counts[key] = counts.get(key, 0) + 1
        if mention.start < title_end:
            in_title.setdefault(key, i)

    def generic(key: str) -> bool:
        word = first[key].text.lower().split()[-1]
        return word in _GENERIC or word[:-1] in _GENERIC or word[:-2] in _GENERIC

    ranked = sorted(
        first,
        key=lambda k: (generic(k), k not in in_title, in_title.get(k, 0), -counts[k], first[k].start),
    )
    return [replace(first[k], kind="subject") for k in ranked[:limit]]


def is_material(name: str, abbreviations: Mapping[str, str] | None = None) -> bool:
    """Whether a string an extractor proposed as a material can be one.

    True when the string contains a recognized material mention ("TiO2", "anatase TiO2 films",
    "SmN (AFM phase)", "hBN", a defined abbreviation); False for variables, property symbols, words,
    space groups, shapes, processes and citations ("V", "c", "coupling", "SOC", "Eg", "P6_3/mmc",
    "Mexican-hat", "Ti-alloying", "[12]").
    """
    name = name.strip()
    if not name or len(name) > 200:
        return False
    return bool(find_materials(name, abbreviations)) or bool(_COMPOUND_CODE.fullmatch(name))


# A compound or sample code of three or more hyphen-joined parts with a digit ("NI-TAT-NI-C12", "PBDB-T-2Cl"):
# a name the paper gives a synthesized material, never a method ("PBE-D3", "G0W0-LDA" have two parts).
_COMPOUND_CODE = re.compile(r"(?=[^\s]*\d)[A-Z][A-Za-z0-9]*(?:[-‐–][A-Za-z0-9]+){2,}")
