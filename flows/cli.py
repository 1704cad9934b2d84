"""The `propmine` command line: parse, quantities, extract (and the model commands).

Every user mistake ends in one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.cli_data import register as register_data_commands
from labeling.cli import label_app
from schemas.errors import ConfigError, InputError, PropmineError
from schemas.record import Record
from schemas.settings import Settings

app = typer.Typer(
    name="propmine",
    help="Mine grounded material-property records from papers (PDF or text).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


class OutFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class ExtractorName(StrEnum):
    llm = "llm"
    rules = "rules"
    none = "none"


FilesArg = Annotated[list[Path], typer.Argument(help="PDF or UTF-8 text files", show_default=False)]
MaxPages = Annotated[int, typer.Option("--max-pages", help="Refuse PDFs with more pages than this")]
FigureReaderOpt = Annotated[
    str | None,
    typer.Option(
        "--figures",
        help="Figure reader: digitizer (offline, the default; PROPMINE_FIGURE_READER), vlm:DIR (a local vision-language model) or none",
    ),
]


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A PDF or UTF-8 text file")],
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    max_pages: MaxPages = 200,
) -> None:
    """Print the parsed document: its text (offsets of records point into it) or everything as JSON."""
    from extractors.documents.papers import open_paper, parse_document

    doc = parse_document(open_paper(file), max_pages=max_pages)
    if format == "json":
        sys.stdout.write(doc.model_dump_json(indent=1) + "\n")
    elif format == "text":
        sys.stdout.write(doc.text + "\n")
    else:
        fail(f"--format {format}: use text or json")


@app.command()
def quantities(
    files: FilesArg,
    format: Annotated[OutFormat, typer.Option("--format")] = OutFormat.table,
    max_pages: MaxPages = 200,
) -> None:
    """Every quantity (number with a unit) in the files, with spans and SI values."""
    from extractors.documents.papers import open_paper, parse_document
    from extractors.quantities.tagger import tag_quantities

    rows = []
    for file in files:
        doc = parse_document(open_paper(file), max_pages=max_pages)
        for q in tag_quantities(doc.text):
            rows.append(
                {
                    "source": str(file),
                    "span": list(q.span),
                    "text": q.text,
                    "value": q.value,
                    "value_max": q.value_max,
                    "uncertainty": q.uncertainty,
                    "qualifier": q.qualifier,
                    "unit": q.unit,
                    "value_canonical": q.value_si,
                    "unit_canonical": q.unit_si,
                }
            )
    _emit(
        rows, format, ["text", "value", "value_max", "qualifier", "unit", "value_canonical", "unit_canonical", "span"]
    )


@app.command()
def figures(
    files: Annotated[list[Path], typer.Argument(help="PDF files", show_default=False)],
    format: Annotated[str, typer.Option("--format", help="table or jsonl (one line per plot)")] = "table",
    reader: Annotated[
        str | None,
        typer.Option("--reader", help="digitizer (offline, the default) or vlm:DIR (a local vision-language model)"),
    ] = None,
    max_pages: MaxPages = 200,
) -> None:
    """Read the plots of PDFs: axes, units, scales and data series in data coordinates."""
    from extractors.documents.papers import open_paper, parse_document
    from extractors.figures.reading import read_figures

    if format not in ("table", "jsonl"):
        fail(f"--format {format}: use table or jsonl")
    chosen = _figure_reader(reader, ExtractorName.llm)
    if chosen is None:
        fail("--reader none reads nothing: use digitizer or vlm:DIR")
    failed = 0
    table = Table(title="figures")
    for col in ("source", "fig.", "page", "status", "x axis", "y axis", "series", "points"):
        table.add_column(col, overflow="fold")
    for file in files:
        try:
            paper = open_paper(file)
            if paper.kind != "pdf":
                raise InputError(f"{file}: not a PDF (figures are read from PDFs)")
            doc = parse_document(paper, max_pages=max_pages)
        except PropmineError as err:
            err_console.print(f"[red]error:[/red] {err}", highlight=False)
            failed += 1
            continue
        plots = read_figures(Path(paper.path), doc, chosen)
        if not doc.figures:
            err_console.print(f"{file}: no figures found", highlight=False)
        for plot in plots:
            if format == "jsonl":
                sys.stdout.write(plot.model_dump_json() + "\n")
                continue
            axis = [
                f"{label or '?'}" + (f" ({unit})" if unit else "") + (" log" if scale == "log" else "")
                for label, unit, scale in (
                    (plot.x_label, plot.x_unit, plot.x_scale),
                    (plot.y_label, plot.y_unit, plot.y_scale),
                )
            ]
            status = plot.status if plot.status == "read" else f"{plot.status}: {plot.reason}"
            names = ", ".join(s.label or s.style for s in plot.series)
            table.add_row(
                str(file),
                f"{plot.number or ''}{plot.panel or ''}",
                str(plot.page),
                status,
                *axis,
                names,
                str(sum(len(s.points) for s in plot.series)),
            )
    if format == "table":
        out.print(table)
    if failed:
        raise typer.Exit(2)


@app.command()
def extract(
    files: FilesArg,
    property: Annotated[
        list[str] | None, typer.Option("--property", "-p", help="Only these properties (repeatable), e.g. band_gap")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="Also write the records into this DuckDB file")] = None,
    format: Annotated[OutFormat, typer.Option("--format")] = OutFormat.table,
    extractor: Annotated[
        ExtractorName,
        typer.Option(
            "--extractor", help="llm (the LoRA-tuned model), rules (the rule-based baseline) or none (parse only)"
        ),
    ] = ExtractorName.llm,
    base_model: Annotated[
        str | None,
        typer.Option("--base-model", help="A local Hugging Face model directory (default: the embedded SmolLM2-135M)"),
    ] = None,
    adapter: Annotated[
        str | None,
        typer.Option("--adapter", help="A LoRA adapter directory (default: the shipped one; 'none' for the bare base)"),
    ] = None,
    max_pages: MaxPages = 200,
    figures: FigureReaderOpt = None,
) -> None:
    """Extract grounded property records from PDFs or text files, and from their plots."""
    from extractors.pipeline import extract_paper

    properties = _check_properties(property)
    chosen = _make_extractor(extractor, base_model, adapter)
    reader = _figure_reader(figures, extractor)
    records: list[Record] = []
    failed = 0
    results = []
    for file in files:
        result = extract_paper(file, chosen, properties=properties, max_pages=max_pages, figure_reader=reader)
        results.append(result)
        for message in result.errors:
            err_console.print(f"[red]error:[/red] {message.removeprefix('parse: ')}", highlight=False)
        failed += result.status == "failed"
        records.extend(result.records)
    if db is not None:
        from flows.store import finish_run, flag_outliers, open_db, start_run, write_paper

        with open_db(db) as con:
            run_id = start_run(
                con, "extract", {"extractor": chosen.info.model_dump(), "properties": sorted(properties or [])}
            )
            for result in results:
                write_paper(con, result, run_id)
            flag_outliers(con)
            finish_run(con, run_id, len(results), len(records))
    if failed == len(files):
        raise typer.Exit(2)
    if chosen.info.name == "rules" and format == OutFormat.table:
        err_console.print("note: records from the rule-based stand-in extractor (--extractor rules)")
    rows = [r.model_dump(mode="json") for r in records]
    if format == OutFormat.table:
        _records_table(records)
        rejected = sum(len(r.rejected) for r in results)
        plots = [p for r in results for p in r.figures]
        read = sum(p.status == "read" for p in plots)
        err_console.print(
            f"{len(records)} records from {len(files) - failed} of {len(files)} files; {rejected} proposals rejected as ungrounded"
            + (f"; {read} of {len(plots)} plots read, {sum(len(r.curves) for r in results)} curves" if plots else "")
        )
    else:
        _emit(rows, format, list(Record.model_fields))
    if failed:
        raise typer.Exit(2)


@app.command()
def train(
    data: Annotated[
        Path, typer.Option("--data", help="Training examples, JSON Lines (propmine corpus build / label export)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Adapter directory to write")],
    epochs: Annotated[float, typer.Option(help="Passes over the data")] = 1.0,
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="Stop after this many optimizer steps")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 4,
    learning_rate: Annotated[float, typer.Option("--lr")] = 3e-4,
    lora_r: Annotated[int, typer.Option("--lora-r", help="LoRA rank")] = 8,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    base_model: Annotated[str | None, typer.Option("--base-model", help="A local Hugging Face model directory")] = None,
    resume: Annotated[bool, typer.Option(help="Continue from OUT/checkpoint if present")] = True,
) -> None:
    """Fine-tune a LoRA adapter for the extractor (CPU or GPU), with a loss log and a model card."""
    from extractors.learning.training import TrainConfig, train_adapter

    config = TrainConfig(
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        lora_r=lora_r,
        lora_alpha=2 * lora_r,
        seed=seed,
    )
    card = train_adapter(data, out, config, base_model=base_model, resume=resume)
    err_console.print(
        f"adapter written to {out}: {card['steps']} steps in {card['train_seconds']} s, final loss {card['final_loss']}"
    )


@app.command(name="eval")
def evaluate_cmd(
    gold: Annotated[
        Path | None,
        typer.Option("--gold", help="Gold JSON Lines ({id, text|path, records}); default: the bandgap-200 dev split"),
    ] = None,
    adapter: Annotated[
        list[str] | None,
        typer.Option("--adapter", help="Adapters to compare (repeatable); 'none' is the zero-shot base"),
    ] = None,
    rules: Annotated[bool, typer.Option("--rules/--no-rules", help="Also score the rule-based extractor")] = True,
    property: Annotated[list[str] | None, typer.Option("--property", "-p")] = None,
    base_model: Annotated[str | None, typer.Option("--base-model")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N gold papers")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the scores as JSON here")] = None,
    write_card: Annotated[
        bool, typer.Option("--write-card", help="Store each adapter's scores in its adapter_card.json")
    ] = False,
) -> None:
    """Score extractors against gold records: P/R/F1 per property and the hallucination rate, side by side."""
    from extractors.learning import evaluation
    from extractors.pipeline import extract_paper

    properties = _check_properties(property) or {"band_gap"}
    if gold is None:
        from extractors.learning.corpora import bandgap_200_gold

        corpus = Settings.from_env().corpus_dir
        if corpus is None or not corpus.is_dir():
            raise ConfigError("no --gold given and no corpus folder (PROPMINE_CORPUS_DIR); pass --gold FILE.jsonl")
        items = bandgap_200_gold(corpus, split="dev")
    else:
        items = evaluation.load_gold(gold)
    items = items[:limit] if limit else items
    extractors: dict[str, object] = {}
    adapter_dirs: dict[str, Path] = {}
    if rules:
        extractors["rules"] = _make_extractor(ExtractorName.rules, None, None)
    for name in adapter or ["default"]:
        label = "base (zero-shot)" if name == "none" else f"adapter {Path(name).name}"
        extractors[label] = _make_extractor(ExtractorName.llm, base_model, None if name == "default" else name)
        if name != "none":
            from extractors.records.llm import DEFAULT_ADAPTER_DIR

            adapter_dirs[label] = DEFAULT_ADAPTER_DIR if name == "default" else Path(name)
    reports = {}
    for label, chosen in extractors.items():

        def run_one(path: Path, chosen=chosen):
            result = extract_paper(path, chosen, properties=properties)
            return result.records, len(result.rejected)

        reports[label] = evaluation.evaluate(run_one, items, properties)
    out.print(evaluation.format_side_by_side(reports))
    if report is not None:
        report.write_text(
            json.dumps({k: evaluation.report_dict(v) for k, v in reports.items()}, indent=2), encoding="utf-8"
        )
    if write_card:
        gold_name = str(gold) if gold else "bandgap-200-arxiv dev split"
        for label, adapter_dir in adapter_dirs.items():
            evaluation.write_card_scores(adapter_dir, reports[label], gold_name, sorted(properties))


def _quiet_prefect() -> None:
    """Prefect's own logs at WARNING and no telemetry, unless the user set otherwise; a longer startup
    timeout because a temporary Prefect server can take 30 s to start on 2 cores."""
    for name, value in (
        ("PREFECT_LOGGING_LEVEL", "WARNING"),
        ("PREFECT_LOGGING_TO_API_ENABLED", "false"),
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"),
    ):
        os.environ.setdefault(name, value)


SourceArg = Annotated[
    str, typer.Argument(help="A folder, urls:FILE, arxiv:QUERY or openalex:FILTER", show_default=False)
]


@app.command()
def batch(
    source: SourceArg,
    db: Annotated[Path, typer.Option("--db", help="The DuckDB file to mine into")],
    staging: Annotated[
        Path | None, typer.Option("--staging", help="Downloads and staged results (default: DB.staging/ beside the DB)")
    ] = None,
    property: Annotated[
        list[str] | None, typer.Option("--property", "-p", help="Only these properties (repeatable)")
    ] = None,
    extractor: Annotated[ExtractorName, typer.Option("--extractor")] = ExtractorName.llm,
    base_model: Annotated[str | None, typer.Option("--base-model")] = None,
    adapter: Annotated[str | None, typer.Option("--adapter")] = None,
    max_pages: MaxPages = 200,
    merge_every: Annotated[
        int, typer.Option("--merge-every", min=1, help="Merge staged results into the DB after this many papers")
    ] = 10,
    figures: FigureReaderOpt = None,
) -> None:
    """Mine a corpus into DuckDB with the Prefect flow mine-corpus: resumable, and re-runs skip finished papers."""
    properties = _check_properties(property)
    from flows.store import batch_lock

    with batch_lock(db):  # refuse at once if another batch holds the DB (the flow takes the lock for real)
        pass
    _quiet_prefect()
    from flows.mine_corpus import mine_corpus

    summary = mine_corpus(
        source,
        str(db),
        str(staging) if staging else None,
        extractor.value,
        sorted(properties) if properties else None,
        base_model,
        adapter,
        max_pages,
        merge_every,
        progress=sys.stderr.isatty(),
        figure_reader=figures or Settings.from_env().figure_reader,
    )
    table = Table(title=f"batch {summary.run_id}: {summary.source}")
    for col in ("papers", "skipped", "resumed", "extracted", "success", "partial", "failed", "records", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(
        *(
            str(x)
            for x in (
                summary.references,
                summary.skipped,
                summary.resumed,
                summary.extracted,
                summary.success,
                summary.partial,
                summary.failed,
                summary.records,
                summary.seconds,
            )
        )
    )
    err_console.print(table)
    for line in summary.errors:
        err_console.print(f"[red]failed:[/red] {line}", highlight=False)


@app.command()
def serve(
    source: SourceArg,
    db: Annotated[Path, typer.Option("--db", help="The DuckDB file to mine into")],
    cron: Annotated[
        str, typer.Option("--cron", help="When to run, as a cron line (default: every night at 02:00)")
    ] = "0 2 * * *",
    name: Annotated[str, typer.Option("--name", help="The deployment's name")] = "nightly",
    extractor: Annotated[ExtractorName, typer.Option("--extractor")] = ExtractorName.llm,
    property: Annotated[list[str] | None, typer.Option("--property", "-p")] = None,
) -> None:
    """Run mine-corpus on a schedule on this machine (Prefect's flow.serve); stop with Ctrl-C."""
    properties = _check_properties(property)
    _quiet_prefect()
    from flows.mine_corpus import mine_corpus

    mine_corpus.serve(
        name=name,
        cron=cron,
        parameters={
            "source": source,
            "db": str(db.resolve()),
            "extractor_name": extractor.value,
            "properties": sorted(properties) if properties else None,
        },
    )


def _check_properties(names: list[str] | None) -> set[str] | None:
    if not names:
        return None
    from schemas.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    resolved = set()
    for name in names:
        canonical = vocab.resolve(name)
        if canonical is None:
            raise ConfigError(f"--property {name}: not in the vocabulary; known: {', '.join(vocab.names)}")
        resolved.add(canonical)
    return resolved


def _make_extractor(name: ExtractorName, base_model: str | None, adapter: str | None):
    from extractors.pipeline import make_extractor

    return make_extractor(name.value, base_model, adapter)


def _figure_reader(name: str | None, extractor: ExtractorName):
    """The figure reader by name (default: the PROPMINE_FIGURE_READER setting); none for a parse-only run."""
    from extractors.figures.reading import make_figure_reader

    if extractor == ExtractorName.none and name is None:
        return None
    return make_figure_reader(name or Settings.from_env().figure_reader)


def _records_table(records: list[Record]) -> None:
    """Records as a table; the evidence column (a window around the value) only when the terminal is wide."""
    wide = out.width >= 120
    table = Table(show_lines=False)
    for col in ("material", "property", "value", "unit", "method", "cred.", "page"):
        table.add_column(col, overflow="fold")
    if wide:
        table.add_column("evidence", overflow="fold", ratio=1)
    for r in records:
        value = ("~" if r.qualifier == "approximate" else "") + f"{r.value:g}"
        value += (f"–{r.value_max:g}" if r.value_max is not None else "") + (
            f" ± {r.uncertainty:g}" if r.uncertainty is not None else ""
        )
        method = r.method.kind + (f" ({r.method.detail})" if r.method.detail else "")
        row = [
            r.material,
            r.property,
            value,
            r.unit or "",
            method,
            f"{r.credibility.score:.2f}",
            str(r.evidence.page or ""),
        ]
        if wide:
            at = max(0, r.spans.value[0] - r.evidence.char_start)
            start = max(0, at - 45)
            row.append(
                ("…" if start else "")
                + r.evidence.text[start : at + 45]
                + ("…" if at + 45 < len(r.evidence.text) else "")
            )
        table.add_row(*row)
    out.print(table)


def _emit(rows: list[dict], format: OutFormat, columns: list[str]) -> None:
    if format == OutFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif format == OutFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in row.items()}
            )
    else:
        table = Table()
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*[("" if row.get(c) is None else str(row.get(c))) for c in columns])
        out.print(table)


register_data_commands(app)  # query, report, export (flows/cli_data.py)
app.add_typer(label_app, name="label")  # the labeling UI and its exports (labeling/cli.py)


def main() -> None:
    """Entry point: run the app, turning propmine's errors into one line and an exit code."""
    logging.basicConfig(
        level=os.environ.get("PROPMINE_LOG_LEVEL", "WARNING"), format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        app(standalone_mode=True)
    except PropmineError as err:
        err_console.print(f"[red]error:[/red] {err}", highlight=False)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


__all__ = ["app", "main", "InputError"]
