"""Material spans: the passes that find formulas, named materials and alloys in a text (`find_materials` merges them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from math import gcd
from typing import Literal

from extractors.quantities.formulas import hill_formula, parse_formula
from extractors.quantities.material_lexicon import (
    _ACRONYMS,
    _ANIONS,
    _CAPS_MATERIALS,
    _CATION_WORD,
    _CATIONS,
    _CHARGE,
    _COUNT_PREFIX,
    _ELEMENT_NAMES_NOT_ALONE,
    _ELEMENT_ROLE_AFTER,
    _FACET,
    _FRAMEWORK,
    _GAP,
    _HYPHENS,
    _INITIAL_BEFORE,
    _LEAD,
    _LIKE_AFTER,
    _NAMED,
    _NEVER,
    _NOT_ALONE,
    _ONE_ELEMENT_COUNTS,
    _ORGANIC_PREFIX,
    _ORGANIC_ROOT,
    _ORGANIC_TOKEN,
    _P_STOP,
    _PAIR_NOT_ALLOY,
    _PEROVSKITE_TAIL,
    _POLY_NOT,
    _POLYMER_ENDING,
    _ROMAN,
    _SINGLE_KEEP_SUFFIX,
    _SPACE_GROUP,
    _TRAIL,
    _VALENCE,
    _WORD,
    _anion_words,
    _chunk_re,
    _element_names,
    _element_symbols,
    _formula_re,
    _modifier_word_re,
    _named_words,
    _phase_prefix_re,
    _unit_re,
    _wordset,
)

# --------------------------------------------------------------------------------------------
# Formulas and single strings.


@dataclass(frozen=True, slots=True)
class _Core:
    kind: Literal["formula", "name", "abbreviation"]
    formula: str | None
    single: bool = False  # a bare single element (Si, Au): needs a context check
    ion: bool = False
    expansion: str | None = None
    alloy: bool = False  # element symbols joined by dashes: an alloy, or a bond or an isotope pair by context


def _formula_units(text: str) -> tuple[list[str], int]:
    """Element symbols of a formula (cations expanded to nothing) and the number of cation units."""
    elements, cations = [], 0
    for m in _unit_re().finditer(text):
        if m.group(1):
            cations += 1
        else:
            elements.append(m.group(2))
    return elements, cations


def _normalized(text: str) -> str | None:
    """Hill formula of a fully specified formula string (organic cations expanded), else None."""
    body = text
    for cation, formula in _CATIONS.items():
        body = re.sub(rf"\({cation}\)", f"({formula})", body)
        body = re.sub(rf"(?<![A-Za-z(]){cation}(?![a-z])", f"({formula})", body)
    total: dict[str, float] = {}
    for i, part in enumerate(re.split(r"[·•∙⋅*]", body)):
        count = 1.0
        if i:
            m = re.match(r"(\d+(?:\.\d+)?)(.*)", part)
            if m:
                count, part = float(m.group(1)), m.group(2)
        counts = parse_formula(part)
        if counts is None:
            return None
        for symbol, amount in counts.items():
            total[symbol] = total.get(symbol, 0.0) + amount * count
    return hill_formula(total) if total else None


@lru_cache(maxsize=65536)
def _formula_core(text: str) -> _Core | None:
    """Whether a whole string is a chemical formula of a material (see the module docstring for the rules)."""
    ion = False
    body = text
    if re.search(r"\((?:I{1,3}|IV|VI{0,3})\)$", body):
        return None  # Cu(II), Pb(II): an ion with its oxidation state
    charge = _CHARGE.search(body)
    if charge and charge.start() > 0 and not _formula_re().fullmatch(body):
        body, ion = body[: charge.start()], True
    if not _formula_re().fullmatch(body):
        return None
    if body in _NEVER or re.fullmatch(r"[A-Z]{2,}s", body) and body != "BAs":
        return None  # PSCs, PCEs, OSCs: plural acronyms that spell P-S-Cs, P-C-Es, O-S-Cs
    elements, cations = _formula_units(body)
    if not elements:
        return None
    has_digit = bool(re.search(r"\d", body))
    if len(set(elements)) == 1 and not cations:
        # one element: a bare two-letter symbol (Si, Au) or a known molecule or cluster (C60, H2, Au25);
        # "P1", "C2", "I4" (labels, space groups), "Sex", "Six" (words), "F(x)" are not
        if has_digit:
            return _Core("formula", _normalized(body), ion=ion) if _ONE_ELEMENT_COUNTS.fullmatch(body) else None
        if body != elements[0] or len(body) < 2 or body in _NOT_ALONE:
            return None
        return _Core("formula", body, single=True, ion=ion)
    if body.isupper() and not has_digit and not cations and body not in _CAPS_MATERIALS:
        return None  # SOC, SCF, ICP, PV: acronyms made of one-letter symbols
    if re.fullmatch(r"[IVX]+[\d.]*", body):
        return None  # III, IV.2: Roman numerals
    if re.search(r"(?<![\d.])1$", body) and not re.search(r"\d", body[:-1]):
        return None  # SN1, Yb1, Fe1: labels, not formulas
    if cations and not _perovskite_like(body, elements):
        return None  # "CEA", "HEA", "GAP", "MAS": acronyms that spell an organic cation
    return _Core("formula", _normalized(body), ion=ion)


_PEROVSKITE_ELEMENTS = _wordset("Pb Sn Ge Bi Sb Cu Ag In Mn Cs Rb K Na Cd Zn Fe Ti I Br Cl F S Se")


def _perovskite_like(body: str, elements: list[str]) -> bool:
    """A formula with organic cations is a hybrid perovskite or its precursor: a halide, with a cation first."""
    return (
        bool(set(elements) & {"I", "Br", "Cl", "F"})
        and set(elements) <= _PEROVSKITE_ELEMENTS
        and bool(re.match(rf"\(?(?:{'|'.join(_CATIONS)}|Cs|Rb|K)", body))
    )


def _lexicon_core(text: str, abbrs: Mapping[str, str]) -> _Core | None:
    if text in abbrs:
        return _Core("abbreviation", None, expansion=abbrs[text])
    if text in _ACRONYMS:
        return _Core("name", _ACRONYMS[text])
    lower = text.lower()
    for name in (lower, lower[:-1] if lower.endswith("s") else None, lower[:-2] if lower.endswith("es") else None):
        if name and name in _NAMED and " " not in name:
            return _Core("name", _NAMED[name])
    if text.endswith("s") and text[:-1] in _ACRONYMS and len(text) > 3:
        return _Core("name", None)
    if re.fullmatch(_FRAMEWORK, text):
        return _Core("name", None)
    if (
        re.fullmatch(r"P(?:[A-Z][A-Za-z0-9]*|\d[A-Za-z0-9]*)(?:[-‐][A-Za-z0-9]+)*", text)
        and len(text) >= 4
        and sum(c.isupper() for c in text) >= 3
        and text not in _P_STOP
        and re.search(r"T|DPP|NDI|PDI|Cz|BO|Se|BDT", text[1:])
        and len(re.findall(r"[AEIOU]", text[1:])) < 2  # PROPERTIES, PATTERN: words in capitals
    ):
        return _Core("name", None)
    return None


def _single_core(text: str, abbrs: Mapping[str, str]) -> _Core | None:
    """A string without whitespace that is wholly one material (no splitting at hyphens or slashes)."""
    if not text or text in _NEVER:
        return None
    found = _formula_core(text) or _lexicon_core(text, abbrs)
    if found:
        return found
    m = _phase_prefix_re().fullmatch(text)
    if m:
        prefix, rest = m.group(1), m.group(2)
        core = _lexicon_core(rest, abbrs) or _formula_core(rest) or (_whole(rest, abbrs) if ":" in rest else None)
        if core is None or core.ion:
            # α-P, β-B, white-P: a one-letter element is a material only behind a phase prefix.
            if re.fullmatch(r"[A-Z]", rest) and re.fullmatch(r"[α-ω]|(?i:black|white|red|blue|violet|fibrous)", prefix):
                return _Core("formula", None)
            return None
        if core.single and not re.fullmatch(r"[α-ωµ][a-z]?|[a-z]{1,3}|\d[A-Za-z]{1,2}'?", prefix):
            return None  # "H-Si", "K-Ga": a label, not a phase
        if core.kind == "abbreviation":
            return replace(core, kind="abbreviation")
        return _Core(core.kind, core.formula)
    return None


def _split_points(text: str, seps: str) -> list[int]:
    """Positions of separator characters outside brackets."""
    depth, points = 0, []
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            points.append(i)
    return points


def _parts(text: str, seps: str) -> list[tuple[int, int]]:
    cuts = _split_points(text, seps)
    bounds, start = [], 0
    for c in cuts:
        bounds.append((start, c))
        start = c + 1
    bounds.append((start, len(text)))
    return bounds


@lru_cache(maxsize=65536)
def _chunk_materials(chunk: str, abbr_items: tuple[tuple[str, str], ...]) -> tuple[tuple[int, int, _Core], ...]:
    """Material spans (start, end, core) inside one whitespace-free chunk, relative to the chunk."""
    abbrs = dict(abbr_items)
    out: list[tuple[int, int, _Core]] = []
    # Trim quotes, trailing punctuation, facets ("TiO2(110)"), citations ("ZnO[12]") and wrapping brackets.
    start, end = 0, len(chunk)
    dangling = False  # "Eu- and Gd-doped": a suspended hyphen makes "Eu" a dopant
    changed = True
    while changed and end > start:
        changed = False
        piece = chunk[start:end]
        if re.search(r"['’]s$", piece) and len(piece) > 2:  # "ZnSiP2's 2.1 eV gap": the possessive is not part of it
            end -= 2
            changed = True
        elif piece[-1] in _TRAIL or piece[-1] in _HYPHENS:
            dangling = dangling or piece[-1] in _HYPHENS
            end -= 1
            changed = True
        elif piece[0] in _LEAD:
            start += 1
            changed = True
        elif piece[-1] in ")]" and piece.count(piece[-1]) > piece.count("(" if piece[-1] == ")" else "["):
            end -= 1
            changed = True
        elif piece[0] in "([" and piece.count(piece[0]) > piece.count(")" if piece[0] == "(" else "]"):
            start += 1
            changed = True
        elif piece[0] == "(" and piece[-1] == ")" and _balanced(piece[1:-1]):
            start, end = start + 1, end - 1  # "(MAPbI3)": a formula is never wholly bracketed
            changed = True
        elif re.search(r"\[[\d,\s–\-]+\]$", piece) and not _whole(piece, abbrs):
            end = start + piece.rindex("[")
            changed = True
        elif _FACET.search(piece) and not _whole(piece, abbrs):
            end = start + _FACET.search(piece).start()  # type: ignore[union-attr]
            changed = True
    if end <= start:
        return ()
    piece = chunk[start:end]
    core = _whole(piece, abbrs)
    if core:
        return () if dangling and core.single else ((start, end, core),)
    # Heterostructures and stacks (α-P/H-MoSe2, ITO/ZnO): one mention when every part is a material,
    # else the parts that are ("Ga/N ratio" gives Ga). Space groups (P6_3/mmc, C2/m) fail both ways.
    if len(_parts(piece, "/")) > 1 and not _SPACE_GROUP.fullmatch(piece):
        for s, e in _parts(piece, "/"):
            for rs, re_, c in _chunk_materials(piece[s:e], abbr_items):
                out.append((start + s + rs, start + s + re_, c))
        return tuple(out)
    # Hyphenated: "MoS2-based", "ZIF-67-derived" -> the material; "Ti-alloying", "Ga-rich", "Eu-doped" -> nothing
    # (an element before a process word is a dopant or a site, not the material).
    for cut in reversed(_split_points(piece, _HYPHENS)):
        head, rest = piece[:cut], piece[cut + 1 :]
        core = _whole(head, abbrs)
        if core is None or core.ion:
            continue
        if core.single and not _SINGLE_KEEP_SUFFIX.fullmatch(rest):
            return ()
        if re.fullmatch(r"(?:type|like|structured?)", rest, re.IGNORECASE):
            return ()  # "CdI2-type layered structure", "NaCl-like": a structure type, not the material
        return ((start, start + len(head), core),)
    return ()


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


_DOPANT = re.compile(
    r"(?:(?:[A-Z][a-z]?|Ln|RE)(?:\^?\d*\+|\d*(?:\.\d+)?[xyz]?)?)(?:,(?:[A-Z][a-z]?|Ln|RE)(?:\^?\d*\+|\d*(?:\.\d+)?[xyz]?)?)*"
)
_NONMETAL_LETTERS = frozenset("HBCNOFPSI")


def _is_dopant(part: str) -> bool:
    """Er, Eu3+, Erx, Mg,Fe, Ln3+: the dopant side of "host:dopant" notation."""
    if not _DOPANT.fullmatch(part):
        return False
    return all(re.match(r"[A-Z][a-z]?", p).group(0) in _element_symbols() | {"Ln", "RE"} for p in part.split(","))  # type: ignore[union-attr]


def _whole(piece: str, abbrs: Mapping[str, str]) -> _Core | None:
    """The piece as one material: itself, dopant notation (Mn:ZnO, ZnO:B, Y2O3:Eu3+), a blend (PEDOT:PSS),
    a composite or heterostructure (α-P/H-MoSe2, Li2MnSiO4@C, BPN-GaN), an alloy (W–Nb–Mo–Ta)."""
    core = _single_core(piece, abbrs)
    if core:
        return core
    symbols = _element_symbols()
    for seps in (":", "/@", _HYPHENS):
        if not any(ch in piece for ch in seps):
            continue
        parts = [piece[s:e] for s, e in _parts(piece, seps)]
        if len(parts) < 2 or any(not p for p in parts):
            continue
        cores = [_single_core(p, abbrs) for p in parts]
        compound = [c for c in cores if c is not None and not c.ion and not c.single]
        kind: Literal["formula", "name"] = "formula" if any(c.kind == "formula" for c in compound) else "name"
        if seps == ":":
            # host:dopant or dopant:host, and blends; at least one part must be a material, not only dopants.
            if compound and all(c is not None or _is_dopant(p) for c, p in zip(cores, parts, strict=True)):
                return _Core(kind, None)
            continue
        if seps == "/@":
            # composites and stacks: a bare element may be one side (Li2MnSiO4@C, Sb2S3/C), not every side
            # ("Au/Ti" contacts and "Ga/N" ratios are kept apart).
            if compound and all(
                (c is not None and not c.ion) or p in symbols for c, p in zip(cores, parts, strict=True)
            ):
                return _Core(kind, None)
            continue
        if all(c is not None and not c.ion for c in cores) and compound:
            return _Core(kind, None)  # BPN-GaN, MoS2-WS2
        if (
            all(p in symbols for p in parts)
            and len(set(parts)) == len(parts)
            and (len(parts) >= 3 or not any(p in _NONMETAL_LETTERS for p in parts))
        ):
            return _Core("formula", None, alloy=True)  # W–Nb–Mo–Ta, Cu–Ni; not Ti–O or C–H (bonds)
    return None


# --------------------------------------------------------------------------------------------
# The text passes.


def _element_alone_ok(text: str, start: int, end: int) -> bool:
    """A bare element symbol or element name is a material unless its context makes it a site, dopant, unit or author."""
    after = text[end : end + 24]
    before = text[max(0, start - 12) : start]
    if _ELEMENT_ROLE_AFTER.match(after):
        return False
    if _INITIAL_BEFORE.search(before):
        return False
    return not re.search(r"[\d.]\s*$", before) or bool(re.search(r"[a-z]{2,}\.\s*$", before))


def _name_mentions(text: str) -> list[tuple[int, int, _Core]]:
    """Lower-case names: compound names, element names, named materials, acids, polymers, organic compounds.

    A word-by-word pass with dictionary look-ups: one regular expression with every name in it costs
    seconds on a long paper, because Python's engine tries each alternative at each position.
    """
    found: list[tuple[int, int, _Core]] = []
    names = _element_names()
    anions = _anion_words()
    single, multi = _named_words()
    words = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    n = len(words)
    skip_until = -1
    for i, (start, end, word) in enumerate(words):
        if start < skip_until:
            continue
        if start and text[start - 1].isalnum():
            continue  # inside a longer token ("MoS2", "TiO2based"): the chunk pass's
        lower = word.lower()
        if word.isupper() and len(word) > 1:
            continue  # acronyms and headings in capitals belong to the chunk pass
        # compound names: element or cation words, then an anion word ("zinc oxide", "iron(III) oxide",
        # "methylammonium lead iodide", "lead zirconate titanate")
        if lower in names or _CATION_WORD.fullmatch(lower):
            j, pos = i, end
            while j + 1 < n and j - i < 5:
                next_start, next_end, next_word = words[j + 1]
                gap = text[pos:next_start]
                if next_word in _ROMAN and re.fullmatch(r" ?\(", gap) and text[next_end : next_end + 1] == ")":
                    j, pos = j + 1, next_end + 1  # "iron(III) oxide"
                    continue
                if not _GAP.fullmatch(gap):
                    break
                nxt = next_word.lower()
                if nxt in anions:
                    k = j + 1
                    while (
                        k + 1 < n
                        and _GAP.fullmatch(text[words[k][1] : words[k + 1][0]])
                        and words[k + 1][2].lower() in anions
                    ):
                        k += 1
                    s_end = words[k][1]
                    tail = _PEROVSKITE_TAIL.match(text, s_end)
                    if tail:
                        s_end = tail.end()  # "lead halide perovskites"
                    found.append((start, s_end, _Core("name", _compound_formula(text[start:s_end].lower()))))
                    skip_until = s_end
                    break
                if nxt in names or _CATION_WORD.fullmatch(nxt):
                    j, pos = j + 1, next_end
                    continue
                break
            if skip_until > start:
                continue
        # multi-word named materials ("stainless steel", "carbon nanotubes")
        if lower in multi:
            hit = None
            for name in multi[lower]:
                m = re.compile(r"[\s\-‐]+".join(map(re.escape, name.split())) + r"(?:e?s)?\b", re.I).match(text, start)
                if m and (hit is None or m.end() > hit.end()):
                    hit = m
            if hit:
                key = " ".join(hit.group(0).lower().split())
                found.append((start, hit.end(), _Core("name", _NAMED.get(key))))
                skip_until = hit.end()
                continue
        if lower in names:
            if lower in _ELEMENT_NAMES_NOT_ALONE or not _element_alone_ok(text, start, end):
                continue
            if end < len(text) and text[end] in _HYPHENS:
                continue  # "nitrogen-doped", "silicon-based": a dopant, or the chunk pass's
            found.append((start, end, _Core("name", names[lower])))
            continue
        base = lower if lower in single else lower[:-1] if lower[:-1] in single else lower[:-2]
        if base in single and _LIKE_AFTER.match(text, end):
            continue  # "perovskite-type", "rutile-like": a structure, not the material
        if base in single and base == lower or base in single and lower in (base + "s", base + "es"):
            found.append((start, end, _Core("name", single[base])))
            continue
        if (
            lower.endswith(("ic", "ous"))
            and len(lower) > 4
            and i + 1 < n
            and words[i + 1][2].lower() in ("acid", "acids")
            and _GAP.fullmatch(text[end : words[i + 1][0]])
        ):
            found.append((start, words[i + 1][1], _Core("name", None)))  # "gluconic acid"
            skip_until = words[i + 1][1]
            continue
        if lower.startswith("poly") and not _POLY_NOT.match(lower):
            if lower == "poly" and text[end : end + 2].strip()[:1] == "(":
                m = re.compile(r"poly\s?\((?:[^()\n]|\([^()\n]*\))+\)s?", re.I).match(text, start)
                if m:
                    found.append((start, m.end(), _Core("name", None)))
                    skip_until = m.end()
                continue
            if len(lower) >= 8 and _POLYMER_ENDING.search(lower):
                found.append((start, end, _Core("name", None)))  # polystyrene, polyimide; not "Polytechnique"
                continue
        if len(lower) >= 6 and _ORGANIC_ROOT.search(lower):
            token_start = start
            while token_start > 0 and (text[token_start - 1].isalnum() or text[token_start - 1] in ",-‐′'"):
                token_start -= 1
            token = _ORGANIC_TOKEN.match(text, token_start)
            token_end = token.end() if token else end
            while token_end > end and text[token_end - 1] in ",-‐′'":
                token_end -= 1
            piece = text[token_start:token_end]
            if re.search(r"[A-Z]{2}", piece) or not _ORGANIC_PREFIX.fullmatch(text[token_start:start]):
                continue  # inside an acronym-laden polymer name, or glued to something else
            if re.search(r"yls?$", piece):
                continue  # a substituent ("phenyl", "thienyl"), not a compound
            found.append((token_start, token_end, _Core("name", None)))
            skip_until = token_end
    return found


def _compound_formula(name: str) -> str | None:
    """The formula a binary compound name fixes: "zinc oxide" -> OZn, "titanium dioxide" -> O2Ti, else None."""
    words = [w for w in re.split(r"[\s-]+", name) if w]
    if len(words) != 2:
        return None
    symbol = _element_names().get(re.sub(r"\(.*", "", words[0]))
    roman = re.search(r"\(([IVX]+)\)", words[0].upper())
    m = re.fullmatch(r"(mon|mono|di|tri|tetr|tetra|pent|penta|hex|hexa|sesqui)?(\w+)", words[1])
    if symbol is None or m is None or m.group(2) not in _ANIONS:
        return None
    anion, charge = _ANIONS[m.group(2)]
    if anion is None:
        return None
    prefix = m.group(1)
    if prefix == "sesqui":
        return hill_formula({symbol: 2, anion: 3})
    if prefix:
        return hill_formula({symbol: 1, anion: _COUNT_PREFIX[prefix]})
    valence = _ROMAN.get(roman.group(1)) if roman else _VALENCE.get(symbol)
    if not valence:
        return None
    common = gcd(valence, charge)
    return hill_formula({symbol: charge // common, anion: valence // common})


# No material is written as one token longer than this ("Cs0.05FA0.8MA0.15Pb(I0.85Br0.15)3" has 33
# characters); longer tokens (URLs, sequences, hyphen chains) would only cost time.
_MAX_CHUNK = 64


def _chunk_mentions(text: str, abbrs: Mapping[str, str]) -> list[tuple[int, int, _Core]]:
    found = []
    items = tuple(sorted(abbrs.items()))
    for m in _chunk_re().finditer(text):
        if m.end() - m.start() > _MAX_CHUNK:
            continue
        for s, e, core in _chunk_materials(m.group(0), items):
            start, end = m.start() + s, m.start() + e
            if core.ion:
                continue
            if core.single and not _element_alone_ok(text, start, end):
                continue
            if core.alloy and _PAIR_NOT_ALLOY.match(text, end):
                continue
            found.append((start, end, core))
    return found


def _with_modifiers(text: str, start: int) -> int:
    """Start of the mention once phase words and dopants in front are included.

    "anatase TiO2", "monolayer MoS2", "zinc blende GaN", "Eu-doped Bi2Se3", "Eu- and Gd-doped Bi2Se3".
    """
    offset = max(0, start - 80)
    window = text[offset:start]
    if not window or not window[-1].isspace():
        return start
    tokens = list(re.finditer(r"[^\s,]+|,", window))
    pattern = _modifier_word_re()
    accepted: list[tuple[int, str]] = []  # (token start in window, group), right to left
    in_dopants = False  # after "...-doped", dopants with a dangling hyphen joined by "and", "or", "," may precede
    k = len(tokens) - 1
    while k >= 0:
        word = tokens[k].group(0)
        m = pattern.fullmatch(word)
        if m is None and k > 0:
            pair = pattern.fullmatch(tokens[k - 1].group(0) + " " + word)  # "zinc blende", "few layer"
            if pair is not None and pair.lastgroup == "mod":
                accepted.append((tokens[k - 1].start(), "mod"))
                in_dopants = False
                k -= 2
                continue
        if m is None:
            break
        group = m.lastgroup or ""
        if group in ("dangling", "conj") and not in_dopants:
            break
        in_dopants = group != "mod"
        accepted.append((tokens[k].start(), group))
        k -= 1
    while accepted and accepted[-1][1] == "conj":
        accepted.pop()  # never start on "and" or a comma
    return offset + accepted[-1][0] if accepted else start


# Alloys by composition ("Ti-6Al-4V", "Fe-9Cr-1Mo", "Al-4.5Cu"), steel and alloy grades ("AISI 316L", "SUS304",
# "SAE 1045", "Inconel 718", "Zircaloy-4"), battery cathodes by code ("NCM811"): materials no formula describes.
_ALLOY = re.compile(
    r"(?<![\w-])(?:[A-Z][a-z]?(?:-\d+(?:\.\d+)?[A-Z][a-z]?)+(?:-\d+(?:\.\d+)?[A-Z][a-z]?)*"
    r"|(?:AISI|SAE|SUS|ASTM|UNS|JIS|DIN|EN)[\s-]?[A-Z]?\d{3,5}[A-Z]{0,2}"
    r"|(?:Inconel|Incoloy|Hastelloy|Monel|Nimonic|Zircaloy|Haynes|Stellite|Invar|Kovar)(?:[\s-]?[A-Z]?\d{1,4}[A-Z]?)?"
    r"|(?:NCM|NMC)[-\s]?\d{3,4}|LNMO|LMFP)"  # battery cathodes by code
    r"(?![\w-])"
)


def _alloy_mentions(text: str) -> list[tuple[int, int, _Core]]:
    """Alloys named by composition or by grade; a composition's element symbols must all be elements."""
    found = []
    symbols = _element_symbols()
    for m in _ALLOY.finditer(text):
        word = m.group(0)
        if word[0].isupper() and "-" in word and word.split("-")[0].isalpha():
            parts = re.findall(r"[A-Z][a-z]?", word)
            if not all(part in symbols for part in parts):
                continue
        found.append((m.start(), m.end(), _Core("name", None)))
    return found
