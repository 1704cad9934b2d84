"""Gold sets from the shared annotated corpora, in the evaluation format, and k-fold splits by paper.

Every loader returns items (DESIGN.md's gold format, plus what k-fold scoring needs):

    {"id": str, "path": str | "text": str, "records": [gold record, ...],
     "group": str,               # the paper: folds never split a group
     "set": str,                 # the gold set's name
     "properties": [str, ...],   # the properties whose gold is complete in this item: only these are scored
     "unscored_spans": [[start, end), ...],  # optional: predictions whose value lies here are not scored
     "split": "train" | "dev"}   # the training builders' split (corpora.py): an adapter trained on their
                                 # train.jsonl has seen the "train" papers, so score it on "dev" only

A gold record is {"material", "synonyms", "property", "value", "value_max", "unit", "qualifier"} plus,
where the corpus says so, "from_table" (the value stands in a table), "several" (its sentence states
two or more gold values, or says "respectively") and "source" (the sentence or table it was read from).
`material` is None where the corpus gives no material (any predicted material is then accepted);
`unit` is None where the corpus gives no unit (the predicted number as written is compared).

Values are parsed here from the corpora's strings, not by the project's quantity tagger, so that an
error of the tagger cannot make the gold agree with it. The corpora are read at run time, never copied.

Folds are by paper (`group`): `fold_of(group, k)` hashes the paper id, so a training-data builder can
leave out the papers of a fold knowing only their ids. Where a corpus names an arXiv paper, the group
is "arxiv:<id>", so the same paper falls into the same fold in every set.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from extractors.quantities.units import parse_unit
from schemas.errors import InputError
from schemas.vocabulary import load_vocabulary

GoldItem = dict
GoldRecord = dict

# Gold strings as curators wrote them: "~1.13", "2.4-2.7eV.", "sim237meV.", "586to543K.", "2.0pm0.1",
# "6.84 x 10^-4 cm^2 / (V s)", "0.598.", "-5.15 eV", "above300K".
_NUMBER = r"10\s*\^\s*\(?[-+]?\d+\)?|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:\s*[x×*]\s*10\s*\^?\s*\(?[-+]?\d+\)?)?"
_APPROXIMATE = ("~", "≈", "∼", "sim", "about", "approximately", "approx.", "around", "ca.", "nearly")
_LOWER = (">", "≥", "above", "over", "morethan", "more than", "greaterthan", "greater than", "exceeding")
_UPPER = ("<", "≤", "below", "under", "lessthan", "less than", "upto", "up to")
# Two numbers: a range ('2.4-2.7eV', '586to543K', '1.45eVto1.08eV') or a value with its uncertainty ('2.0pm0.1').
# A unit between them may only be letters, so that 'cm^-2' or 'V -1 s^-1' are never read as a range.
_PAIR = re.compile(
    rf"^\s*({_NUMBER})\s*([A-Za-zµμ%°Å]*)\s*(-|–|—|to|and|pm|±|\+/-)\s*({_NUMBER})\s*(.*)$", re.IGNORECASE
)


def _number(text: str) -> float:
    t = re.sub(r"\s+", "", text).replace("×", "x").replace("*", "x").replace("(", "").replace(")", "")
    if "x10" in t:
        mantissa, _, exponent = t.partition("x10")
        return float(mantissa) * 10 ** float(exponent.lstrip("^"))
    if t.startswith("10^"):
        return 10 ** float(t[3:])
    return float(t)


def _is_unit(text: str) -> bool:
    try:
        return parse_unit(text) is not None
    except Exception:  # pint raises AssertionError on some malformed input ('mA cm^'); not a unit then
        return False


def parse_value_text(text: str, default_unit: str | None = None) -> list[dict]:
    """A gold value string as curators wrote it -> [{"value", "value_max", "qualifier", "unit", "uncertainty"}].

    'A-B', 'A to B' and 'A and B' are ranges (both ends, lower first: "decreases from 2.07 to 1.30 eV"
    is the range the sentence spans); 'A pm B' / 'A ± B' is A with an uncertainty; a leading '~', 'sim',
    'about' is approximate, '<', 'up to' an upper and '>', 'above' a lower bound. The unit is the text
    after the numbers if pint reads it, else `default_unit`, else None. Returns [] if no number is found
    (a list, so that a loader can write `for parsed in parse_value_text(...)` and skip what has none).
    """
    t = unicodedata.normalize("NFKC", text).replace("−", "-").replace("‒", "-").strip()
    t = re.sub(r"[.,;:\s]+$", "", t)
    qualifier = "exact"
    lowered = t.lower()
    for words, kind in ((_APPROXIMATE, "approximate"), (_LOWER, "lower_bound"), (_UPPER, "upper_bound")):
        word = next((w for w in words if lowered.startswith(w)), None)
        if word:
            qualifier, t = kind, t[len(word) :].strip()
            break
    value_max, uncertainty = None, None
    pair = _PAIR.match(t)
    single = re.match(rf"\s*({_NUMBER})\s*(.*)$", t)
    if pair:
        value, other = _number(pair.group(1)), _number(pair.group(4))
        unit_text = pair.group(5) or pair.group(2)
        if pair.group(3).lower() in ("pm", "±", "+/-"):
            uncertainty = other
        else:
            value, value_max = min(value, other), max(value, other)
            qualifier = "range"
    elif single:
        value, unit_text = _number(single.group(1)), single.group(2)
    else:
        return []
    unit_text = re.sub(r"[.,;:\s]+$", "", unit_text.strip())
    unit = unit_text if unit_text and _is_unit(unit_text) else default_unit
    return [{"value": value, "value_max": value_max, "qualifier": qualifier, "unit": unit, "uncertainty": uncertainty}]


def split_synonyms(material: str) -> list[str]:
    """A gold material cell -> its accepted names: the '; '-separated synonyms, cleaned of BOMs and spaces."""
    names = []
    for name in material.split(";"):
        name = re.sub(r"\s+", " ", name.replace("\ufeff", "").replace("\u200b", "")).strip()
        if name and name not in names:
            names.append(name)
    return names


def _record(
    material: str | None, prop: str, parsed: dict, synonyms: list[str] | None = None, **extra: object
) -> GoldRecord:
    names = synonyms if synonyms is not None else ([material] if material else [])
    return {
        "material": names[0] if names else None,
        "synonyms": names,
        "property": prop,
        "value": parsed["value"],
        "value_max": parsed["value_max"],
        "unit": parsed["unit"],
        "qualifier": parsed["qualifier"],
        **extra,
    }


def _arxiv_group(arxiv_id: str) -> str:
    """'arxiv:2311.09099' for '2311.09099', 'arXiv:2311.09099v2' or 'http://arxiv.org/abs/2311.09099'."""
    m = re.search(r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\s*$", arxiv_id.strip())
    return f"arxiv:{m.group(1)}" if m else f"arxiv:{arxiv_id.strip()}"


def _numbers_in(text: str) -> list[float]:
    """The numbers of a text that stand alone: not the digits of a formula ('MoS2') or a reference mark."""
    return [float(n) for n in re.findall(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z]?\d)", text.replace(",", ""))]


def _flag_several(records: list[GoldRecord]) -> None:
    """Mark records whose source sentence states two or more of the paper's gold values, or says 'respectively'.

    Two gold rows with the same source, or a source that contains the numbers of two gold records (in eV
    or meV), make a sentence with several values; table sources ("Table 2") are never counted here.
    """
    by_source = Counter(r["source"] for r in records)
    for r in records:
        source = r.get("source") or ""
        if r.get("from_table") or not source or re.fullmatch(r"(?i)\s*table\s*\S+\s*", source):
            r["several"] = False
            continue
        numbers = _numbers_in(source)
        stated = {
            (o["value"], o["value_max"])
            for o in records
            if any(abs(n - o["value"]) < 1e-9 or abs(n - 1000 * o["value"]) < 1e-6 for n in numbers)
        }
        r["several"] = by_source[source] > 1 or len(stated) > 1 or "respectively" in source.lower()


def bandgap_200(corpus_dir: Path) -> list[GoldItem]:
    """All 134 shared bandgap-200 papers (26 with gold, 108 with none: every record there is a false positive).

    Fields (gold_bandgaps.csv): material -> material and synonyms ('; '-separated; parenthesised
    qualifiers kept, the scorer also accepts the name without them); value_eV -> value, value_max,
    qualifier, unit eV; position_class 4, or a source that names a table ("TABLE II"; the curators
    gave 22 such rows class 2 or 3) -> from_table; source -> source (the sentence, or "Table N")
    and the several-values flag; value_class -> value_class (5: derived by the curator from a stated
    difference). The item carries the paper's split of `corpora.bandgap_200_papers` in "split".
    """
    base = corpus_dir / "bandgap-200-arxiv"
    by_doi: dict[str, list[GoldRecord]] = {}
    with (base / "gold_bandgaps.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            for parsed in parse_value_text(row["value_eV"], default_unit="eV"):
                parsed["unit"] = "eV"  # value_eV is in eV by construction
                by_doi.setdefault(row["doi"], []).append(
                    _record(
                        None,
                        "band_gap",
                        parsed,
                        split_synonyms(row["material"]),
                        from_table=row["position_class"] == "4" or row["source"].strip().lower().startswith("table"),
                        source=row["source"].replace("\ufeff", "").strip(),
                        value_class=row["value_class"],
                    )
                )
    items = []
    for row in bandgap_200_papers(corpus_dir):
        records = by_doi.get(row["doi"], [])
        _flag_several(records)
        items.append(
            {
                "id": row["doi"],
                "path": str(base / row["text_file"]),
                "records": records,
                "group": _arxiv_group(row["arxiv_id"]) if row["arxiv_id"] else row["doi"],
                "set": "bandgap-200",
                "properties": ["band_gap"],
                "split": row["split"],
            }
        )
    return items


def cde_bandgap(corpus_dir: Path) -> list[GoldItem]:
    """The 209 hand-checked band gaps of ChemDataExtractor's evaluation, one item per sentence (78 papers).

    Fields (gold_records.csv): sentence -> text; doc -> group; compound -> material; value + unit
    (eV or meV) -> value, unit; temperature is a condition and is not scored. Only sentences with a
    record are listed, so precision here is over sentences that do hold a band gap. A sentence with
    two or more records or "respectively" -> several.
    """
    by_sentence: dict[tuple[str, str], list[GoldRecord]] = {}
    with (corpus_dir / "cde-bandgap-eval" / "gold_records.csv").open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            unit = row["unit"].strip() or "eV"
            for parsed in parse_value_text(row["value"], default_unit=unit):
                parsed["unit"] = unit
                by_sentence.setdefault((row["doc"], row["sentence"]), []).append(
                    _record(row["compound"].strip(), "band_gap", parsed, source=row["sentence"])
                )
    items = []
    for (doc, sentence), records in by_sentence.items():
        for r in records:
            r["several"] = len(records) > 1 or "respectively" in sentence.lower()
        items.append(
            {
                "id": f"cde:{doc}:{hashlib.sha1(sentence.encode()).hexdigest()[:8]}",
                "text": sentence,
                "records": records,
                "group": f"cde:{doc.removesuffix('.txt')}",
                "set": "cde-bandgap",
                "properties": ["band_gap"],
                "split": split_by_hash(doc),
            }
        )
    return items


def bert_psie(corpus_dir: Path) -> list[GoldItem]:
    """2 x 200 arXiv abstracts with manual (compound, value) pairs: band gap and Curie temperature.

    Fields (comparison/manual_{gap,Tc}.csv): source -> the abstract (index into abstracts_*.json);
    compound -> material (spaces the export lost or added are ignored by the scorer); Gap / Tc ->
    value, unit (eV or K when the string has none: "2.0pm0.1"); "A to B" and "A and B" are ranges; a
    sentence of the abstract that states the value with another gold value or "respectively" -> several.
    Each abstract is scored only for its set's property: a Curie temperature found in a band-gap
    abstract is neither right nor wrong. Most abstracts have no pair (precision test).
    """
    base = corpus_dir / "bert-psie-curie-bandgap" / "comparison"
    items = []
    for tag, column, prop, unit in (("gap", "Gap", "band_gap", "eV"), ("Tc", "Tc", "curie_temperature", "K")):
        data = json.loads((base / f"abstracts_{tag}.json").read_text(encoding="utf-8"))
        gold: dict[int, list[GoldRecord]] = {}
        with (base / f"manual_{tag}.csv").open(encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                compound = re.sub(r"[.\s]+$", "", row["compound"].strip())
                for parsed in parse_value_text(re.sub(r"\s+", "", row[column]), default_unit=unit):
                    gold.setdefault(int(row["source"]), []).append(_record(compound, prop, parsed))
        for index, abstract in enumerate(data["abstracts"]):
            _flag_several_by_text(abstract, gold.get(index, []))
            items.append(
                {
                    "id": f"bert-psie-{tag}:{index}",
                    "text": abstract,
                    "records": gold.get(index, []),
                    "group": _arxiv_group(str(data["sources"][index])),
                    "set": "bert-psie",
                    "properties": [prop],
                    "split": split_by_hash(f"{tag}-{index}"),
                }
            )
    return items


# PolyIE property words the vocabulary does not resolve by itself (misspelt or bare), and the properties
# scored on PolyIE: the solar-cell figures and mobilities its annotators linked throughout (band gaps
# too). Others (HOMO, molecular weight, ...) are outside the vocabulary.
_POLYIE_ALIASES = {
    "efficiency": "power_conversion_efficiency",
    "ll factor": "fill_factor",
    "e g opt": "band_gap",
    "shortcircuit current density": "short_circuit_current_density",
}
POLYIE_PROPERTIES = [
    "power_conversion_efficiency",
    "open_circuit_voltage",
    "short_circuit_current_density",
    "fill_factor",
    "carrier_mobility",
    "band_gap",
]


def resolve_property(text: str, aliases: dict[str, str] | None = None) -> str | None:
    """An annotated property span -> the vocabulary name, forgiving plurals and tokenizer spaces ('V oc', 'PCEs')."""
    vocab = load_vocabulary()
    t = re.sub(r"\s*-\s*", "-", re.sub(r"\s+", " ", text.strip()))
    singular = re.sub(r"(?<=[A-Za-z]{2})(?<![su])s\b", "", re.sub(r"ies\b", "y", t))
    for candidate in (t, singular):
        if aliases and candidate.lower() in aliases:
            return aliases[candidate.lower()]
        for form in (candidate, re.sub(r"(?<=\b[A-Za-z]) (?=[A-Za-z]{1,3}\b)", "", candidate)):
            name = vocab.resolve(form)
            if name:
                return name
    return None


def polyie(corpus_dir: Path) -> list[GoldItem]:
    """PolyIE polymer papers (90: train, validation and test), one item per paper, chunks joined by blank lines.

    Fields: relation (CN, PN, PV[, Condition]) -> material = the CN span, property = the PN span resolved
    by the vocabulary (plural and tokenizer-split forms forgiven, see `resolve_property`), value + unit
    parsed from the PV span (unit None when the span has none: '339' for a temperature in °C; then the
    predicted number is compared as written). Scored: POLYIE_PROPERTIES. The text is the corpus's
    tokens re-joined, as the training builder joins them.
    """
    items = []
    for split_file in ("train_split.json", "validation_split.json", "test_split.json"):
        data = json.loads((corpus_dir / "polyie" / split_file).read_text(encoding="utf-8"))
        for d, (chunks, relations) in enumerate(zip(data["text"], data["relation"], strict=True)):
            paper = f"polyie:{split_file.split('_')[0]}-{d}"
            parts, records = [], []
            offset = 0
            for tokens, rels in zip(chunks, relations, strict=True):
                text, spans = _detokenize(tokens)
                for rel in (r for r in rels if len(r) >= 3):
                    (m0, m1), (p0, p1), (v0, v1) = rel[:3]
                    prop = resolve_property(text[spans[p0][0] : spans[p1 - 1][1]], _POLYIE_ALIASES)
                    if prop not in POLYIE_PROPERTIES:
                        continue
                    value_span = (spans[v0][0], spans[v1 - 1][1])
                    for parsed in parse_value_text(text[value_span[0] : value_span[1]]):
                        record = _record(
                            text[spans[m0][0] : spans[m1 - 1][1]],
                            prop,
                            parsed,
                            value_span=[offset + value_span[0], offset + value_span[1]],
                        )
                        if record not in records:  # the same relation annotated twice
                            records.append(record)
                parts.append(text)
                offset += len(text) + 2
            _flag_several_by_span("\n\n".join(parts), records)
            items.append(
                {
                    "id": paper,
                    "text": "\n\n".join(parts),
                    "records": records,
                    "group": paper,
                    "set": "polyie",
                    "properties": POLYIE_PROPERTIES,
                    "split": "train" if split_file.startswith("train") else "dev",
                }
            )
    return items


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans: a period, '!' or '?' then space and a capital or digit, or a blank line."""
    bounds, start = [], 0
    for m in re.finditer(r"(?<=[.!?])\s+(?=[A-Z0-9(])|\n\s*\n", text):
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _flag_several_by_span(text: str, records: list[GoldRecord], bounds: list[tuple[int, int]] | None = None) -> None:
    """several = another gold value of the item stands in the same sentence, or the sentence says 'respectively'."""
    bounds = bounds or _sentence_bounds(text)
    for r in records:
        start = r["value_span"][0]
        s, e = next(((s, e) for s, e in bounds if s <= start < e), (start, start))
        others = {tuple(o["value_span"]) for o in records if s <= o["value_span"][0] < e}
        r["several"] = len(others) > 1 or "respectively" in text[s:e].lower()


def _flag_several_by_text(text: str, records: list[GoldRecord]) -> None:
    """several = a sentence that states the record's number also states another gold value, or says 'respectively'.

    For gold without positions (abstract-level pairs): the record's sentences are those holding its number.
    """
    sentences = [text[s:e] for s, e in _sentence_bounds(text)]

    def states(sentence: str, record: GoldRecord) -> bool:
        return any(abs(n - record["value"]) < 1e-9 for n in _numbers_in(sentence))

    for r in records:
        own = [s for s in sentences if states(s, r)]
        r["several"] = any(
            "respectively" in s.lower()
            or any(o is not r and o["value"] != r["value"] and states(s, o) for o in records)
            for s in own
        )


# SOFC-Exp VALUE slots that are vocabulary properties (power and current density, resistance, voltage and
# degradation rate are not).
SOFC_PROPERTIES = {"conductivity": "electrical_conductivity", "open_circuit_voltage": "open_circuit_voltage"}
_SOFC_MATERIAL_SLOTS = {
    "electrolyte_material",
    "cathode_material",
    "anode_material",
    "interlayer_material",
    "support_material",
}


def sofc_exp(corpus_dir: Path) -> list[GoldItem]:
    """The 45 SOFC-Exp full texts: conductivity and open-circuit-voltage slots of experiment frames.

    Fields: a VALUE span in slot conductivity / open_circuit_voltage -> property (SOFC_PROPERTIES), value
    and unit parsed from the span; material -> every material slot of the frame (electrolyte, cathode,
    anode, interlayer, support) and the spans coreferent with them, any of which is accepted; a frame
    with none takes those of the frames linked to it (same_experiment, experiment_variation); still none
    -> material None (any material accepted). Only experiment sentences were annotated, so the others are
    `unscored_spans`. Working temperature and fuel are conditions, not scored.
    """
    base = corpus_dir / "sofc-exp"
    items = []
    with (base / "SOFC-Exp-Metadata.csv").open(encoding="utf-8") as fh:
        papers = sorted((row["name"], row["set"]) for row in csv.DictReader(fh, delimiter="\t"))
    for paper, corpus_split in papers:
        text = (base / "texts" / f"{paper}.txt").read_text(encoding="utf-8")
        sentences: dict[int, tuple[bool, int, int]] = {}
        for line in (base / "annotations" / "sentences" / f"{paper}.csv").read_text(encoding="utf-8").splitlines():
            sid, label, begin, end = line.split("\t")
            sentences[int(sid)] = (label == "1", int(begin), int(end))
        spans: dict[int, tuple[int, int]] = {}
        frames: list[tuple[int, list[tuple[str, int]]]] = []
        links: list[tuple[str, int, int]] = []
        for line in (base / "annotations" / "frames" / f"{paper}.csv").read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if cells[0] == "SPAN":
                offset = sentences[int(cells[3])][1]
                spans[int(cells[1])] = (offset + int(cells[4]), offset + int(cells[5]))
            elif cells[0] == "EXPERIMENT":
                frames.append((int(cells[2]), []))
            elif cells[0] == "LINK":
                links.append((cells[1], int(cells[2]), int(cells[3])))
            elif cells[0] == "" and frames and len(cells) >= 3:
                frames[-1][1].append((cells[1], int(cells[2])))
        coreferent: dict[int, set[int]] = {}
        for label, a, b in links:
            if label == "coreference":
                coreferent.setdefault(a, set()).add(b)
                coreferent.setdefault(b, set()).add(a)
        materials_of = {
            evoking: [s for slot, s in slots if slot in _SOFC_MATERIAL_SLOTS and s in spans]
            for evoking, slots in frames
        }
        linked: dict[int, set[int]] = {}
        for label, a, b in links:
            if label in ("same_experiment", "experiment_variation"):
                linked.setdefault(a, set()).add(b)
                linked.setdefault(b, set()).add(a)
        records = []
        for evoking, slots in frames:
            material_spans = materials_of.get(evoking) or [
                s for other in sorted(linked.get(evoking, ())) for s in materials_of.get(other, [])
            ]
            names: list[str] = []
            for s in material_spans + [c for m in material_spans for c in sorted(coreferent.get(m, ()))]:
                name = re.sub(r"\s+", " ", text[spans[s][0] : spans[s][1]]).strip() if s in spans else ""
                if name and name not in names:
                    names.append(name)
            for slot, span_id in slots:
                if slot not in SOFC_PROPERTIES or span_id not in spans:
                    continue
                v0, v1 = spans[span_id]
                for parsed in parse_value_text(text[v0:v1]):
                    records.append(
                        _record(None, SOFC_PROPERTIES[slot], parsed, names, value_span=[v0, v1], source=slot)
                    )
        bounds = sorted((b, e) for _, b, e in sentences.values())
        _flag_several_by_span(text, records, bounds)
        items.append(
            {
                "id": f"sofc-exp:{paper}",
                "text": text,
                "records": records,
                "group": f"sofc-exp:{paper}",
                "set": "sofc-exp",
                "properties": sorted(set(SOFC_PROPERTIES.values())),
                "unscored_spans": sorted([b, e] for is_exp, b, e in sentences.values() if not is_exp),
                "split": "train" if corpus_split == "train" else "dev",
            }
        )
    return items


def measeval(corpus_dir: Path) -> list[GoldItem]:
    """MeasEval paragraphs (train + trial): quantities linked to a MeasuredProperty that the vocabulary resolves.

    Fields (tsv): Quantity -> value (its text) and unit (other.unit); MeasuredProperty -> property (by
    `resolve_property`); the MeasuredEntity that has that property -> material. Every quantity of a
    paragraph is annotated, so all vocabulary properties are scored; a quantity with no
    MeasuredProperty (its property implicit) is an `unscored_span`: a prediction there is neither right
    nor wrong. MeasEval spans medicine to astronomy, so few of its properties are in the vocabulary.
    Groups are the article (PII), as train and trial share articles.
    """
    vocab_names = load_vocabulary().names
    base = corpus_dir / "measeval"
    items = []
    for split_dir, text_dir in (("train", "text"), ("trial", "txt")):
        for tsv in sorted((base / split_dir / "tsv").glob("*.tsv")):
            text = (base / split_dir / text_dir / f"{tsv.stem}.txt").read_text(encoding="utf-8")
            with tsv.open(encoding="utf-8") as fh:
                rows: list[dict] = list(csv.DictReader(fh, delimiter="\t"))
            for row in rows:
                row["links"] = json.loads(row["other"]) if row["other"].strip() else {}
            by_id = {row["annotId"]: row for row in rows}
            records, unscored = [], []
            quantities_with_property = set()
            for prop_row in (r for r in rows if r["annotType"] == "MeasuredProperty"):
                quantity = by_id.get(prop_row["links"].get("HasQuantity", ""))
                if quantity is None:
                    continue
                quantities_with_property.add(quantity["annotId"])
                prop = resolve_property(prop_row["text"])
                if prop is None:
                    continue
                entity = next(
                    (
                        r
                        for r in rows
                        if r["annotType"] == "MeasuredEntity" and r["links"].get("HasProperty") == prop_row["annotId"]
                    ),
                    None,
                )
                unit = (quantity["links"].get("unit") or "").strip() or None
                for parsed in parse_value_text(quantity["text"], default_unit=unit):
                    records.append(
                        _record(
                            entity["text"].strip() if entity else None,
                            prop,
                            parsed,
                            value_span=[int(quantity["startOffset"]), int(quantity["endOffset"])],
                        )
                    )
            for q in (r for r in rows if r["annotType"] == "Quantity"):
                if q["annotId"] not in quantities_with_property:
                    unscored.append([int(q["startOffset"]), int(q["endOffset"])])
            items.append(
                {
                    "id": f"measeval:{tsv.stem}",
                    "text": text,
                    "records": records,
                    "group": f"measeval:{tsv.stem.rsplit('-', 1)[0]}",
                    "set": "measeval",
                    "properties": vocab_names,
                    "split": split_by_hash(tsv.stem.rsplit("-", 1)[0]),
                    "unscored_spans": sorted(unscored),
                }
            )
    return items


GOLD_SETS: dict[str, Callable[[Path], list[GoldItem]]] = {
    "bandgap-200": bandgap_200,
    "cde-bandgap": cde_bandgap,
    "bert-psie": bert_psie,
    "polyie": polyie,
    "sofc-exp": sofc_exp,
    "measeval": measeval,
}


def load_gold_set(name: str, corpus_dir: Path) -> list[GoldItem]:
    """The items of a gold set by name (GOLD_SETS).

    Raises:
        InputError: no such set, or its corpus folder is missing.
    """
    if name not in GOLD_SETS:
        raise InputError(f"no gold set {name!r}; choose from {', '.join(GOLD_SETS)}")
    try:
        return GOLD_SETS[name](Path(corpus_dir))
    except FileNotFoundError as err:
        raise InputError(f"gold set {name}: {err.filename} is missing under {corpus_dir}") from err


def fold_of(group: str, k: int = 5) -> int:
    """The fold (0..k-1) of a paper: a hash of its id, the same in every gold set and every run."""
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % k


def folds(items: list[GoldItem], k: int = 5) -> list[list[GoldItem]]:
    """Items split into k folds by paper (`group`, else `id`), in their original order within a fold."""
    out: list[list[GoldItem]] = [[] for _ in range(k)]
    for item in items:
        out[fold_of(str(item.get("group") or item["id"]), k)].append(item)
    return out


def split_by_hash(paper: str) -> str:
    """The training builders' split of a paper that its corpus does not split: 'dev' for one paper in five."""
    return "dev" if int(hashlib.sha256(paper.encode()).hexdigest(), 16) % 5 == 0 else "train"


def bandgap_200_papers(corpus_dir: Path) -> list[dict]:
    """papers.csv rows, each with its split: every third paper (in file order) is dev, by stratum."""
    rows = list(csv.DictReader((corpus_dir / "bandgap-200-arxiv" / "papers.csv").open(encoding="utf-8")))
    seen: Counter[bool] = Counter()
    for row in rows:
        stratum = int(row["n_gold_records"]) > 0
        row["split"] = "dev" if seen[stratum] % 3 == 1 else "train"
        seen[stratum] += 1
    return rows


def _detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join word tokens into text the way it was printed; the [start, end) of every token."""
    text, spans = "", []
    for i, tok in enumerate(tokens):
        glue = i == 0 or tok in {",", ".", ")", ";", ":", "%", "]"} or tokens[i - 1] in {"(", "["}
        text += "" if glue else " "
        spans.append((len(text), len(text) + len(tok)))
        text += tok
    return text, spans
