"""Extraction speed on 2 CPU cores: passages/s, papers/min, peak memory, and the constraint's cost.

    .venv/bin/python benchmarks/extract_speed.py [--papers 10] [--adapter DIR|none]

Runs the LLM extractor over bandgap-200 dev texts (../shared/corpus) with --property band_gap,
and a generated sample PDF; then the same candidate passages with the grammar constraint off.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.documents.papers import open_paper, parse_document  # noqa: E402
from extractors.documents.passages import is_candidate, make_passages  # noqa: E402
from extractors.learning.corpora import bandgap_200_gold  # noqa: E402
from extractors.pipeline import extract_paper  # noqa: E402
from extractors.records.llm import LLMExtractor  # noqa: E402
from schemas.options import ExtractionOptions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=10)
    parser.add_argument("--adapter", default=None)
    args = parser.parse_args()
    corpus = REPO.parent / "shared" / "corpus"
    if not corpus.is_dir():
        print(f"shared corpus not found at {corpus}; nothing to measure")
        return
    papers = [Path(g["path"]) for g in bandgap_200_gold(corpus, split="dev")][: args.papers]
    clock = time.perf_counter()
    extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm", adapter=args.adapter))
    print(f"model load: {time.perf_counter() - clock:.1f} s")
    properties = {"band_gap"}
    n_passages = n_candidates = n_records = 0
    clock = time.perf_counter()
    for path in papers:
        result = extract_paper(path, extractor, properties=properties)
        n_passages += len(result.passages)
        n_candidates += result.n_candidates
        n_records += len(result.records)
    seconds = time.perf_counter() - clock
    stats = extractor.completer.stats  # type: ignore[attr-defined]
    print(
        f"{len(papers)} papers, {n_passages} passages, {n_candidates} candidates sent to the model, {n_records} records"
    )
    print(
        f"{seconds:.1f} s: {len(papers) / seconds * 60:.1f} papers/min, {n_candidates / seconds:.2f} candidate passages/s, "
        f"{n_passages / seconds:.1f} passages/s overall"
    )
    print(
        f"model: {stats.prompt_tokens} prompt tokens, {stats.new_tokens} new tokens, forward {stats.forward_s:.1f} s, "
        f"constraint checks {stats.constraint_s:.2f} s ({stats.tries} token tries), {stats.truncated} answers cut by the budget"
    )
    sample = REPO / "data" / "samples" / "sample_paper.pdf"
    if sample.is_file():
        clock = time.perf_counter()
        result = extract_paper(sample, extractor)
        print(
            f"sample paper ({len(result.document.pages) if result.document else '?'} pages, all properties): "
            f"{time.perf_counter() - clock:.1f} s, {len(result.records)} records"
        )
    # The same candidates without the grammar: what the constraint costs (and what it prevents).
    candidates = []
    for path in papers:
        doc = parse_document(open_paper(path))
        candidates += [p for p in make_passages(doc) if is_candidate(p, properties)]
    candidates = candidates[:24]
    for constrained in (True, False):
        ext = LLMExtractor(
            extractor.completer.__class__(extractor.completer.loaded, constrained=constrained), extractor.info
        )  # type: ignore[attr-defined]
        clock = time.perf_counter()
        out = ext.propose(candidates, properties)
        took = time.perf_counter() - clock
        bad = sum(1 for o in out if o.errors)
        print(
            f"constrained={constrained}: {len(candidates)} passages in {took:.1f} s ({len(candidates) / took:.2f}/s), "
            f"{bad} unparsable answers"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
