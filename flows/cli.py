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
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from flows.cli_data import register as register_data_commands
from labeling.cli import label_app
from schemas.errors import ConfigError, InputError, PropmineError
from schemas.options import DEFAULT_MAX_PAGES, ExtractionOptions, canonical_properties
from schemas.record import Record
from schemas.result import PaperResult
from schemas.settings import Settings

if TYPE_CHECKING:
    from extractors.pipeline import Pipeline

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


# The run options, the same on every command that extracts (extract, batch, serve); each defaults to its
# PROPMINE_* variable, then to the default (schemas.options.ExtractionOptions.resolve).
ExtractorOpt = Annotated[
    str | None,
    typer.Option(
        "--extractor",
        help="rules (the default), llm (the LoRA-tuned model with the rules' checks; the default with --adapter or "
        "--base-model) or none (parse and store passages only) [env: PROPMINE_EXTRACTOR]",
        show_default=False,
    ),
]
BaseModelOpt = Annotated[
    str | None,
    typer.Option(
        "--base-model",
        help="A local Hugging Face model directory (default: the embedded SmolLM2-135M-Instruct) "
        "[env: PROPMINE_BASE_MODEL]",
        show_default=False,
    ),
]
AdapterOpt = Annotated[
    str | None,
    typer.Option(
        "--adapter",
        help="A LoRA adapter directory, 'default' (the shipped one; the default on the embedded model) or 'none' "
        "[env: PROPMINE_ADAPTER]",
        show_default=False,
    ),
]
PropertyOpt = Annotated[
    list[str] | None,
    typer.Option("--property", "-p", help="Only these properties (repeatable), e.g. band_gap", show_default=False),
]
MaxPagesOpt = Annotated[
    int | None,
    typer.Option(
        "--max-pages", min=1, help="Refuse PDFs with more pages than this (default 200) [env: PROPMINE_MAX_PAGES]"
    ),
]
FiguresOpt = Annotated[
    str | None,
    typer.Option(
        "--figures",
        help="Figure reader: digitizer (offline; the default unless --extractor none), vlm:DIR (a local "
        "vision-language model) or none [env: PROPMINE_FIGURE_READER]",
        show_default=False,
    ),
]
FilesArg = Annotated[list[Path], typer.Argument(help="PDF or UTF-8 text files", show_default=False)]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress or notes on stderr, only errors (progress: bars on a terminal, else a line per paper "
        "and stage)",
    ),
]
MaxPages = Annotated[int, typer.Option("--max-pages", help="Refuse PDFs with more pages than this")]


def run_options(
    extractor: str | None,
    base_model: str | None,
    adapter: str | None,
    properties: list[str] | None,
    max_pages: int | None,
    figures: str | None,
) -> ExtractionOptions:
    """The run options from the flags (and the environment): resolved once, here."""
    return ExtractionOptions.resolve(
        extractor=extractor,
        base_model=base_model,
        adapter=adapter,
        properties=properties,
        max_pages=max_pages,
        figure_reader=figures,
    )


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


AllowPrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private-hosts",
        help="Allow downloads from loopback, private and link-local addresses (a local mirror, tests) "
        "[env: PROPMINE_FETCH_ALLOW_PRIVATE]",
    ),
]
SharedOpt = Annotated[
    bool,
    typer.Option(
        "--shared", help="Share the corpus with other batches on the same DB: each paper is claimed, none done twice"
    ),
]
AllowLocalOpt = Annotated[
    bool,
    typer.Option(
        "--allow-local-files",
        help="Let a urls: list name local files (paths or file:// URLs) [env: PROPMINE_FETCH_ALLOW_LOCAL_FILES]",
    ),
]


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="A PDF or UTF-8 text file")],
    format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    max_pages: MaxPages = DEFAULT_MAX_PAGES,
) -> None:
    """Print the parsed document: its text (offsets of records point into it) or everything as JSON."""
    from extractors.documents.papers import open_paper, parse_document

    doc = parse_document(open_paper(file), max_pages=max_pages)
    for warning in doc.warnings:
        err_console.print(f"[yellow]note:[/yellow] {escape(warning)}", highlight=False)
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
    max_pages: MaxPages = DEFAULT_MAX_PAGES,
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
    max_pages: MaxPages = DEFAULT_MAX_PAGES,
) -> None:
    """Read the plots of PDFs: axes, units, scales and data series in data coordinates."""
    from extractors.documents.papers import open_paper, parse_document
    from extractors.figures.reading import make_figure_reader, read_figures

    if format not in ("table", "jsonl"):
        fail(f"--format {format}: use table or jsonl")
    # the reader as a run would choose it (--reader, else PROPMINE_FIGURE_READER, else the digitizer)
    chosen = make_figure_reader(
        ExtractionOptions.resolve(extractor="rules", figure_reader=reader).figure_reader or "none"
    )
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
    property: PropertyOpt = None,
    db: Annotated[Path | None, typer.Option("--db", help="Also write the records into this DuckDB file")] = None,
    format: Annotated[OutFormat, typer.Option("--format")] = OutFormat.table,
    extractor: ExtractorOpt = None,
    base_model: BaseModelOpt = None,
    adapter: AdapterOpt = None,
    max_pages: MaxPagesOpt = None,
    figures: FiguresOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Extract grounded property records from PDFs or text files, and from their plots.

    With --db the records are written into the database when every file is done (a database that
    cannot be written is found before the work starts).
    """
    from extractors import progress
    from extractors.documents.papers import open_paper
    from extractors.pipeline import Pipeline
    from flows.progress import WorkProgress, figures_summary, plural

    options = run_options(extractor, base_model, adapter, property, max_pages, figures)
    # The cheap checks first: a missing file or a bad --db is one line before the model loads, and the
    # database is never found unwritable after the work.
    results: list[PaperResult] = []
    readable: list[Path] = []
    for file in files:
        try:
            open_paper(file)
            readable.append(file)
        except PropmineError as err:
            err_console.print(f"[red]error:[/red] {err}", highlight=False)
            results.append(PaperResult(source=str(file), status="failed", errors=[f"parse: {err}"]))
    if not readable:
        raise typer.Exit(2)
    if db is not None:
        from flows.extract_paper import check_database

        check_database(db)
    records: list[Record] = []
    with WorkProgress(err_console, quiet=quiet) as shown, progress.listening(shown):
        if options.extractor == "llm":
            shown.stage("loading the model", None, "")
        pipeline = Pipeline.load(options)
        for file in readable:
            shown.paper(str(file), files.index(file) + 1, len(files))
            result = pipeline.extract(file)
            results.append(result)
            for message in result.errors:
                shown.error(message.removeprefix("parse: "))
            shown.paper_done(result)
            records.extend(result.records)
    failed = sum(r.status == "failed" for r in results)
    write_error: str | None = None
    if db is not None:
        write_error = _write_or_keep(db, results, pipeline)
    if failed == len(files):
        if write_error:
            fail(write_error)
        raise typer.Exit(2)
    if options.extractor == "rules" and format == OutFormat.table and not quiet:
        err_console.print("note: records from the rule-based stand-in extractor (--extractor rules)")
    rows = [r.model_dump(mode="json") for r in records]
    if format == OutFormat.table:
        if records:  # no empty table: the summary line below says "0 records"
            _records_table(records)
        rejected = sum(len(r.rejected) for r in results)
        shown_figures = figures_summary([p for r in results for p in r.figures], sum(len(r.curves) for r in results))
        err_console.print(
            f"{plural(len(records), 'record')} from {len(files) - failed} of {plural(len(files), 'file')}; "
            f"{plural(rejected, 'proposal')} rejected as ungrounded"
            + (f"; figures: {shown_figures}" if shown_figures else "")
            + (f"; written to {db}" if db is not None and not write_error else ""),
            highlight=False,
        )
    else:
        _emit(rows, format, list(Record.model_fields))
    if write_error:
        fail(write_error)
    if failed:
        raise typer.Exit(2)


def _write_or_keep(db: Path, results: list[PaperResult], pipeline: Pipeline) -> str | None:
    """Write the results into db; when that fails, save them (flows.extract_paper.keep_results) and say where.

    Returns:
        None when written; else the one line to show (the cause, and where the results are).
    """
    from flows.extract_paper import keep_results, run_parameters, write_results

    try:
        write_results(db, results, "extract", run_parameters(pipeline))
        return None
    except PropmineError as err:
        cause = str(err)
    try:
        kept = keep_results(db, results)
    except PropmineError as err:
        return f"{cause}; {err}"
    if kept.parent == db.parent and kept.name == f"{db.stem}.staging":
        how = f"the next `propmine batch SOURCE --db {db}` writes them"
    else:
        how = f"`propmine batch SOURCE --db {db} --staging {kept}` writes them"
    return f"{cause}; the results of {len(results)} file(s) are kept in {kept / 'results'} ({how})"


@app.command()
def train(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            help="Training examples, JSON Lines (python -m extractors.learning.corpora, or propmine label export)",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Adapter directory to write")],
    epochs: Annotated[float, typer.Option(help="Passes over the data")] = 1.0,
    max_steps: Annotated[int | None, typer.Option("--max-steps", help="Stop after this many optimizer steps")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 4,
    learning_rate: Annotated[float, typer.Option("--lr")] = 3e-4,
    lora_r: Annotated[int, typer.Option("--lora-r", help="LoRA rank")] = 8,
    seed: Annotated[int, typer.Option(help="Random seed")] = 0,
    base_model: Annotated[
        str | None, typer.Option("--base-model", help="A local Hugging Face model directory [env: PROPMINE_BASE_MODEL]")
    ] = None,
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
    base = ExtractionOptions.resolve(extractor="llm", base_model=base_model, adapter="none").base_model
    card = train_adapter(data, out, config, base_model=base, resume=resume)
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
    from extractors.pipeline import Pipeline

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
    pipelines: dict[str, Pipeline] = {}
    adapter_dirs: dict[str, Path] = {}
    wanted = sorted(properties)
    if rules:
        pipelines["rules"] = Pipeline.load(
            ExtractionOptions.resolve(extractor="rules", properties=wanted, figure_reader="none")
        )
    for name in adapter or ["default"]:
        options = ExtractionOptions.resolve(
            extractor="llm", base_model=base_model, adapter=name, properties=wanted, figure_reader="none"
        )
        label = "base (zero-shot)" if options.adapter is None else f"adapter {Path(options.adapter).name}"
        pipelines[label] = Pipeline.load(options)
        if options.adapter is not None:
            adapter_dirs[label] = Path(options.adapter)
    reports = {}
    for label, pipeline in pipelines.items():

        def run_one(path: Path, pipeline: Pipeline = pipeline) -> tuple[list[Record], int]:
            result = pipeline.extract(path)
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
    property: PropertyOpt = None,
    extractor: ExtractorOpt = None,
    base_model: BaseModelOpt = None,
    adapter: AdapterOpt = None,
    max_pages: MaxPagesOpt = None,
    figures: FiguresOpt = None,
    merge_every: Annotated[
        int, typer.Option("--merge-every", min=1, help="Merge staged results into the DB after this many papers")
    ] = 10,
    paper_time_budget: Annotated[
        float,
        typer.Option(
            "--paper-time-budget",
            min=0,
            help="Seconds one paper may take to extract; past it the paper is marked failed and the batch goes on "
            "(0: no limit)",
        ),
    ] = 600.0,
    allow_private_hosts: AllowPrivateOpt = False,
    allow_local_files: AllowLocalOpt = False,
    quiet: QuietOpt = False,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, help="Extract on a local Dask cluster of N worker processes (1: no Dask)"),
    ] = 1,
    dask_address: Annotated[
        str | None, typer.Option("--dask-address", help="Extract on an existing Dask scheduler (tcp://host:8786)")
    ] = None,
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", min=1, help="Papers per Dask task (with --workers or --dask-address)")
    ] = 8,
    shared: SharedOpt = False,
) -> None:
    """Mine a corpus into DuckDB with the Prefect flow mine-corpus: resumable, and re-runs skip finished papers.

    Ctrl-C stops after the paper in hand and writes what is finished (twice: at once, dropping that paper);
    the same command resumes.
    """
    options = run_options(extractor, base_model, adapter, property, max_pages, figures)
    _quiet_prefect()  # before prefect is first imported (flows.extract_paper imports it): it reads them then
    from flows.extract_paper import StopRequest
    from flows.store import batch_lock

    with batch_lock(db, shared=shared):  # refuse at once if another batch holds the DB (the flow takes it for real)
        pass
    from extractors import progress
    from flows.mine_corpus import mine_corpus
    from flows.progress import BatchProgress, summary_rows

    stop = StopRequest()
    try:
        with (
            BatchProgress(err_console, quiet=quiet) as shown,
            progress.listening(shown),
            stop.on_sigint(lambda message: shown.say(f"[yellow]stop:[/yellow] {message}", always=True)),
        ):
            summary = mine_corpus(
                source,
                str(db),
                options,
                staging=str(staging) if staging else None,
                merge_every=merge_every,
                progress=shown,
                paper_time_budget_s=paper_time_budget,
                stop=stop,
                allow_private_hosts=allow_private_hosts,
                allow_local_files=allow_local_files,
                workers=workers,
                dask_address=dask_address,
                chunk_size=chunk_size,
                shared=shared,
            )
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: papers finished so far are staged and written by the next run; run the same command "
            "again to resume",
            highlight=False,
        )
        raise typer.Exit(130) from None
    # One row per count: the labels never need cutting, whatever the terminal's width.
    table = Table(title=f"batch {summary.run_id}: {escape(summary.source)}", show_header=False, title_justify="left")
    table.add_column("what", no_wrap=True)
    table.add_column("papers", justify="right", no_wrap=True)
    for label, value in summary_rows(summary):
        table.add_row(label, value)
    err_console.print(table)
    for line in summary.errors:
        err_console.print(f"[red]failed:[/red] {escape(line)}", highlight=False)
    if stop.requested:
        left = summary.references - summary.skipped - summary.extracted
        err_console.print(
            f"interrupted: {summary.extracted} paper(s) written to {db}, {left} not done; run the same command "
            "again to resume (finished papers are skipped)",
            highlight=False,
        )
        raise typer.Exit(143 if stop.terminated.is_set() else 130)  # the shell's codes for SIGTERM and SIGINT


@app.command()
def serve(
    source: SourceArg,
    db: Annotated[Path, typer.Option("--db", help="The DuckDB file to mine into")],
    cron: Annotated[
        str, typer.Option("--cron", help="When to run, as a cron line (default: every night at 02:00)")
    ] = "0 2 * * *",
    name: Annotated[str, typer.Option("--name", help="The deployment's name")] = "nightly",
    property: PropertyOpt = None,
    extractor: ExtractorOpt = None,
    base_model: BaseModelOpt = None,
    adapter: AdapterOpt = None,
    max_pages: MaxPagesOpt = None,
    figures: FiguresOpt = None,
    allow_private_hosts: AllowPrivateOpt = False,
    allow_local_files: AllowLocalOpt = False,
    shared: SharedOpt = False,
) -> None:
    """Run mine-corpus on a schedule on this machine (Prefect's flow.serve); stop with Ctrl-C."""
    options = run_options(extractor, base_model, adapter, property, max_pages, figures)
    _quiet_prefect()
    from flows.mine_corpus import mine_corpus

    mine_corpus.serve(
        name=name,
        cron=cron,
        parameters={
            "source": source,
            "db": str(db.resolve()),
            "options": options.model_dump(),
            "allow_private_hosts": allow_private_hosts,
            "allow_local_files": allow_local_files,
            "shared": shared,
        },
    )


def _check_properties(names: list[str] | None) -> set[str] | None:
    canonical = canonical_properties(names)
    return set(canonical) if canonical else None


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
    from extractors.records.model import prefer_passive_openmp

    prefer_passive_openmp()  # before anything imports torch
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
