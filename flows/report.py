"""One self-contained HTML page about a propmine database: plots, tables and an evidence viewer.

The page loads nothing from anywhere: CSS and JavaScript are inline, plots are PNG images in
base64 (matplotlib, Agg backend). Every text that comes from a paper or the database is escaped.
Plots are drawn from aggregates and per-property samples, and the evidence viewer holds a bounded
selection of records (outliers first, then a sample stratified by property), so the page stays
small and quick with hundreds of thousands of records.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from flows.staging import write_text_atomically
from schemas.errors import InputError
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


@dataclass
class ReportSummary:
    path: Path
    n_records: int
    n_papers: int
    n_evidence: int
    n_bytes: int
    seconds: float


def esc(value: Any) -> str:
    """Text for HTML: None as empty, everything else escaped (quotes too, for attributes)."""
    return "" if value is None else html.escape(str(value), quote=True)


def highlight_evidence(text: str, char_start: int, spans: dict[str, Any]) -> str:
    """The evidence sentence as HTML with the value, material and property marked, all text escaped.

    Args:
        text: the evidence text.
        char_start: offset of the evidence text in the source (spans are offsets into the source).
        spans: {"value": [s, e], "material": [s, e] | None, "property": [s, e] | None}.
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
    out, pos = [], 0
    for start, end, kind in marks:
        if start < pos:  # overlapping spans: keep the first
            continue
        out.append(esc(text[pos:start]))
        out.append(f'<mark class="{kind}" title="{kind}">{esc(text[start:end])}</mark>')
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


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
    labels = {p.name: p.label for p in vocab.properties}
    units = {p.name: p.unit for p in vocab.properties}
    plots = _Plots()
    n_records, n_papers_with_records, n_materials, n_properties = con.execute(
        f"SELECT count(*), count(DISTINCT r.paper_id), count(DISTINCT {MATERIAL_KEY}), count(DISTINCT r.property) FROM records r"
    ).fetchone() or (0, 0, 0, 0)
    paper_status = con.execute("SELECT status, count(*) FROM papers GROUP BY status ORDER BY 2 DESC").fetchall()
    n_papers = sum(n for _, n in paper_status)
    parts: list[str] = []
    heading = title or f"propmine report: {db_name}"
    parts.append(f"<h1>{esc(heading)}</h1>")
    parts.append(
        f'<p class="meta">Database {esc(db_name)} · generated {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}</p>'
    )
    parts.append(_nav())
    parts.append('<section id="overview"><h2>Overview</h2>')
    parts.append(
        _table(
            ["", "count"],
            [
                ["records", f"{n_records:,}"],
                ["papers", f"{n_papers:,}"],
                ["papers with records", f"{n_papers_with_records:,}"],
                ["materials (formula, else name)", f"{n_materials:,}"],
                ["properties", f"{n_properties:,}"],
                *[[f"papers: {status}", f"{n:,}"] for status, n in paper_status],
            ],
            raw=False,
        )
    )
    parts.append("</section>")

    # Properties: one aggregate pass.
    prop_rows = con.execute(f"""
        SELECT r.property, any_value(r.unit_canonical), count(*), count(DISTINCT {MATERIAL_KEY}), count(DISTINCT r.paper_id),
               quantile_cont(r.value_canonical, [0.05, 0.5, 0.95]), avg(r.credibility_score),
               avg((r.method_kind = 'experimental')::INT), avg((r.method_kind = 'computational')::INT),
               avg((r.method_kind = 'literature')::INT), count(*) FILTER (WHERE {OUTLIER})
        FROM records r GROUP BY r.property ORDER BY count(*) DESC, r.property""").fetchall()
    parts.append('<section id="properties"><h2>Properties</h2>')
    if prop_rows:
        parts.append(
            _table(
                [
                    "property",
                    "unit",
                    "records",
                    "materials",
                    "papers",
                    "p5",
                    "median",
                    "p95",
                    "mean credibility",
                    "experimental",
                    "computational",
                    "literature",
                    "outliers",
                ],
                [
                    [
                        esc(p),
                        esc(u if u is not None else units.get(p, "")),
                        f"{n:,}",
                        f"{nm:,}",
                        f"{npap:,}",
                        *(_num(x) for x in (q or [None, None, None])),
                        _num(c, 2),
                        _pct(e),
                        _pct(comp),
                        _pct(lit),
                        f"{o:,}",
                    ]
                    for p, u, n, nm, npap, q, c, e, comp, lit, o in prop_rows
                ],
            )
        )
        parts.append(plots.value_distributions(con, [r[0] for r in prop_rows[:MAX_PROPERTY_PANELS]], labels, units))
        if len(prop_rows) > MAX_PROPERTY_PANELS:
            parts.append(
                f"<p class='note'>{len(prop_rows) - MAX_PROPERTY_PANELS} less frequent properties are not plotted.</p>"
            )
    else:
        parts.append("<p class='note'>No records yet.</p>")
    parts.append("</section>")

    parts.append('<section id="materials"><h2>Materials</h2>')
    if prop_rows:
        parts.append(plots.per_material(con, [r[0] for r in prop_rows[:MATERIAL_PLOT_PROPERTIES]], labels, units))
        top = con.execute(f"""
            SELECT {MATERIAL_KEY} AS mk, any_value(r.material), count(*), count(DISTINCT r.property), count(DISTINCT r.paper_id),
                   avg(r.credibility_score)
            FROM records r GROUP BY mk ORDER BY count(*) DESC, mk LIMIT 30""").fetchall()
        parts.append("<h3>Materials with the most records</h3>")
        parts.append(
            _table(
                ["material (formula)", "as written (one)", "records", "properties", "papers", "mean credibility"],
                [[esc(mk), esc(m), f"{n:,}", f"{np_:,}", f"{npap:,}", _num(c, 2)] for mk, m, n, np_, npap, c in top],
            )
        )
    parts.append("</section>")

    parts.append('<section id="years"><h2>Values by publication year</h2>')
    parts.append(plots.by_year(con, [r[0] for r in prop_rows[:4]], labels, units))
    parts.append("</section>")

    parts.append('<section id="credibility"><h2>Credibility</h2>')
    parts.append(plots.credibility_histogram(con))
    parts.append(_calibration(con, plots))
    parts.append("</section>")

    parts.append('<section id="outliers"><h2>Outliers</h2>')
    parts.append(_outliers(con, plots, labels))
    parts.append("</section>")

    evidence_html, n_evidence = _evidence_viewer(con, evidence_limit, n_records)
    parts.append(evidence_html)
    page = _page(heading, "\n".join(parts))
    _write_atomically(out, page)
    return ReportSummary(
        path=out,
        n_records=n_records,
        n_papers=n_papers,
        n_evidence=n_evidence,
        n_bytes=len(page.encode("utf-8")),
        seconds=round(time.perf_counter() - clock, 2),
    )


class _Plots:
    """matplotlib figures as inline <img> tags (PNG in base64)."""

    def __init__(self) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt

    def img(self, fig: Any, alt: str) -> str:
        buffer = io.BytesIO()
        # No Software tag: the page should carry no addresses, not even inside an image.
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
        self.plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}"></figure>'

    def grid(self, shown: list[str], max_cols: int, width: float, height: float) -> tuple[Any, list[tuple[Any, str]]]:
        """A figure with one panel (of width x height inches) per shown item, in rows of at most max_cols; empty cells hidden."""
        cols = min(max_cols, len(shown))
        nrows = math.ceil(len(shown) / cols)
        fig, axes = self.plt.subplots(nrows, cols, figsize=(width * cols, height * nrows), squeeze=False)
        for ax in list(axes.flat)[len(shown) :]:
            ax.axis("off")
        return fig, list(zip(axes.flat, shown, strict=False))

    def value_distributions(
        self, con: duckdb.DuckDBPyConnection, properties: list[str], labels: dict[str, str], units: dict[str, str]
    ) -> str:
        if not properties:
            return ""
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
            return "<p class='note'>No values in canonical units to plot.</p>"
        fig, panels = self.grid(shown, max_cols=4, width=3.4, height=2.4)
        for ax, prop in panels:
            ax.hist(*_hist_input(values[prop], ax), color="#4c72b0")
            ax.set_title(labels.get(prop, prop), fontsize=9)
            ax.set_xlabel(units.get(prop) or "dimensionless", fontsize=8)
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        note = f"<p class='note'>Up to {SAMPLE_PER_PROPERTY:,} values per property (a fixed sample), in each property's canonical unit.</p>"
        return "<h3>Value distributions</h3>" + note + self.img(fig, "value distributions per property")

    def per_material(
        self, con: duckdb.DuckDBPyConnection, properties: list[str], labels: dict[str, str], units: dict[str, str]
    ) -> str:
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
            return ""
        fig, panels = self.grid(shown, max_cols=3, width=4.6, height=3.2)
        for ax, prop in panels:
            groups = sorted(by_prop[prop], key=lambda g: g[1])
            stats = [
                {
                    "label": f"{mk[:18]} ({n})",
                    "whislo": q[0],
                    "q1": q[1],
                    "med": q[2],
                    "q3": q[3],
                    "whishi": q[4],
                    "fliers": [],
                }
                for mk, n, q in groups
            ]
            ax.bxp(stats, orientation="horizontal", showfliers=False)
            low, high = min(q[0] for _, _, q in groups), max(q[4] for _, _, q in groups)
            if low > 0 and high / low > 1e3:
                ax.set_xscale("log")
            ax.set_title(labels.get(prop, prop), fontsize=9)
            ax.set_xlabel(units.get(prop) or "dimensionless", fontsize=8)
            ax.tick_params(labelsize=7)
        fig.tight_layout()
        note = (
            f"<p class='note'>The {MATERIALS_PER_PLOT} materials with the most records for each of the most frequent "
            "properties: boxes from the 25th to the 75th percentile, whiskers from the 5th to the 95th (record counts in brackets).</p>"
        )
        return "<h3>Values per material</h3>" + note + self.img(fig, "values per material")

    def by_year(
        self, con: duckdb.DuckDBPyConnection, properties: list[str], labels: dict[str, str], units: dict[str, str]
    ) -> str:
        year_expr = _paper_year_expression(con)
        if year_expr is None:
            return (
                "<p class='note'>No publication years in this database (its papers table has no year column), "
                "so values cannot be drawn against time.</p>"
            )
        if not properties:
            return ""
        rows = con.execute(
            f"""
            SELECT r.property, {year_expr} AS year, r.value_canonical FROM records r JOIN papers p ON p.paper_id = r.paper_id
            WHERE r.value_canonical IS NOT NULL AND isfinite(r.value_canonical) AND year BETWEEN 1800 AND 2100
              AND r.property IN ({", ".join("?" for _ in properties)})
            QUALIFY row_number() OVER (PARTITION BY r.property ORDER BY hash(r.record_id)) <= {SAMPLE_PER_PROPERTY}""",
            properties,
        ).fetchall()
        n_known = con.execute(f"SELECT count(*) FROM papers p WHERE {year_expr} BETWEEN 1800 AND 2100").fetchone()
        n_all = con.execute("SELECT count(*) FROM papers").fetchone()
        known_note = f"<p class='note'>{n_known[0] if n_known else 0:,} of {n_all[0] if n_all else 0:,} papers have a publication year; the others are left out.</p>"
        points: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for prop, year, v in rows:
            points[prop].append((int(year), v))
        shown = [p for p in properties if points.get(p)]
        if not shown:
            return known_note
        fig, axes = self.plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 3.0), squeeze=False)
        for ax, prop in zip(axes.flat, shown, strict=False):
            years = [y for y, _ in points[prop]]
            vals = [v for _, v in points[prop]]
            ax.scatter(years, vals, s=4, alpha=0.3, color="#4c72b0")
            per_year: dict[int, list[float]] = defaultdict(list)
            for y, v in points[prop]:
                per_year[y].append(v)
            xs = sorted(per_year)
            ax.plot(xs, [_median(per_year[x]) for x in xs], color="#c44e52", lw=1.5, label="median")
            if min(vals) > 0 and max(vals) / min(vals) > 1e3:
                ax.set_yscale("log")
            ax.set_title(labels.get(prop, prop), fontsize=9)
            ax.set_ylabel(units.get(prop) or "dimensionless", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.legend(fontsize=7)
        fig.tight_layout()
        return known_note + self.img(fig, "values against publication year")

    def credibility_histogram(self, con: duckdb.DuckDBPyConnection) -> str:
        rows = con.execute("""
            SELECT least(floor(credibility_score * 20), 19)::INT AS bin, coalesce(method_kind, 'unknown'), count(*)
            FROM records WHERE credibility_score IS NOT NULL GROUP BY ALL""").fetchall()
        if not rows:
            return "<p class='note'>No credibility scores yet.</p>"
        kinds = sorted(
            {k for _, k, _ in rows}, key=lambda k: list(METHOD_COLORS).index(k) if k in METHOD_COLORS else 99
        )
        counts = {(b, k): n for b, k, n in rows}
        fig, ax = self.plt.subplots(figsize=(6.5, 2.8))
        bottom = [0] * 20
        for kind in kinds:
            heights = [counts.get((b, kind), 0) for b in range(20)]
            ax.bar(
                [b / 20 + 0.025 for b in range(20)],
                heights,
                width=0.048,
                bottom=bottom,
                label=kind,
                color=METHOD_COLORS.get(kind, "#666666"),
            )
            bottom = [x + h for x, h in zip(bottom, heights, strict=True)]
        ax.set_xlabel("credibility score")
        ax.set_ylabel("records")
        ax.set_xlim(0, 1)
        ax.legend(fontsize=7)
        fig.tight_layout()
        return "<h3>Scores by method</h3>" + self.img(fig, "credibility histogram")

    def calibration(self, bins: list[tuple[float, float, int]]) -> str:
        fig, ax = self.plt.subplots(figsize=(3.6, 3.4))
        ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=1)
        ax.plot([b[0] for b in bins], [b[1] for b in bins], marker="o", color="#c44e52")
        for score, rate, n in bins:
            ax.annotate(str(n), (score, rate), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.set_xlabel("mean credibility score")
        ax.set_ylabel("fraction accepted")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        fig.tight_layout()
        return self.img(fig, "calibration of credibility against labels")

    def outliers_per_property(self, counts: list[tuple[str, int]], labels: dict[str, str]) -> str:
        fig, ax = self.plt.subplots(figsize=(6.0, 0.3 * len(counts) + 1.0))
        ax.barh([labels.get(p, p) for p, _ in counts][::-1], [n for _, n in counts][::-1], color="#c44e52")
        ax.set_xlabel("outlier records")
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        return self.img(fig, "outliers per property")


def _calibration(con: duckdb.DuckDBPyConnection, plots: _Plots) -> str:
    """Reliability of the credibility score against people's accept/reject labels."""
    judged = latest_judgements(con)
    if judged is None:
        return (
            "<h3>Calibration</h3><p class='note'>No accept/reject labels yet: calibration needs reviewed records.</p>"
        )
    rows = con.execute(f"""
        WITH j AS ({judged})
        SELECT least(floor(r.credibility_score * 10), 9)::INT AS bin, avg(r.credibility_score), avg(j.positive::INT), count(*),
               sum(power(r.credibility_score - j.positive::INT, 2))
        FROM j JOIN records r ON r.record_id = j.record_id WHERE r.credibility_score IS NOT NULL
        GROUP BY bin ORDER BY bin""").fetchall()
    n = sum(r[3] for r in rows)
    if not n:
        return "<h3>Calibration</h3><p class='note'>No accept/reject labels on stored records yet.</p>"
    brier = sum(r[4] for r in rows) / n
    table = _table(
        ["score bin", "labelled records", "mean score", "fraction accepted"],
        [[f"{b / 10:.1f}–{(b + 1) / 10:.1f}", f"{k:,}", _num(s, 3), _num(a, 3)] for b, s, a, k, _ in rows],
    )
    return (
        "<h3>Calibration</h3>"
        f"<p class='note'>{n:,} records with an accept or reject label (the latest one that was not undone). "
        f"Brier score {brier:.3f} (0 is perfect; 0.25 is a coin toss). A calibrated score lies on the diagonal.</p>"
        + plots.calibration([(s, a, k) for _, s, a, k, _ in rows])
        + table
    )


def latest_judgements(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL giving (record_id, positive) from each record's latest accept/reject label that was not
    undone (credible / not_credible count too), or None when the database has no such label."""
    columns = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'labels'"
        ).fetchall()
    }
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


def _outliers(con: duckdb.DuckDBPyConnection, plots: _Plots, labels: dict[str, str]) -> str:
    counts = con.execute(
        f"SELECT r.property, count(*) FROM records r WHERE {OUTLIER} GROUP BY ALL ORDER BY 2 DESC LIMIT 30"
    ).fetchall()
    if not counts:
        return "<p class='note'>No record is flagged as an outlier (a value far from other papers' values for the same material and property).</p>"
    total = sum(n for _, n in counts)
    rows = con.execute(f"""
        WITH o AS (
            SELECT r.record_id, {MATERIAL_KEY} AS mk, r.material, r.property, r.value_canonical, r.unit_canonical,
                   r.credibility_score, r.paper_id, r.page, r.source
            FROM records r WHERE {OUTLIER}
            ORDER BY r.credibility_score DESC, r.record_id LIMIT {OUTLIER_ROWS}),
        g AS (
            SELECT k.mk, k.property, median(r.value_canonical) AS med, count(*) AS n
            FROM records r JOIN (SELECT DISTINCT mk, property FROM o) k ON k.mk = {MATERIAL_KEY} AND k.property = r.property
            GROUP BY ALL)
        SELECT o.material, o.mk, o.property, o.value_canonical, o.unit_canonical, g.med, g.n, o.credibility_score, o.source, o.page
        FROM o LEFT JOIN g ON g.mk = o.mk AND g.property = o.property
        ORDER BY o.credibility_score DESC, o.record_id""").fetchall()
    table = _table(
        [
            "material",
            "formula / key",
            "property",
            "value",
            "unit",
            "median of its group",
            "records in group",
            "credibility",
            "source",
            "page",
        ],
        [
            [
                esc(m),
                esc(mk),
                esc(p),
                _num(v),
                esc(u),
                _num(med),
                f"{n or 0:,}",
                _num(c, 2),
                esc(_short_source(s)),
                esc(pg),
            ]
            for m, mk, p, v, u, med, n, c, s, pg in rows
        ],
    )
    return (
        f"<p class='note'>Records flagged as outliers: {total:,} (values far from other papers' values for the same "
        f"material and property). The {len(rows)} most credible are listed; their credibility already counts the flag.</p>"
        + plots.outliers_per_property(counts, labels)
        + table
    )


def _evidence_viewer(con: duckdb.DuckDBPyConnection, limit: int, n_records: int) -> tuple[str, int]:
    head = '<section id="evidence"><h2>Evidence</h2>'
    if limit == 0 or n_records == 0:
        return head + "<p class='note'>No records to show.</p></section>", 0
    n_props = (con.execute("SELECT count(DISTINCT property) FROM records").fetchone() or (1,))[0] or 1
    n_outliers = max(0, limit // 4)
    per_property = max(1, math.ceil((limit - n_outliers) / n_props))
    columns = (
        "r.record_id, r.material, r.formula, r.property, r.value, r.value_max, r.qualifier, r.unit, r.method_kind, "
        "r.method->>'detail', r.credibility_score, r.spans, r.evidence, r.page, r.source, r.doi, p.title"
    )
    rows = con.execute(f"""
        WITH outliers AS (
            SELECT r.record_id FROM records r WHERE {OUTLIER} ORDER BY hash(r.record_id) LIMIT {n_outliers}),
        sample AS (
            SELECT r.record_id FROM records r WHERE r.record_id NOT IN (SELECT record_id FROM outliers)
            QUALIFY row_number() OVER (PARTITION BY r.property ORDER BY hash(r.record_id)) <= {per_property}),
        chosen AS (
            SELECT record_id, 0 AS rank FROM outliers
            UNION ALL SELECT record_id, 1 FROM sample)
        SELECT {columns}, ({OUTLIER}) AS is_outlier
        FROM (SELECT * FROM chosen ORDER BY rank, hash(record_id) LIMIT {limit}) c
        JOIN records r ON r.record_id = c.record_id LEFT JOIN papers p ON p.paper_id = r.paper_id
        ORDER BY c.rank, r.property, lower(r.material), r.value""").fetchall()
    cards = []
    for (
        record_id,
        material,
        formula,
        prop,
        value,
        value_max,
        qualifier,
        unit,
        method_kind,
        method_detail,
        cred,
        spans_json,
        evidence_json,
        page,
        source,
        doi,
        title,
        is_outlier,
    ) in rows:
        evidence = json.loads(evidence_json) if evidence_json else {}
        spans = json.loads(spans_json) if spans_json else {}
        text = evidence.get("text") or ""
        sentence = highlight_evidence(text, int(evidence.get("char_start") or 0), spans)
        shown_value = (
            ("~" if qualifier == "approximate" else "")
            + _num(value)
            + (f"–{_num(value_max)}" if value_max is not None else "")
        )
        where = f"PDF page {page}" if page is not None else "page unknown (not a PDF)"
        paper = " · ".join(x for x in (esc(title), esc(_short_source(source)), f"doi {esc(doi)}" if doi else "") if x)
        search = esc(" ".join(str(x) for x in (material, formula, prop, source, title, method_kind) if x).lower())
        method = esc(method_kind) + (f" ({esc(method_detail)})" if method_detail else "")
        flag = ' <span class="flag">outlier</span>' if is_outlier else ""
        cards.append(
            f'<article class="card" data-search="{search}">'
            f'<div class="head"><b>{esc(material)}</b> · {esc(prop)} = <b>{esc(shown_value)} {esc(unit)}</b> · {method} · '
            f"credibility {_num(cred, 2)}{flag}</div>"
            f'<p class="sentence">{sentence}</p>'
            f'<div class="source">{paper} · {esc(where)} · <span class="id">record {esc(record_id)}</span></div></article>'
        )
    intro = (
        f"<p class='note'>{len(cards):,} of {n_records:,} records: flagged outliers first (up to a quarter), then a fixed "
        "sample of every property. <mark class='value'>value</mark> <mark class='material'>material</mark> "
        "<mark class='property'>property</mark> are marked in each sentence.</p>"
    )
    controls = (
        '<div class="controls"><input id="ev-filter" type="search" placeholder="filter by material, property, source">'
        '<button id="ev-prev" type="button">previous</button><span id="ev-info"></span>'
        '<button id="ev-next" type="button">next</button></div>'
    )
    return head + intro + controls + '<div id="ev-cards">' + "".join(cards) + "</div></section>", len(cards)


def _paper_year_expression(con: duckdb.DuckDBPyConnection) -> str | None:
    """SQL for a paper's publication year, from whichever year or date column the papers table has."""
    columns = {
        row[0].lower()
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'papers'"
        ).fetchall()
    }
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


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


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


def _table(header: list[str], rows: list[list[str]], raw: bool = True) -> str:
    """An HTML table; cells are already escaped (raw=True) or escaped here."""
    cell = (lambda x: x) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _nav() -> str:
    links = [
        ("overview", "Overview"),
        ("properties", "Properties"),
        ("materials", "Materials"),
        ("years", "Years"),
        ("credibility", "Credibility"),
        ("outliers", "Outliers"),
        ("evidence", "Evidence"),
    ]
    return "<nav>" + " · ".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 1.2em 3em;color:#222}
h1{font-size:1.5em;margin-top:1em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
nav{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #eee}
table{border-collapse:collapse;margin:.6em 0;font-size:12.5px}th,td{border:1px solid #ddd;padding:2px 6px;text-align:left}
th{background:#f4f4f4}td{font-variant-numeric:tabular-nums}
figure{margin:.6em 0}img{max-width:100%}.note,.meta{color:#555;font-size:12.5px}
.card{border:1px solid #ddd;border-radius:4px;padding:.4em .7em;margin:.5em 0}
.card .head{font-size:12.5px}.card .source{font-size:11.5px;color:#666}.card .id{font-family:monospace}
.sentence{margin:.3em 0;font-family:Georgia,serif}
mark.value{background:#ffe08a}mark.material{background:#b9e6c9}mark.property{background:#c8d8ff}
.flag{background:#c44e52;color:#fff;border-radius:3px;padding:0 4px;font-size:11px}
.controls{display:flex;gap:.6em;align-items:center;margin:.4em 0}.controls input{flex:1;padding:3px 6px}
"""

_JS = """
(function () {
  var cards = Array.prototype.slice.call(document.querySelectorAll('#ev-cards .card'));
  var box = document.getElementById('ev-filter');
  if (!box) { return; }
  var info = document.getElementById('ev-info');
  var per = EVIDENCE_PAGE_SIZE, page = 0, shown = cards;
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / per));
    page = Math.min(Math.max(page, 0), pages - 1);
    cards.forEach(function (c) { c.hidden = true; });
    shown.slice(page * per, (page + 1) * per).forEach(function (c) { c.hidden = false; });
    info.textContent = shown.length + ' records, page ' + (page + 1) + ' of ' + pages;
  }
  box.addEventListener('input', function () {
    var q = box.value.toLowerCase();
    shown = cards.filter(function (c) { return c.getAttribute('data-search').indexOf(q) >= 0; });
    page = 0; render();
  });
  document.getElementById('ev-prev').addEventListener('click', function () { page -= 1; render(); });
  document.getElementById('ev-next').addEventListener('click', function () { page += 1; render(); });
  render();
})();
""".replace("EVIDENCE_PAGE_SIZE", str(EVIDENCE_PAGE_SIZE))


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style></head><body>\n{body}\n<script>{_JS}</script></body></html>\n"
    )


def _write_atomically(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_text_atomically(out, text)
    except OSError as err:
        raise InputError(f"--out {out}: cannot write the report: {err.strerror or err}") from err
