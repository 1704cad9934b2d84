"""Credibility figures: method-kind accuracy, precision over the score threshold, and calibration.

    .venv/bin/python benchmarks/credibility.py [--corpus DIR] [--adapter DIR|default] [--write-rules VERSION]

1. Method kind accuracy against gold that names the method: bandgap-200-arxiv records whose
   material says how the value was obtained ("SnO2 LDA", "ZnO experiment", "α-P GW"), located in
   the paper's text; SuperMat's me_method column, located in the abstracts of biblio/ (the only
   text of those papers that is available).
2. Precision among records scored >= t against precision among all records, for t over [0, 1]:
   records of the rule-based extractor (never trained on these papers) over all bandgap-200 papers
   and bert-psie abstracts, each labeled correct when it matches gold (DESIGN.md's rule); with
   --adapter, the LLM's records on the bandgap-200 dev split too.
3. Calibration: Brier score and a reliability table for the expert rules (credibility-v1) and for
   rules fitted (logistic regression) on bert-psie and tested on bandgap-200 (so no record is
   scored by weights fitted on it). --write-rules saves weights fitted on all records.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.documents.papers import open_paper, parse_text_file  # noqa: E402
from extractors.documents.passages import make_passages  # noqa: E402
from extractors.learning.corpora import (  # noqa: E402
    bandgap_200_gold,
    bandgap_200_papers,
    material_names,
    parse_gold_value,
    value_matches,
)
from extractors.learning.evaluation import material_matches  # noqa: E402
from extractors.learning.evaluation import value_matches as gold_value_matches  # noqa: E402
from extractors.pipeline import extract_paper  # noqa: E402
from extractors.quantities.materials import find_materials  # noqa: E402
from extractors.records.credibility import (  # noqa: E402
    brier_score,
    fit_rules,
    method_context,
    methods_text,
    paragraph_at,
    reliability_table,
    rules_toml,
    score_features,
)
from extractors.records.extractor import RuleExtractor  # noqa: E402
from extractors.records.grounding import ground_proposal  # noqa: E402
from schemas.credibility import CREDIBILITY_DIR, load_credibility_rules  # noqa: E402
from schemas.document import ParsedDocument  # noqa: E402
from schemas.options import ExtractionOptions  # noqa: E402
from schemas.passage import Passage  # noqa: E402
from schemas.record import ExtractorInfo, Proposal, Record  # noqa: E402

INFO = ExtractorInfo(name="benchmark")
GOLD_COMPUTED = re.compile(
    r"\bG0W0|\bGW\b|HSE|\bLS?DA|PBE|\bGG[AS]|\bDFT|calculat|theory|predict|Eliashberg|numerical", re.I
)
GOLD_MEASURED = re.compile(
    r"experiment|\bexp\b|measure|\bSTM\b|resistiv|resistance|suscep|magneti|specific heat|heat capacity|"
    r"SQUID|thermal|\bρ\(T\)|R-T|M \(T|C\(T|diamagnetic",
    re.I,
)
GOLD_CITED = re.compile(r"previous", re.I)


def gold_kind(text: str) -> str | None:
    if GOLD_CITED.search(text):
        return "literature"
    if GOLD_COMPUTED.search(text):
        return "computational"
    if GOLD_MEASURED.search(text):
        return "experimental"
    return None


def locate(
    passages: list[Passage], names: list[str], value: float, value_max: float | None, unit: str, prop: str, source: str
) -> tuple[Record, Passage] | None:
    """The gold value as a grounded record: the closest value, preferring a passage that names the material.

    The method does not depend on the material, so where the value's passage does not name it
    (a sentence after the one that does), any formula-like word of the passage stands in for grounding.
    """
    words = {n.split()[0] for n in names if n.split()}
    hits = []
    for p in passages:
        for q in value_matches(p.text, value, value_max, unit):
            named = next((w for w in words if w in p.text), None)
            spans = [(m.start, m.end) for m in find_materials(p.text)]
            words_here = re.findall(r"[A-Za-z]{3,}", p.text)
            stand_in = named or (p.text[spans[0][0] : spans[0][1]] if spans else words_here[0] if words_here else None)
            if stand_in:
                hits.append((abs(q.value - value), named is None, p, q, stand_in))
    for _, _, p, q, material in sorted(hits, key=lambda h: h[:2]):
        grounded = ground_proposal(
            Proposal(material=material, property=prop, value=p.text[q.span[0] : q.span[1]]), p, INFO, source
        )
        if grounded.record is not None:
            return grounded.record, p
    return None


def method_accuracy_bandgap(corpus: Path) -> Counter:
    counts: Counter = Counter()
    docs: dict[str, tuple[list[Passage], str, ParsedDocument]] = {}
    papers = {row["doi"]: row for row in bandgap_200_papers(corpus)}
    for row in csv.DictReader((corpus / "bandgap-200-arxiv" / "gold_bandgaps.csv").open(encoding="utf-8")):
        kind = gold_kind(row["material"])
        parsed = parse_gold_value(row["value_eV"])
        if kind is None or parsed is None:
            continue
        counts["gold with a method"] += 1
        if row["doi"] not in docs:
            doc = parse_text_file(open_paper(corpus / "bandgap-200-arxiv" / papers[row["doi"]]["text_file"]))
            docs[row["doi"]] = (make_passages(doc), methods_text(doc), doc)
        passages, methods, doc = docs[row["doi"]]
        found = locate(passages, material_names(row["material"]), parsed[0], parsed[1], "eV", "band_gap", row["doi"])
        if found is None:
            continue
        counts["located"] += 1
        got = method_context(found[0], found[1], methods, doc.text, paragraph_at(doc, found[0].spans.value[0])).kind
        counts["correct"] += got == kind
        counts[f"{kind} -> {got}"] += 1
    return counts


def supermat_abstracts(corpus: Path) -> dict[str, str]:
    abstracts = {}
    for tei in (corpus / "supermat" / "biblio").glob("batch-*/*.tei.xml"):
        text = tei.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"<abstract[^>]*>(.*?)</abstract>", text, re.S)
        if m:
            plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()
            abstracts[tei.name.split(".")[0]] = plain
    return abstracts


def method_accuracy_supermat(corpus: Path) -> Counter:
    counts: Counter = Counter()
    abstracts = supermat_abstracts(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        cache: dict[str, list[Passage]] = {}
        for row in csv.DictReader((corpus / "supermat" / "SuperMat-2.0.csv").open(encoding="utf-8")):
            kind = gold_kind(row["me_method"])
            stem = row["filename"].split(".")[0]
            m = re.search(r"(\d+(?:\.\d+)?)\s*K", row["tcValue"])
            if kind is None or not m or not row["material"].strip():
                continue
            counts["gold with a method"] += 1
            if stem not in abstracts:
                continue
            if stem not in cache:
                path = Path(tmp) / f"{stem}.txt"
                path.write_text(abstracts[stem], encoding="utf-8")
                cache[stem] = make_passages(parse_text_file(open_paper(path)))
            found = locate(
                cache[stem], [row["material"].strip()], float(m.group(1)), None, "K", "superconducting_tc", stem
            )
            if found is None:
                continue
            counts["located"] += 1
            # The abstract is the paper's whole text here: it is the paragraph and the paper.
            got = method_context(found[0], found[1], "", abstracts[stem], abstracts[stem]).kind
            counts["correct"] += got == kind
            counts[f"{kind} -> {got}"] += 1
    return counts


def labeled_records(records: list[Record], gold: list[dict]) -> list[tuple[Record, int]]:
    """Each record with 1 if it matches one of the paper's gold records (DESIGN.md's rule), else 0."""
    out = []
    for r in records:
        hit = any(
            g["property"] == r.property and gold_value_matches(r, g) and material_matches(r.material, g) for g in gold
        )
        out.append((r, int(hit)))
    return out


def rules_records(corpus: Path) -> dict[str, list[tuple[Record, int]]]:
    extractor = RuleExtractor()
    sets: dict[str, list[tuple[Record, int]]] = {"bandgap-200": [], "bert-psie": []}
    for item in bandgap_200_gold(corpus, split="all"):
        result = extract_paper(item["path"], extractor, properties={"band_gap"})
        sets["bandgap-200"] += labeled_records(result.records, item["records"])
    base = corpus / "bert-psie-curie-bandgap" / "comparison"
    with tempfile.TemporaryDirectory() as tmp:
        for tag, prop, unit in (("gap", "band_gap", "eV"), ("Tc", "curie_temperature", "K")):
            abstracts = json.loads((base / f"abstracts_{tag}.json").read_text(encoding="utf-8"))["abstracts"]
            gold: dict[int, list[dict]] = {}
            for row in csv.DictReader((base / f"manual_{tag}.csv").open(encoding="utf-8")):
                parsed = parse_gold_value(row[tag if tag == "Tc" else "Gap"])
                if parsed:
                    gold.setdefault(int(row["source"]), []).append(
                        {
                            "material": row["compound"],
                            "synonyms": material_names(row["compound"]),
                            "property": prop,
                            "value": parsed[0],
                            "value_max": parsed[1],
                            "unit": unit,
                        }
                    )
            for index, abstract in enumerate(abstracts):
                path = Path(tmp) / f"{tag}-{index}.txt"
                path.write_text(abstract, encoding="utf-8")
                result = extract_paper(path, extractor, properties={prop})
                sets["bert-psie"] += labeled_records(result.records, gold.get(index, []))
    return sets


def llm_records(corpus: Path, adapter: str) -> list[tuple[Record, int]]:
    from extractors.records.llm import LLMExtractor

    extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm", adapter=adapter))
    out = []
    for item in bandgap_200_gold(corpus, split="dev"):
        result = extract_paper(item["path"], extractor, properties={"band_gap"})
        out += labeled_records(result.records, item["records"])
    return out


def precision_curve(pairs: list[tuple[float, int]], name: str) -> None:
    print(f"\n{name}: {len(pairs)} records, {sum(y for _, y in pairs)} correct")
    print(f"{'threshold':>9} {'kept':>5} {'precision':>9}")
    for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        kept = [y for s, y in pairs if s >= t]
        print(f"{t:9.1f} {len(kept):5d} {sum(kept) / len(kept) if kept else float('nan'):9.3f}")


def calibration(pairs: list[tuple[float, int]], name: str) -> None:
    scores, labels = [s for s, _ in pairs], [y for _, y in pairs]
    print(
        f"\n{name}: Brier {brier_score(scores, labels):.3f} (a constant at the base rate: "
        f"{brier_score([sum(labels) / len(labels)] * len(labels), labels):.3f})"
    )
    print(f"{'score bin':>11} {'n':>4} {'correct':>8}")
    for lo, hi, n, frac in reliability_table(scores, labels):
        print(f"{lo:5.1f}-{hi:<5.1f} {n:4d} {frac:8.3f}")


def rescored(pairs: list[tuple[Record, int]], rules) -> list[tuple[float, int]]:
    return [(score_features(r.credibility.features, r.property, r.method, rules).score, y) for r, y in pairs]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--adapter", default=None, help="also score the LLM's records on the bandgap-200 dev split")
    parser.add_argument(
        "--write-rules", default=None, help="fit on all records and write data/credibility/VERSION.toml"
    )
    args = parser.parse_args()

    for name, counts in (
        ("bandgap-200 (gold names the method)", method_accuracy_bandgap(args.corpus)),
        ("SuperMat me_method, in abstracts", method_accuracy_supermat(args.corpus)),
    ):
        located = counts["located"]
        print(
            f"method kind, {name}: {counts['correct']}/{located} = {counts['correct'] / max(located, 1):.3f} "
            f"({located} of {counts['gold with a method']} gold records located)"
        )
        print("   " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if "->" in k))

    sets = rules_records(args.corpus)
    if args.adapter:
        sets["llm bandgap-200 dev"] = llm_records(args.corpus, args.adapter)
    expert = load_credibility_rules()
    everything = [pair for pairs in sets.values() for pair in pairs]
    for name, pairs in [*sets.items(), ("all", everything)]:
        precision_curve([(r.credibility.score, y) for r, y in pairs], f"{name}, {expert.version}")
    calibration([(r.credibility.score, y) for r, y in everything], f"all records, {expert.version}")
    fitted = fit_rules(
        [r.credibility.features for r, _ in sets["bert-psie"]],
        [y for _, y in sets["bert-psie"]],
        expert,
        "fitted-on-bert-psie",
        "bert-psie records of the rule-based extractor",
    )
    calibration(rescored(sets["bandgap-200"], fitted), "bandgap-200 records, weights fitted on bert-psie")
    calibration(rescored(sets["bandgap-200"], expert), f"bandgap-200 records, {expert.version}")
    if args.write_rules:
        rules = fit_rules(
            [r.credibility.features for r, _ in everything],
            [y for _, y in everything],
            expert,
            args.write_rules,
            f"{len(everything)} labeled records: {', '.join(sets)}",
        )
        target = CREDIBILITY_DIR / f"{args.write_rules}.toml"
        target.write_text(rules_toml(rules), encoding="utf-8")
        print(f"\nwrote {target}")


if __name__ == "__main__":
    main()
