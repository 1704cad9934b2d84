"""The property vocabulary: canonical names, units, dimensions and synonyms (data/properties.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field

from schemas.settings import DATA_DIR

VOCABULARY_PATH = DATA_DIR / "properties.toml"


class PropertyDef(BaseModel):
    name: str = Field(description="Canonical name, e.g. band_gap")
    label: str
    unit: str = Field(description="Canonical unit in pint syntax; '' for dimensionless")
    synonyms: list[str]


class Vocabulary(BaseModel):
    version: str
    properties: list[PropertyDef]

    def get(self, name: str) -> PropertyDef | None:
        return next((p for p in self.properties if p.name == name), None)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.properties]

    def mentions(self, text: str) -> list[tuple[str, int, int]]:
        """Every property mention in `text` as (property name, start, end), longest synonym first."""
        found: list[tuple[str, int, int]] = []
        taken: list[tuple[int, int]] = []
        for name, pattern in _patterns(self.version):
            for m in pattern.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                found.append((name, m.start(), m.end()))
        return sorted(found, key=lambda t: t[1])

    def resolve(self, text: str) -> str | None:
        """The canonical name for a property as written ('Band-gap' -> 'band_gap'), or None."""
        cleaned = text.strip()
        if cleaned in self.names:
            return cleaned
        hits = self.mentions(cleaned)
        return hits[0][0] if hits else None


def _synonym_regex(synonym: str) -> re.Pattern[str]:
    # Short all-caps symbols (Tc, TN, PCE) are matched case-sensitively: "tc" or "ff" in prose are not them.
    escaped = re.escape(synonym).replace(r"\ ", r"[\s\-]+")
    is_symbol = len(synonym) <= 4 and not synonym.islower()
    flags = 0 if is_symbol else re.IGNORECASE
    plural = "" if is_symbol else "(?:s|es)?"  # "band gaps of 1.1 and 1.6 eV", "Curie temperatures"
    # a word may follow a hyphen ("narrow-band-gap", "wide-bandgap"); a symbol may not ("Ti-Eg")
    before = r"(?<![\w-])" if is_symbol else r"(?<!\w)"
    return re.compile(rf"{before}{escaped}{plural}(?![\w])", flags)


@cache
def _patterns(version: str) -> list[tuple[str, re.Pattern[str]]]:
    vocab = load_vocabulary()
    pairs = [(p.name, s) for p in vocab.properties for s in p.synonyms]
    pairs.sort(key=lambda pair: -len(pair[1]))
    return [(name, _synonym_regex(s)) for name, s in pairs]


@cache
def load_vocabulary(path: Path = VOCABULARY_PATH) -> Vocabulary:
    """Load and validate the vocabulary file."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return Vocabulary(version=raw["version"], properties=[PropertyDef(**p) for p in raw["property"]])
