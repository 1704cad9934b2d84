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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from math import gcd
from typing import Literal

import periodictable

from extractors.quantities.formulas import hill_formula, parse_formula

MentionKind = Literal["formula", "name", "abbreviation", "subject"]


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


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


# --------------------------------------------------------------------------------------------
# Vocabulary. Plain data; the patterns built from it are compiled once (see the @cache builders).

# Organic cations of hybrid perovskites, written as if they were element symbols, and their formulas.
_CATIONS = {
    "PEA": "C8H12N",
    "DMA": "C2H8N",
    "MA": "CH6N",
    "FA": "CH5N2",
    "BA": "C4H12N",
    "GA": "CH6N3",
    "EA": "C2H8N",
}
# Single element symbols that are also English words, units, variables or property symbols; alone
# they are never taken for a material (in a formula they are fine: InAs, BeO).
_NOT_ALONE = _wordset(
    "In As At Am Be He No Is Es Pa Pm Md Re Ra Ac Tc Ne Ar Kr Xe Rn Og Ts Mt Ds Rg Cn Nh Fl Mc Lv "
    "Hs Bh Sg Db Rf Lr Fm Cf Bk Cm Po Fr Np Pu Th"
)
# All-capital strings of one-letter symbols that are real materials; any other (SOC, SCF, PV, ICP,
# IV, CO, NO, BCS) is an acronym or a molecule in prose.
_CAPS_MATERIALS = frozenset({"BN", "WC", "VN", "VC", "KI", "KF", "BP", "UN", "UC", "YN"})
# One element with a count: molecules and clusters that are materials; "P1", "C2", "I4" (labels,
# space groups) are not.
_ONE_ELEMENT_COUNTS = re.compile(
    r"C(?:20|24|28|36|50|60|70|72|76|78|80|82|84|90|240|540)|H2|O2|N2|O3|Cl2|F2|Br2|I2|As4|"
    r"(?!Tc)[A-Z][a-z](?:[2-9]|[1-9]\d{1,2})"
)

_ENGLISH_NAMES = {
    "aluminium": "Al",
    "caesium": "Cs",
    "sulphur": "S",
}
# Element names that alone are a gas, a verb or a common word rather than a solid material.
_ELEMENT_NAMES_NOT_ALONE = _wordset(
    "hydrogen helium nitrogen oxygen fluorine neon chlorine argon krypton xenon radon lead tin iodine bromine astatine"
)
# Named materials (case-insensitive, plural allowed) and the formula where the name fixes one.
_NAMED = {
    "graphene": None,
    "graphite": None,
    "graphyne": None,
    "graphdiyne": None,
    "diamond": None,
    "nanodiamond": None,
    "silicene": None,
    "germanene": None,
    "stanene": None,
    "plumbene": None,
    "phosphorene": None,
    "borophene": None,
    "arsenene": None,
    "antimonene": None,
    "bismuthene": None,
    "tellurene": None,
    "selenene": None,
    "fullerene": None,
    "fullerite": None,
    "perovskite": None,
    "double perovskite": None,
    "mxene": None,
    "anatase": "O2Ti",
    "rutile": "O2Ti",
    "brookite": "O2Ti",
    "hematite": "Fe2O3",
    "magnetite": "Fe3O4",
    "maghemite": "Fe2O3",
    "goethite": None,
    "quartz": "O2Si",
    "cristobalite": "O2Si",
    "silica": "O2Si",
    "alumina": "Al2O3",
    "zirconia": "O2Zr",
    "titania": "O2Ti",
    "ceria": "CeO2",
    "hafnia": "HfO2",
    "magnesia": "MgO",
    "yttria": "O3Y2",
    "sapphire": "Al2O3",
    "corundum": "Al2O3",
    "calcite": "CCaO3",
    "aragonite": "CCaO3",
    "kaolinite": None,
    "montmorillonite": None,
    "zeolite": None,
    "hydroxyapatite": None,
    "apatite": None,
    "pyrite": "FeS2",
    "galena": "PbS",
    "sphalerite": "SZn",
    "kesterite": None,
    "chalcopyrite": None,
    "stainless steel": None,
    "steel": None,
    "brass": None,
    "bronze": None,
    "carbon nanotube": None,
    "carbon nanofiber": None,
    "carbon fiber": None,
    "carbon black": None,
    "activated carbon": None,
    "mica": None,
    "paraffin": None,
    "nafion": None,
    "kapton": None,
    "teflon": None,
    "inconel": None,
    "invar": None,
    "nitinol": None,
    "chloroform": None,
    "methanol": None,
    "ethanol": None,
    "isopropanol": None,
    "propanol": None,
    "butanol": None,
    "acetone": None,
    "acetonitrile": None,
    "toluene": None,
    "xylene": None,
    "hexane": None,
    "cyclohexane": None,
    "heptane": None,
    "octane": None,
    "pentane": None,
    "anisole": None,
    "dichloromethane": None,
    "dimethylformamide": None,
    "dimethyl sulfoxide": None,
    "tetrahydrofuran": None,
    "diiodooctane": None,
    "methane": None,
    "ethane": None,
    "glycerol": None,
    "phenol": None,
    "urea": None,
    "thiourea": None,
    "melamine": None,
    "cellulose": None,
    "chitosan": None,
    "lignin": None,
    "epoxy": None,
    "ethylene glycol": None,
    "polyethylene glycol": None,
    "ferrocene": None,
    "isoindigo": None,
}
# Named materials too generic to be a paper's subject when anything more specific is named.
_GENERIC = frozenset({"perovskite", "double perovskite", "fullerene", "mxene", "zeolite", "steel", "mica", "epoxy"})
# Case-sensitive acronyms and trade names of materials (oxides, electrodes, polymers, small molecules).
_ACRONYMS = {
    "hBN": "BN",
    "cBN": "BN",
    "h-BN": "BN",
    "c-BN": "BN",
    "ITO": None,
    "FTO": None,
    "AZO": None,
    "IGZO": None,
    "IZO": None,
    "YSZ": None,
    "ScSZ": None,
    "GDC": None,
    "SDC": None,
    "LSM": None,
    "LSCF": None,
    "LSC": None,
    "BSCF": None,
    "LSGM": None,
    "NMC": None,
    "NCM": None,
    "NCA": None,
    "LFP": "FeLiO4P",
    "LCO": "CoLiO2",
    "LMO": None,
    "LTO": None,
    "LLZO": None,
    "LATP": None,
    "LAGP": None,
    "LLTO": None,
    "LiTFSI": None,
    "LiFSI": None,
    "YAG": "Al5O12Y3",
    "LuAG": "Al5Lu3O12",
    "YIG": "Fe5O12Y3",
    "GGG": "Ga5Gd3O12",
    "YLF": None,
    "DLC": None,
    "BST": None,
    "PMN": None,
    "PZN": None,
    "KNN": None,
    "BNT": None,
    "NBT": None,
    "PAN": None,
    "LNMO": None,
    "PZT": None,
    "PMN-PT": None,
    "BFO": "BiFeO3",
    "STO": "O3SrTi",
    "LAO": "AlLaO3",
    "LSMO": None,
    "YBCO": None,
    "BSCCO": None,
    "CIGS": None,
    "CZTS": None,
    "CZTSe": None,
    "MAPI": "CH6I3NPb",
    "TBG": None,
    "CNT": None,
    "SWCNT": None,
    "MWCNT": None,
    "SWNT": None,
    "MWNT": None,
    "rGO": None,
    "GQD": None,
    "HOPG": None,
    "MXene": None,
    "P3HT": None,
    "P3HTV": None,
    "PEDOT": None,
    "PSS": None,
    "PEDOT:PSS": None,
    "PCBM": None,
    "PC60BM": None,
    "PC61BM": None,
    "PC70BM": None,
    "PC71BM": None,
    "ICBA": None,
    "ITIC": None,
    "IT-4F": None,
    "Y6": None,
    "PM6": None,
    "PTB7": None,
    "PTB7-Th": None,
    "PBDB-T": None,
    "PCDTBT": None,
    "PCPDTBT": None,
    "MEH-PPV": None,
    "MDMO-PPV": None,
    "PPV": None,
    "PFN": None,
    "PFN-Br": None,
    "PEIE": None,
    "PMMA": None,
    "PVDF": None,
    "PVDF-HFP": None,
    "PEO": None,
    "PTFE": None,
    "PDMS": None,
    "PVA": None,
    "PVP": None,
    "PANI": None,
    "PPy": None,
    "PEI": None,
    "PLA": None,
    "PCL": None,
    "PEG": None,
    "PVC": None,
    "PTAA": None,
    "PTCDA": None,
    "Spiro-OMeTAD": None,
    "spiro-OMeTAD": None,
    "Spiro-MeOTAD": None,
    "spiro-MeOTAD": None,
    "TPBi": None,
    "NPB": None,
    "CuPc": None,
    "ZnPc": None,
    "H2Pc": None,
    "Alq3": None,
    "F8BT": None,
    "PFO": None,
    "TFB": None,
    "DMF": None,
    "DMSO": None,
    "THF": None,
    "NMP": None,
    "DIO": None,
    "GBL": None,
}
# Acronyms that look like polymer names (P + capitals) but are methods, quantities or instruments.
_P_STOP = _wordset(
    "PBE PBE0 PBEsol PW91 PAW PDOS PXRD PECVD PLD PVD PCE PL PLE PLQY PPMS PES PDF PBC PSD PCA PMT PSO "
    "PTE PTEs PDTs PDT POTS PTT PTM PTIR PVT PFM PEEM PEC PCM PIPT PSF PSFs PTS PBTE PTFs"
)
# MOF linkers and ligands written as abbreviations inside formulas.
_LIGANDS = (
    "BTC|BDC|BPDC|NDC|TPA|TCPP|TATB|BTB|bpy|bipy|dabco|pyz|mim|Hmim|bim|im|fum|FUM|ox|tar|L|L1|L2|dobdc|DOBDC|"
    "tbip|adp|BIB|pzdc|bdc|btc|ndc|ina|INA|TPT|tpt|Cp|Cp\\*|acac|OAc|en|py|phen|bpe|bpp"
)
_FRAMEWORK_CODE = (
    r"(?:MOF|ZIF|UiO|MIL|HKUST|IRMOF|PCN|NU|CAU|COF|DUT|MAF|ZSM|SBA|MCM|SAPO|AlPO|UTSA|JUC|MFM|SIFSIX|NOTT|"
    r"TIFSIX|HZSM|BUT|ZJU|FJI|MFU|CPO|PCP|SNU|CPL|ELM|MOP|POF|PAF|COF|UHM|PCMOF|ZnPO|JLU|NENU|NKU)-?\d+[A-Za-z]?"
)
# MOF-5, ZIF-8, UiO-66-NH2, NH2-MIL-125(Ti), Ni-MOF-74, Fe0.1Mg1.9-MOF-74, Tb-MOF, Cu-BTC, MIL-101(Cr)
_FRAMEWORK = (
    rf"(?:(?:[A-Z][a-z]?[\d.]*)+-|NH2-|CD-)?(?:{_FRAMEWORK_CODE}|(?<=-)MOF|(?<=-)BTC|(?<=-)BDC)"
    r"(?:\([A-Z][a-z]?\))?(?:-(?:NH2|OH|NO2|CH3|SO3H|Br|[A-Z][a-z]?))?"
)
# Anion words of compound names ("zinc oxide", "lead zirconate titanate") and their charge.
_ANIONS = {
    "oxide": ("O", 2),
    "sulfide": ("S", 2),
    "sulphide": ("S", 2),
    "selenide": ("Se", 2),
    "telluride": ("Te", 2),
    "nitride": ("N", 3),
    "phosphide": ("P", 3),
    "arsenide": ("As", 3),
    "antimonide": ("Sb", 3),
    "carbide": ("C", 4),
    "boride": (None, 0),
    "silicide": (None, 0),
    "fluoride": ("F", 1),
    "chloride": ("Cl", 1),
    "bromide": ("Br", 1),
    "iodide": ("I", 1),
    "hydride": ("H", 1),
}
_OTHER_ANIONS = (
    "hydroxide|oxyhydroxide|peroxide|halide|chalcogenide|oxynitride|oxyfluoride|oxychloride|oxyhalide|"
    "nitrate|nitrite|carbonate|sulfate|sulphate|phosphate|silicate|aluminate|titanate|zirconate|niobate|"
    "tantalate|vanadate|chromate|manganate|ferrate|cobaltate|nickelate|cuprate|molybdate|tungstate|stannate|"
    "gallate|borate|germanate|arsenate|selenate|tellurate|ferrite|manganite|cobaltite|acetate|oxalate|"
    "perchlorate|hexafluorophosphate|cyanide|thiocyanate|azide|amide|imide"
)
_COUNT_PREFIX = {
    "mon": 1,
    "mono": 1,
    "di": 2,
    "tri": 3,
    "tetr": 4,
    "tetra": 4,
    "pent": 5,
    "penta": 5,
    "hex": 6,
    "hexa": 6,
}
# Usual charge of a cation in a compound name without a Roman numeral; others (Fe, Cu, Sn, ...) are ambiguous.
_VALENCE = {
    "Li": 1, "Na": 1, "K": 1, "Rb": 1, "Cs": 1, "Ag": 1,
    "Be": 2, "Mg": 2, "Ca": 2, "Sr": 2, "Ba": 2, "Zn": 2, "Cd": 2, "Ni": 2, "Pb": 2, "Hg": 2,
    "B": 3, "Al": 3, "Ga": 3, "In": 3, "Sc": 3, "Y": 3, "La": 3, "Bi": 3, "Gd": 3,
    "Si": 4, "Ge": 4, "Ti": 4, "Zr": 4, "Hf": 4,
}  # fmt: skip
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7}
_CATION_NAMES = (
    r"(?:(?:di|tri|tetra)?(?:methyl|ethyl|propyl|butyl|pentyl|hexyl|octyl|cetyl|dodecyl|phenyl|benzyl|phenethyl)+"
    r"(?:amm?onium|ene)?|formamidinium|formamidium|guanidinium|ammonium|ethylene|propylene|butylene|vinyl)"
)
# Words in front of a material that belong to its name: phases, structures, layer counts, colours.
_MODIFIERS = (
    r"(?i:anatase|rutile|brookite|wurtzite|zinc[- ]?blende|rock[- ]?salt|hexagonal|cubic|tetragonal|orthorhombic|"
    r"monoclinic|triclinic|trigonal|rhombohedral|amorphous|crystalline|polycrystalline|nanocrystalline|single[- ]crystal(?:line)?|"
    r"monolayer|bilayer|trilayer|few[- ]layer|multi[- ]?layer|single[- ]layer|twisted|black|white|red|blue|violet|"
    r"gr[ae]y|layered|hybrid|mesoporous|compact)|[1-9][HTRO]'?|[1-9][HTRO]_?[dd']?"
)
_DOPED = r"(?:doped|co-?doped|substituted|alloyed|intercalated)"
# Words after "X-" that make X a dopant, a site or a process rather than a material.
_ELEMENT_ROLE_AFTER = re.compile(
    r"[\s-]*(?:\d?[spdf](?:[\s,.;:)]|$)|\d[spdf]\b|atoms?\b|ions?\b|adatoms?\b|sites?\b|vacanc|interstitial|"
    r"dopants?\b|doping\b|doped\b|content\b|concentration|substitut|alloying\b|rich\b|poor\b|terminat|edge\b|"
    r"K-edge|L-edge|M-edge|K\b|L\d|M\d|orbital|states?\b|bands?\b|layers? of\b|et al|,\s?[A-Z]\.)"
)
# After "X–Y": a bond, a distance, an isotope system, not an alloy ("Ti–O bonds", "U–Pb ages").
_PAIR_NOT_ALLOY = re.compile(
    r"\s*(?:bond|bonds|bonding|antibonding|distance|distances|length|lengths|ratio|ratios|age|ages|dating|pairs?|"
    r"interaction|interactions|hybridi[sz]ation|peak|peaks|stretching|vibrations?|modes?|dimers?|chains?|"
    r"coordination|phase diagram|system|exchange|correlations?|hopping|orbitals?|overlap)\b"
)
_INITIAL_BEFORE = re.compile(r"(?:\b[A-Z]\.\s?(?:-?[A-Z]\.\s?)?|\d\s?)$")
_HYPHENS = "-‐‑–"
_HY = re.escape(_HYPHENS)  # for character classes
# After "X-", words that leave a bare element X a material ("Si-based", "Au-coated"); any other ("Ti-alloying",
# "Ga-rich", "Eu-doped", "Bi-layer") makes it a dopant, a site or a prefix.
_SINGLE_KEEP_SUFFIX = re.compile(
    r"(?i:based|like|coated|covered|decorated|film|films|substrate|substrates|electrode|electrodes|nanoparticles?|"
    r"NPs|nanowires?|NWs|nanocrystals?|NCs|QDs|wafers?|foils?|powders?|crystals?|metal|surface)"
)
# Words that begin with a material letter pattern but are never materials (acronyms of methods).
_NEVER = _wordset(
    "Eg SOC DFT HSE HSE06 GGA PBE LDA LSDA CBM VBM DOS PDOS SCF BCS XRD XPS ARPES STM STS TEM SEM AFM "
    "UV NIR IR PL PV IV VI III II SI Fig Figs Tab Ref Refs Eq Eqs"
)


# --------------------------------------------------------------------------------------------
# Compiled patterns (built on first use, then cached).


@cache
def _element_symbols() -> frozenset[str]:
    return frozenset(el.symbol for el in periodictable.elements if el.number > 0)


@cache
def _element_names() -> dict[str, str]:
    names = {el.name.lower(): el.symbol for el in periodictable.elements if el.number > 0}
    names.update(_ENGLISH_NAMES)
    return names


@cache
def _formula_re() -> re.Pattern[str]:
    symbols = sorted(_element_symbols(), key=lambda s: (-len(s), s))
    el = "(?:" + "|".join(symbols) + ")"
    cat = "(?:" + "|".join(sorted(_CATIONS, key=len, reverse=True)) + ")"
    num = r"(?:\d+(?:\.\d+)?)"
    var = r"[xyzδnX]"
    term = rf"(?:{num}{var}?|{var})"
    sub = rf"(?:{term}(?:[-−–+±]{term})*|\((?=[^)]*[xyzδnX])[\d.xyzδnX+\-−– ]+\))"
    unit0 = rf"(?:{el}|{cat})"
    group0 = rf"(?:{unit0}{sub}?)+"
    ligand = rf"\((?:{_LIGANDS})\)"  # MOF linkers inside brackets only: Cu3(BTC)2, Zn(tbip)
    unit1 = rf"(?:{unit0}|\({group0}\)|\[{group0}\]|\({el}(?:,\s?{el})+\)|{ligand})"
    group1 = rf"(?:{unit1}{sub}?)+"
    unit2 = rf"(?:{unit1}|\({group1}\)|\[{group1}\])"
    body = rf"(?:{unit2}{sub}?)+(?:T[xz])?"
    return re.compile(rf"{body}(?:[·•∙⋅*]{num}?{body})*")


@cache
def _unit_re() -> re.Pattern[str]:
    symbols = sorted(_element_symbols(), key=lambda s: (-len(s), s))
    cat = "|".join(sorted(_CATIONS, key=len, reverse=True))
    return re.compile("(" + cat + ")|(" + "|".join(symbols) + ")")


@cache
def _anion_words() -> dict[str, str]:
    """Every anion word with its count prefix ("dioxide", "oxide", "titanate") -> the bare anion word."""
    words = {}
    for anion in [*_ANIONS, *_OTHER_ANIONS.split("|")]:
        words[anion] = anion
        for prefix in ("mon", "mono", "di", "tri", "tetr", "tetra", "pent", "penta", "hex", "hexa", "sesqui"):
            words[prefix + anion] = anion
            if anion.startswith("o"):
                words[prefix.rstrip("ao") + anion] = anion  # "monoxide", "pentoxide"
    return words


@cache
def _named_words() -> tuple[dict[str, str | None], dict[str, tuple[str, ...]]]:
    """Single-word named materials, and the first words of multi-word ones with their continuations."""
    single: dict[str, str | None] = {}
    multi: dict[str, tuple[str, ...]] = {}
    for name in _NAMED:
        parts = name.split()
        if len(parts) == 1:
            single[name] = _NAMED[name]
        else:
            multi[parts[0]] = (*multi.get(parts[0], ()), name)
    return single, multi


_WORD = re.compile(r"[A-Za-z]+")
_ORGANIC_ROOT = re.compile(
    r"benz|thioph|thien|carbaz|naphth|anthrac|fluoren|pyrid|pyrrol|pyraz|pyrimid|quinol|quinox|thiaz|thiadiaz|"
    r"oxaz|imidaz|triaz|tetraz|selenoph|fulleren|ferrocen|porphyr|phthalocyan|perylen|indacen|isoindig|"
    r"acetylen|styren|acrylat|siloxan|phenyl|phenethyl|vinylen"
)
_ORGANIC_TOKEN = re.compile(r"[A-Za-z0-9,\-‐′']*")
_CATION_WORD = re.compile(_CATION_NAMES)
_POLY_NOT = re.compile(
    r"poly(?:crystal|mer|morph|nomial|hedr|gon|typ|valen|disper|chromat|atomic|electrolyte|dent|layer|graph|genic|"
    r"fill|meric|ax|amorph|phase|domain|twin|line|cycl|ethylene glycol$)"
)
_POLYMER_ENDING = re.compile(r"(?:ene|ine|ide|ate|ester|ether|ane|ole|one|ol|yl|ite|on|amine)s?$")
_ORGANIC_PREFIX = re.compile(r"(?:\d+(?:,\d+)*[\-‐]|[a-z]{1,3}[\-‐]|\(?[A-Za-z])*")  # locants: "1,8-", "o-"
_PEROVSKITE_TAIL = re.compile(r"[ \t\-‐]+(?:double[ \t]+)?perovskites?\b", re.I)
_LIKE_AFTER = re.compile(r"[\-‐](?:like|type|structured|structure)\b", re.I)
_GAP = re.compile(r"[ \t\-‐]+|\s*\n\s*")


@cache
def _chunk_re() -> re.Pattern[str]:
    # A run of non-space characters that has a capital (or a Greek/digit phase prefix) somewhere:
    # every formula, acronym and polymer name does; plain lower-case prose is skipped fast.
    return re.compile(r"(?<!\S)(?=\S*[A-Zα-ωΑ-Ω])\S+")  # anchored at token starts: linear in the text


@cache
def _modifier_word_re() -> re.Pattern[str]:
    elements = "|".join(sorted(_element_names(), key=len, reverse=True))
    dopant = rf"(?:[A-Z][a-z]?\d*\+?|(?i:{elements}))"
    amount = r"(?:\d+(?:\.\d+)?\s?(?:%|at\.?\s?%|mol\s?%|wt\.?\s?%)[\s\-‐]?)"
    return re.compile(
        rf"(?P<mod>{_MODIFIERS})|(?P<doped>{amount}?{dopant}(?:[,/{_HY}]{dopant})*[{_HY}]{_DOPED})|"
        rf"(?P<dangling>{dopant}[{_HY}])|(?P<conj>and|or|,)"
    )


@cache
def _phase_prefix_re() -> re.Pattern[str]:
    # wz-GaN, zb-, 2H-MoS2, 1T'-MoTe2, α-Fe2O3, c-TiO2, h-BN, mp-TiO2, H-MoSe2, ZT-MoSe2, SO-MoSe2, white-P
    return re.compile(
        rf"((?:[α-ωµ][a-z]?|[a-z]{{1,3}}|\d?[A-Z]{{1,2}}'?|\d[A-Za-z]{{1,2}}'?|\d[A-Z]_?d|"
        rf"(?i:black|white|red|blue|violet|gr[ae]y|fibrous|amorphous|bulk|monolayer|bilayer|few-layer|multilayer)))[{_HY}](.+)"
    )


_SPACE_GROUP = re.compile(
    r"[PIFCRABH](?:[-−]?[1-6](?:_?[1-5])?|[abcdmn]|/[abcdmn]+|¯\d|\d̄)+(?:/[abcdmn]+)?(?:[-−]?[1-6]|[abcdmn])*"
)
_CHARGE = re.compile(r"(?:\^?\{?\d*[+−-]\}?|\d*\+|[²³]?[⁺⁻]|\s?\((?:I{1,3}|IV|VI{0,3})\))$")
_FACET = re.compile(r"(?:\(\s*(?:[\d̄\-−]\s?){3,6}\)|\[\s*[\d̄\-−,\s]{1,8}\s*\]|\([a-z]\))$")
_TRAIL = ".,;:!?'\"”’»\ufeff\u200b*†‡"
_LEAD = "'\"“‘«\ufeff\u200b"


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
        if piece[-1] in _TRAIL or piece[-1] in _HYPHENS:
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
    raw = _name_mentions(text) + _chunk_mentions(text, abbrs) + _alloy_mentions(text)
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
    return out


def _expansion_formula(long: str) -> str | None:
    for mention in find_materials(long, {}) if long else []:
        if mention.formula:
            return mention.formula
    return None


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
    return bool(find_materials(name, abbreviations))
