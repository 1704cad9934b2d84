"""The commands over a mined database: `propmine query`, `propmine report` and `propmine export`.

`register(app)` adds them to the main CLI. The database is opened read-only, so they can run while
nothing else writes it. Heavy modules are imported inside the commands so that `propmine --help`
stays fast.
"""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from schemas.errors import ConfigError, InputError

out_console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

DEFAULT_DB = Path("propmine.duckdb")
DbOption = Annotated[Path, typer.Option("--db", envvar="PROPMINE_DB", help="The DuckDB file (or set PROPMINE_DB)")]


class QueryFormat(StrEnum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"


class MethodOption(StrEnum):
    experimental = "experimental"
    computational = "computational"
    literature = "literature"


class ExportFormatOption(StrEnum):
    parquet = "parquet"
    hf = "hf"
    csv = "csv"


def _existing_db(db: Path) -> Path:
    if not db.is_file():
        raise InputError(f"{db}: no such database; pass --db FILE (or set PROPMINE_DB)")
    return db


def query(
    text: Annotated[
        str | None,
        typer.Argument(help="What to look for, e.g. 'band gap of anatase TiO2 films above 3 eV'", show_default=False),
    ] = None,
    db: DbOption = DEFAULT_DB,
    material: Annotated[
        str | None, typer.Option("--material", "-m", help="A material: formula (TiO2 = O2Ti) or name")
    ] = None,
    property: Annotated[
        str | None, typer.Option("--property", "-p", help="A property: vocabulary name, synonym or description")
    ] = None,
    min: Annotated[
        str | None,
        typer.Option(
            "--min", help="Lowest value, in any unit ('2 eV', '300 K') or a bare number in the property's unit"
        ),
    ] = None,
    max: Annotated[str | None, typer.Option("--max", help="Highest value, in any unit")] = None,
    method: Annotated[MethodOption | None, typer.Option("--method", help="How the value was obtained")] = None,
    min_credibility: Annotated[
        float | None, typer.Option("--min-credibility", help="Only records at least this credible (0..1)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many records")] = 20,
    format: Annotated[QueryFormat, typer.Option("--format")] = QueryFormat.table,
    lexical: Annotated[
        bool, typer.Option("--lexical", help="Match materials and properties by spelling only (no embedding model)")
    ] = False,
) -> None:
    """Find records by free text and filters, most relevant and credible first, with their evidence."""
    from extractors.embeddings import load_embedder
    from flows.progress import plural
    from flows.query import QueryOptions, hits_table, search_records
    from flows.store import open_db

    if not any((text, material, property, min, max, method, min_credibility is not None)):
        raise InputError("nothing to look for: give a query text or a filter (--material, --property, --min, ...)")
    embedder, notice = load_embedder(semantic=not lexical)
    if notice:
        err_console.print(f"note: {notice}", highlight=False)
    options = QueryOptions(
        text=text,
        material=material,
        property=property,
        min=min,
        max=max,
        method=method.value if method else None,
        min_credibility=min_credibility,
        limit=limit,
    )
    with open_db(_existing_db(db), read_only=True) as con:
        result = search_records(con, options, embedder)
    for line in result.notices:
        err_console.print(f"note: {line}", highlight=False)
    rows = [{**hit.record, "relevance": hit.relevance, "score": hit.score} for hit in result.hits]
    if format == QueryFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif format == QueryFormat.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["record_id"])
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in row.items()}
            )
    else:
        if result.understood:
            err_console.print("query: " + " · ".join(result.understood), highlight=False)
        if rows:
            hits_table(rows, out_console)
            err_console.print(plural(len(rows), "record") + (" (--limit reached)" if len(rows) == limit else ""))
    if not rows:
        err_console.print("no records match")


def report(
    db: DbOption = DEFAULT_DB,
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write")] = Path("report.html"),
    evidence_limit: Annotated[int, typer.Option("--evidence-limit", help="Records in the evidence viewer")] = 500,
    title: Annotated[str | None, typer.Option("--title", help="The page's title")] = None,
) -> None:
    """Write one self-contained HTML page: value distributions, credibility and calibration, outliers, evidence."""
    from flows.report import build_report
    from flows.store import open_db

    with open_db(_existing_db(db), read_only=True) as con:
        summary = build_report(con, out, db_name=db.name, evidence_limit=evidence_limit, title=title)
    err_console.print(
        f"report written to {summary.path} ({summary.n_bytes / 1e6:.1f} MB, {summary.n_records:,} records, "
        f"{summary.n_evidence:,} in the evidence viewer) in {summary.seconds} s",
        highlight=False,
    )


def export(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="A new (or previously exported) directory for the data and its README.md"),
    ],
    db: DbOption = DEFAULT_DB,
    format: Annotated[
        ExportFormatOption, typer.Option("--format", help="parquet, hf (a datasets directory) or csv")
    ] = ExportFormatOption.parquet,
    min_credibility: Annotated[
        float, typer.Option("--min-credibility", help="Leave out records less credible than this")
    ] = 0.0,
    property: Annotated[
        list[str] | None, typer.Option("--property", "-p", help="Only these properties (repeatable)")
    ] = None,
) -> None:
    """Export a training table: one row per (material, property, conditions), the most credible value kept."""
    from flows.export import export_training_table
    from flows.store import open_db
    from schemas.vocabulary import load_vocabulary

    properties = None
    if property:
        vocab = load_vocabulary()
        properties = []
        for name in property:
            canonical = vocab.resolve(name)
            if canonical is None:
                raise ConfigError(f"--property {name}: not in the vocabulary; known: {', '.join(vocab.names)}")
            properties.append(canonical)
    with open_db(_existing_db(db), read_only=True) as con:
        summary = export_training_table(
            con, out, format.value, db_name=db.name, min_credibility=min_credibility, properties=properties
        )
    err_console.print(
        f"{summary.n_rows:,} rows from {summary.n_records:,} records ({summary.n_conflicts:,} with disagreeing "
        f"records, {summary.n_rejected:,} rejected records left out) written to {summary.out} in {summary.seconds} s",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add query, report and export to the main `propmine` app."""
    app.command(name="query")(query)
    app.command(name="report")(report)
    app.command(name="export")(export)
