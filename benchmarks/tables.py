"""Table values recovered as grounded records, on generated papers whose values stand only in tables.

data/make_tables.py writes each seed as a PDF (ruled, horizontal rules only, unruled; wide and
two-column layouts) and as the flattened text a pdf-to-text tool makes, with the truth. Every paper
goes through the whole pipeline (`extract_paper` with the rules); a truth value counts as recovered
when a record has the same property, the value (and upper end) within 1e-6 after conversion to the
truth's unit, and the material. Dev seeds are the ones tuned on; held-back seeds (offset, with header
spellings the dev seeds never use) are reported apart.

    .venv/bin/python benchmarks/tables.py [--seeds 10] [--held-back 10]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.pipeline import extract_paper  # noqa: E402
from extractors.quantities.units import to_si  # noqa: E402
from extractors.records.extractor import RuleExtractor  # noqa: E402


def _make_tables():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("make_tables", REPO / "data" / "make_tables.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["make_tables"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _same(record, truth: dict) -> bool:  # noqa: ANN001
    if record.property != truth["property"] or " ".join(record.material.split()) != " ".join(truth["material"].split()):
        return False

    def si(value: float | None, unit: str | None) -> float | None:
        if value is None:
            return None
        converted = to_si(value, unit) if unit else (value, "")
        return converted[0] if converted else None

    value, top = si(record.value, record.unit), si(record.value_max, record.unit)
    want, want_top = si(truth["value"], truth["unit"]), si(truth.get("value_max"), truth["unit"])
    if value is None or want is None:
        return False
    close = abs(value - want) <= 1e-6 * max(1.0, abs(want))
    if want_top is None:
        return close and top is None
    return close and top is not None and abs(top - want_top) <= 1e-6 * max(1.0, abs(want_top))


def score(folder: Path, papers: list[dict]) -> dict[tuple[str, str], collections.Counter]:
    """Per (kind, style): truth values, values recovered, records stored, and records that match no truth."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    extractor = RuleExtractor()
    for paper in papers:
        for kind in ("pdf", "text"):
            result = extract_paper(folder / paper[kind], extractor)
            c = counts[(kind, paper["style"])]
            c["truth"] += len(paper["records"])
            c["records"] += len(result.records)
            c["recovered"] += sum(any(_same(r, t) for r in result.records) for t in paper["records"])
            c["wrong"] += sum(not any(_same(r, t) for t in paper["records"]) for r in result.records)
    return counts


def report(title: str, counts: dict[tuple[str, str], collections.Counter]) -> None:
    print(f"\n{title}")
    print(f"{'kind':6} {'style':8} {'values':>7} {'recovered':>10} {'share':>6} {'records':>8} {'wrong':>6}")
    total: collections.Counter = collections.Counter()
    for (kind, style), c in sorted(counts.items()):
        total.update(c)
        share = c["recovered"] / c["truth"] if c["truth"] else 0.0
        print(f"{kind:6} {style:8} {c['truth']:7} {c['recovered']:10} {share:6.3f} {c['records']:8} {c['wrong']:6}")
    share = total["recovered"] / total["truth"] if total["truth"] else 0.0
    print(f"{'all':15} {total['truth']:7} {total['recovered']:10} {share:6.3f} {total['records']:8} {total['wrong']:6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="dev seeds 0..N-1")
    parser.add_argument("--held-back", type=int, default=10, help="held-back seeds (never looked at while tuning)")
    args = parser.parse_args()
    make_tables = _make_tables()
    with tempfile.TemporaryDirectory() as tmp:
        for title, held_back, n in (("dev seeds", False, args.seeds), ("held-back seeds", True, args.held_back)):
            folder = Path(tmp) / title.split()[0]
            papers = make_tables.make_table_set(folder, range(n), held_back=held_back)
            clock = time.perf_counter()
            counts = score(folder, papers)
            report(f"{title} ({len(papers)} papers x pdf/text, {time.perf_counter() - clock:.0f} s)", counts)


if __name__ == "__main__":
    main()
