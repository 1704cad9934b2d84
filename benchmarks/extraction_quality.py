"""Extraction quality on the shared gold sets, k-fold by paper: mean ± sd across folds of P, R, F1.

    .venv/bin/python benchmarks/extraction_quality.py [--corpus DIR] [--set NAME ...] [--folds 5]
        [--extractor rules] [--adapter DIR|default|none ...] [--property P ...] [--split train|dev]
        [--only-fold I] [--limit N] [--json OUT] [--cache DIR]

Runs each extractor once over every item of each gold set (extractors/learning/gold.py) and scores
each fold with the matching rule of extractors/learning/evaluation.py; prints, per extractor, gold
set and property, the mean ± sample sd across folds of P, R and F1, the pooled P/R/F1 and counts,
the errors by cause and the papers (items) per hour of extraction. The rules (`--extractor rules`)
take seconds; the LLM (`--adapter default`) about 1-2 s per candidate passage on 2 cores, so run it on
one set first. `--cache DIR` keeps each item's records, so a re-run rescores without re-extracting
(the cache is keyed by the extractor label, the properties and the item's text).

Extractors that were not trained on these papers are the same for every fold; an adapter trained per
fold would pass its own extractor per fold to `evaluation.evaluate_folds`. The shipped adapter was
trained on the builders' train split of bandgap-200, bert-psie, cde-bandgap and polyie: `--split dev`
scores only the papers it has not seen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.learning import evaluation  # noqa: E402
from extractors.learning.gold import GOLD_SETS, folds, load_gold_set  # noqa: E402
from extractors.pipeline import extract_paper  # noqa: E402
from extractors.records.extractor import RecordExtractor  # noqa: E402
from schemas.record import Record  # noqa: E402
from schemas.settings import Settings  # noqa: E402


def load_extractor(name: str, adapter: str | None = None) -> RecordExtractor:
    """'rules', or the LLM with an adapter ('default': the shipped one, 'none': the bare base model, or a folder)."""
    from extractors.pipeline import make_extractor
    from schemas.options import ExtractionOptions

    return make_extractor(ExtractionOptions.resolve(extractor=name, adapter=adapter, figure_reader="none", env={}))


class CachedRun:
    """path -> (records, rejected) for one extractor and property set, remembering results and extraction time."""

    def __init__(self, label: str, extractor: RecordExtractor, properties: set[str] | None, cache: Path | None):
        self.label, self.extractor, self.properties = label, extractor, properties
        self.extract_seconds = 0.0
        self.items = 0
        self.cache_file = None
        self.cached: dict[str, dict] = {}
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            slug = hashlib.sha1(f"{label}|{sorted(properties or [])}".encode()).hexdigest()[:12]
            self.cache_file = cache / f"{slug}.jsonl"
            if self.cache_file.is_file():
                for line in self.cache_file.read_text(encoding="utf-8").splitlines():
                    row = json.loads(line)
                    self.cached[row["key"]] = row

    def __call__(self, path: Path) -> tuple[list[Record], int]:
        key = hashlib.sha256(path.read_bytes()).hexdigest()
        row = self.cached.get(key)
        if row is None:
            clock = time.perf_counter()
            result = extract_paper(path, self.extractor, properties=self.properties)
            row = {
                "key": key,
                "records": [r.model_dump(mode="json") for r in result.records],
                "rejected": len(result.rejected),
                "seconds": time.perf_counter() - clock,
                "status": result.status,
            }
            if self.cache_file is not None:
                with self.cache_file.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.cached[key] = row
        self.items += 1
        self.extract_seconds += row["seconds"]
        if self.items % 25 == 0:
            print(f"  {self.label}: {self.items} items, {self.extract_seconds:.0f} s extracting", file=sys.stderr)
        return [Record.model_validate(r) for r in row["records"]], row["rejected"]


def run_set(
    label: str,
    extractor: RecordExtractor,
    set_name: str,
    items: list[dict],
    k: int,
    cache: Path | None,
    only: set[str] | None = None,
    fold: int | None = None,
) -> dict:
    """One extractor over one gold set, k folds; the summary of `evaluation.summarize_folds` plus timing.

    The extractor is asked for the set's scored properties (or those of them in `only`); with `fold`,
    only that fold's papers are run and scored.
    """
    properties = {p for item in items for p in item.get("properties") or []}
    properties = properties & only if only else properties
    run = CachedRun(f"{label}|{set_name}", extractor, properties or None, cache)
    if fold is None:
        reports = evaluation.evaluate_folds(lambda fold: run, items, k, properties or None)
    else:  # one fold only: a quick look, with no spread
        reports = [evaluation.evaluate(run, folds(items, k)[fold], properties or None)]
    summary = evaluation.summarize_folds(reports)
    summary["extract_seconds"] = round(run.extract_seconds, 1)
    summary["papers_per_hour"] = round(3600 * run.items / run.extract_seconds, 1) if run.extract_seconds else None
    summary["gold_records"] = summary["overall"]["pooled"]["tp"] + summary["overall"]["pooled"]["fn"]  # scored ones
    summary["fold_sizes"] = [r.papers for r in reports]
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: PROPMINE_CORPUS_DIR)")
    parser.add_argument("--set", action="append", choices=sorted(GOLD_SETS), help="gold set (repeatable; default all)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--extractor", action="append", choices=["rules"], default=None)
    parser.add_argument("--adapter", action="append", default=None, help="DIR, default or none (repeatable)")
    parser.add_argument("--property", action="append", default=None, help="only this property (repeatable)")
    parser.add_argument(
        "--split",
        choices=["train", "dev"],
        default=None,
        help="only the papers of this training-builder split (dev: papers the shipped adapter was not trained on)",
    )
    parser.add_argument("--only-fold", type=int, default=None, help="run and score only this fold (0..k-1)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N items of each set (smoke runs)")
    parser.add_argument("--json", type=Path, default=None, help="write all summaries here")
    parser.add_argument("--cache", type=Path, default=None, help="keep extracted records here for rescoring")
    args = parser.parse_args()
    corpus = args.corpus or Settings.from_env().require_corpus_dir()
    extractors: dict[str, tuple[str, str | None]] = {}
    for name in args.extractor or ([] if args.adapter else ["rules"]):
        extractors[name] = (name, None)
    for adapter in args.adapter or []:
        extractors[f"llm:{Path(adapter).name}"] = ("llm", adapter)
    commit = subprocess.run(
        ["git", "log", "-1", "--oneline"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"commit: {commit or 'unknown'} (plus uncommitted changes, if any); corpus: {corpus}; folds: {args.folds}"
        + (f"; split: {args.split}" if args.split else "")
    )
    summaries: dict[str, dict] = {}
    for label, (name, adapter) in extractors.items():
        clock = time.perf_counter()
        extractor = load_extractor(name, adapter)
        print(f"{label}: loaded in {time.perf_counter() - clock:.1f} s", file=sys.stderr)
        for set_name in args.set or list(GOLD_SETS):
            items = load_gold_set(set_name, corpus)
            items = [i for i in items if args.split is None or i.get("split") == args.split]
            items = items[: args.limit] if args.limit else items
            only = set(args.property) if args.property else None
            summary = run_set(label, extractor, set_name, items, args.folds, args.cache, only, args.only_fold)
            summaries[f"{label} | {set_name}"] = summary
            print(
                f"{label} | {set_name}: {summary['papers']} items, {summary['gold_records']} gold records, "
                f"fold sizes {summary['fold_sizes']}, {summary['extract_seconds']} s extracting",
                file=sys.stderr,
            )
    print(evaluation.format_folds(summaries))
    print(
        "P/R/F1: mean±sd across folds (sample sd; a fold where a figure is undefined is left out); pooled: all folds' "
        "counts together.\nCauses: tab/sev/oth = missed in a table / in a sentence with several values / other; "
        "mat = false record, gold value but wrong material; notP = false record, no gold value; dup = duplicate."
    )
    if args.json:
        args.json.write_text(json.dumps({"commit": commit, "summaries": summaries}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
