"""Material vocabulary: element, named-material, polymer, anion and modifier word lists, and the patterns compiled from them."""

from __future__ import annotations

import re
from functools import cache

import periodictable


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


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
    # wz-GaN, zb-, 2H-MoS2, 1T'-MoTe2, α-Fe2O3, gamma-Sb2O4, c-TiO2, h-BN, mp-TiO2, H-MoSe2, ZT-MoSe2, SO-MoSe2, white-P
    return re.compile(
        rf"((?:[α-ωµ][a-z]?|[a-z]{{1,3}}|\d?[A-Z]{{1,2}}'?|\d[A-Za-z]{{1,2}}'?|\d[A-Z]_?d|"
        rf"(?i:black|white|red|blue|violet|gr[ae]y|fibrous|amorphous|bulk|monolayer|bilayer|few-layer|multilayer|"
        rf"alpha|beta|gamma|delta|epsilon|kappa|theta|lambda)))[{_HY}](.+)"
    )


_SPACE_GROUP = re.compile(
    r"[PIFCRABH](?:[-−]?[1-6](?:_?[1-5])?|[abcdmn]|/[abcdmn]+|¯\d|\d̄)+(?:/[abcdmn]+)?(?:[-−]?[1-6]|[abcdmn])*"
)
_CHARGE = re.compile(r"(?:\^?\{?\d*[+−-]\}?|\d*\+|[²³]?[⁺⁻]|\s?\((?:I{1,3}|IV|VI{0,3})\))$")
_FACET = re.compile(r"(?:\(\s*(?:[\d̄\-−]\s?){3,6}\)|\[\s*[\d̄\-−,\s]{1,8}\s*\]|\([a-z]\))$")
_TRAIL = ".,;:!?'\"”’»\ufeff\u200b*†‡"
_LEAD = "'\"“‘«\ufeff\u200b"
