"""Score the material mention recognizer (extractors/quantities/materials.py) against annotated corpora.

    .venv/bin/python benchmarks/material_mentions.py [CORPUS_DIR] [--split dev|test|both] [--show-errors N]

CORPUS_DIR defaults to PROPMINE_CORPUS_DIR. Every set is cut in two: the recognizer's rules were tuned
while looking at errors on the dev half only (--show-errors prints dev errors, never test ones);
the test half is what the figures should be quoted from.

- polyie: polymer papers, every compound name (CN) tagged. Exhaustive, so precision means something
  (although CN also tags solvents, monomer units and side groups). dev = train + validation, test = test.
- nerre-general / nerre-mof (LBNL NERRE): abstracts with the materials the annotators linked to
  applications; gold strings are located in the abstract. Not exhaustive (unlinked materials are not
  listed), so precision here is a lower bound. dev = even lines, test = odd lines (+ the manual set).
- nerre-doping: relevant sentences with host materials and dopants. Dopants are often ions or element
  names ("Er3+", "erbium") that the recognizer deliberately does not call materials, so host recall
  is the figure that matters. dev = train.json, test = test.json.
- bandgap: the gold material names of bandgap-200-arxiv, searched in the gold's source sentence
  (the paper's own abbreviations passed in); a miss there may still be the paper's subject (title and
  opening text). dev = even paper_index, test = odd.

Matching: a gold mention is found when a recognized mention overlaps it; a recognized mention is right
when it overlaps a gold mention; "exact" needs the same span.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from extractors.quantities.formulas import normalize_formula
from extractors.quantities.materials import abbreviations, find_materials, is_material, paper_subject

Span = tuple[int, int]


@dataclass
class Score:
    """Counts for one set: right predictions, predictions, found gold, gold, exact spans."""

    right: int = 0
    predicted: int = 0
    found: int = 0
    gold: int = 0
    exact: int = 0
    false_positives: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def add(self, text: str, predicted: list[Span], gold: list[Span]) -> None:
        self.predicted += len(predicted)
        self.gold += len(gold)
        for p in predicted:
            if any(overlaps(p, g) for g in gold):
                self.right += 1
            else:
                self.false_positives.append(context(text, *p))
        for g in gold:
            if any(overlaps(p, g) for p in predicted):
                self.found += 1
            else:
                self.misses.append(context(text, *g))
        self.exact += len(set(predicted) & set(gold))

    def line(self, name: str, precision: bool = True) -> str:
        p = self.right / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        exact = self.exact / self.gold if self.gold else 0.0
        counts = f"(gold {self.gold}, predicted {self.predicted})"
        if not precision:
            return f"{name:34s} R {r:.3f}  exact-span R {exact:.3f}  {counts}"
        return f"{name:34s} P {p:.3f}  R {r:.3f}  F1 {f:.3f}  exact-span R {exact:.3f}  {counts}"


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def context(text: str, start: int, end: int) -> str:
    return repr(text[max(0, start - 40) : start] + "[[" + text[start:end] + "]]" + text[end : end + 30])


def occurrences(text: str, needle: str) -> list[Span]:
    """Where a gold string stands in the text (whole words; case-insensitive if not found as written)."""
    needle = needle.strip()
    if len(needle) < 1:
        return []
    for flags in (0, re.IGNORECASE):
        spans = [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w]){re.escape(needle)}(?![\w])", text, flags)]
        if spans:
            return spans
    return []


def spans_of(text: str) -> list[Span]:
    return [(m.start, m.end) for m in find_materials(text)]


# ---------------------------------------------------------------------------------------------- sets


def polyie(root: Path, split: str) -> Iterator[tuple[str, list[Span]]]:
    files = ["train_split.json", "validation_split.json"] if split == "dev" else ["test_split.json"]
    for name in files:
        data = json.loads((root / "polyie" / name).read_text(encoding="utf-8"))
        for doc_tokens, doc_labels in zip(data["text"], data["label"], strict=True):
            for tokens, labels in zip(doc_tokens, doc_labels, strict=True):
                offsets, pos = [], 0
                for tok in tokens:
                    offsets.append((pos, pos + len(tok)))
                    pos += len(tok) + 1
                text = " ".join(tokens)
                gold, current = [], None
                for (s, e), label in zip(offsets, labels, strict=True):
                    if label == "B-CN":
                        if current:
                            gold.append(current)
                        current = (s, e)
                    elif label == "I-CN" and current:
                        current = (current[0], e)
                    else:
                        if current:
                            gold.append(current)
                        current = None
                if current:
                    gold.append(current)
                yield text, gold


def _nerre_lines(path: Path) -> Iterator[tuple[str, list[dict]]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        prompt = row["prompt"].removesuffix("\n\n###\n\n")
        completion = row["completion"].strip().removesuffix("END").strip()
        try:
            entries = json.loads(completion)
        except json.JSONDecodeError:
            continue
        yield prompt, entries


def nerre(root: Path, split: str, which: str) -> Iterator[tuple[str, list[Span], list[Span]]]:
    """(abstract, gold material spans, spans of every annotated chemical incl. MOF guest species)."""
    folder = root / "nerre" / "general_and_mofs"
    keys: tuple[str, ...]
    if which == "general":
        paths = [folder / "general_materials_information_annotations.jsonl"]
        keys = ("formula", "name", "acronym")
        if split == "test":
            paths.append(folder / "general_manual_evaluation_set.jsonl")
    else:
        paths = [folder / "mof_annotations.jsonl"]
        keys = ("name_of_mof", "mof_formula")
    for path in paths:
        for i, (text, entries) in enumerate(_nerre_lines(path)):
            manual = "manual" in path.name
            if not manual and (i % 2 == 0) != (split == "dev"):
                continue
            gold: set[Span] = set()
            chemicals: set[Span] = set()
            for entry in entries:
                for key in keys:
                    value = entry.get(key) or ""
                    if not isinstance(value, str):
                        continue
                    value = re.sub(r"\s+\(.*$", "", value).strip() if which == "mof" else value.strip()
                    gold.update(occurrences(text, value))
                for guest in entry.get("guest_species") or []:
                    if isinstance(guest, str) and guest.strip():
                        chemicals.update(occurrences(text, guest))
            yield text, sorted(_outer(gold)), sorted(_outer(gold | chemicals))


def _outer(spans: set[Span]) -> set[Span]:
    """Drop gold spans inside longer ones ("TiO2" inside "anatase TiO2" when both are listed)."""
    return {s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}


def doping(root: Path, split: str) -> Iterator[tuple[str, list[Span], list[Span], list[Span]]]:
    name = "train.json" if split == "dev" else "test.json"
    for paper in json.loads((root / "nerre" / "doping" / name).read_text(encoding="utf-8")):
        for sentence in paper["doping_sentences"]:
            if not sentence.get("relevant"):
                continue
            text = sentence["sentence_text"]
            hosts = sorted(_outer({s for v in sentence["basemats"].values() for s in occurrences(text, v)}))
            dopants = sorted(_outer({s for v in sentence["dopants"].values() for s in occurrences(text, v)}))
            results = sorted(_outer({s for v in sentence["results"].values() for s in occurrences(text, v)}))
            yield text, hosts, dopants, results


def _squash(text: str) -> str:
    return re.sub(r"[\s\-‐–_]+", "", text).lower()


def gold_names(material: str) -> list[str]:
    names = []
    for synonym in material.replace("\ufeff", "").split(";"):
        synonym = synonym.strip()
        if synonym:
            names.append(synonym)
            core = re.sub(r"\s*\(.*?\)\s*", " ", synonym).strip()
            if core and core != synonym:
                names.append(core)
    return names


def name_matches(mention_text: str, formula: str | None, names: list[str]) -> bool:
    got = _squash(mention_text)
    for name in names:
        want = _squash(name)
        if got and want and (got == want or got in want or want in got):
            return True
        if formula and formula == normalize_formula(name):
            return True
    return False


def bandgap(root: Path, split: str) -> dict[str, float]:
    folder = root / "bandgap-200-arxiv"
    rows = list(csv.DictReader((folder / "gold_bandgaps.csv").open(encoding="utf-8")))
    texts: dict[str, str] = {}
    counts = {"sentences": 0, "in sentence": 0, "in sentence or subject": 0, "names": 0, "is_material": 0}
    misses = []
    for row in rows:
        if (int(row["paper_index"]) % 2 == 0) != (split == "dev"):
            continue
        names = gold_names(row["material"])
        counts["names"] += 1
        counts["is_material"] += any(is_material(n) for n in names[:1])
        if re.match(r"(?i)table", row["source"].strip()):
            continue
        if row["text_file"] not in texts:
            texts[row["text_file"]] = (folder / row["text_file"]).read_text(encoding="utf-8", errors="replace")
        paper = texts[row["text_file"]]
        abbrs = abbreviations(paper)
        counts["sentences"] += 1
        sentence = row["source"]
        mentions = find_materials(sentence, abbrs)
        hit = any(name_matches(m.text, m.formula, names) for m in mentions)
        if not hit and m_expansions(mentions, names):
            hit = True
        counts["in sentence"] += hit
        if not hit:
            title, _, rest = paper.strip().partition("\n")
            subject = paper_subject(title, rest[:3000])
            sub_hit = any(name_matches(m.text, m.formula, names) for m in subject)
            counts["in sentence or subject"] += sub_hit
            misses.append(f"{row['material']!r} | {[m.text for m in mentions]} | {sentence[:120]!r}")
        else:
            counts["in sentence or subject"] += 1
    n = max(counts["sentences"], 1)
    return {
        "gold sentences": counts["sentences"],
        "found in sentence": counts["in sentence"] / n,
        "found in sentence or subject": counts["in sentence or subject"] / n,
        "gold names accepted by is_material": counts["is_material"] / max(counts["names"], 1),
        "gold names": counts["names"],
        "misses": misses,  # type: ignore[dict-item]
    }


def m_expansions(mentions: list, names: list[str]) -> bool:
    return any(m.expansion and name_matches(m.expansion, None, names) for m in mentions)


def speed(root: Path) -> str:
    folder = root / "bandgap-200-arxiv" / "texts"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(folder.glob("*.txt"))]
    chars = sum(len(t) for t in texts)
    find_materials(texts[0], abbreviations(texts[0]))  # compile the patterns once
    clock = time.process_time()  # CPU time: the machine is shared, wall-clock time is not ours
    worst = 0.0
    for t in texts:
        one = time.process_time()
        find_materials(t, abbreviations(t))
        worst = max(worst, (time.process_time() - one) / max(len(t), 1) * 100_000)
    took = time.process_time() - clock
    return (
        f"speed: {len(texts)} bandgap papers, {chars / 1e6:.1f} M chars in {took:.1f} s "
        f"({took / chars * 100_000 * 1000:.0f} ms per 100 KB on average, slowest paper {worst * 1000:.0f} ms per 100 KB; "
        f"abbreviations + find_materials, CPU time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=os.environ.get("PROPMINE_CORPUS_DIR"))
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--show-errors", type=int, default=0, help="print this many dev errors per set")
    parser.add_argument("--sets", default="polyie,nerre-general,nerre-mof,nerre-doping,bandgap,speed")
    args = parser.parse_args()
    if not args.corpus or not Path(args.corpus).is_dir():
        sys.exit("no corpus folder: pass it as an argument or set PROPMINE_CORPUS_DIR")
    root = Path(args.corpus)
    wanted = set(args.sets.split(","))
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    for split in splits:
        print(f"== {split}")
        show = args.show_errors if split == "dev" else 0
        if "polyie" in wanted:
            score = Score()
            for text, gold in polyie(root, split):
                score.add(text, spans_of(text), gold)
            report(score, "polyie (compound names)", show)
        for which in ("general", "mof"):
            if f"nerre-{which}" in wanted:
                score, chemicals = Score(), Score()
                for text, gold, any_chemical in nerre(root, split, which):
                    predicted = spans_of(text)
                    score.add(text, predicted, gold)
                    chemicals.add(text, predicted, any_chemical)
                report(score, f"nerre-{which}", show)
                if which == "mof":
                    report(chemicals, "nerre-mof incl. guest species", 0)
        if "nerre-doping" in wanted:
            hosts, dopants, all_ = Score(), Score(), Score()
            for text, host, dopant, result in doping(root, split):
                predicted = spans_of(text)
                hosts.add(text, predicted, host)
                dopants.add(text, predicted, dopant)
                all_.add(text, predicted, sorted(_outer(set(host + dopant + result))))
            report(hosts, "nerre-doping hosts (recall)", show, precision=False)
            report(dopants, "nerre-doping dopants (recall)", 0, precision=False)
            report(all_, "nerre-doping any", show)
        if "bandgap" in wanted:
            found = bandgap(root, split)
            misses = found.pop("misses")
            print(
                "bandgap-200 gold materials: "
                + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in found.items())
            )
            for line in misses[:show]:  # type: ignore[index]
                print("   miss", line)
    if "speed" in wanted:
        print(speed(root))


def report(score: Score, name: str, show: int, precision: bool = True) -> None:
    print(score.line(name, precision))
    for fp in score.false_positives[:show] if precision else []:
        print("   false", fp)
    for miss in score.misses[:show]:
        print("   miss ", miss)


if __name__ == "__main__":
    main()
