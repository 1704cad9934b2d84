"""How a value was obtained: experiment, computation or a cited value, and which technique or theory.

Keyword rules over the evidence around a value, strongest first: the value's table column, its
own clause, its sentence, the table caption or the rest of the passage, the paper's Methods
section, and last the whole paper when its words lean clearly to computation or to experiment. The first place that tells the kind decides it; a later place may still name the
technique or functional of that kind ("calculated" in the sentence, "PBE" in the Methods). The
lists are deliberately plain so that a reader can extend them.
"""

from __future__ import annotations

import re

from extractors.quantities.tagger import tag_quantities
from schemas.record import Method, MethodKind, MethodSource

# Level of theory, most specific first ("HSE06" before "DFT").
THEORY = [
    ("G0W0", r"G0W0|G_0W_0|G₀W₀"),
    ("GW", r"\bGW\b|quasiparticle (?:calculation|correction|self-energ)"),
    ("HSE06", r"HSE0?6?\b|HSE\b|hybrid functional"),
    ("PBE0", r"PBE0"),
    ("B3LYP", r"B3LYP"),
    ("mBJ", r"\bmBJ\b|TB-mBJ|modified Becke"),
    ("SCAN", r"\bSCAN\b"),
    ("DFT+U", r"(?:GGA|LDA|LSDA|DFT|PBE)\s*\+\s*U\b"),
    ("DMFT", r"\bDMFT\b"),
    ("LDA", r"\bLS?DA\b"),
    ("GGA/PBE", r"\bGG[AS]\b|\bPBE(?:sol)?\b|\bPW91\b"),
    ("DFT", r"\bDFT\b|density[- ]functional|first[- ]principles?|ab[- ]initio|Kohn[- ]Sham|\bVASP\b|Quantum ESPRESSO"),
    ("tight-binding", r"tight[- ]binding"),
    ("molecular dynamics", r"molecular dynamics|\bMD simulations?"),
    ("machine learning", r"machine[- ]learning|neural network|\bML model|random forest|gradient boost"),
]
TECHNIQUE = [
    (
        "UV-vis",
        r"UV[- ]?vis|absorption spectr|optical absorption|Tauc|diffuse reflectance|transmission spectr|absorbance",
    ),
    ("photoluminescence", r"photoluminescence|\bPL\b"),
    ("ellipsometry", r"ellipsometr"),
    ("ARPES", r"ARPES|photoemission"),
    ("STS", r"\bSTS\b|\bSTM\b|tunn?el?ling spectroscopy"),
    ("XRD", r"\bXRD\b|X-ray diffraction"),
    ("DSC", r"\bDSC\b|differential scanning"),
    ("TGA", r"\bTGA\b|thermogravimetr"),
    ("four-probe", r"four[- ]probe|4-probe|van der Pauw"),
    ("Hall", r"\bHall (?:effect|measurement|coefficient)"),
    ("SQUID", r"SQUID|magnetometr"),
    ("magnetization", r"magneti[sz]ation|susceptibilit"),
    ("resistivity", r"resistivity|resistance|transport measurement"),
    ("NMR", r"\bNMR\b|\bNQR\b|\bμSR\b|muon spin"),
    ("specific heat", r"specific[- ]heat (?:measurement|data)|calorimetr"),
    ("nanoindentation", r"nanoindent"),
    ("BET", r"\bBET\b"),
    ("laser flash", r"laser flash"),
    ("impedance", r"impedance spectroscopy|\bEIS\b"),
    ("Raman", r"Raman"),
    ("EELS", r"\bEELS\b|electron energy[- ]loss"),
]
_CASE_SENSITIVE = {"GW", "photoluminescence", "Hall", "STS", "DFT+U", "LDA", "GGA/PBE", "SCAN", "BET", "EELS", "NMR"}
LITERATURE = (
    r"\[\d+(?:[,–-]\s*\d+)*\]|\breported\b|\bprevious(?:ly)?\b|\bliterature\b|\bet al\.|\bref(?:s)?\.\s*\d"
    r"|\bearlier (?:work|stud)|\bprevious theory"
)
EXPERIMENT = (
    r"\bmeasured\b|\bmeasurements?\b|\bexperiment|\bexpt?\.|\bobserved\b|\bspectr|\bsamples?\b|\bannealed\b"
    r"|\bsynthesi[sz]ed\b|\bgrown\b|\bfabricated\b|\bdeposited\b|\bexp\b"
)
COMPUTATION = (
    r"\bcalculat|\bcomputed\b|\bcomputation|\bpredict\w*|\bsimulat|\btheoretical|\btheory\b|\bfunctional\b"
    r"|McMillan|Eliashberg|\bab initio"
)
SAMPLE_FORMS = [
    ("single crystal", r"single[- ]crystal"),
    ("thin film", r"\b(?:thin )?films?\b"),
    ("nanoparticles", r"nano(?:particle|crystal|dot)s?|quantum dots?|\bQDs?\b"),
    ("nanostructures", r"nano(?:wire|rod|tube|sheet|flake)s?"),
    ("monolayer", r"monolayers?|single[- ]layer|few[- ]layer|bilayer"),
    ("powder", r"powders?|polycrystal\w*"),
    ("ceramic", r"ceramics?|pellets?|sintered"),
    ("bulk", r"\bbulk\b"),
]


def _first(table: list[tuple[str, str]], text: str) -> str | None:
    for name, pattern in table:
        if re.search(pattern, text, 0 if name in _CASE_SENSITIVE else re.IGNORECASE):
            return name
    return None


def _kind_of(text: str, source: MethodSource) -> tuple[MethodKind, str | None] | None:
    """(kind, detail) that a piece of text states, or None if it states none (or, in a Methods
    section, both experiment and computation)."""
    theory = _first(THEORY, text)
    technique = _first(TECHNIQUE, text)
    if source == "citation":
        return ("literature", None) if text.strip() else None
    cited = re.search(LITERATURE, text, re.IGNORECASE) is not None
    if cited and source == "clause":
        # "Unlike previous work, we measured 3.2 eV": the word nearest the value decides.
        own = max(_last_match(text, THEORY, COMPUTATION), _last_match(text, TECHNIQUE, EXPERIMENT))
        if own < max(m.end() for m in re.finditer(LITERATURE, text, re.IGNORECASE)):
            return "literature", theory or technique
    computed = theory is not None or re.search(COMPUTATION, text, re.IGNORECASE) is not None
    measured = technique is not None or re.search(EXPERIMENT, text, re.IGNORECASE) is not None
    if source == "methods section" and computed and measured:
        return None  # a paper that does both: its Methods section cannot tell which this value is
    if source == "paper":
        return _paper_kind(text)
    if source == "clause" and computed and measured:
        # "The G0W0 gap is lower than the experimental value of 3.59 eV": the word nearest the value wins.
        if _last_match(text, THEORY, COMPUTATION) < _last_match(text, TECHNIQUE, EXPERIMENT):
            return "experimental", _first(TECHNIQUE, text)
        return "computational", _first(THEORY, text)
    if computed and (theory or not technique):
        return "computational", theory
    if measured:
        return "experimental", technique
    return None


def _last_match(text: str, table: list[tuple[str, str]], words: str) -> int:
    ends = [m.end() for name, p in table for m in re.finditer(p, text, 0 if name in _CASE_SENSITIVE else re.IGNORECASE)]
    ends += [m.end() for m in re.finditer(words, text, re.IGNORECASE)]
    return max(ends, default=-1)


def _paper_kind(text: str) -> tuple[MethodKind, str | None] | None:
    """The kind a whole paper is about, when its words lean 3:1 to computation or to experiment."""
    computed = len(re.findall(COMPUTATION, text, re.IGNORECASE)) + sum(
        len(re.findall(p, text, 0 if n in _CASE_SENSITIVE else re.IGNORECASE)) for n, p in THEORY
    )
    measured = len(re.findall(EXPERIMENT, text, re.IGNORECASE)) + sum(
        len(re.findall(p, text, 0 if n in _CASE_SENSITIVE else re.IGNORECASE)) for n, p in TECHNIQUE
    )
    if computed >= 3 and computed >= 3 * measured:
        return "computational", _first(THEORY, text)
    if measured >= 3 and measured >= 3 * computed:
        return "experimental", _first(TECHNIQUE, text)
    return None


def find_method(sources: list[tuple[MethodSource, str]], prop: str | None = None) -> Method:
    """The method from (source, text) pairs ordered from the strongest evidence to the weakest; with `prop`, a
    technique that does not measure that property counts only where the value's own clause or column names it."""
    method = Method()
    for source, text in sources:
        if not text:
            continue
        found = _kind_of(text, source)
        if found and prop and source not in ("clause", "table column") and not measures(found[1], prop):
            found = (found[0], None)
        if method.kind == "unknown" and found:
            method = Method(kind=found[0], detail=found[1], found_in=source)
        elif found and method.detail in (None, "DFT") and found[0] == method.kind and found[1] not in (None, "DFT"):
            method.detail = found[1]
        if method.sample_form is None and source not in ("methods section", "paper"):
            method.sample_form = _first(SAMPLE_FORMS, text)
    return method


def detect_method(sentence: str, context: str = "") -> Method:
    """The method from a record's sentence and, weaker, its context (a table's caption and header)."""
    return find_method([("sentence", sentence), ("table context", context)])


_CITATION_AFTER = re.compile(
    r"\s*,?\s*(?:\[\d[\d,\s–-]*\]|\(\s*(?:Refs?\.?\s*\d|[A-Z][\w-]+ et al\.)[^)]*\)"
    r"|(?:as )?(?:previously )?(?:reported|quoted|taken) (?:by|in|from)\b[^.;,]*)"
)


def value_tail(sentence: str, value_end: int) -> str:
    """A citation standing right after a value ('3.0 eV [12]', '3.0 eV as reported by Doe et al.'), else ''.

    Only what follows the value at once is its citation: in "3.2 eV, in agreement with previous reports
    [12]" the value is the paper's own and the citation is for the comparison.
    """
    m = _CITATION_AFTER.match(sentence[value_end:])
    return m.group(0) if m else ""


def value_clause(sentence: str, value_start: int, value_end: int) -> str:
    """The words that belong to one value: from the previous quantity (or the sentence start) to the
    value, plus a parenthesis right after it ('3.2 eV (HSE06)').

    In "an experimental gap of 3.44 eV and a calculated gap of ~0.8 eV" the clause of 0.8 eV
    starts after 3.44 eV, so each value gets its own method.
    """
    start = 0
    for q in tag_quantities(sentence):
        if q.span[1] <= value_start:
            start = q.span[1] + _trailing(sentence[q.span[1] : value_start])  # the earlier value keeps its own words
    return sentence[start : value_end + _trailing(sentence[value_end:])]


_TRAILING = re.compile(
    r"\s*(?:\([^()]{0,60}\)|,?\s*(?:as )?(?:measured|calculated|computed|obtained|estimated|determined)"
    r"(?: \w+){0,4})"
)


def _trailing(text: str) -> int:
    """Length of the words right after a value that describe it: '(HSE06)', ', measured by UV-vis'."""
    m = _TRAILING.match(text)
    return m.end() if m else 0


# What each technique measures: a technique named in the paragraph, the Methods section or elsewhere in the
# paper is the method of a record only if it measures the record's property (UV-vis gives a band gap, not a
# thermal conductivity; a paper that used both reports each with its own). Techniques not listed here are
# not checked.
MEASURES: dict[str, frozenset[str]] = {
    name: frozenset(props.split())
    for name, props in {
        "UV-vis": "band_gap absorption_coefficient reflectance refractive_index exciton_binding_energy",
        "photoluminescence": "photoluminescence_peak quantum_yield band_gap exciton_binding_energy",
        "ellipsometry": "refractive_index band_gap absorption_coefficient dielectric_constant reflectance",
        "ARPES": "band_gap work_function",
        "STS": "band_gap",
        "XRD": "lattice_parameter grain_size density thermal_expansion_coefficient",
        "DSC": "melting_point glass_transition_temperature decomposition_temperature specific_heat curie_temperature",
        "TGA": "decomposition_temperature",
        "four-probe": "electrical_conductivity electrical_resistivity superconducting_tc",
        "Hall": "carrier_mobility carrier_concentration electrical_conductivity electrical_resistivity",
        "SQUID": "magnetization coercivity curie_temperature neel_temperature superconducting_tc remanent_polarization",
        "magnetization": "magnetization coercivity curie_temperature neel_temperature superconducting_tc",
        "resistivity": "electrical_resistivity electrical_conductivity superconducting_tc",
        "specific heat": "specific_heat superconducting_tc curie_temperature neel_temperature",
        "nanoindentation": "hardness youngs_modulus",
        "BET": "surface_area pore_volume",
        "laser flash": "thermal_conductivity specific_heat",
        "impedance": "electrical_conductivity electrical_resistivity dielectric_constant",
        "EELS": "band_gap dielectric_constant",
    }.items()
}


def measures(technique: str | None, prop: str) -> bool:
    """Whether a technique measures a property (True for a technique not in MEASURES, a level of theory, or none)."""
    known = MEASURES.get(technique or "")
    return known is None or prop in known
