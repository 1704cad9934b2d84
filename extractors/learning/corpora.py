"""Builders that turn the shared annotated corpora into (passage -> records) training examples.

An example is one JSON line:
    {"id", "corpus", "paper", "split": "train"|"dev", "passage": {"text", "context"},
     "properties": ["band_gap"] | null, "records": [{"material", "property", "value", "unit"}]}
Every record's material is an exact substring of the passage and its value is exactly the text of
a quantity the tagger finds there, which is all the constrained decoder lets the model write.
A passage where a gold value is present but cannot be aligned is dropped, never kept with the
record missing (that would teach the model to miss). Candidate passages with no gold value are
negatives. Splits are by paper. The corpora are read at run time and never copied.

    python -m extractors.learning.corpora OUT_DIR [CORPUS_DIR]   (default: PROPMINE_CORPUS_DIR)
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from extractors.documents.papers import open_paper, parse_text_file
from extractors.documents.passages import is_candidate, make_passages
from extractors.learning.gold import _detokenize, bandgap_200, bandgap_200_papers, split_by_hash
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import to_canonical
from extractors.records.grounding import find_material, ground_proposal
from schemas.errors import InputError
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.settings import Settings

NEGATIVES_PER_POSITIVE = 2


def parse_gold_value(text: str) -> tuple[float, float | None, str] | None:
    """'~1.13' -> (1.13, None, 'approximate'); '1.5-2.3' -> range; '<0.002' -> bound; '2.4-2.7eV.' too."""
    t = text.strip().rstrip(".").replace("−", "-").replace("–", "-")
    t = re.sub(r"\s*(eV|meV|K)\s*$", "", t).strip()
    qualifier = "exact"
    if t[:1] in "~≈":
        qualifier, t = "approximate", t[1:]
    elif t[:1] == "<":
        qualifier, t = "upper_bound", t[1:]
    elif t[:1] == ">":
        qualifier, t = "lower_bound", t[1:]
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*", t)
    if not m:
        return None
    value = float(m.group(1))
    value_max = float(m.group(2)) if m.group(2) else None
    return value, value_max, "range" if value_max is not None else qualifier


def material_names(gold: str) -> list[str]:
    """All the names a gold material may appear under: synonyms, without parentheses, the formula word."""
    names: list[str] = []
    for name in gold.split(";"):
        name = name.strip()
        for candidate in (name, re.sub(r"\s*\([^)]*\)", "", name).strip(), name.split(" ")[0]):
            if candidate and len(candidate) > 1 and candidate not in names:
                names.append(candidate)
    return names


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.01 * max(abs(b), 1e-9) or (b == 0 and abs(a) < 1e-9)


def value_matches(text: str, value: float, value_max: float | None, unit: str) -> list:
    """Tagged quantities in text whose value (and upper end) equal the gold within 1% in the gold unit."""
    hits = []
    for q in tag_quantities(text):
        if q.unit is None:
            continue
        try:
            v = to_canonical(q.value, q.unit, unit)
            vmax = to_canonical(q.value_max, q.unit, unit) if q.value_max is not None else None
        except InputError:
            continue
        if (
            _close(v, value)
            and ((value_max is None) == (vmax is None))
            and (value_max is None or (vmax is not None and _close(vmax, value_max)))
        ):
            hits.append(q)
    return hits


def align(
    passage: Passage, names: list[str], value: float, value_max: float | None, unit: str, prop: str
) -> dict[str, Any] | Literal[False] | None:
    """The record as spans of this passage; False if the value is here but the material is not; None if absent."""
    hits = value_matches(passage.text, value, value_max, unit)
    if not hits:
        return None
    q = hits[0]
    best = None
    for name in names:
        for m in re.finditer(re.escape(name), passage.text):
            distance = abs(m.start() - q.span[0])
            if best is None or distance < best[0]:
                best = (distance, m.start(), m.end())
        if best is None:
            span = find_material(name, passage.text)
            if span:
                best = (abs(span[0] - q.span[0]), *span)
    if best is None:
        return False
    return {
        "material": passage.text[best[1] : best[2]],
        "property": prop,
        "value": passage.text[q.span[0] : q.span[1]],
        "unit": None,
    }


def _examples_from_document(
    corpus: str, paper: str, split: str, passages: list[Passage], gold: list[dict], prop: str, rng: random.Random
) -> Iterator[dict]:
    """Label candidate passages of one paper with its gold; yield positives and sampled negatives."""
    positives: list[dict] = []
    negatives: list[dict] = []
    for p in passages:
        if not is_candidate(p, {prop}):
            continue
        records: list[dict] = []
        broken, touched = False, False
        for g in gold:
            got = align(p, g["names"], g["value"], g["value_max"], g["unit"], prop)
            if got is False:
                broken = True
            elif got:
                touched = True
                if got not in records and not any(r["value"] == got["value"] for r in records):
                    records.append(got)
        if broken:
            continue
        example = {
            "id": f"{corpus}:{paper}:{p.char_start}",
            "corpus": corpus,
            "paper": paper,
            "split": split,
            "passage": {"text": p.text, "context": p.context},
            "properties": [prop],
            "records": records,
        }
        (positives if touched else negatives).append(example)
    rng.shuffle(negatives)
    yield from positives
    yield from negatives[: max(NEGATIVES_PER_POSITIVE * len(positives), 1)]


def _bandgap_200_gold_rows(corpus_dir: Path) -> dict[str, list[dict]]:
    by_doi: dict[str, list[dict]] = {}
    for row in csv.DictReader((corpus_dir / "bandgap-200-arxiv" / "gold_bandgaps.csv").open(encoding="utf-8")):
        parsed = parse_gold_value(row["value_eV"])
        if parsed is None:
            continue
        value, value_max, qualifier = parsed
        by_doi.setdefault(row["doi"], []).append(
            {
                "material": row["material"].split(";")[0].strip(),
                "names": material_names(row["material"]),
                "value": value,
                "value_max": value_max,
                "unit": "eV",
                "qualifier": qualifier,
                "from_table": row["position_class"] == "4",
            }
        )
    return by_doi


def bandgap_200_gold(corpus_dir: Path, split: str = "dev") -> list[dict]:
    """Per-paper gold of a bandgap-200 split ("train", "dev" or "all"), in the evaluation format of DESIGN.md.

    The items of `gold.bandgap_200` (the curators' synonyms only, table and several-values flags, and
    the paper's fold group), restricted to the split.
    """
    return [item for item in bandgap_200(corpus_dir) if split == "all" or item["split"] == split]


def build_bandgap_200(corpus_dir: Path) -> Iterator[dict]:
    gold = _bandgap_200_gold_rows(corpus_dir)
    rng = random.Random(0)
    for row in bandgap_200_papers(corpus_dir):
        doc = parse_text_file(open_paper(corpus_dir / "bandgap-200-arxiv" / row["text_file"]))
        yield from _examples_from_document(
            "bandgap-200", row["doi"], row["split"], make_passages(doc), gold.get(row["doi"], []), "band_gap", rng
        )


def build_cde_bandgap(corpus_dir: Path) -> Iterator[dict]:
    """Sentences with hand-checked band gaps (no negatives in this corpus)."""
    by_sentence: dict[tuple[str, str], list[dict]] = {}
    for row in csv.DictReader((corpus_dir / "cde-bandgap-eval" / "gold_records.csv").open(encoding="utf-8")):
        parsed = parse_gold_value(row["value"])
        if parsed is None:
            continue
        by_sentence.setdefault((row["doc"], row["sentence"]), []).append(
            {
                "names": material_names(row["compound"]),
                "value": parsed[0],
                "value_max": parsed[1],
                "unit": row["unit"].strip() or "eV",
            }
        )
    for (doc_id, sentence), gold in by_sentence.items():
        p = Passage(passage_id="s", paper_id=doc_id, text=sentence, char_start=0, char_end=len(sentence))
        records: list[dict] | None = []
        for g in gold:
            got = align(p, g["names"], g["value"], g["value_max"], g["unit"], "band_gap")
            if not got or records is None:
                records = None
                break
            if not any(r["value"] == got["value"] for r in records):
                records.append(got)
        if records:
            yield {
                "id": f"cde:{doc_id}:{hashlib.sha1(sentence.encode()).hexdigest()[:8]}",
                "corpus": "cde-bandgap",
                "paper": doc_id,
                "split": split_by_hash(doc_id),
                "passage": {"text": sentence, "context": ""},
                "properties": ["band_gap"],
                "records": records,
            }


def build_bert_psie(corpus_dir: Path) -> Iterator[dict]:
    """arXiv abstracts with manual band-gap and Curie-temperature pairs (most abstracts are negatives)."""
    base = corpus_dir / "bert-psie-curie-bandgap" / "comparison"
    rng = random.Random(0)
    for tag, prop, unit in (("gap", "band_gap", "eV"), ("Tc", "curie_temperature", "K")):
        abstracts = json.loads((base / f"abstracts_{tag}.json").read_text(encoding="utf-8"))["abstracts"]
        gold: dict[int, list[dict]] = {}
        unparsed: set[int] = set()
        for row in csv.DictReader((base / f"manual_{tag}.csv").open(encoding="utf-8")):
            parsed = parse_gold_value(row[tag if tag == "Tc" else "Gap"])
            index = int(row["source"])
            if parsed is None:
                unparsed.add(index)
                continue
            gold.setdefault(index, []).append(
                {"names": material_names(row["compound"]), "value": parsed[0], "value_max": parsed[1], "unit": unit}
            )
        with tempfile.TemporaryDirectory() as tmp:
            for index, abstract in enumerate(abstracts):
                if index in unparsed:
                    continue
                path = Path(tmp) / f"{tag}-{index}.txt"
                path.write_text(abstract, encoding="utf-8")
                doc = parse_text_file(open_paper(path))
                paper = f"{tag}-{index}"
                yield from _examples_from_document(
                    f"bert-psie-{tag}", paper, split_by_hash(paper), make_passages(doc), gold.get(index, []), prop, rng
                )


def build_polyie(corpus_dir: Path) -> Iterator[dict]:
    """Polymer papers (solar cells, batteries) with <compound, property, value> relations per chunk.

    The property words are resolved with the vocabulary; relations of properties it lacks (V_oc,
    HOMO, ...) are left out, and the prompt names only the properties that are kept. The validation
    and test splits go to dev.
    """
    from schemas.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    rng = random.Random(0)
    for split_file, split in (
        ("train_split.json", "train"),
        ("validation_split.json", "dev"),
        ("test_split.json", "dev"),
    ):
        data = json.loads((corpus_dir / "polyie" / split_file).read_text(encoding="utf-8"))
        for d, (chunks, relations) in enumerate(zip(data["text"], data["relation"], strict=True)):
            paper = f"{split_file.split('_')[0]}-{d}"
            for c, (tokens, rels) in enumerate(zip(chunks, relations, strict=True)):
                text, spans = _detokenize(tokens)
                gold = []
                for rel in (r for r in rels if len(r) >= 3):  # 2-ary relations lack a value
                    (m0, m1), (p0, p1), (v0, v1) = rel[:3]
                    prop = vocab.resolve(text[spans[p0][0] : spans[p1 - 1][1]])
                    if prop:
                        gold.append(
                            {
                                "material": text[spans[m0][0] : spans[m1 - 1][1]],
                                "property": prop,
                                "value_span": (spans[v0][0], spans[v1 - 1][1]),
                            }
                        )
                if gold:
                    yield from _polyie_examples(paper, c, split, text, gold, rng)


def _polyie_examples(
    paper: str, chunk: int, split: str, text: str, gold: list[dict], rng: random.Random
) -> Iterator[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chunk.txt"
        path.write_text(text, encoding="utf-8")
        passages = make_passages(parse_text_file(open_paper(path)))
    properties = sorted({g["property"] for g in gold})
    positives: list[dict] = []
    negatives: list[dict] = []
    for p in passages:
        if not is_candidate(p, set(properties)):
            continue
        inside = [g for g in gold if p.char_start <= g["value_span"][0] < p.char_end]
        records: list[dict] = []
        broken = False
        for g in inside:
            start = g["value_span"][0] - p.char_start
            quantity = next((q for q in tag_quantities(p.text) if q.span[0] <= start < q.span[1] and q.unit), None)
            if quantity is None or g["material"] not in p.text:
                broken = True
                break
            record = {"material": g["material"], "property": g["property"], "value": quantity.text, "unit": None}
            if record not in records:
                records.append(record)
        if broken:
            continue
        example = {
            "id": f"polyie:{paper}:{chunk}:{p.char_start}",
            "corpus": "polyie",
            "paper": paper,
            "split": split,
            "passage": {"text": p.text, "context": p.context},
            "properties": properties,
            "records": records,
        }
        (positives if records else negatives).append(example)
    rng.shuffle(negatives)
    yield from positives
    yield from negatives[: len(positives)]


# The grounding reasons that mean the gold quantity is not a value of the vocabulary property (a
# "density" of people per km², a unitless "conductivity" ratio): the record is left out, the passage kept.
_MISFIT_REASONS = ("does not fit", "has no unit")


def _ground_examples(
    corpus: str,
    paper: str,
    split: str,
    passages: list[Passage],
    gold: list[dict],
    rng: random.Random,
    negative_ok: Callable[[Passage], bool] = lambda p: True,
) -> Iterator[dict]:
    """Label the candidate passages of one text with gold given as document spans; positives, then sampled negatives.

    Each gold item has "material" (None when the corpus gives none), "material_span" ((start, end) in the document or None), "property" and
    "value_span". A record is kept only if `ground_proposal` grounds it in the passage; a gold value that
    the tagger or the material search cannot find drops the passage.
    """
    info = ExtractorInfo(name="corpus")
    properties = sorted({g["property"] for g in gold})
    positives: list[dict] = []
    negatives: list[dict] = []
    for p in passages:
        if not properties or not is_candidate(p, set(properties)):
            continue
        quantities = tag_quantities(p.text)
        records: list[dict] = []
        broken = False
        for g in (g for g in gold if p.char_start <= g["value_span"][0] < p.char_end):
            start, end = g["value_span"][0] - p.char_start, g["value_span"][1] - p.char_start
            quantity = next((q for q in quantities if q.span[0] < end and start < q.span[1] and q.unit), None)
            span = g["material_span"]
            material: str | None
            if span and p.char_start <= span[0] and span[1] <= p.char_end:
                material = p.text[span[0] - p.char_start : span[1] - p.char_start]
            else:
                material = g["material"] if g["material"] and g["material"] in p.text else None
            if quantity is None or material is None:
                broken = True
                break
            proposal = Proposal(material=material, property=g["property"], value=quantity.text)
            grounded = ground_proposal(proposal, p, info, corpus)
            if grounded.record is None:
                if any(r in grounded.rejected.reason for r in _MISFIT_REASONS):  # type: ignore[union-attr]
                    continue
                broken = True
                break
            record = {"material": material, "property": g["property"], "value": quantity.text, "unit": None}
            if record not in records:
                records.append(record)
        if broken or not (records or negative_ok(p)):
            continue
        example = {
            "id": f"{corpus}:{paper}:{p.passage_id}",
            "corpus": corpus,
            "paper": paper,
            "split": split,
            "passage": {"text": p.text, "context": p.context},
            "properties": properties,
            "records": records,
        }
        (positives if records else negatives).append(example)
    rng.shuffle(negatives)
    yield from positives
    yield from negatives[: NEGATIVES_PER_POSITIVE * len(positives)]


def _text_passages(text: str) -> list[Passage]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "text.txt"
        path.write_text(text, encoding="utf-8")
        return make_passages(parse_text_file(open_paper(path)))


def build_measeval(corpus_dir: Path) -> Iterator[dict]:
    """MeasEval paragraphs: a Quantity linked to a MeasuredProperty the vocabulary resolves, and to its MeasuredEntity.

    A record is (MeasuredEntity text, the resolved property, the tagged text of the Quantity), kept only
    if `ground_proposal` grounds it, so a quantity whose unit does not fit the property is left out
    (its passage stays, without it). Left out: quantities with no MeasuredProperty (about a third; the
    property is implicit), properties outside the vocabulary (most: MeasEval spans medicine, earth
    science, astronomy...), qualifiers (conditions), and paragraphs with no kept record, since
    the prompt names only the properties of the paragraph's gold. MeasEval's train and trial sets
    share articles, so papers (article PII) are split by hash, not by the corpus's split.
    """
    from schemas.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    rng = random.Random(0)
    base = corpus_dir / "measeval"
    for split_dir, text_dir in (("train", "text"), ("trial", "txt")):
        for tsv in sorted((base / split_dir / "tsv").glob("*.tsv")):
            text = (base / split_dir / text_dir / f"{tsv.stem}.txt").read_text(encoding="utf-8")
            rows: list[dict[str, Any]] = list(csv.DictReader(tsv.open(encoding="utf-8"), delimiter="\t"))
            for row in rows:
                row["links"] = json.loads(row["other"]) if row["other"].strip() else {}
            by_id = {row["annotId"]: row for row in rows}
            gold = []
            for prop_row in (r for r in rows if r["annotType"] == "MeasuredProperty"):
                quantity = by_id.get(prop_row["links"].get("HasQuantity", ""))
                prop = vocab.resolve(prop_row["text"])
                entity = next(
                    (
                        r
                        for r in rows
                        if r["annotType"] == "MeasuredEntity" and r["links"].get("HasProperty") == prop_row["annotId"]
                    ),
                    None,
                )
                if prop is None or quantity is None or entity is None:
                    continue
                gold.append(
                    {
                        "material": entity["text"],
                        "material_span": (int(entity["startOffset"]), int(entity["endOffset"])),
                        "property": prop,
                        "value_span": (int(quantity["startOffset"]), int(quantity["endOffset"])),
                    }
                )
            if gold:
                paper = tsv.stem.rsplit("-", 1)[0]
                yield from _ground_examples("measeval", tsv.stem, split_by_hash(paper), _text_passages(text), gold, rng)


# SOFC-Exp VALUE slots whose name means a vocabulary property. The vocabulary would resolve
# "power density" and "current density" to (mass) density, which they are not; resistance,
# voltage and degradation rate have no vocabulary property.
SOFC_PROPERTIES = {"conductivity": "electrical_conductivity", "open_circuit_voltage": "open_circuit_voltage"}
_SOFC_MATERIAL_SLOTS = (
    "electrolyte_material",
    "cathode_material",
    "anode_material",
    "interlayer_material",
    "support_material",
)


def _sofc_material(
    frame: list[tuple[str, int]], spans: dict[int, tuple[str, int, int]], text: str
) -> tuple[str, int, int] | None:
    """The frame's material: its one material, else its one electrolyte material; None if absent or ambiguous."""
    found: dict[str, list[tuple[str, int, int]]] = {}
    for slot, span_id in frame:
        if slot in _SOFC_MATERIAL_SLOTS and span_id in spans:
            _, start, end = spans[span_id]
            found.setdefault(slot, []).append((text[start:end], start, end))
    names = {m[0] for ms in found.values() for m in ms}
    if len(names) == 1:
        return next(iter(found.values()))[0]
    electrolytes = {m[0] for m in found.get("electrolyte_material", [])}
    return found["electrolyte_material"][0] if len(electrolytes) == 1 else None


def build_sofc_exp(corpus_dir: Path) -> Iterator[dict]:
    """SOFC-Exp full texts: conductivity and open-circuit-voltage slots of experiment frames, with the frame's material.

    A record is (the frame's material, the property of the VALUE slot, the tagged text of the value),
    kept only if it grounds. The material is the frame's only material, else its only electrolyte
    material; a frame with none or several leaves its value unalignable and drops the passage. Left
    out: power density, current density, resistance, voltage, degradation rate (no vocabulary
    property), the DEVICE span as a material, working temperature and fuel (conditions), and the
    thickness links. Negatives are sampled only from passages that lie within experiment sentences,
    which annotators labelled in full; elsewhere an unlabelled value may still be a conductivity.
    The corpus's split is used (dev and test go to dev).
    """
    base = corpus_dir / "sofc-exp"
    rng = random.Random(0)
    with (base / "SOFC-Exp-Metadata.csv").open(encoding="utf-8") as fh:
        splits = {
            row["name"]: "train" if row["set"] == "train" else "dev" for row in csv.DictReader(fh, delimiter="\t")
        }
    for paper, split in sorted(splits.items()):
        text = (base / "texts" / f"{paper}.txt").read_text(encoding="utf-8")
        sentences = {}
        for line in (base / "annotations" / "sentences" / f"{paper}.csv").read_text(encoding="utf-8").splitlines():
            sid, label, begin, end = line.split("\t")
            sentences[int(sid)] = (label == "1", int(begin), int(end))
        spans: dict[int, tuple[str, int, int]] = {}
        frames: list[list[tuple[str, int]]] = []
        for line in (base / "annotations" / "frames" / f"{paper}.csv").read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if cells[0] == "SPAN":
                offset = sentences[int(cells[3])][1]
                spans[int(cells[1])] = (cells[2], offset + int(cells[4]), offset + int(cells[5]))
            elif cells[0] == "EXPERIMENT":
                frames.append([])
            elif cells[0] == "" and frames and len(cells) >= 3:
                frames[-1].append((cells[1], int(cells[2])))
        gold = []
        for frame in frames:
            material = _sofc_material(frame, spans, text)
            for slot, span_id in frame:
                if slot in SOFC_PROPERTIES and span_id in spans:
                    gold.append(
                        {
                            "material": material[0] if material else None,
                            "material_span": material[1:] if material else None,
                            "property": SOFC_PROPERTIES[slot],
                            "value_span": spans[span_id][1:],
                        }
                    )
        labelled = [(begin, end) for is_exp, begin, end in sentences.values() if not is_exp]

        def in_experiments(p: Passage, unlabelled: list[tuple[int, int]] = labelled) -> bool:
            return not any(b < p.char_end and p.char_start < e for b, e in unlabelled)

        yield from _ground_examples("sofc-exp", paper, split, _text_passages(text), gold, rng, in_experiments)


def build_grobid_quantities(corpus_dir: Path) -> Iterator[dict]:
    """grobid-quantities makes no examples: it annotates measurements, never which material has which property.

    Its quantities carry a physical type (TEMPERATURE, MAGNETIC_FIELD_STRENGTH), not a property, and its
    few quantified-object spans mix properties ("T c", "volume fraction") with samples ("H-doped
    samples"), so no record can be built without inventing the link. Nor is it an honest source of
    negatives: a candidate passage (a vocabulary property word near a fitting quantity) there is as
    likely a positive nobody labelled ("the coercivity of the magnets increased from 13.58 kOe to
    20.10 kOe") as a true negative. Use it to score quantity and unit tagging instead.
    """
    return iter(())


BUILDERS = {
    "bandgap-200": build_bandgap_200,
    "cde-bandgap": build_cde_bandgap,
    "bert-psie": build_bert_psie,
    "polyie": build_polyie,
    "measeval": build_measeval,
    "sofc-exp": build_sofc_exp,
    "grobid-quantities": build_grobid_quantities,
}


def build_all(corpus_dir: Path, out_dir: Path) -> Counter:
    """Write train.jsonl and dev.jsonl (shuffled, seed 0); return counts per (corpus, split, kind)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[dict]] = {"train": [], "dev": []}
    counts: Counter = Counter()
    for builder in BUILDERS.values():
        for ex in builder(corpus_dir):
            splits[ex["split"]].append(ex)
            counts[(ex["corpus"], ex["split"], "positive" if ex["records"] else "negative")] += 1
            counts[(ex["corpus"], ex["split"], "records")] += len(ex["records"])
    for split, examples in splits.items():
        random.Random(0).shuffle(examples)
        with (out_dir / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
            for ex in examples:
                fh.write(json.dumps(ex, ensure_ascii=False) + "\n")
    return counts


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("runs/train-data")
    corpus_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Settings.from_env().require_corpus_dir()
    counts = build_all(corpus_dir, out_dir)
    for key in sorted(counts):
        print(f"{key[0]:16} {key[1]:5} {key[2]:9} {counts[key]:6}")


if __name__ == "__main__":
    main()
