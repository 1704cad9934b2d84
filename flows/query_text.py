"""A query's text read into property words, a method word, quantities, a formula and the words left over."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from extractors.embeddings import Embedder, similarity
from extractors.quantities.formulas import normalize_formula
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import dimension_of, parse_unit, to_canonical
from schemas.errors import ConfigError, InputError
from schemas.quantity import Quantity
from schemas.record import MethodKind
from schemas.vocabulary import Vocabulary, load_vocabulary

# Words that say how a value was obtained; they filter on method_kind.
METHOD_WORDS: dict[str, MethodKind] = {
    **dict.fromkeys(
        (
            "experimental",
            "experiment",
            "experiments",
            "experimentally",
            "measured",
            "measurement",
            "measurements",
            "observed",
        ),
        "experimental",
    ),
    **dict.fromkeys(
        (
            "computational",
            "computed",
            "calculated",
            "calculation",
            "calculations",
            "theoretical",
            "theory",
            "dft",
            "first-principles",
            "ab-initio",
            "simulated",
            "predicted",
        ),
        "computational",
    ),
    **dict.fromkeys(("literature", "reported", "quoted"), "literature"),
}
# Query filler that names neither a material nor a property.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "in",
        "on",
        "at",
        "by",
        "with",
        "and",
        "or",
        "to",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "what",
        "which",
        "show",
        "me",
        "find",
        "list",
        "give",
        "all",
        "any",
        "some",
        "value",
        "values",
        "record",
        "records",
        "data",
        "property",
        "properties",
        "material",
        "materials",
        "about",
        "than",
        "that",
        "its",
        "their",
        "has",
        "have",
        "how",
        "whose",
        "where",
        "when",
        # comparison words a quantity's span may leave behind ("between 3 and 3.1 eV")
        "between",
        "above",
        "below",
        "over",
        "under",
        "around",
        "near",
        "approximately",
        "more",
        "less",
        "greater",
        "higher",
        "lower",
        "least",
        "most",
        "within",
        "up",
    ]
)
# A phrase of the free text is read as a property only this close to one ("heat conduction" 0.85).
PROPERTY_PHRASE_THRESHOLD = 0.7
# What a user calls a dimension (pint's dimensionality as dimension_of gives it), for messages.
DIMENSION_NAMES = {
    "dimensionless": "a plain number",
    "[angle]": "an angle",
    "[length]": "a length",
    "[mass]": "a mass",
    "[time]": "a time",
    "[temperature]": "a temperature",
    "[current]": "an electric current",
    "[substance]": "an amount of substance",
    "[length] ** 2": "an area",
    "[length] ** 3": "a volume",
    "1 / [time]": "a frequency",
    "[length] / [time]": "a speed",
    "[mass] * [length] ** 2 / [time] ** 2": "an energy",
    "[mass] * [length] ** 2 / [time] ** 3": "a power",
    "[mass] / [length] / [time] ** 2": "a pressure or stress",
    "[mass] * [length] / [time] ** 2": "a force",
    "[mass] / [length] ** 3": "a density",
    "[mass] * [length] ** 2 / [time] ** 3 / [current]": "a voltage",
    "[current] * [time]": "an electric charge",
    "[mass] * [length] ** 2 / [time] ** 3 / [current] ** 2": "a resistance",
    "[mass] * [length] ** 3 / [time] ** 3 / [current] ** 2": "a resistivity",
    "[current] ** 2 * [time] ** 3 / [mass] / [length] ** 3": "a conductivity",
    "[mass] * [length] / [time] ** 3 / [temperature]": "a thermal conductivity",
    "[time] ** 2 * [current] / [mass]": "a mobility",
    "1 / [length] ** 3": "a concentration (per volume)",
    "1 / [length]": "an inverse length",
    "1 / [temperature]": "an inverse temperature",
    "[mass] / [time] ** 2 / [current]": "a magnetic flux density",
    "[current] / [length]": "a magnetic field strength",
}


@dataclass
class ParsedQuery:
    """What a free-text query was read as."""

    text: str
    properties: list[str] = field(default_factory=list)
    method: MethodKind | None = None
    quantities: list[Quantity] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    formula: str | None = None
    material_text: str | None = None


def parse_query(text: str, vocab: Vocabulary | None = None) -> ParsedQuery:
    """Read a free-text query into properties, a method, quantities, a formula and the words left over."""
    vocab = vocab or load_vocabulary()
    parsed = ParsedQuery(text=text)
    chars = list(text)
    for q in tag_quantities(text, include_unitless=True):
        if q.unit is None and q.qualifier not in ("lower_bound", "upper_bound", "range"):
            continue  # a bare number is only a bound when a word says so ("above 3")
        parsed.quantities.append(q)
        chars[q.span[0] : q.span[1]] = " " * (q.span[1] - q.span[0])
    rest = "".join(chars)
    for name, start, end in vocab.mentions(rest):
        if name not in parsed.properties:
            parsed.properties.append(name)
        chars[start:end] = " " * (end - start)
    kept: list[str] = []
    for token in "".join(chars).split():
        word = token.strip(",;:?!()[]\"'")
        lower = word.lower()
        if not word or lower in STOPWORDS:
            continue
        if lower in METHOD_WORDS:
            parsed.method = parsed.method or METHOD_WORDS[lower]
            continue
        if parsed.formula is None and (formula := normalize_formula(word)):
            parsed.formula = formula
        kept.append(word)
    parsed.words = kept
    parsed.material_text = " ".join(kept) or None
    return parsed


def resolve_property(text: str, embedder: Embedder, vocab: Vocabulary | None = None) -> tuple[str, float]:
    """The vocabulary property a user means by `text`: exact, a synonym, or the semantically closest.

    Returns:
        The canonical name and how sure the match is (1.0 for a name or synonym).

    Raises:
        ConfigError: nothing in the vocabulary is close enough (an unknown --property is an option's mistake, as
            in `propmine extract`).
    """
    vocab = vocab or load_vocabulary()
    exact = vocab.resolve(text) or vocab.resolve(text.replace("_", " "))
    if exact:
        return exact, 1.0
    best, score, ranked = _closest_property(text, embedder, vocab)
    if best is not None and score >= embedder.match_threshold:
        return best, score
    raise ConfigError(
        f"--property {text!r}: no such property; closest: {', '.join(ranked[:3])} (see data/properties.toml)"
    )


def _closest_property(text: str, embedder: Embedder, vocab: Vocabulary) -> tuple[str | None, float, list[str]]:
    names, phrases = _property_phrases(vocab)
    sims = similarity(embedder, [text], phrases)[0]
    best_per: dict[str, float] = {}
    for name, sim in zip(names, sims, strict=True):
        best_per[name] = max(best_per.get(name, -1.0), float(sim))
    ranked = sorted(best_per, key=lambda n: -best_per[n])
    return (ranked[0], best_per[ranked[0]], ranked) if ranked else (None, 0.0, [])


def _property_phrases(vocab: Vocabulary) -> tuple[list[str], list[str]]:
    names, phrases = [], []
    for p in vocab.properties:
        for phrase in dict.fromkeys([p.label, p.name.replace("_", " "), *(s for s in p.synonyms if len(s) > 3)]):
            names.append(p.name)
            phrases.append(phrase)
    return names, phrases


def _property_from_words(words: list[str], embedder: Embedder, vocab: Vocabulary) -> tuple[str, float, set[int]] | None:
    """A property named in other words than the vocabulary's ("how hot it melts"): the best sub-phrase
    of up to four words, if it is close enough to a property; returns it with the words it used."""
    spans = [
        (i, j)
        for i in range(len(words))
        for j in range(i + 1, min(len(words), i + 4) + 1)
        if not any(normalize_formula(w) for w in words[i:j])
    ]
    if not spans:
        return None
    names, phrases = _property_phrases(vocab)
    sims = similarity(embedder, [" ".join(words[i:j]) for i, j in spans], phrases)
    row, col = np.unravel_index(int(np.argmax(sims)), sims.shape)
    best, name = float(sims[row, col]), names[int(col)]
    runner_up = max((float(x) for x, n in zip(sims[row], names, strict=True) if n != name), default=0.0)
    # Stricter than for an explicit --property, since any word here could be a material's
    # ("nanorods" is 0.62 from "nanohardness"); and clearly ahead of any other property.
    if best < PROPERTY_PHRASE_THRESHOLD or best - runner_up < 0.05:
        return None
    i, j = spans[int(row)]
    return name, best, set(range(i, j))


_BOUND = re.compile(r"^\s*(?P<num>[-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S.*?)?\s*$")


def parse_bound(text: str, option: str) -> Quantity:
    """A --min/--max value: a number with a unit ('2 eV', '3000 meV', '300 K', any unit pint knows) or a bare number.

    Raises:
        InputError: not a number, an unknown unit, or a range.
    """
    stripped = text.strip()
    found = [q for q in tag_quantities(stripped, include_unitless=True) if q.span == (0, len(stripped))]
    if not found:
        # Units papers rarely use ('3 furlongs') are not the tagger's, but pint knows them: read them here, so
        # that a wrong one is named by its dimension rather than refused as no number at all.
        m = _BOUND.match(stripped)
        if m is None:
            raise InputError(f"{option} {text!r}: give a number with an optional unit, e.g. '2 eV' or 300")
        unit = m["unit"]
        if unit is not None and parse_unit(unit) is None:
            raise InputError(f"{option} {text!r}: {unit!r} is not a unit propmine knows; e.g. '2 eV', '300 K'")
        value = float(m["num"].replace("−", "-"))
        return Quantity(text=stripped, span=(0, len(stripped)), value=value, unit=unit)
    q = found[0]
    if q.value_max is not None:
        raise InputError(f"{option} {text!r}: give one value, not a range")
    return q


def _canonical_bounds(q: Quantity, properties: list[str], vocab: Vocabulary, option: str) -> dict[str, float]:
    """The quantity in each property's canonical unit (properties of another dimension are left out)."""
    out: dict[str, float] = {}
    for name in properties:
        canonical = unit_of(name, vocab)
        if q.unit is None:
            out[name] = q.value
        elif _same_dimension(q.unit, canonical):
            out[name] = to_canonical(q.value, q.unit, canonical)
    if not out:
        assert q.unit is not None  # a bare number converts to every property
        needs = "; ".join(
            f"{name} needs {describe_unit(unit_of(name, vocab))}" for name in sorted(properties)[:MAX_NAMED]
        ) + ("; ..." if len(properties) > MAX_NAMED else "")
        raise InputError(f"{option} {q.text!r} is {dimension_name(q.unit)}, the wrong kind of unit: {needs}")
    return out


MAX_NAMED = 4  # properties named in a wrong-unit message


def dimension_name(unit: str) -> str:
    """What kind of quantity a unit measures, in words: 'a length' for 'furlongs', 'an energy' for 'eV'."""
    dim = dimension_of(unit) if unit else "dimensionless"
    if dim is None:
        return f"in {unit!r}"
    return DIMENSION_NAMES.get(dim, f"of dimension {dim}")


def describe_unit(canonical: str) -> str:
    """A property's unit as a message names it: 'an energy (eV)', 'a plain number'."""
    if not canonical:
        return DIMENSION_NAMES["dimensionless"]
    return f"{dimension_name(canonical)} ({canonical})"


def unit_of(name: str, vocab: Vocabulary) -> str:
    """The canonical unit ('' for dimensionless) of a property name taken from the vocabulary itself."""
    prop = vocab.get(name)
    if prop is None:
        raise KeyError(f"{name!r} is not in vocabulary {vocab.version}")
    return prop.unit


def _same_dimension(unit: str, canonical: str) -> bool:
    dim = dimension_of(unit)
    return dim is not None and dim == (dimension_of(canonical) if canonical else "dimensionless")


def _properties_of_dimension(unit: str, vocab: Vocabulary) -> list[str]:
    return [p.name for p in vocab.properties if _same_dimension(unit, p.unit)]
