"""Pairing values with properties and materials in a sentence: the rules behind `--extractor rules`.

A sentence gives a record when a quantity of the right dimension is attached to a property mention
("band gap of 2.3 eV", "Eg = 2.3 eV", "2.3 eV band gap") and is not a look-alike of it (a photon
energy, a band offset, a change of the gap, a superconducting 2Δ ...). Its material is a recognized
mention, chosen in this order:

1. lists with "respectively": the n-th material of the list takes the n-th value;
2. a material right after the value ("2.3 eV (ZnO)", "2.3 eV for ZnO") or right before it ("ZnO (2.3 eV)");
3. the material the property phrase names ("the band gap of ZnO is ...", "ZnO has a band gap of ...");
4. the nearest material elsewhere in the sentence;
5. the last material of the same paragraph before the sentence, then the paper's subject.

Every step chooses among real mentions of the paper (extractors.records.context), so a material is
never a variable letter, an English word or a fragment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from extractors.quantities.materials import MaterialMention, is_cell_component
from extractors.quantities.tagger import shifted, tag_quantities
from extractors.quantities.units import dimension_of
from extractors.records.context import PaperContext
from schemas.quantity import Quantity
from schemas.vocabulary import Vocabulary

ATTACH_BEFORE_CHARS = (
    160  # a value this far after its property mention still belongs to it ("band gaps of A, B ... are")
)
ATTACH_AFTER_CHARS = 30  # "2.3 eV band gap", "2.3 eV (optical gap)"

# Quantities that look like the property but are not it. Read between the property mention and the value
# and just before the value; each pattern names a quantity of the same dimension (mostly energies).
LOOKALIKE_BEFORE = re.compile(
    r"\b(?:photon|laser(?![\s-]flash)|excitation|pump|probe|incident|kinetic|binding|Urbach|activation|formation|adsorption|"
    r"cohesive|exchange|migration|barrier|offset|discontinuit|shift|shifts|shifted|change|changes|changed|"
    r"reduction|reduced|increase[sd]?|decrease[sd]?|narrowing|widening|renormali[sz]ation|shrinkage|"
    r"difference|splitting|split|(?<!gap )width|bandwidth|broadening|cut-?off|smearing|resolution|threshold|tolerance|"
    r"work function|electron affinity|ionization|Fermi|VBM|CBM|valence band maximum|conduction band minimum|"
    r"band edge|(?<!absorption )edge|superconducting|CDW|charge density wave|pseudo-?gap|spin[\s-]gap|mobility[\s-]gap|Zeeman|Hubbard|U_?eff|"
    r"Coulomb|Schottky|phonon|vibrational|stokes|detuning|bias|voltage|potential|overpotential|"
    r"per atom|per formula|mismatch|enhancement|error|deviation|uncertainty|underestimat|overestimat|"
    r"opened? by|lowered by|raised by|by about|by ~|by approximately|"
    # transition temperatures that are not a superconducting Tc
    r"fracture|FATT|ductile|brittle|martensitic|Verwey|Morin|metal-insulator|spin-reorientation|order-disorder|"
    r"thermal energy|k_?B ?T|photonic|phononic|modulation|opening|Rabi)\b",
    re.IGNORECASE,
)
# A dimensionless property takes a bare number only where it is stated as the property's value: "ZT of 1.2",
# "a gauge factor of about 5000", "(n = 2.4)", "the gauge factors of A and B are 6.1 and 2.0"; the lead from the
# property to the number is one clause (no comma, line break or number), names no variable ("at x = 0.25"), no
# range or ratio, and ends in a verb or sign of stating.
UNITLESS_LEAD = re.compile(
    r"^[^,;\n]{0,60}?(?:\bof|=|≈|:|\bis|\bare|\bwas|\bwere|\breach(?:es|ed)?|\bas high as|"
    r"\bup to)\s*(?:about|around|approximately|nearly|ca\.|~|≈)?\s*$",
    re.IGNORECASE,
)
UNITLESS_NOT = re.compile(
    r"\b(?:at|with|range|ratio|fraction|between|from|to|by|than|times|order|factor of|[xyzδ]\s*=|\w+\d\s*=|where|when|if|"
    r"increase[sd]?|decrease[sd]?|change[sd]?|enhance[sd]?|reduce[sd]?)\b",
    re.IGNORECASE,
)
UNITLESS_NEXT = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or)\s*$")  # "6.1 and 2.0": the list goes on
DEVICE_PROPERTIES = frozenset(
    {"power_conversion_efficiency", "open_circuit_voltage", "short_circuit_current_density", "fill_factor"}
)
STATED_AS_FRACTION = frozenset({"fill_factor"})  # percentages also written as a fraction of 1
HUBBARD_U = re.compile(r"\bU(?:_?eff)?\s*=\s*$")  # "U = 6 eV": a model parameter in eV
SUPERCONDUCTING_GAP = re.compile(r"2\s*Δ|\bΔ\s*[(_=0]|superconducting (?:energy )?gap|\bCDW gap", re.IGNORECASE)
# "0.2 eV below the CB", "0.3 eV larger than ...": a position or a difference, not the property itself
LOOKALIKE_RIGHT_AFTER = re.compile(
    r"^\s*(?:(?:below|above|under|beneath)\s+(?:the\s+)?(?:calculated\s+|computed\s+|measured\s+|optical\s+)?"
    r"(?:CB|VB|CBM|VBM|conduction|valence|Fermi|band|vacuum|mid-?gap|gap)"
    r"|(?:higher|lower|larger|smaller|wider|narrower|greater|less)\s+(?:than|in\s+energy)"
    r"|(?:photon|laser|excitation|pump|probe|incident)\b|laser|lamp|light|beam|radiation|pulses?)\b",
    re.IGNORECASE,
)
# "changed by 0.2 eV", "from 1.2 eV" (a change), "larger than 25 meV" (a bound for comparison, not a value)
CHANGE_RIGHT_BEFORE = re.compile(r"\b(?:by|from|than)\s*(?:about|~|≈|approximately)?\s*$", re.IGNORECASE)
CONDITION_AT = re.compile(
    r"(?<!lies )(?<!lie )(?<!located )(?<!found )(?<!is )(?<!was )(?<!be )(?<!occurs )(?<!appears )"
    r"(?<!estimated )(?<!centered )(?<!centred )(?<!set )(?<!transition )(?<!transitions )\bat\s*(?:about|around|~|≈|ca\.)?\s*$",
    re.IGNORECASE,
)
RELATIVE_TO = re.compile(
    r"\b(?:at|above|below|near|across|under|beyond|exceeding|than|within|inside)\s+(?:the|its|their)\s+"
    r"(?:\w+\s+)?$",
    re.IGNORECASE,
)
HALF = re.compile(r"\b(?:half|twice|double|a (?:third|quarter|fraction)) (?:of )?(?:the |its |their )?(?:\w+ )?$", re.I)
COMPARED = re.compile(
    r"\b(?:than|that of|those of|compared (?:to|with)|relative to|unlike|like|similar to|as in|versus|vs\.?)"
    r"(?:\s+(?:the|a|an|bulk|pristine|pure|undoped|its|their))*\s*$",
    re.IGNORECASE,
)
REFERS_BACK = re.compile(
    r"\s*(?:its|their|this|these|the (?:film|films|sample|samples|compound|material|crystal))\b", re.I
)
SUPPORT_BEFORE = re.compile(
    r"\b(?:on|onto|with|by|using|than|to|from|over|under|into)\s+(?:a |an |the |bulk )?$", re.IGNORECASE
)
RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)
_JOINERS = re.compile(r"^[\s,;:]*(?:and|or|&|as well as|,|/)?[\s,;:]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """One (material, property, value) read in a sentence; offsets are into the document text."""

    property: str
    value: Quantity  # span relative to the sentence
    material: MaterialMention  # offsets into the document


def sentence_pairs(
    sentence: str,
    offset: int,
    vocab: Vocabulary,
    context: PaperContext,
    properties: set[str] | None = None,
) -> list[Pair]:
    """Every (material, property, value) pair the rules read in one sentence.

    Args:
        sentence: the sentence text; `offset` is where it starts in the document text.
        context: the paper's material mentions (for the materials of this sentence and those before it).
        properties: only these properties (None: all of the vocabulary).
    """
    if _debris(sentence):
        # a clause after an equation's or a figure's debris ("K\nE\no\n... giving\nan estimated band gap of 0.12 eV")
        tail = _clause_after_debris(sentence)
        if not tail:
            return []
        return [
            replace(p, value=shifted(p.value, tail))
            for p in sentence_pairs(sentence[tail:], offset + tail, vocab, context, properties)
        ]
    mentions = [m for m in vocab.mentions(sentence) if not properties or m[0] in properties]
    mentions = [m for m in mentions if not SUPERCONDUCTING_GAP.search(sentence[max(0, m[1] - 25) : m[2] + 5])]
    if not mentions:
        return []
    quantities = [q for q in tag_quantities(sentence) if q.unit]
    quantities = sorted(quantities + _unitless_values(sentence, mentions, vocab), key=lambda q: q.span)
    if not quantities:
        return []
    # a property symbol that is a unit's letter is no mention: the S of "0.05 S cm-1" is siemens, not Seebeck
    mentions = [p for p in mentions if not any(q.span[0] <= p[1] and p[2] <= q.span[1] for q in quantities)]
    found = context.in_span(offset, offset + len(sentence))
    # a property symbol inside a longer material name is part of the name: "α" of "α-P/H-MoSe2", "ZT" of "ZT-MoSe2"
    mentions = [
        p
        for p in mentions
        if not any(m.start - offset <= p[1] and p[2] <= m.end - offset and m.end - m.start > p[2] - p[1] for m in found)
    ]
    if not mentions:
        return []
    mats = [
        m
        for m in found
        if not any(q.span[0] < m.end - offset and m.start - offset < q.span[1] for q in quantities)
        and not any(p[1] < m.end - offset and m.start - offset < p[2] for p in mentions)
    ]
    if any(p[0] in DEVICE_PROPERTIES for p in mentions):
        # a solar cell's figures belong to the cell (its blend, its donor), not to its acceptor or additive alone
        mats = [m for m in mats if not is_cell_component(m.text)]
    bound = _compared_pairs(sentence, offset, quantities, mats)
    attached: list[tuple[Quantity, tuple[str, int, int]]] = []
    for q in quantities:
        mention = _attach(sentence, q, mentions, vocab)
        if mention is not None and (q.span in bound or not _lookalike(sentence, q, mention)):
            attached.append((q, mention))
    if not attached:
        return []
    chosen = bound | _respectively(sentence, offset, [a for a in attached if a[0].span not in bound], mats)
    pairs = []
    for q, mention in attached:
        material = chosen.get(q.span) or _material_for(sentence, offset, q, mention, mats, context)
        if material is not None:
            pairs.append(Pair(mention[0], q, material))
    return pairs


def _debris(sentence: str) -> bool:
    """Text of a figure or a flattened table read as a sentence: many short lines, few words."""
    lines = [line for line in sentence.split("\n") if line.strip()]
    short = sum(len(line.strip()) < 16 for line in lines)
    return len(lines) >= 5 and short >= 0.5 * len(lines)


def _clause_after_debris(sentence: str) -> int:
    """Where the run of full lines that ends a debris sentence starts (0: there is none)."""
    starts = [0] + [m.end() for m in re.finditer(r"\n", sentence)]
    lines = [(s, sentence[s:e].strip()) for s, e in zip(starts, [*starts[1:], len(sentence)], strict=True)]
    tail = None
    for s, line in reversed(lines):
        if line and len(line) < 16:
            break
        tail = s if line else tail
    if tail is None or tail == 0 or max(len(line) for s, line in lines if s >= tail) < 30:
        return 0
    return tail


def _fits(q: Quantity, prop: str, vocab: Vocabulary) -> bool:
    definition = vocab.get(prop)
    if definition is None:
        return False
    if not definition.unit:  # a dimensionless property: a bare number (found by _unitless_values)
        return q.unit is None
    if q.unit is None:  # a percentage stated as a fraction: "FF of 0.54"
        return is_fraction(prop, q)
    return dimension_of(q.unit) == dimension_of(definition.unit)


def is_fraction(prop: str, q: Quantity) -> bool:
    """Whether a bare number is a percentage property stated as a fraction, as fill factors often are ("FF of
    0.54" is 54%). Only where that is the custom: "a PCE of 0.5" is more likely 0.5% with its unit left out."""
    return prop in STATED_AS_FRACTION and q.unit is None and 0 < q.value <= 1 and q.value_max is None


def _unitless_values(sentence: str, mentions: list[tuple[str, int, int]], vocab: Vocabulary) -> list[Quantity]:
    """Bare numbers stated as the value of a dimensionless property of the sentence (ZT, refractive index, gauge
    factor) or of one stated as a fraction (a fill factor of 0.54), and those that go on their list; a number with
    a unit, a year or a reference is never one."""
    dimensionless = [
        m for m in mentions if (d := vocab.get(m[0])) is not None and (not d.unit or m[0] in STATED_AS_FRACTION)
    ]
    if not dimensionless:
        return []
    out: list[Quantity] = []
    tagged = tag_quantities(sentence, include_unitless=True)
    for q in tagged:
        if q.unit is not None or re.match(r"[\[(]?\s*(?:1[89]|20)\d\d\b", sentence[q.span[0] : q.span[1]]):
            continue
        if re.match(r"[%‰°\]A-Za-zµμΩÅ]", sentence[q.span[1] : q.span[1] + 1]):
            continue  # a mark or a word glued on ("2.4x", "12]"): not a stated value
        stated = any(
            m[2] <= q.span[0]
            and UNITLESS_LEAD.match(sentence[m[2] : q.span[0]])
            and not UNITLESS_NOT.search(sentence[m[2] : q.span[0]])
            and len(re.findall(r"(?<!\S)\S(?!\S)", sentence[m[2] : q.span[0]])) <= 2  # not an equation's symbols
            and not any(m[2] <= o.span[0] and o.span[1] <= q.span[0] for o in tagged)  # no number in between
            for m in dimensionless
        )
        if stated or (out and UNITLESS_NEXT.match(sentence[out[-1].span[1] : q.span[0]])):
            out.append(q)
    return out


def _attach(
    sentence: str, q: Quantity, mentions: list[tuple[str, int, int]], vocab: Vocabulary
) -> tuple[str, int, int] | None:
    """The property mention a value belongs to: the nearest fitting one before it, else one right after it."""
    # not a mention inside a parenthesis that closes before the value: "pump energies of 2.08 eV (at the band
    # gap) and 2.17 eV" does not give the gap as 2.17 eV
    before = [
        m
        for m in mentions
        if m[2] <= q.span[0] and q.span[0] - m[2] <= ATTACH_BEFORE_CHARS and not _closes(sentence[m[2] : q.span[0]])
    ]
    after = [m for m in mentions if m[1] >= q.span[1] and m[1] - q.span[1] <= ATTACH_AFTER_CHARS]
    fitting_before = [m for m in before if _fits(q, m[0], vocab)]
    if fitting_before:
        nearest = max(fitting_before, key=lambda m: m[2])
        # another property of another dimension closer to the value claims it ("Eg ... and Tc of 300 K")
        if not any(m[2] > nearest[2] and m not in fitting_before for m in before):
            return nearest
    fitting_after = [m for m in after if _fits(q, m[0], vocab)]
    if fitting_after and re.fullmatch(
        r"[\s(]*(?:the|an?|its|their|direct|indirect|optical|electronic)?\s*", sentence[q.span[1] : fitting_after[0][1]]
    ):
        return fitting_after[0]
    return None


def _closes(text: str) -> bool:
    """Whether a parenthesis opened before `text` closes inside it."""
    depth = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        if depth < 0:
            return True
    return False


def _lookalike(sentence: str, q: Quantity, mention: tuple[str, int, int]) -> bool:
    """True where the value is a look-alike of the property: a photon energy, an offset, a change ..."""
    start, end = q.span
    # what lies between the property and the value (the property stands before it, or just after it)
    between = sentence[mention[2] : start] if mention[2] <= start else sentence[end : mention[1]]
    # the words just before the value, but not the property's own name ("average voltage of 3.7 V")
    near = max(0, start - 30, mention[2] if mention[2] <= start else 0)
    near_before = sentence[near:start]
    # searched with some text before the window, so that "absorption edge" is seen whole, but only words
    # that end inside it count
    wider = max(0, near - 20)
    if (
        LOOKALIKE_BEFORE.search(between)
        or any(m.end() > near - wider for m in LOOKALIKE_BEFORE.finditer(sentence[wider:start]))
        or HUBBARD_U.search(near_before)
    ):
        return True
    # "pump energies at the band gap", "90 meV above the band gap": an energy placed relative to the gap
    before_property = sentence[max(0, mention[1] - 40) : mention[1]]
    # the words before the property, and those joined to it ("spin-gap"), but not its own ("open circuit voltage")
    lead = max(0, mention[1] - 25)
    named = sentence[lead : mention[2]]
    if any(m.start() < mention[1] - lead for m in LOOKALIKE_BEFORE.finditer(named)) or (
        end <= mention[1] and RELATIVE_TO.search(before_property)
    ):
        return True
    # "half the band gap Eg/2 = 0.71 eV": a fraction of it
    if re.match(r"\s*/\s*\d", sentence[mention[2] : mention[2] + 6]) or HALF.search(before_property):
        return True
    if CHANGE_RIGHT_BEFORE.search(sentence[max(0, start - 20) : start]):
        return True
    # "a moment of 0.003 emu/g at 2 K", "absorption at 3.1 eV": a condition or another quantity's position,
    # unless the property itself is placed there ("the band gap lies at 3.37 eV", "Tc at 420 K")
    if CONDITION_AT.search(sentence[max(0, start - 30) : start]) and len(between.strip()) > 12:
        return True
    if LOOKALIKE_RIGHT_AFTER.match(sentence[end : end + 40]):
        return True
    # a difference or a shift stated with a sign ("+0.2 eV", "-0.1 eV") is not a gap
    return bool(re.match(r"[+±]", sentence[start : start + 1])) or (q.value < 0)


def _compared_pairs(
    sentence: str, offset: int, quantities: list[Quantity], mats: list[MaterialMention]
) -> dict[tuple[int, int], MaterialMention]:
    """Two values compared across two materials, each value bound to its own material. A change or a
    difference is a look-alike of the property, but not where each end names its material:

    "increased from 1.44 eV of CuInS2 to 1.54 eV of (Cu0.9Li0.1)InS2", "the difference between ZnSe
    (about 2.7 eV) and CuInS2 (about 1.5 eV)".
    """
    ends = {m.end - offset: m for m in mats}
    starts = {m.start - offset: m for m in mats}
    out: dict[tuple[int, int], MaterialMention] = {}
    ordered = sorted(quantities, key=lambda q: q.span[0])
    for q1, q2 in zip(ordered, ordered[1:], strict=False):
        if q1.value < 0 or q2.value < 0:
            continue
        # from V1 of M1 to V2 of M2
        first = re.match(r"\s*(?:of|for|in)\s+(?:the\s+)?", sentence[q1.span[1] :])
        m1 = starts.get(q1.span[1] + first.end()) if first else None
        second = re.match(r"\s*(?:of|for|in)\s+(?:the\s+)?", sentence[q2.span[1] :])
        m2 = starts.get(q2.span[1] + second.end()) if second else None
        if (
            m1
            and m2
            and re.search(r"\bfrom\s*(?:about|~|≈)?\s*$", sentence[max(0, q1.span[0] - 20) : q1.span[0]])
            and re.fullmatch(
                r"\s*(?:\([^()]*\))?\s*,?\s*to\s*(?:about|~|≈)?\s*", sentence[m1.end - offset : q2.span[0]]
            )
        ):
            out[q1.span], out[q2.span] = m1, m2
            continue
        # between M1 (V1) and M2 (V2)
        open1 = re.search(r"\(\s*(?:about|~|≈|ca\.)?\s*$", sentence[: q1.span[0]])
        open2 = re.search(r"\(\s*(?:about|~|≈|ca\.)?\s*$", sentence[: q2.span[0]])
        if not (open1 and open2):
            continue
        m1 = ends.get(len(sentence[: open1.start()].rstrip()))
        m2 = ends.get(len(sentence[: open2.start()].rstrip()))
        if (
            m1
            and m2
            and re.search(r"\bbetween\s+(?:the\s+)?$", sentence[max(0, m1.start - offset - 15) : m1.start - offset])
            and re.fullmatch(r"[^()]*\)\s*,?\s*and\s+(?:the\s+)?", sentence[q1.span[1] : m2.start - offset])
        ):
            out[q1.span], out[q2.span] = m1, m2
    return out


def _respectively(
    sentence: str,
    offset: int,
    attached: list[tuple[Quantity, tuple[str, int, int]]],
    mats: list[MaterialMention],
) -> dict[tuple[int, int], MaterialMention]:
    """Lists of values and lists of materials of the same length: the n-th material takes the n-th value.

    "A, B and C have gaps of 1.1, 1.6 and 2.0 eV, respectively", "gaps of 1.1 and 1.6 eV for A and B,
    respectively", and without "respectively" where the value list is followed by its material list:
    "gaps of 2.06 eV, 2.21 eV and 1.93 eV for A, B and C".
    """
    found = RESPECTIVELY.search(sentence)
    if found and len(attached) >= 2:
        values = [q for q, _ in attached if q.span[0] < found.start()]
        if len(values) < 2:
            return {}
        first, last = min(q.span[0] for q in values), max(q.span[1] for q in values)
        for start, end in ((0, first), (last, found.start())):  # the materials before the values, or after them
            listed = _material_list(sentence, offset, start, end, len(values), mats, at_end=start == 0)
            if listed and len(listed) == len(values):
                return {q.span: m for q, m in zip(values, listed, strict=True)}
        return {}
    return _value_list_for(sentence, offset, [q for q, _ in attached], mats)


def _value_list_for(
    sentence: str, offset: int, values: list[Quantity], mats: list[MaterialMention]
) -> dict[tuple[int, int], MaterialMention]:
    """ "2.06 eV, 2.21 eV and 1.93 eV for A, B and C": a run of values, then "for" and as many materials."""
    run: list[Quantity] = []
    for q in sorted(values, key=lambda q: q.span[0]):
        if run and not _JOINERS.match(sentence[run[-1].span[1] : q.span[0]]):
            if len(run) >= 2:
                break
            run = []
        run.append(q)
    if len(run) < 2:
        return {}
    after = re.match(r"\s*,?\s*(?:for|of|in)\s+", sentence[run[-1].span[1] :])
    if after is None:
        return {}
    start = run[-1].span[1] + after.end()
    end = _clause_end(sentence, start)
    listed = _material_list(sentence, offset, start, end, len(run), mats, at_end=False, from_start=True)
    if len(listed) != len(run):
        return {}
    return {q.span: m for q, m in zip(run, listed, strict=True)}


def _clause_end(sentence: str, start: int) -> int:
    """Where the clause that starts at `start` ends: a semicolon, ", which", ", while", or the sentence's end."""
    stop = re.search(r";|,\s*(?:which|while|whereas|where|respectively)\b|\.\s*$", sentence[start:])
    return start + stop.start() if stop else len(sentence)


_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
_LEADING_WORDS = re.compile(r"^(?:(?:of|for|in|the|a|an|pure|pristine|both|all)\s+)*", re.IGNORECASE)
_TRAILING_WORDS = re.compile(
    r"(?:\s+(?:films?|samples?|crystals?|nanowires?|nanofibers?|nanoparticles?|NPs|powders?|layers?|"
    r"monolayers?|compounds?|composites?|materials?|thin films?))+$",
    re.IGNORECASE,
)
# A sample or compound code: capitals and digits joined by hyphens ("NI-TAT-NI-C8", "PTB7-Th", "Y6-BO")
_CODE = re.compile(r"[A-Z][A-Za-z0-9]*(?:[-‐–][A-Za-z0-9]+)+|[A-Z]{2,}[0-9]+[A-Za-z0-9]*")


def _material_list(
    sentence: str,
    offset: int,
    start: int,
    end: int,
    n: int,
    mats: list[MaterialMention],
    at_end: bool,
    from_start: bool = False,
) -> list[MaterialMention]:
    """The list of n materials in sentence[start:end]: the recognized mentions joined by commas and "and", else
    the list read by its separators (`_segmented`). `from_start`: the list must begin where the region does."""
    listed = _listed(sentence, offset, [m for m in mats if start <= m.start - offset and m.end - offset <= end])
    if len(listed) != n or (from_start and listed and listed[0].start - offset - start > 12):
        listed = _segmented(sentence, offset, start, end, n, mats, at_end=at_end) or []
    return listed


def _segmented(
    sentence: str, offset: int, start: int, end: int, n: int, mats: list[MaterialMention], at_end: bool
) -> list[MaterialMention] | None:
    """A list of n materials in sentence[start:end] read by its separators (", ", " and ") where the recognizer
    found fewer or more mentions than list items ("polyaniline, V2O5 and PAni – CNT–V2O5").

    Each item must hold a recognized mention or be one sample code; its mention is widened to the item
    (less articles and words such as "films"), so "PAni – CNT–V2O5" stays whole. `at_end`: the list ends
    where the region ends (materials before their values), else it starts where the region starts.
    """
    region = sentence[start:end]
    cuts = [(m.start(), m.end()) for m in _SEPARATORS.finditer(region)]
    bounds = [0, *[c for cut in cuts for c in cut], len(region)]
    pieces = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
    if len(pieces) < n or (not at_end and len(pieces) != n):
        return None
    pieces = pieces[-n:] if at_end else pieces
    items: list[MaterialMention] = []
    for index, (a, b) in enumerate(pieces):
        inside = [m for m in mats if start + a <= m.start - offset and m.end - offset <= start + b]
        words = list(re.finditer(r"\S+", region[a:b]))
        if index == 0 and at_end:  # the list's first item ends a longer text: "... of the polyaniline"
            a = inside[0].start - offset - start if inside else (a + words[-1].start() if words else b)
        if index == n - 1:  # the last item runs on: "CNT–V2O5 were calculated as", "C16 films estimated"
            b = inside[-1].end - offset - start if inside else (a + words[0].end() if words else a)
        text = region[a:b]
        lead = _LEADING_WORDS.match(text)
        a += lead.end() if lead else 0
        text = _TRAILING_WORDS.sub("", region[a:b]).rstrip(" ,;:")
        b = a + len(text)
        if not text or len(text) > 40 or len(text.split()) > 4:
            return None
        if inside:
            kind = inside[0].kind
            formula = inside[0].formula if len(inside) == 1 and inside[0].text == text else None
        elif _CODE.fullmatch(text):
            kind, formula = "name", None
        else:
            return None
        items.append(
            MaterialMention(text=text, start=offset + start + a, end=offset + start + b, kind=kind, formula=formula)
        )
    return items


def _listed(sentence: str, offset: int, mats: list[MaterialMention]) -> list[MaterialMention]:
    """The last run of materials joined by commas and 'and' (distinct texts, in order)."""
    run: list[MaterialMention] = []
    for m in mats:
        if run and not _JOINERS.match(sentence[run[-1].end - offset : m.start - offset]):
            run = []
        run.append(m)
    return run


def _material_for(
    sentence: str,
    offset: int,
    q: Quantity,
    mention: tuple[str, int, int],
    mats: list[MaterialMention],
    context: PaperContext,
) -> MaterialMention | None:
    """The material of one value (steps 2-5 of the module docstring)."""
    start, end = q.span
    rel = [(m, m.start - offset, m.end - offset) for m in mats]
    # 2. right after the value: "2.3 eV (ZnO)", "2.3 eV for ZnO", "2.3 eV in the ZnO film"
    for m, s, _ in rel:
        gap = sentence[end:s]
        if s >= end and re.fullmatch(
            r"\s*[)\]]?\s*(?:\(|\[)?\s*(?:for|of|in|of the|for the|in the|in bulk|for bulk)?\s*", gap
        ):  # "(2.7 eV) of ZnSe" too
            return m
    # right before it: "ZnO (2.3 eV)", "ZnO: 2.3 eV", "ZnO, 2.3 eV"
    for m, _, e in reversed(rel):
        if e <= start and re.fullmatch(r"\s*[(:=,]?\s*(?:~|≈|about)?\s*", sentence[e:start]):
            return m
    # "2.43 eV for the IL": the value names its own material, one the recognizer does not know
    named = re.match(r"\s*(?:for|of)\s+(?:the\s+)?([A-Za-z][\w\-/]*)", sentence[end:])
    if named and not REFERS_BACK.match(" the " + named.group(1)) and not re.fullmatch(r"[a-z]+", named.group(1)):
        return None
    # 3. the material the property phrase names: "band gap of (the) ZnO", "ZnO has/shows a band gap"
    p_start, p_end = mention[1], mention[2]
    for m, s, _ in rel:
        if p_end <= s < start and s - p_end <= 40 and re.search(r"\b(?:of|for|in)\b", sentence[p_end:s]):
            return m
    if p_start >= end and re.fullmatch(r"\s*", sentence[end:p_start]):  # "a 4 eV band gap of Ti–CNT"
        for m, s, _ in rel:
            if re.fullmatch(r"\s*(?:of|for|in)\s+(?:the\s+)?", sentence[p_end:s]):
                return m
    before_property = [(m, s, e) for m, s, e in rel if e <= p_start]
    # not a material named as a support, a tool or a comparison: "grown on GaAs substrates with band gaps ...",
    # "ZnSiP2 has a small lattice mismatch with Si, has a band gap of ..."
    subjects = [t for t in before_property if not SUPPORT_BEFORE.search(sentence[max(0, t[1] - 20) : t[1]])]
    if subjects or before_property:
        return max(subjects or before_property, key=lambda t: t[2])[0]
    # 4. the nearest material elsewhere in the sentence, unless it is only compared with ("higher than that of
    #    bulk BaTiO3") or the sentence is about a material named before it ("Its Curie temperature ...")
    others = [t for t in rel if not COMPARED.search(sentence[max(0, t[1] - 30) : t[1]])]
    if others and not REFERS_BACK.match(sentence):
        return min(others, key=lambda t: min(abs(t[1] - end), abs(t[2] - start)))[0]
    # 5. the sentence names none: the last one before it in the paragraph, then the paper's subject
    return context.before(offset) or context.subject


def value_is_lookalike(sentence: str, span: tuple[int, int], prop: str, vocab: Vocabulary) -> bool:
    """Whether another extractor's value (its span in the sentence) fails the rules' checks for `prop`.

    True where the sentence does not name the property, or where the value is a look-alike of it.
    """
    mentions = [m for m in vocab.mentions(sentence) if m[0] == prop]
    q = next((q for q in tag_quantities(sentence, include_unitless=True) if q.span[0] <= span[0] < q.span[1]), None)
    if not mentions or q is None or _debris(sentence):
        return True
    mention = min(mentions, key=lambda m: min(abs(m[2] - q.span[0]), abs(m[1] - q.span[1])))
    if SUPERCONDUCTING_GAP.search(sentence[max(0, mention[1] - 25) : mention[2] + 5]):
        return True
    return _lookalike(sentence, q, mention)
