"""One self-contained HTML page about a propmine database: plots, tables and an evidence viewer.

The page loads nothing from anywhere: CSS and JavaScript are inline, plots are PNG images in
base64 (matplotlib, Agg backend). This module gathers numbers and rows; the page is drawn by the
Jinja templates in flows/templates (report.html and its partials) with autoescaping on, so every
text that comes from a paper or the database is escaped. Plots are drawn from aggregates and
per-property samples, and the evidence viewer holds a bounded selection of records (outliers first,
then a sample stratified by property), so the page stays small and quick with hundreds of
thousands of records.
"""

from __future__ import annotations

import base64
import io
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from statistics import median
from typing import Any

import duckdb
import jinja2

from schemas.errors import InputError
from schemas.storage import atomic_write_text
from schemas.vocabulary import load_vocabulary

# Values drawn per property in the distribution plots; more would not change a histogram.
SAMPLE_PER_PROPERTY = 3000
MAX_PROPERTY_PANELS = 24
MATERIAL_PLOT_PROPERTIES = 6
MATERIALS_PER_PLOT = 10
OUTLIER_ROWS = 100
EVIDENCE_PAGE_SIZE = 25

MATERIAL_KEY = "coalesce(r.formula, lower(trim(r.material)))"
# The cheap text test first, so the JSON is parsed only for the few records that may be outliers.
OUTLIER = (
    "(contains(r.credibility::VARCHAR, '\"outlier\"') AND "
    "coalesce(TRY_CAST(json_extract_string(r.credibility, '$.features.outlier') AS DOUBLE), 0) > 0)"
)
METHOD_COLORS = {"experimental": "#1b9e77", "computational": "#7570b3", "literature": "#d95f02", "unknown": "#999999"}
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportSummary:
    path: Path
    n_records: int
    n_papers: int
    n_evidence: int
    n_bytes: int
    seconds: float


@dataclass(frozen=True)
class Plot:
    """A drawn figure: its text alternative and the PNG as a data: URL."""

    alt: str
    src: str


def evidence_segments(text: str, char_start: int, spans: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The evidence sentence cut into (text, mark) pieces: mark is value, material or property, or None.

    Args:
        text: the evidence text.
        char_start: offset of the evidence text in the source (spans are offsets into the source).
        spans: {"value": [s, e], "material": [s, e] | None, "property": [s, e] | None}; a span outside
            the text is ignored, and of overlapping spans the first is kept.
    """
    marks = []
    for kind in ("value", "material", "property"):
        span = spans.get(kind) if spans else None
        if not span:
            continue
        start, end = span[0] - char_start, span[1] - char_start
        if 0 <= start < end <= len(text):
            marks.append((start, end, kind))
    marks.sort()
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, kind in marks:
        if start < pos:
            continue
        if start > pos:
            pieces.append((text[pos:start], None))
        pieces.append((text[start:end], kind))
        pos = end
    if pos < len(text):
        pieces.append((text[pos:], None))
    return pieces


def build_report(
    con: duckdb.DuckDBPyConnection, out: Path, db_name: str, evidence_limit: int = 500, title: str | None = None
) -> ReportSummary:
    """Write the report page for a database.

    Args:
        con: the database (read-only is enough).
        out: the HTML file to write (replaced atomically).
        db_name: how the page names the database.
        evidence_limit: records in the evidence viewer.

    Raises:
        InputError: `out` is a directory or cannot be written.
    """
    clock = time.perf_counter()
    out = Path(out)
    if out.is_dir():
        raise InputError(f"--out {out}: is a directory; give a file name such as report.html")
    if evidence_limit < 0:
        raise InputError(f"--evidence-limit {evidence_limit}: give 0 or more")
    vocab = load_vocabulary()
    units = {p.name: p.unit for p in vocab.properties}
    plots = _Plots({p.name: p.label for p in vocab.properties}, units)
    overview = _rows(
        con,
        f"SELECT count(*) AS records, count(DISTINCT r.paper_id) AS papers_with_records, "
        f"count(DISTINCT {MATERIAL_KEY}) AS materials, count(DISTINCT r.property) AS properties FROM records r",
    )[0]
    paper_status = con.execute("SELECT status, count(*) FROM papers GROUP BY status ORDER BY 2 DESC").fetchall()
    properties = _rows(
        con,
        f"""
        SELECT r.property, any_value(r.unit_canonical) AS unit, count(*) AS records,
               count(DISTINCT {MATERIAL_KEY}) AS materials, count(DISTINCT r.paper_id) AS papers,
               quantile_cont(r.value_canonical, [0.05, 0.5, 0.95]) AS quantiles, avg(r.credibility_score) AS credibility,
               avg((r.method_kind = 'experimental')::INT) AS experimental,
               avg((r.method_kind = 'computational')::INT) AS computational,
               avg((r.method_kind = 'literature')::INT) AS literature, count(*) FILTER (WHERE {OUTLIER}) AS outliers
        FROM records r GROUP BY r.property ORDER BY count(*) DESC, r.property""",
    )
    for row in properties:
        row["unit"] = row["unit"] if row["unit"] is not None else units.get(row["property"], "")
        row["quantiles"] = row["quantiles"] or [None, None, None]
    names = [row["property"] for row in properties]
    n_papers = sum(n for _, n in paper_status)
    evidence = _evidence(con, evidence_limit, overview["records"])
    page = _render(
        heading=title or f"propmine report: {db_name}",
        db_name=db_name,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        overview=overview,
        paper_status=paper_status,
        n_papers=n_papers,
        properties=properties,
        n_unplotted=max(0, len(properties) - MAX_PROPERTY_PANELS),
        distributions=plots.value_distributions(con, names[:MAX_PROPERTY_PANELS]) if names else None,
        materials=_top_materials(con, plots, names) if names else None,
        years=_years(con, plots, names[:4]),
        histogram=plots.credibility_histogram(con),
        calibration=_calibration(con, plots),
        outliers=_outliers(con, plots),
        evidence=evidence,
    )
    _write(out, page)
    return ReportSummary(
        path=out,
        n_records=overview["records"],
        n_papers=n_papers,
        n_evidence=len(evidence["cards"]) if evidence else 0,
        n_bytes=len(page.encode("utf-8")),
        seconds=round(time.perf_counter() - clock, 2),
    )


def _render(**context: Any) -> str:
    """The page from flows/templates/report.html (autoescaped: data never becomes markup)."""
    constants = {"sample_per_property": SAMPLE_PER_PROPERTY, "materials_per_plot": MATERIALS_PER_PLOT}
    return _environment().get_template("report.html").render(**constants, page_size=EVIDENCE_PAGE_SIZE, **context)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=lambda value: "" if value is None else value,  # a missing value shows as nothing, not "None"
    )
    env.filters.update(num=_num, pct=_pct, thousands=lambda n: f"{n or 0:,}", short_source=_short_source)
    return env


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a query as dicts by column name, for the templates."""
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


class _Plots:
    """matplotlib figures as Plot objects (PNG in base64), panels named by the vocabulary's labels and units."""

    def __init__(self, labels: dict[str, str], units: dict[str, str]) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt
        self.labels, self.units = labels, units

    def img(self, fig: Any, alt: str) -> Plot:
        buffer = io.BytesIO()
        # No Software tag: the page should carry no addresses, not even inside an image.
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
        self.plt.close(fig)
        return Plot(alt, "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))

    def name_axes(self, ax: Any, prop: str, x: bool = False, y: bool = False) -> None:
        """Title a property's panel with its label, and its value axis with its unit."""
        ax.set_title(self.labels.get(prop, prop), fontsize=9)
        if x:
            ax.set_xlabel(self.units.get(prop) or "dimensionless", fontsize=8)
        if y:
            ax.set_ylabel(self.units.get(prop) or "dimensionless", fontsize=8)
        ax.tick_params(labelsize=7)

    def grid(self, shown: list[str], max_cols: int, width: float, height: float) -> tuple[Any, list[tuple[Any, str]]]:
        """A figure with one panel (of width x height inches) per shown item, in rows of at most max_cols; empty cells hidden."""
        cols = min(max_cols, len(shown))
        nrows = math.ceil(len(shown) / cols)
        fig, axes = self.plt.subplots(nrows, cols, figsize=(width * cols, height * nrows), squeeze=False)
        for ax in list(axes.flat)[len(shown) :]:
            ax.axis("off")
        return fig, list(zip(axes.flat, shown, strict=False))

    def value_distributions(self, con: duckdb.DuckDBPyConnection, properties: list[str]) -> Plot | None:
        rows = con.execute(
            f"""
            SELECT r.property, r.value_canonical FROM records r
            WHERE r.value_canonical IS NOT NULL AND isfinite(r.value_canonical)
              AND r.property IN ({", ".join("?" for _ in properties)})
            QUALIFY row_number() OVER (PARTITION BY r.property ORDER BY hash(r.record_id)) <= {SAMPLE_PER_PROPERTY}""",
            properties,
        ).fetchall()
        values: dict[str, list[float]] = defaultdict(list)
        for prop, v in rows:
            values[prop].append(v)
        shown = [p for p in properties if values.get(p)]
        if not shown:
            return None
        fig, panels = self.grid(shown, max_cols=4, width=3.4, height=2.4)
        for ax, prop in panels:
            ax.hist(*_hist_input(values[prop], ax), color="#4c72b0")
            self.name_axes(ax, prop, x=True)
        fig.tight_layout()
        return self.img(fig, "value distributions per property")

    def per_material(self, con: duckdb.DuckDBPyConnection, properties: list[str]) -> Plot | None:
        rows = con.execute(
            f"""
            WITH g AS (
                SELECT r.property, {MATERIAL_KEY} AS mk, count(*) AS n,
                       quantile_cont(r.value_canonical, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q
                FROM records r
                WHERE r.value_canonical IS NOT NULL AND isfinite(r.value_canonical)
                  AND r.property IN ({", ".join("?" for _ in properties)})
                GROUP BY ALL)
            SELECT property, mk, n, q FROM g
            QUALIFY row_number() OVER (PARTITION BY property ORDER BY n DESC, mk) <= {MATERIALS_PER_PLOT}""",
            properties,
        ).fetchall()
        by_prop: dict[str, list[tuple[str, int, list[float]]]] = defaultdict(list)
        for prop, mk, n, q in rows:
            by_prop[prop].append((mk, n, q))
        shown = [p for p in properties if by_prop.get(p)]
        if not shown:
            return None
        fig, panels = self.grid(shown, max_cols=3, width=4.6, height=3.2)
        for ax, prop in panels:
            groups = sorted(by_prop[prop], key=lambda g: g[1])
            whiskers_and_box = ("whislo", "q1", "med", "q3", "whishi")
            stats = [
                {"label": f"{mk[:18]} ({n})", "fliers": [], **dict(zip(whiskers_and_box, q, strict=True))}
                for mk, n, q in groups
            ]
            ax.bxp(stats, orientation="horizontal", showfliers=False)
            low, high = min(q[0] for _, _, q in groups), max(q[4] for _, _, q in groups)
            if low > 0 and high / low > 1e3:
                ax.set_xscale("log")
            self.name_axes(ax, prop, x=True)
        fig.tight_layout()
        return self.img(fig, "values per material")

    def by_year(self, points: dict[str, list[tuple[int, float]]]) -> Plot:
        fig, axes = self.plt.subplots(1, len(points), figsize=(4.2 * len(points), 3.0), squeeze=False)
        for ax, (prop, pairs) in zip(axes.flat, points.items(), strict=False):
            years = [y for y, _ in pairs]
            vals = [v for _, v in pairs]
            ax.scatter(years, vals, s=4, alpha=0.3, color="#4c72b0")
            per_year: dict[int, list[float]] = defaultdict(list)
            for y, v in pairs:
                per_year[y].append(v)
            xs = sorted(per_year)
            ax.plot(xs, [median(per_year[x]) for x in xs], color="#c44e52", lw=1.5, label="median")
            if min(vals) > 0 and max(vals) / min(vals) > 1e3:
                ax.set_yscale("log")
            self.name_axes(ax, prop, y=True)
            ax.legend(fontsize=7)
        fig.tight_layout()
        return self.img(fig, "values against publication year")

    def credibility_histogram(self, con: duckdb.DuckDBPyConnection) -> Plot | None:
        rows = con.execute("""
            SELECT least(floor(credibility_score * 20), 19)::INT AS bin, coalesce(method_kind, 'unknown'), count(*)
            FROM records WHERE credibility_score IS NOT NULL GROUP BY ALL""").fetchall()
        if not rows:
            return None
        kinds = sorted(
            {k for _, k, _ in rows}, key=lambda k: list(METHOD_COLORS).index(k) if k in METHOD_COLORS else 99
        )
        counts = {(b, k): n for b, k, n in rows}
        fig, ax = self.plt.subplots(figsize=(6.5, 2.8))
        bottom = [0] * 20
        centres = [b / 20 + 0.025 for b in range(20)]
        for kind in kinds:
            heights = [counts.get((b, kind), 0) for b in range(20)]
            ax.bar(centres, heights, width=0.048, bottom=bottom, label=kind, color=METHOD_COLORS.get(kind, "#666666"))
            bottom = [x + h for x, h in zip(bottom, heights, strict=True)]
        ax.set(xlabel="credibility score", ylabel="records", xlim=(0, 1))
        ax.legend(fontsize=7)
        fig.tight_layout()
        return self.img(fig, "credibility histogram")

    def calibration(self, bins: list[tuple[float, float, int]]) -> Plot:
        fig, ax = self.plt.subplots(figsize=(3.6, 3.4))
        ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=1)
        ax.plot([b[0] for b in bins], [b[1] for b in bins], marker="o", color="#c44e52")
        for score, rate, n in bins:
            ax.annotate(str(n), (score, rate), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.set(xlabel="mean credibility score", ylabel="fraction accepted", xlim=(0, 1), ylim=(0, 1))
        fig.tight_layout()
        return self.img(fig, "calibration of credibility against labels")

    def outliers_per_property(self, counts: list[tuple[str, int]]) -> Plot:
        fig, ax = self.plt.subplots(figsize=(6.0, 0.3 * len(counts) + 1.0))
        ax.barh([self.labels.get(p, p) for p, _ in counts][::-1], [n for _, n in counts][::-1], color="#c44e52")
        ax.set_xlabel("outlier records")
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        return self.img(fig, "outliers per property")


def _top_materials(con: duckdb.DuckDBPyConnection, plots: _Plots, properties: list[str]) -> dict[str, Any]:
    """The per-material plot of the most frequent properties and the materials with the most records."""
    top = _rows(
        con,
        f"""
        SELECT {MATERIAL_KEY} AS key, any_value(r.material) AS material, count(*) AS records,
               count(DISTINCT r.property) AS properties, count(DISTINCT r.paper_id) AS papers,
               avg(r.credibility_score) AS credibility
        FROM records r GROUP BY key ORDER BY count(*) DESC, key LIMIT 30""",
    )
    return {"plot": plots.per_material(con, properties[:MATERIAL_PLOT_PROPERTIES]), "top": top}


def _years(con: duckdb.DuckDBPyConnection, plots: _Plots, properties: list[str]) -> dict[str, Any] | None:
    """Values against publication year; None when no paper has one.

    The year is what the paper's source said (`papers.year`, from an arXiv or OpenAlex search); papers from a
    folder or a urls: list have none, and none is guessed for them.
    """
    year_expr = _paper_year_expression(con)
    if year_expr is None:
        return None
    counts = _rows(
        con,
        f"SELECT count(*) FILTER (WHERE {year_expr} BETWEEN 1800 AND 2100) AS n_known, count(*) AS n_all FROM papers p",
    )[0]
    if not counts["n_known"]:
        return None
    if not properties:
        return {"shown": False}
    rows = con.execute(
        f"""
        SELECT r.property, {year_expr} AS year, r.value_canonical FROM records r JOIN papers p ON p.paper_id = r.paper_id
        WHERE r.value_canonical IS NOT NULL AND isfinite(r.value_canonical) AND year BETWEEN 1800 AND 2100
          AND r.property IN ({", ".join("?" for _ in properties)})
        QUALIFY row_number() OVER (PARTITION BY r.property ORDER BY hash(r.record_id)) <= {SAMPLE_PER_PROPERTY}""",
        properties,
    ).fetchall()
    by_property: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for prop, year, v in rows:
        by_property[prop].append((int(year), v))
    points = {p: by_property[p] for p in properties if by_property.get(p)}
    return {"shown": True, **counts, "plot": plots.by_year(points) if points else None}


def _calibration(con: duckdb.DuckDBPyConnection, plots: _Plots) -> dict[str, Any] | None:
    """Reliability of the credibility score against people's accept/reject labels; None without labels."""
    judged = latest_judgements(con)
    if judged is None:
        return None
    bins = _rows(
        con,
        f"""
        WITH j AS ({judged})
        SELECT least(floor(r.credibility_score * 10), 9)::INT AS bin, avg(r.credibility_score) AS score,
               avg(j.positive::INT) AS accepted, count(*) AS n, sum(power(r.credibility_score - j.positive::INT, 2)) AS sq
        FROM j JOIN records r ON r.record_id = j.record_id WHERE r.credibility_score IS NOT NULL
        GROUP BY bin ORDER BY bin""",
    )
    n = sum(b["n"] for b in bins)
    if not n:
        return {"n": 0}
    return {
        "n": n,
        "brier": sum(b["sq"] for b in bins) / n,
        "bins": bins,
        "plot": plots.calibration([(b["score"], b["accepted"], b["n"]) for b in bins]),
    }


def latest_judgements(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL giving (record_id, positive) from each record's latest accept/reject label that was not
    undone (credible / not_credible count too), or None when the database has no such label."""
    columns = _columns(con, "labels")
    if not columns:
        return None
    undone = (
        "AND label_id NOT IN (SELECT undoes FROM labels WHERE action = 'undo' AND undoes IS NOT NULL)"
        if "undoes" in columns
        else ""
    )
    sql = f"""
        SELECT record_id, arg_max(action IN ('accept', 'credible'), coalesce(version, 0)) AS positive FROM labels
        WHERE record_id IS NOT NULL AND action IN ('accept', 'reject', 'credible', 'not_credible') {undone}
        GROUP BY record_id"""
    found = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()
    return sql if found and found[0] else None


def _outliers(con: duckdb.DuckDBPyConnection, plots: _Plots) -> dict[str, Any] | None:
    """The records flagged as outliers, most credible first; None when none is flagged."""
    counts = con.execute(
        f"SELECT r.property, count(*) FROM records r WHERE {OUTLIER} GROUP BY ALL ORDER BY 2 DESC LIMIT 30"
    ).fetchall()
    if not counts:
        return None
    rows = _rows(
        con,
        f"""
        WITH o AS (
            SELECT r.record_id, {MATERIAL_KEY} AS mk, r.material, r.property, r.value_canonical, r.unit_canonical,
                   r.credibility_score, r.paper_id, r.page, r.source
            FROM records r WHERE {OUTLIER}
            ORDER BY r.credibility_score DESC, r.record_id LIMIT {OUTLIER_ROWS}),
        g AS (
            SELECT k.mk, k.property, median(r.value_canonical) AS med, count(*) AS n
            FROM records r JOIN (SELECT DISTINCT mk, property FROM o) k ON k.mk = {MATERIAL_KEY} AND k.property = r.property
            GROUP BY ALL)
        SELECT o.material, o.mk AS key, o.property, o.value_canonical AS value, o.unit_canonical AS unit,
               g.med AS group_median, g.n AS group_size, o.credibility_score AS credibility, o.source, o.page
        FROM o LEFT JOIN g ON g.mk = o.mk AND g.property = o.property
        ORDER BY o.credibility_score DESC, o.record_id""",
    )
    return {"total": sum(n for _, n in counts), "rows": rows, "plot": plots.outliers_per_property(counts)}


def _evidence(con: duckdb.DuckDBPyConnection, limit: int, n_records: int) -> dict[str, Any] | None:
    """The evidence viewer's records (outliers first, then a sample of every property); None when there are none."""
    if limit == 0 or n_records == 0:
        return None
    n_props = (con.execute("SELECT count(DISTINCT property) FROM records").fetchone() or (1,))[0] or 1
    n_outliers = max(0, limit // 4)
    per_property = max(1, math.ceil((limit - n_outliers) / n_props))
    rows = _rows(
        con,
        f"""
        WITH outliers AS (
            SELECT r.record_id FROM records r WHERE {OUTLIER} ORDER BY hash(r.record_id) LIMIT {n_outliers}),
        sample AS (
            SELECT r.record_id FROM records r WHERE r.record_id NOT IN (SELECT record_id FROM outliers)
            QUALIFY row_number() OVER (PARTITION BY r.property ORDER BY hash(r.record_id)) <= {per_property}),
        chosen AS (
            SELECT record_id, 0 AS rank FROM outliers
            UNION ALL SELECT record_id, 1 FROM sample)
        SELECT r.record_id, r.material, r.formula, r.property, r.value, r.value_max, r.qualifier, r.unit,
               r.method_kind, r.method->>'detail' AS method_detail, r.credibility_score AS credibility, r.spans,
               r.evidence, r.page, r.source, r.doi, p.title, ({OUTLIER}) AS is_outlier
        FROM (SELECT * FROM chosen ORDER BY rank, hash(record_id) LIMIT {limit}) c
        JOIN records r ON r.record_id = c.record_id LEFT JOIN papers p ON p.paper_id = r.paper_id
        ORDER BY c.rank, r.property, lower(r.material), r.value""",
    )
    for row in rows:
        evidence = json.loads(row["evidence"]) if row["evidence"] else {}
        spans = json.loads(row["spans"]) if row["spans"] else {}
        row["segments"] = evidence_segments(evidence.get("text") or "", int(evidence.get("char_start") or 0), spans)
    return {"cards": rows, "n_records": n_records}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    query = "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
    return {row[0].lower() for row in con.execute(query, [table]).fetchall()}


def _paper_year_expression(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL for a paper's publication year: `year`, which the batch fills from the source's metadata (added to every
    database on its next write), else a year or date column someone added by hand; None when there is none."""
    columns = _columns(con, "papers")
    for name in ("year", "publication_year", "pub_year", "published_year"):
        if name in columns:
            return f"TRY_CAST(p.{name} AS INTEGER)"
    for name in ("published", "published_at", "publication_date", "date"):
        if name in columns:
            return f"year(TRY_CAST(p.{name} AS DATE))"
    return None


def _hist_input(values: list[float], ax: Any) -> tuple[list[float], Any]:
    positive = [v for v in values if v > 0]
    if len(positive) == len(values) and max(values) / min(values) > 1e3:
        ax.set_xscale("log")
        lo, hi = math.log10(min(values)), math.log10(max(values))
        return values, [10 ** (lo + (hi - lo) * i / 30) for i in range(31)]
    return values, 30


def _num(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def _pct(value: Any) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _short_source(source: str | None) -> str:
    if not source:
        return ""
    return source if len(source) <= 80 else "…" + source[-79:]


def _write(out: Path, page: str) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, page)
    except OSError as err:
        raise InputError(f"--out {out}: cannot write the report: {err.strerror or err}") from err
