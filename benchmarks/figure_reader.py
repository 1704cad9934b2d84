"""Score a figure reader on generated plots of known data, and run it over the corpus's real PDFs.

    .venv/bin/python benchmarks/figure_reader.py                      # the digitizer
    .venv/bin/python benchmarks/figure_reader.py --reader vlm:/path/to/model
    .venv/bin/python benchmarks/figure_reader.py --reader oracle      # the truth itself: checks the benchmark
    .venv/bin/python benchmarks/figure_reader.py --keep out/plots     # keep the generated PDFs and truth
    .venv/bin/python benchmarks/figure_reader.py --styles dev,held --no-real   # the style set, per style

With --styles, the plots of data/make_plots_styles.py instead of data/make_plots.py: one figure per
seed in six style sheets with a random mix of features (dashes, error bars, open and light frames,
small and rotated ticks, offsets, log axes, ...), scored per style sheet and per feature for the dev
seeds and the held-back seeds apart (tune on dev only; the held-back seeds are for reporting).

1. Generated plots (data/make_plots.py): vector and raster versions of 13 figures (15 panels) and
   8 figures that must be skipped; the scores table of extractors.figures.evaluation, then the reader's
   time per figure (mean, median).
2. Real PDFs (../shared/corpus/real-pdfs/pdfs, when present): per PDF the figures the parser
   found and how many the reader read, skipped or failed; for the PDFs that have GROBID figure
   annotations (TEI training data), the figures GROBID marks against the ones found, by number
   and caption text.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import logging
import re
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.documents.pdf import parse_pdf  # noqa: E402
from extractors.figures.base import FigureImage, FigureReader  # noqa: E402
from extractors.figures.evaluation import format_scores, score_figures  # noqa: E402
from extractors.figures.reading import read_figures  # noqa: E402
from schemas.errors import InputError, PropmineError  # noqa: E402
from schemas.figure import FigureData, FigureSkip, Series  # noqa: E402

REAL = REPO.parent / "shared" / "corpus" / "real-pdfs"
GROBID_FIGURES = REAL / "grobid_structure_gold" / "figure" / "corpus" / "tei"
PLOT_FILES = ("plots_vector.pdf", "plots_raster.pdf", "bad_figures.pdf")


class TimedReader:
    """Wraps a reader and keeps the seconds of each `read` call."""

    def __init__(self, reader: FigureReader):
        self.reader = reader
        self.name = reader.name
        self.seconds: list[float] = []

    def read(self, figure: FigureImage) -> list[FigureData]:
        clock = time.perf_counter()
        try:
            return self.reader.read(figure)
        finally:
            self.seconds.append(time.perf_counter() - clock)


class OracleReader:
    """A reader that answers from the truth (the plots it was generated from): what a perfect reader returns.

    For the real PDFs, which have no truth, it skips every figure.
    """

    name = "oracle"

    def __init__(self, truth: list[dict]):
        self.truth = truth

    def read(self, figure: FigureImage) -> list[FigureData]:
        entries = [
            t for t in self.truth if t["file"] == Path(figure.source).name and t["number"] == figure.figure.number
        ]
        if not entries:
            raise FigureSkip("no axes")
        if entries[0]["expect"] == "skip":
            raise FigureSkip(entries[0]["reason"])
        f = figure.figure
        return [
            FigureData(
                source=figure.source,
                paper_id=figure.paper_id,
                page=f.page,
                bbox=f.bbox,
                number=f.number,
                caption=f.caption,
                kind=f.kind,
                reader=self.name,
                panel=t["panel"],
                x_label=t["x_label"],
                x_unit=t["x_unit"],
                x_scale=t["x_scale"],
                x_range=t["x_range"],
                y_label=t["y_label"],
                y_unit=t["y_unit"],
                y_scale=t["y_scale"],
                y_range=t["y_range"],
                series=[
                    Series(label=s["label"], style=s["style"], points=[tuple(p) for p in s["points"]])
                    for s in t["series"]
                ],
            )
            for t in entries
        ]


def _series_line(series: list[dict], matched: bool = False) -> str:
    """'label: err 1.2% cov 95%, label: missed' for a scored plot's series (with the matched label if asked)."""
    return ", ".join(
        f"{s['label'] or '-'}: "
        + (
            "missed"
            if s["matched"] is None
            else (f"{s['matched']} " if matched else "")
            + f"err {100 * s['median_error']:.1f}% cov {100 * s['coverage']:.0f}%"
        )
        for s in series
    )


def make_reader(spec: str, truth: list[dict]) -> FigureReader:
    """'digitizer', 'vlm:/path/to/model' or 'oracle'."""
    if spec == "oracle":
        return OracleReader(truth)
    if spec.startswith("vlm:"):
        from extractors.figures.vlm import VLMReader

        return VLMReader(spec.removeprefix("vlm:"))
    if spec == "digitizer":
        from extractors.figures.digitizer import Digitizer

        return Digitizer()
    raise SystemExit(f"unknown reader {spec!r}: use digitizer, vlm:/path/to/model or oracle")


def load_plot_generator():
    spec = importlib.util.spec_from_file_location("make_plots", REPO / "data" / "make_plots.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_plots"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def run_plots(folder: Path, reader_spec: str) -> list[FigureData]:
    """Generate the plots into `folder`, read them and print the scores; returns the reader's output."""
    clock = time.perf_counter()
    truth = load_plot_generator().make_plot_set(folder)
    print(f"generated {len(truth)} plot panels and figures to skip in {time.perf_counter() - clock:.1f} s")
    reader = TimedReader(make_reader(reader_spec, truth))
    predicted: list[FigureData] = []
    for name in PLOT_FILES:
        path = folder / name
        doc = parse_pdf(path, path.stem, str(path))
        predicted += read_figures(path, doc, reader)
    scores = score_figures(truth, predicted)
    print(f"\nreader {reader.name} on the generated plots\n")
    print(format_scores(scores))
    if reader.seconds:
        print(
            f"\ntime per figure: mean {statistics.mean(reader.seconds):.3f} s, "
            f"median {statistics.median(reader.seconds):.3f} s over {len(reader.seconds)} figures"
        )
    misses = [p for p in scores["plots"] if p["expect"] == "read" and not all(s["recovered"] for s in p["series"])]
    if misses:
        print("\nplots not fully recovered:")
        for p in misses:
            got = _series_line(p["series"])
            print(
                f"  {p['file']} Fig. {p['number']}{p['panel'] or ''}: {p['status']}"
                + (f" ({p['reason']})" if p["reason"] else "")
                + f"; {got}"
            )
    wrong_skips = [p for p in scores["plots"] if p["expect"] == "skip" and not p["reason_ok"]]
    for p in wrong_skips:
        print(
            f"  {p['file']} Fig. {p['number']} ({p['kind']}): expected skip '{p['expected_reason']}', "
            f"got {p['status']}" + (f" ({p['reason']})" if p["reason"] else "")
        )
    return predicted


def load_style_generator():
    load_plot_generator()  # make_plots_styles imports its sibling by name
    spec = importlib.util.spec_from_file_location("make_plots_styles", REPO / "data" / "make_plots_styles.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_plots_styles"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


STRICT_ERROR = 0.02  # the issue's bar: a series' median error within 2% of the y range


def _style_row(plots: list[dict]) -> str:
    """Recovered series (evaluation's 5% rule) and series within 2%, vector and raster, for some plots."""
    cells = []
    for kind in ("vector", "raster"):
        series = [s for p in plots if p["kind"] == kind for s in p["series"]]
        rec = sum(s["recovered"] for s in series)
        strict = sum(
            s["matched"] is not None and s["median_error"] <= STRICT_ERROR and s["coverage"] >= 0.8 for s in series
        )
        found = sum(p["found"] for p in plots if p["kind"] == kind)
        n_plots = sum(p["kind"] == kind for p in plots)
        cells += [f"{found}/{n_plots}", f"{rec}/{len(series)}", f"{strict}/{len(series)}"]
    return "".join(f"{c:>9}" for c in cells)


def run_styles(folder: Path, reader_spec: str, splits: list[str], show: bool) -> list[FigureData]:
    """Generate the style set for each split into `folder`, read it, print the scores per style and feature."""
    gen = load_style_generator()
    predicted_all: list[FigureData] = []
    for split in splits:
        truth = gen.make_style_set(folder, gen.SPLITS[split], name=f"styles_{split}")
        reader = make_reader(reader_spec, truth)
        seconds: dict[str, list[float]] = {}
        predicted: list[FigureData] = []
        for kind in ("vector", "raster"):
            timed = TimedReader(reader)
            path = folder / f"styles_{split}_{kind}.pdf"
            doc = parse_pdf(path, path.stem, str(path))
            predicted += read_figures(path, doc, timed)
            seconds[kind] = timed.seconds
        predicted_all += predicted
        scores = score_figures(truth, predicted)
        by_key = {(t["file"], t["number"]): t for t in truth}
        plots = scores["plots"]
        for p in plots:
            t = by_key[(p["file"], p["number"])]
            p["style"], p["tags"], p["seed"] = t["style"], t["tags"], t["seed"]
        print(f"\nreader {reader.name} on the style set, {split} seeds ({len(truth) // 2} figures, vector and raster)")
        print("plots read, series recovered (median error <= 5% of the y range), series within 2%")
        head = "".join(f"{h:>9}" for h in ("v plots", "v rec", "v 2%", "r plots", "r rec", "r 2%"))
        print(f"{'':22}{head}")
        print(f"{'all':22}{_style_row(plots)}")
        for style in gen.STYLES:
            print(f"{'  ' + style:22}{_style_row([p for p in plots if p['style'] == style])}")
        tags = sorted({tag for p in plots for tag in p["tags"]})
        for tag in tags:
            print(f"{'  + ' + tag:22}{_style_row([p for p in plots if tag in p['tags']])}")
        for kind, secs in seconds.items():
            if secs:
                print(
                    f"time per {kind} figure: mean {statistics.mean(secs):.3f} s, "
                    f"median {statistics.median(secs):.3f} s, max {max(secs):.2f} s over {len(secs)} figures"
                )
        if show:
            for p in plots:
                if all(s["matched"] is not None and s["median_error"] <= STRICT_ERROR for s in p["series"]):
                    continue
                got = _series_line(p["series"], matched=True)
                print(
                    f"  seed {p['seed']:>3} {p['kind']:6} {p['style']:9} {p['status']}"
                    + (f" ({p['reason'][:90]})" if p["reason"] else "")
                    + f"; {got}  [{', '.join(p['tags'])}]"
                )
    return predicted_all


def grobid_figures(tei: Path) -> list[tuple[int | None, str]]:
    """(number, caption text) of each <figure> of a GROBID figure-model training file."""
    root = ET.parse(tei).getroot()
    out = []
    for fig in root.iter("figure"):
        label = fig.find("head/label")
        number = int(label.text) if label is not None and label.text and label.text.strip().isdigit() else None
        desc = fig.find("figDesc")
        text = " ".join("".join(desc.itertext()).split()) if desc is not None else ""
        out.append((number, text))
    return out


def caption_match(gold: str, caption: str) -> float:
    """How much of GROBID's figDesc our caption holds (0..1), ignoring case, spaces and punctuation."""
    a, b = (re.sub(r"[^0-9a-z]", "", t.lower()) for t in (gold, caption))
    if not a:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size / len(a)


def run_real_pdfs(reader_spec: str) -> None:
    pdfs = sorted((REAL / "pdfs").glob("*.pdf"))
    if not pdfs:
        print(f"\nreal PDFs: none at {REAL / 'pdfs'} (the shared corpus is not part of a user's clone); skipped")
        return
    reader = TimedReader(make_reader(reader_spec, []))
    print(f"\nreader {reader.name} on the real PDFs\n")
    print("figures the parser found (vector of them), figures with a plot read, plots read, plots skipped, failed")
    print(f"{'PDF':48}{'figures':>8}{'vector':>8}{'read':>6}{'plots':>7}{'skipped':>9}{'failed':>8}")
    docs = {}
    reasons: Counter = Counter()
    for path in pdfs:
        try:
            doc = parse_pdf(path, path.stem, str(path))
        except InputError as err:
            print(f"{path.stem[:47]:48}  not parsed: {str(err).split(': ', 1)[-1][:70]}")
            continue
        docs[path.stem] = doc
        plots = read_figures(path, doc, reader)
        by_figure: dict[int | None, set[str]] = {}
        for p in plots:
            by_figure.setdefault(p.number, set()).add(p.status)
        read = sum("read" in s for s in by_figure.values())
        status = Counter(p.status for p in plots)
        reasons.update((p.reason or "").split(":")[0] for p in plots if p.status != "read")
        print(
            f"{path.stem[:47]:48}{len(doc.figures):>8}{sum(f.kind == 'vector' for f in doc.figures):>8}{read:>6}"
            f"{status['read']:>7}{status['skipped']:>9}{status['failed']:>8}"
        )
    if reasons:
        print("skip and failure reasons: " + ", ".join(f"{r} {n}" for r, n in reasons.most_common()))
    if reader.seconds:
        print(
            f"time per figure: mean {statistics.mean(reader.seconds):.3f} s, median {statistics.median(reader.seconds):.3f} s "
            f"over {len(reader.seconds)} figures"
        )
    compare_grobid(docs)


def compare_grobid(docs: dict) -> None:
    teis = sorted(GROBID_FIGURES.glob("*.tei.xml"))
    if not teis:
        print(f"\nGROBID figure annotations: none at {GROBID_FIGURES}; skipped")
        return
    print("\nfigures against GROBID's figure annotations (number found by our parser; caption text overlap)")
    for tei in teis:
        name = tei.name.split(".training.")[0]
        stem = next((s for s in docs if s.endswith(f"__{name}") or s == name), None)
        gold = grobid_figures(tei)
        if stem is None:
            print(f"  {name}: {len(gold)} GROBID figures; the PDF was not parsed or is absent")
            continue
        ours = {f.number: f for f in docs[stem].figures}
        found = [n for n, _ in gold if n in ours]
        matches = [caption_match(text, ours[n].caption) if n in ours else 0.0 for n, text in gold]
        good = sum(m >= 0.8 for m in matches)
        print(
            f"  {name}: GROBID {len(gold)} figures, ours {len(ours)}; numbers found {len(found)}/{len(gold)}; "
            f"captions matching (>= 80% of the text) {good}/{len(gold)}"
        )
        for (n, text), m in zip(gold, matches, strict=True):
            mine = ours.get(n)
            where = f"p{mine.page} {mine.kind}" if mine else "not found"
            print(f"    Fig. {n}: {where:12} caption overlap {100 * m:3.0f}%  GROBID: {text[:60]!r}")
        extra = sorted(n for n in ours if n not in {g for g, _ in gold})
        if extra:
            print(f"    found by us only: {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reader", default="digitizer", help="digitizer, vlm:/path/to/model or oracle")
    parser.add_argument("--keep", type=Path, help="write the generated plots, truth and predictions here")
    parser.add_argument("--no-real", action="store_true", help="only the generated plots")
    parser.add_argument(
        "--styles",
        help="score the style set (data/make_plots_styles.py) instead: 'dev', 'dev-extra', 'held' or 'dev,held'",
    )
    parser.add_argument("--show", action="store_true", help="with --styles: list each plot not fully within 2%%")
    args = parser.parse_args()
    logging.getLogger("extractors.figures").setLevel(logging.ERROR)  # a figure's failure is in the tables already
    try:
        make_reader(args.reader, [])
    except (ImportError, PropmineError) as err:
        raise SystemExit(f"reader {args.reader!r} is not available: {err}") from None
    if args.styles:
        splits = [s.strip() for s in args.styles.split(",") if s.strip()]
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            predicted = run_styles(args.keep, args.reader, splits, args.show)
            (args.keep / "predicted_styles.jsonl").write_text(
                "".join(f.model_dump_json() + "\n" for f in predicted), encoding="utf-8"
            )
        else:
            with tempfile.TemporaryDirectory() as tmp:
                run_styles(Path(tmp), args.reader, splits, args.show)
    elif args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        predicted = run_plots(args.keep, args.reader)
        (args.keep / "predicted.jsonl").write_text(
            "".join(f.model_dump_json() + "\n" for f in predicted), encoding="utf-8"
        )
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run_plots(Path(tmp), args.reader)
    if not args.no_real:
        run_real_pdfs(args.reader)


if __name__ == "__main__":
    main()
