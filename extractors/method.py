"""How a value was obtained: experiment, computation or a cited value, and which technique or theory.

Keyword rules over the record's sentence first, then its wider context (table header, caption,
the Methods section). The lists are deliberately plain so that a reader can extend them.
"""

from __future__ import annotations

import re

from schemas.record import Method

# Level of theory, most specific first ("HSE06" before "DFT").
THEORY = [
    ("G0W0", r"G0W0|G_0W_0"), ("GW", r"\bGW\b|quasiparticle"), ("HSE06", r"HSE0?6?\b|HSE\b|hybrid functional"),
    ("PBE0", r"PBE0"), ("B3LYP", r"B3LYP"), ("mBJ", r"\bmBJ\b|TB-mBJ|modified Becke"), ("SCAN", r"\bSCAN\b"),
    ("DFT+U", r"(?:GGA|LDA|LSDA|DFT|PBE)\s*\+\s*U\b"), ("DMFT", r"\bDMFT\b"), ("LDA", r"\bLS?DA\b"),
    ("GGA/PBE", r"\bGGA\b|\bPBE(?:sol)?\b|\bPW91\b"), ("DFT", r"\bDFT\b|density functional|first[- ]principles?|ab initio|Kohn[- ]Sham"),
    ("tight-binding", r"tight[- ]binding"), ("molecular dynamics", r"molecular dynamics|\bMD simulations?"),
    ("machine learning", r"machine[- ]learning|neural network|\bML model"),
]
TECHNIQUE = [
    ("UV-vis", r"UV[- ]?vis|absorption spectr|Tauc|diffuse reflectance"), ("photoluminescence", r"photoluminescence|\bPL\b"),
    ("ellipsometry", r"ellipsometr"), ("ARPES", r"ARPES|photoemission"), ("STS", r"\bSTS\b|tunneling spectroscopy"),
    ("XRD", r"\bXRD\b|X-ray diffraction"), ("DSC", r"\bDSC\b|differential scanning"), ("TGA", r"\bTGA\b|thermogravimetr"),
    ("four-probe", r"four[- ]probe|4-probe|van der Pauw"), ("Hall", r"\bHall\b"), ("SQUID", r"SQUID|magnetometr"),
    ("resistivity", r"resistivity measurement"), ("nanoindentation", r"nanoindent"), ("BET", r"\bBET\b"),
    ("laser flash", r"laser flash"), ("impedance", r"impedance spectroscopy|\bEIS\b"), ("Raman", r"Raman"),
]
LITERATURE = r"\[\d+(?:[,–-]\s*\d+)*\]|\breported\b|\bprevious(?:ly)?\b|\bliterature\b|\bet al\.|\bref(?:s)?\.\s*\d|\bearlier (?:work|stud)"
EXPERIMENT = r"\bmeasured\b|\bmeasurement|\bexperiment|\bobserved\b|\bspectr|\bsamples?\b|\bfilms?\b|\bcrystals?\b|\bannealed\b|\bsynthesi[sz]ed\b|\bgrown\b|\bfabricated\b|\bexp\.?\b"
COMPUTATION = r"\bcalculat|\bcomputed\b|\bcomputation|\bpredicted\b|\bsimulat|\btheoretical|\btheory\b"


def _first(table: list[tuple[str, str]], text: str) -> str | None:
    return next((name for name, pattern in table if re.search(pattern, text, re.IGNORECASE if name not in ("GW", "PL", "Hall") else 0)), None)


def detect_method(sentence: str, context: str = "") -> Method:
    """The method kind and detail of a value, from its sentence and (weaker) its context.

    A cited value counts as literature even when it was computed; computation wins over
    experiment when the sentence names a level of theory.
    """
    for text in (sentence, context):
        if not text:
            continue
        theory = _first(THEORY, text)
        technique = _first(TECHNIQUE, text)
        cited = re.search(LITERATURE, text) is not None and text is sentence
        if cited:
            return Method(kind="literature", detail=theory or technique)
        if theory or re.search(COMPUTATION, text, re.IGNORECASE):
            return Method(kind="computational", detail=theory)
        if technique or re.search(EXPERIMENT, text, re.IGNORECASE):
            return Method(kind="experimental", detail=technique)
    return Method()
