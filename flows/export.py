"""The training table: one row per (material, property, conditions), conflicts resolved by credibility.

Records of the same material (its normalized formula where there is one, else the lower-cased
name), property and conditions (compared in SI units, so 300 K and 26.85 °C are one condition) form
a group. The group's row keeps the value of its most credible record, with that record's provenance
(paper, source, DOI, record id, evidence text, page), and says how many records agree with that
value (within 1 %, as the evaluation matches values) and how many do not. Records whose latest
label is a reject are left out.

Everything is written inside the chosen directory: the data, a dataset card (README.md) and a
manifest that lets a later export replace exactly these files and nothing else.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa

from extractors.quantities.units import to_si
from flows.report import latest_judgements
from schemas.errors import InputError
from schemas.storage import atomic_path, atomic_write_text, prepare_export_dir
from schemas.tables import SCHEMA_VERSION
from schemas.vocabulary import load_vocabulary

ExportFormat = Literal["parquet", "hf", "csv"]
# Two values agree when they differ by at most this fraction: 1%, the relative tolerance `propmine eval` allows
# a value against gold (extractors.learning.evaluation.RELATIVE_TOLERANCE).
AGREEMENT_TOLERANCE = 0.01
DATA_FILES: dict[str, str] = {"parquet": "data.parquet", "csv": "data.csv"}

COLUMN_DOCS = {
    "material_key": "The group's material: normalized (Hill) formula where there is one, else the lower-cased name",
    "formula": "Normalized formula, or null",
    "material": "The material as written in the kept record",
    "property": "Canonical property name from the vocabulary",
    "conditions_key": "The group's conditions in SI units ('' for none)",
    "conditions": "Conditions of the kept record: name, value, unit (as written), text",
    "value": "The kept value, in the property's canonical unit (as written when the unit could not be converted)",
    "value_max": "Upper end of a range, same unit",
    "unit": "Canonical unit of value (the unit as written when it could not be converted)",
    "qualifier": "exact, approximate, range, lower_bound, upper_bound",
    "value_as_written": "The number as the paper wrote it",
    "value_max_as_written": "Upper end of a range as written",
    "unit_as_written": "The unit as the paper wrote it",
    "uncertainty": "The stated uncertainty, in unit_as_written",
    "method_kind": "experimental, computational, literature or unknown",
    "method_detail": "Technique or level of theory, e.g. UV-vis, HSE06",
    "credibility": "Credibility score (0..1) of the kept record",
    "n_records": "Records in the group",
    "n_papers": "Papers those records come from",
    "n_agree": "Records (the kept one included) whose value is within 1 % of the kept value",
    "n_disagree": "Records whose value differs by more than 1 %",
    "other_values": "The distinct disagreeing values, in the same unit",
    "record_id": "The kept record",
    "paper_id": "sha256 of the kept record's source file",
    "source": "Path or URL the kept record was read from",
    "doi": "DOI of the paper, where known",
    "title": "Title of the paper: the source's (arXiv, OpenAlex), else the one parsed from the paper",
    "authors": "Authors of the paper, where the source named them",
    "year": "Year of publication, where the source gave it (never guessed)",
    "venue": "Journal or conference, where the source gave it",
    "arxiv_id": "arXiv identifier with its version, where the paper came from arXiv or has a copy there",
    "licence": "Licence of the paper's open copy, where the source stated one (e.g. cc-by)",
    "evidence_text": "The sentence or table row the kept value was read from",
    "page": "PDF page of the evidence (null for text sources)",
    "char_start": "Offset of the evidence in the parsed document text",
    "char_end": "End offset of the evidence",
    "origin": "text, table, caption or figure",
}


@dataclass
class ExportSummary:
    out: Path
    files: list[Path]
    n_rows: int
    n_records: int
    n_conflicts: int
    n_rejected: int
    n_below_credibility: int
    seconds: float


def conditions_key(conditions_json: str | None) -> str:
    """A condition list as a comparable key: sorted 'name=value unit' in SI units, without the text."""
    if not conditions_json:
        return ""
    parts = []
    for c in json.loads(conditions_json) or []:
        name = str(c.get("name") or "condition")
        value, unit = c.get("value"), c.get("unit")
        si = to_si(value, unit) if value is not None and unit else None
        if si is not None:
            parts.append(f"{name}={si[0]:.4g} {si[1]}".strip())
        elif value is not None:
            parts.append(f"{name}={value:.4g} {unit or ''}".strip())
        else:
            parts.append(f"{name}={str(c.get('text') or '').strip().lower()}")
    return "; ".join(sorted(parts))


def training_table(
    con: duckdb.DuckDBPyConnection, min_credibility: float = 0.0, properties: list[str] | None = None
) -> tuple[pa.Table, dict[str, int]]:
    """The training table as Arrow, and counts of what was left out.

    Returns:
        (table, {"records": used, "rejected": left out by a reject label, "below_credibility": ...}).
    """
    filters = ["r.credibility_score >= ?"] if min_credibility > 0 else []
    params: list[Any] = [min_credibility] if min_credibility > 0 else []
    if properties:
        filters.append(f"r.property IN ({', '.join('?' for _ in properties)})")
        params.extend(properties)
    judged = latest_judgements(con)
    rejected_cte = (
        f"rejected AS (SELECT record_id FROM ({judged}) WHERE NOT positive)"
        if judged
        else "rejected AS (SELECT NULL::VARCHAR AS record_id WHERE false)"
    )
    keys = [
        (text, conditions_key(text))
        for (text,) in con.execute(
            "SELECT DISTINCT conditions::VARCHAR FROM records WHERE conditions IS NOT NULL"
        ).fetchall()
    ]
    con.register(
        "pm_condition_keys",
        pa.table(
            {
                "conditions": pa.array([k[0] for k in keys], pa.string()),
                "conditions_key": pa.array([k[1] for k in keys], pa.string()),
            }
        ),
    )
    try:
        where = ("WHERE " + " AND ".join(filters)) if filters else ""
        # Narrow rows through the window and the join; the wide JSON columns only for the kept records.
        base = f"""
            {rejected_cte},
            base AS (
                SELECT r.record_id, r.paper_id, r.property, r.credibility_score, r.method_kind,
                       coalesce(r.formula, lower(trim(r.material))) AS material_key,
                       coalesce(k.conditions_key, '') AS conditions_key,
                       coalesce(r.value_canonical, r.value) AS v, coalesce(r.value_max_canonical, r.value_max) AS vmax,
                       CASE WHEN r.value_canonical IS NULL THEN r.unit ELSE r.unit_canonical END AS u
                FROM records r LEFT JOIN pm_condition_keys k ON k.conditions = r.conditions::VARCHAR
                {where} {"AND" if where else "WHERE"} r.record_id NOT IN (SELECT record_id FROM rejected)
                  AND r.material IS NOT NULL AND r.property IS NOT NULL)"""
        counts_row = con.execute(
            f"""
            WITH {rejected_cte}
            SELECT (SELECT count(*) FROM records r WHERE r.record_id IN (SELECT record_id FROM rejected)),
                   (SELECT count(*) FROM records r WHERE r.credibility_score < ?)""",
            [min_credibility],
        ).fetchone()
        sql = f"""
            WITH {base.strip()},
            best AS (
                SELECT * FROM base
                QUALIFY row_number() OVER (
                    PARTITION BY material_key, property, conditions_key
                    ORDER BY credibility_score DESC NULLS LAST, (method_kind = 'experimental') DESC, record_id) = 1),
            agreement AS (
                SELECT material_key, property, conditions_key, count(*) AS n_records, count(DISTINCT paper_id) AS n_papers,
                       count(*) FILTER (WHERE agree) AS n_agree,
                       coalesce(list_sort(list_distinct(list(v) FILTER (WHERE NOT agree))), []::DOUBLE[]) AS other_values
                FROM (
                    SELECT a.material_key, a.property, a.conditions_key, a.paper_id, a.v,
                           (a.u IS NOT DISTINCT FROM b.u
                            AND abs(a.v - b.v) <= {AGREEMENT_TOLERANCE} * greatest(abs(b.v), 1e-300)
                            AND ((a.vmax IS NULL AND b.vmax IS NULL)
                                 OR abs(a.vmax - b.vmax) <= {AGREEMENT_TOLERANCE} * greatest(abs(b.vmax), 1e-300))
                           ) IS TRUE AS agree
                    FROM base a JOIN best b USING (material_key, property, conditions_key))
                GROUP BY ALL)
            SELECT b.material_key, r.formula, r.material, b.property, b.conditions_key,
                   json_transform(r.conditions, '[{{"name":"VARCHAR","value":"DOUBLE","unit":"VARCHAR","text":"VARCHAR"}}]') AS conditions,
                   b.v AS value, b.vmax AS value_max, b.u AS unit, r.qualifier,
                   r.value AS value_as_written, r.value_max AS value_max_as_written, r.unit AS unit_as_written, r.uncertainty,
                   r.method_kind, r.method->>'detail' AS method_detail, r.credibility_score AS credibility,
                   g.n_records, g.n_papers, g.n_agree, g.n_records - g.n_agree AS n_disagree, g.other_values,
                   r.record_id, r.paper_id, r.source, coalesce(r.doi, p.doi) AS doi, p.title, {_paper_columns(con)},
                   r.evidence->>'text' AS evidence_text, r.page, TRY_CAST(r.evidence->>'char_start' AS INTEGER) AS char_start,
                   TRY_CAST(r.evidence->>'char_end' AS INTEGER) AS char_end, r.origin
            FROM best b JOIN agreement g USING (material_key, property, conditions_key)
            JOIN records r ON r.record_id = b.record_id
            LEFT JOIN papers p ON p.paper_id = r.paper_id
            ORDER BY b.property, b.material_key, b.conditions_key"""
        table = con.execute(sql, params).to_arrow_table()
        used = con.execute(f"WITH {base.strip()} SELECT count(*) FROM base", params).fetchone()
    finally:
        con.unregister("pm_condition_keys")
    counts = {
        "records": used[0] if used else 0,
        "rejected": counts_row[0] if counts_row else 0,
        "below_credibility": counts_row[1] if counts_row and min_credibility > 0 else 0,
    }
    return table, counts


# The paper metadata of a row's provenance (flows.store.write_paper) and its type where a database has no such column.
PAPER_METADATA_COLUMNS = {
    "authors": "VARCHAR[]",
    "year": "INTEGER",
    "venue": "VARCHAR",
    "arxiv_id": "VARCHAR",
    "licence": "VARCHAR",
}


def _paper_columns(con: duckdb.DuckDBPyConnection) -> str:
    """The metadata columns of `papers` for the SELECT: typed NULLs for those a database opened read-only lacks
    (written by an older propmine and not opened for writing since), so the table has the same columns."""
    query = "SELECT column_name FROM information_schema.columns WHERE table_name = 'papers'"
    found = {row[0].lower() for row in con.execute(query).fetchall()}
    return ", ".join(
        f"p.{name}" if name in found else f"NULL::{kind} AS {name}" for name, kind in PAPER_METADATA_COLUMNS.items()
    )


def export_training_table(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    format: ExportFormat,
    db_name: str,
    min_credibility: float = 0.0,
    properties: list[str] | None = None,
) -> ExportSummary:
    """Write the training table and its dataset card into the directory `out`.

    Raises:
        InputError: a bad --out (see schemas.storage.prepare_export_dir), an unknown format or a bad
            credibility bound.
    """
    clock = time.perf_counter()
    if format not in ("parquet", "hf", "csv"):
        raise InputError(f"--format {format}: use parquet, hf or csv")
    if not 0.0 <= min_credibility <= 1.0:
        raise InputError(f"--min-credibility {min_credibility}: give a number between 0 and 1")
    export_dir = prepare_export_dir(out, kind="propmine-training-table")
    table, counts = training_table(con, min_credibility, properties)
    export_dir.begin()
    root = export_dir.root
    written: list[str] = []
    if format == "parquet":
        import pyarrow.parquet as pq

        with atomic_path(root / DATA_FILES["parquet"]) as tmp:
            pq.write_table(table, tmp)
        written.append(DATA_FILES["parquet"])
    elif format == "csv":
        import pyarrow.csv as pcsv

        with atomic_path(root / DATA_FILES["csv"]) as tmp:
            pcsv.write_csv(_flatten_for_csv(table), tmp)
        written.append(DATA_FILES["csv"])
    else:
        written.extend(_save_hf(table, root))
    n_conflicts = int(sum(1 for n in table.column("n_disagree").to_pylist() if n)) if table.num_rows else 0
    card = dataset_card(table, counts, format, db_name, min_credibility, properties, n_conflicts)
    atomic_write_text(root / "README.md", card)
    written.append("README.md")
    export_dir.write_manifest(written, format=format, rows=table.num_rows)
    return ExportSummary(
        out=root,
        files=[root / n for n in written],
        n_rows=table.num_rows,
        n_records=counts["records"],
        n_conflicts=n_conflicts,
        n_rejected=counts["rejected"],
        n_below_credibility=counts["below_credibility"],
        seconds=round(time.perf_counter() - clock, 2),
    )


def _save_hf(table: pa.Table, root: Path) -> list[str]:
    """A Hugging Face dataset saved into root (datasets' own files), built in memory so that nothing
    is cached outside the chosen directory."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import datasets
    from datasets.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    before = {p.name for p in root.iterdir()}
    bars_were_on = not are_progress_bars_disabled()
    disable_progress_bars()
    try:
        datasets.Dataset(table).save_to_disk(str(root))
    finally:
        if bars_were_on:
            enable_progress_bars()
    return sorted(p.name for p in root.iterdir() if p.name not in before)


def _flatten_for_csv(table: pa.Table) -> pa.Table:
    """Nested columns (conditions, other_values) as JSON text, since CSV has no lists."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_list(column.type) or pa.types.is_struct(column.type):
            column = pa.array([json.dumps(v, ensure_ascii=False) for v in column.to_pylist()], pa.string())
        columns[name] = column
    return pa.table(columns)


def _licence_summary(table: pa.Table) -> str:
    """One sentence on the rows' licences: how many rows' papers state which licence, and how many state none."""
    licences = table.column("licence").to_pylist() if "licence" in table.column_names else []
    known: dict[str, int] = {}
    for licence in licences:
        if licence:
            known[licence] = known.get(licence, 0) + 1
    if not known:
        return "No paper's source stated a licence (`licence` is empty)."
    parts = ", ".join(f"{name} {n:,}" for name, n in sorted(known.items(), key=lambda kv: (-kv[1], kv[0])))
    unknown = len(licences) - sum(known.values())
    return f"Licences the sources stated (`licence`), in rows: {parts}; none stated: {unknown:,}."


def dataset_card(
    table: pa.Table,
    counts: dict[str, int],
    format: ExportFormat,
    db_name: str,
    min_credibility: float,
    properties: list[str] | None,
    n_conflicts: int,
) -> str:
    """The README.md that travels with the data: what it is, how it was made, its columns, its limits."""
    vocab = load_vocabulary()
    units = {p.name: p.unit for p in vocab.properties}  # a property of an older vocabulary has none here
    per_property: dict[str, int] = {}
    for name in table.column("property").to_pylist() if table.num_rows else []:
        per_property[name] = per_property.get(name, 0) + 1
    n = table.num_rows
    size = (
        "n<1K"
        if n < 1_000
        else "1K<n<10K"
        if n < 10_000
        else "10K<n<100K"
        if n < 100_000
        else "100K<n<1M"
        if n < 1_000_000
        else "1M<n<10M"
    )
    load = {
        "parquet": "```python\nimport pandas as pd\ndf = pd.read_parquet('data.parquet')\n```",
        "csv": "```python\nimport pandas as pd\ndf = pd.read_csv('data.csv')  # conditions and other_values are JSON text\n```",
        "hf": "```python\nimport datasets\nds = datasets.load_from_disk('.')  # this directory\n```",
    }[format]
    lines = [
        "---",
        "pretty_name: propmine material-property training table",
        "tags: [materials-science, property-extraction, literature-mining, propmine]",
        f"size_categories: [{size}]",
        "---",
        "",
        "# propmine material-property training table",
        "",
        f"Mined from the propmine database `{db_name}` (schema version {SCHEMA_VERSION}, property vocabulary "
        f"{vocab.version}) on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        f"- **{n:,} rows**, one per (material, property, conditions), from {counts['records']:,} records.",
        f"- Rows whose records disagree: {n_conflicts:,} (see `n_disagree` and `other_values`).",
        f"- Left out: {counts['rejected']:,} records a reviewer rejected"
        + (
            f", {counts['below_credibility']:,} records below credibility {min_credibility:g}"
            if min_credibility > 0
            else ""
        )
        + (f"; only the properties {', '.join(properties)}" if properties else "")
        + ".",
        "",
        "## How rows are made",
        "",
        "Records of the same material (its normalized Hill formula where there is one, else the lower-cased name),",
        "property and conditions (compared in SI units) form a group. The row keeps the value of the group's most",
        "credible record (ties: experimental first, then by record id) with that record's provenance and evidence.",
        f"A record agrees when its value is within {AGREEMENT_TOLERANCE:.0%} of the kept value (and in the same unit);",
        "`n_agree` counts the kept record too. Values are in the property's canonical unit wherever the unit as",
        "written could be converted.",
        "",
        "## Loading",
        "",
        load,
        "",
        "## Columns",
        "",
        "| column | meaning |",
        "|---|---|",
        *[f"| `{c}` | {COLUMN_DOCS.get(c, '')} |" for c in table.column_names],
        "",
        "## Rows per property",
        "",
        "| property | unit | rows |",
        "|---|---|---|",
        *[f"| {p} | {units.get(p) or '-'} | {k:,} |" for p, k in sorted(per_property.items(), key=lambda kv: -kv[1])],
        "",
        "## Limits",
        "",
        "- The records were extracted by a model (or rules) from papers and grounded in their text; they are not",
        "  curated. The credibility score is a heuristic of the method context, not a measurement error.",
        "- The evidence text is quoted from the papers; their copyright and licences stay with their authors and",
        "  publishers. Check them before redistributing this table. " + _licence_summary(table),
        "- Materials are grouped by formula: polymorphs and sample forms of one formula (anatase and rutile TiO2,",
        "  films and single crystals) share a group unless the conditions differ.",
        "",
    ]
    return "\n".join(lines)
