"""Search the mined records: a free-text query and structured filters, semantic and formula-aware.

A query such as "band gap of anatase TiO2 films above 3 eV" is read into parts where it can be:
property words from the vocabulary, a formula (TiO2 and O2Ti are the same material), a method word
(measured, DFT, reported), numbers with units (a value bound, or a condition such as 300 K). What
is left names the material (matched against the database's distinct material strings by sentence
embeddings, or by spelling where the embedding model is absent) and is looked for in the evidence
text. Hits are ordered by a score that weighs relevance (0.75) and credibility (0.25).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.table import Table

from extractors.embeddings import Embedder, similarity
from extractors.quantities.formulas import normalize_formula
from extractors.quantities.units import to_si
from flows.query_text import (
    STOPWORDS,
    ParsedQuery,
    _canonical_bounds,
    _properties_of_dimension,
    _property_from_words,
    _same_dimension,
    dimension_name,
    parse_bound,
    parse_query,
    resolve_property,
    unit_of,
)
from schemas.errors import InputError
from schemas.quantity import Quantity
from schemas.record import MethodKind, Record
from schemas.vocabulary import Vocabulary, load_vocabulary

RELEVANCE_WEIGHT = 0.75
# A bare value in the query ("band gap 3.2 eV") matches records within this fraction of it.
AROUND_FRACTION = 0.1
# A material string whose formula matches the query's formula scores at least this; the rest of
# the score comes from how close its words are to the query's words ("anatase TiO2" vs "rutile TiO2").
FORMULA_FLOOR = 0.7
# Without a formula, material strings within ACCEPT_MARGIN of the best match are taken; the formulas
# of those within EXPAND_MARGIN bring all their spellings along (titanium dioxide -> TiO2 -> TiO2 films).
ACCEPT_MARGIN = 0.15
EXPAND_MARGIN = 0.05

RECORD_COLUMNS = list(Record.model_fields)
_JSON_COLUMNS = ("conditions", "method", "spans", "evidence", "credibility", "extractor")


@dataclass
class QueryOptions:
    """A search: free text and/or structured filters (CLI options of `propmine query`)."""

    text: str | None = None
    material: str | None = None
    property: str | None = None
    min: str | None = None
    max: str | None = None
    method: MethodKind | None = None
    min_credibility: float | None = None
    limit: int = 20


@dataclass
class QueryHit:
    record: dict[str, Any]
    relevance: float
    score: float


@dataclass
class QueryResult:
    hits: list[QueryHit]
    understood: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def search_records(con: duckdb.DuckDBPyConnection, options: QueryOptions, embedder: Embedder) -> QueryResult:
    """Records matching a query, most relevant and credible first.

    Args:
        con: a propmine database (read-only is enough).
        options: free text and filters.
        embedder: for materials and properties by meaning (or the lexical stand-in).

    Raises:
        InputError: a filter cannot be understood (unknown property, unit of the wrong kind, ...).
    """
    vocab = load_vocabulary()
    if options.limit < 1:
        raise InputError(f"--limit {options.limit}: give a positive number")
    if options.min_credibility is not None and not 0.0 <= options.min_credibility <= 1.0:
        raise InputError(f"--min-credibility {options.min_credibility}: give a number between 0 and 1")
    parsed = parse_query(options.text, vocab) if options.text else ParsedQuery(text="")
    result = QueryResult(hits=[])
    property_score, words, material_text = _choose_properties(options, parsed, embedder, vocab, result)
    bounds, conditions = _value_bounds(options, parsed, property_score, vocab)
    properties = list(property_score)

    method = options.method or parsed.method
    where: list[str] = []
    params: list[Any] = []
    if properties:
        where.append(f"r.property IN ({', '.join('?' for _ in properties)})")
        params.extend(properties)
        result.understood.append("property " + " or ".join(properties))
    if method:
        where.append("r.method_kind = ?")
        params.append(method)
        result.understood.append(f"method {method}")
    if options.min_credibility is not None:
        where.append("r.credibility_score >= ?")
        params.append(options.min_credibility)
        result.understood.append(f"credibility >= {options.min_credibility:g}")
    if bounds:
        ors = []
        for name, (lo, hi) in bounds.items():
            clause = ["r.property = ?"]
            params.append(name)
            if lo is not None:  # a range record matches when it overlaps the bounds
                clause.append("coalesce(r.value_max_canonical, r.value_canonical) >= ?")
                params.append(lo)
            if hi is not None:
                clause.append("r.value_canonical <= ?")
                params.append(hi)
            ors.append("(" + " AND ".join(clause) + ")")
            result.understood.append(f"{name} {_describe_range(lo, hi)} {unit_of(name, vocab)}".rstrip())
        where.append("(" + " OR ".join(ors) + ")")

    registered: list[str] = []
    try:
        join, material_expr = "", "1.0"
        if material_text:
            matches = _match_materials(con, material_text, properties, embedder)
            if matches:
                _register(
                    con,
                    "pm_material_match",
                    pa.table({"material": [m for m, _ in matches], "material_score": [s for _, s in matches]}),
                    registered,
                )
                join, material_expr = "JOIN pm_material_match mm ON r.material = mm.material", "mm.material_score"
                formula = normalize_formula(material_text)
                result.understood.append(f"material ~ {material_text!r}" + (f" (formula {formula})" if formula else ""))
            else:
                result.notices.append(
                    f"no material in the database is like {material_text!r}; "
                    "looking for its words in the evidence text instead"
                )
                for word in re.findall(r"[\w.\-]+", material_text.lower()):
                    if word not in STOPWORDS:
                        where.append("contains(lower(r.evidence->>'text'), ?)")
                        params.append(word)
        # Words other than the formula count when the evidence has them ("anatase", "films").
        text_words = sorted({w.lower() for w in words if not normalize_formula(w)} - STOPWORDS)
        text_expr, text_params = "1.0", []
        if text_words:
            text_expr = "len(list_filter(?::VARCHAR[], w -> contains(lower(r.evidence->>'text'), w))) / ?"
            text_params = [text_words, float(len(text_words))]
        condition_expr = "1.0"
        if conditions:
            matching = _matching_conditions(con, conditions, where, params)
            _register(con, "pm_condition_match", pa.table({"conditions": pa.array(matching, pa.string())}), registered)
            condition_expr = "(r.conditions::VARCHAR IN (SELECT conditions FROM pm_condition_match))::DOUBLE"
            result.understood.append("conditions like " + ", ".join(q.text for q in conditions))
        property_expr, property_params = "1.0", []
        if any(s < 1.0 for s in property_score.values()):
            property_expr = "CASE r.property " + " ".join("WHEN ? THEN ?" for _ in property_score) + " ELSE 0.0 END"
            for name, s in property_score.items():
                property_params.extend([name, s])
        relevance = f"(0.8 * {material_expr} * {property_expr} + 0.1 * {text_expr} + 0.1 * {condition_expr})"
        columns = ", ".join(f"r.{c}" for c in RECORD_COLUMNS)
        sql = (
            f"SELECT {columns}, r.credibility_score, p.title, {relevance} AS relevance FROM records r {join} "
            f"LEFT JOIN papers p ON p.paper_id = r.paper_id {'WHERE ' + ' AND '.join(where) if where else ''}"
        )
        ordered = (
            f"SELECT *, {RELEVANCE_WEIGHT} * relevance + {1 - RELEVANCE_WEIGHT} * coalesce(credibility_score, 0) AS score "
            f"FROM ({sql}) ORDER BY score DESC, credibility_score DESC NULLS LAST, record_id LIMIT ?"
        )
        # Placeholders in the order they appear: relevance (property, text), then the filters, then the limit.
        cursor = con.execute(ordered, property_params + text_params + params + [options.limit])
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        for name in registered:
            con.unregister(name)
    for row in rows:
        values = dict(zip(names, row, strict=True))
        record = {c: values[c] for c in RECORD_COLUMNS}
        for c in _JSON_COLUMNS:
            if isinstance(record[c], str):
                record[c] = json.loads(record[c])
        record["title"] = values["title"]
        result.hits.append(
            QueryHit(
                record=record, relevance=round(float(values["relevance"]), 4), score=round(float(values["score"]), 4)
            )
        )
    return result


def _choose_properties(
    options: QueryOptions, parsed: ParsedQuery, embedder: Embedder, vocab: Vocabulary, result: QueryResult
) -> tuple[dict[str, float], list[str], str | None]:
    """The properties searched, each with how sure the match is; the words left; the material text.

    The --property option wins, then vocabulary words in the text, then a phrase of the text that
    means a property ("how hot it melts").
    """
    words = list(parsed.words)
    material_text = options.material or parsed.material_text
    if options.property:
        name, sure = resolve_property(options.property, embedder, vocab)
        if sure < 1.0:
            result.notices.append(f"--property {options.property!r} read as {name}")
        return {name: sure}, words, material_text
    if parsed.properties:
        return dict.fromkeys(parsed.properties, 1.0), words, material_text
    if words and not options.material:
        found = _property_from_words(words, embedder, vocab)
        if found:
            name, sure, used = found
            words = [w for i, w in enumerate(words) if i not in used]
            return {name: sure}, words, " ".join(words) or None
    return {}, words, material_text


def _value_bounds(
    options: QueryOptions, parsed: ParsedQuery, property_score: dict[str, float], vocab: Vocabulary
) -> tuple[dict[str, tuple[float | None, float | None]], list[Quantity]]:
    """Value bounds per property in canonical units, and the quantities that are conditions instead.

    --min/--max come first. A quantity in the text is a bound when its unit fits the property (or,
    with no property named, when some property is measured in it); otherwise it is a condition
    (300 K on a band gap). With a bound and no property, every property measured in the bound's
    unit is searched. `property_score` is narrowed (in place) to the properties the bounds apply to.
    """
    properties = list(property_score)
    lo_q = parse_bound(options.min, "--min") if options.min else None
    hi_q = parse_bound(options.max, "--max") if options.max else None
    around: Quantity | None = None
    conditions: list[Quantity] = []
    for q in parsed.quantities:
        if properties:
            fits = q.unit is None or any(_same_dimension(q.unit, unit_of(p, vocab)) for p in properties)
        else:
            fits = q.unit is None or bool(_properties_of_dimension(q.unit, vocab))
        if not fits:
            conditions.append(q)
        elif q.qualifier == "lower_bound":
            lo_q = lo_q or q
        elif q.qualifier == "upper_bound":
            hi_q = hi_q or q
        elif q.qualifier == "range":
            lo_q = lo_q or q.model_copy(update={"value_max": None})
            hi_q = hi_q or q.model_copy(update={"value": q.value_max, "value_max": None})
        else:
            around = around or q
    given = [q for q in (lo_q, hi_q, around) if q is not None]
    if not given:
        return {}, conditions
    if not properties:
        unit = next((q.unit for q in given if q.unit), None)
        if unit is None:
            raise InputError("a bare number as a bound needs a property: add --property or a unit, e.g. --min '2 eV'")
        properties = _properties_of_dimension(unit, vocab)
        if not properties:
            raise InputError(f"no property in the vocabulary is {dimension_name(unit)} (measured in {unit!r})")
        property_score.update(dict.fromkeys(properties, 1.0))
    bounds: dict[str, list[float | None]] = {p: [None, None] for p in properties}
    if around is not None:
        for name, v in _canonical_bounds(around, properties, vocab, "value").items():
            ends = (v * (1 - AROUND_FRACTION), v * (1 + AROUND_FRACTION))
            bounds[name] = [min(ends), max(ends)]
    if lo_q is not None:
        for name, v in _canonical_bounds(lo_q, properties, vocab, "--min").items():
            bounds[name][0] = v
    if hi_q is not None:
        for name, v in _canonical_bounds(hi_q, properties, vocab, "--max").items():
            bounds[name][1] = v
    # A property the bound could not be converted to cannot be compared: it is left out.
    kept = {name: (lo, hi) for name, (lo, hi) in bounds.items() if lo is not None or hi is not None}
    for name in list(property_score):
        if name not in kept:
            del property_score[name]
    return kept, conditions


def _describe_range(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}..{hi:g}"
    return f">= {lo:g}" if lo is not None else f"<= {hi:g}"


def _register(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table, registered: list[str]) -> None:
    con.register(name, table)
    registered.append(name)


def _match_materials(
    con: duckdb.DuckDBPyConnection, text: str, properties: list[str], embedder: Embedder
) -> list[tuple[str, float]]:
    """The database's material strings that name the material in `text`, with a score 0..1.

    A formula in the text selects the strings with the same normalized formula (TiO2 = O2Ti); the
    words around it order them. Without a formula, strings close in meaning are taken, and every
    string sharing a formula with a close one comes along (titanium dioxide -> TiO2 -> anatase TiO2).
    """
    sql = "SELECT material, any_value(formula) FROM records WHERE material IS NOT NULL"
    params: list[Any] = []
    if properties:
        sql += f" AND property IN ({', '.join('?' for _ in properties)})"
        params.extend(properties)
    distinct = con.execute(sql + " GROUP BY material", params).fetchall()
    if not distinct:
        return []
    query_formula = normalize_formula(text)
    descriptive = [w for w in text.split() if not normalize_formula(w)]
    if query_formula:
        same = [m for m, f in distinct if (f or normalize_formula(m)) == query_formula]
        unformulated = [m for m, f in distinct if f is None and m not in same]
        scores: dict[str, float] = dict.fromkeys(same, 1.0)
        if descriptive and same:
            sims = similarity(embedder, [text], same)[0]
            scores = {
                m: FORMULA_FLOOR + (1 - FORMULA_FLOOR) * max(0.0, float(s)) for m, s in zip(same, sims, strict=True)
            }
        if unformulated:
            sims = similarity(embedder, [text], unformulated)[0]
            for m, s in zip(unformulated, sims, strict=True):
                if s >= embedder.match_threshold:
                    scores[m] = FORMULA_FLOOR * float(s)
        return sorted(scores.items(), key=lambda kv: -kv[1])
    strings = [m for m, _ in distinct]
    sims = similarity(embedder, [text], strings)[0]
    best = float(sims.max())
    if best < embedder.match_threshold:
        return []
    # Close to the best match only: "zinc oxide nanoparticles" is near every "... nanoparticles",
    # but nearest to "ZnO nanoparticles"; and only the best tier's formulas bring their other
    # spellings along ("ZnO films"), so that a near miss does not pull in a whole family.
    floor = max(embedder.match_threshold, best - ACCEPT_MARGIN)
    scores = {m: float(s) for m, s in zip(strings, sims, strict=True) if s >= floor}
    formulas = dict(distinct)
    best_of_formula: dict[str, float] = {}
    for m, s in scores.items():
        f = formulas[m]
        if f and s >= best - EXPAND_MARGIN:
            best_of_formula[f] = max(best_of_formula.get(f, 0.0), s)
    for m, s in zip(strings, sims, strict=True):
        f = formulas[m]
        if f in best_of_formula:
            scores[m] = max(scores.get(m, 0.0), float(s), 0.9 * best_of_formula[f])
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _matching_conditions(
    con: duckdb.DuckDBPyConnection, wanted: list[Quantity], where: list[str], params: list[Any]
) -> list[str]:
    """The distinct `conditions` JSON texts (among the records the filters leave) that hold every wanted condition."""
    sql = "SELECT DISTINCT r.conditions::VARCHAR FROM records r WHERE r.conditions IS NOT NULL AND r.conditions::VARCHAR <> '[]'"
    if where:
        sql += " AND " + " AND ".join(where)
    out = []
    targets = [to_si(q.value, q.unit) for q in wanted if q.unit]
    for (text,) in con.execute(sql, params).fetchall():
        have = [to_si(c["value"], c["unit"]) for c in json.loads(text) if c.get("value") is not None and c.get("unit")]
        if all(
            any(h and t and h[1] == t[1] and abs(h[0] - t[0]) <= 0.01 * max(abs(t[0]), 1e-12) for h in have)
            for t in targets
        ):
            out.append(text)
    return out


# The evidence column shows this many characters on each side of the value (half as many on a narrow terminal).
EVIDENCE_HALF_WIDTH = 60
WIDE_TERMINAL = 120


def evidence_window(record: dict[str, Any], half_width: int = EVIDENCE_HALF_WIDTH) -> str:
    """The part of a record's evidence text around its value, with '…' where it is cut.

    Args:
        record: a record as a dict (`QueryHit.record`): `evidence` {text, char_start} and `spans` {value}.
        half_width: characters kept on each side of the value's start.
    """
    evidence = record.get("evidence") or {}
    text = str(evidence.get("text") or "")
    value_span = (record.get("spans") or {}).get("value")
    at = 0
    if value_span and evidence.get("char_start") is not None:
        at = min(max(0, int(value_span[0]) - int(evidence["char_start"])), len(text))
    start = max(0, at - half_width)
    end = min(len(text), at + half_width)
    if start > 0 and " " in text[start:at]:  # cut between words
        start = text.index(" ", start) + 1
    if end < len(text) and " " in text[at:end]:
        end = text.rindex(" ", at, end)
    window = " ".join(text[start:end].split())  # line breaks of a PDF paragraph would stretch the row
    return ("…" if start else "") + window + ("…" if end < len(text) else "")


def hits_table(rows: list[dict[str, Any]], console: Console) -> None:
    """Print query hits as a table with their evidence: a window around the value.

    On a narrow terminal the value and unit share a column and the method and relevance are left out (the
    evidence usually says how the value was obtained); on a wide one every column is shown and the window is
    twice as wide.
    """
    wide = console.width >= WIDE_TERMINAL
    table = Table(show_lines=not wide)
    if wide:
        columns = ["material", "property", "value", "unit", "method", "cred.", "rel.", "source"]
    else:
        columns = ["material", "property", "value", "cred.", "source"]
    for col in columns:
        table.add_column(col, overflow="fold")
    table.add_column("evidence", overflow="fold", ratio=1, min_width=20)
    for r in rows:
        value = ("~" if r["qualifier"] == "approximate" else "") + f"{r['value']:g}"
        value += f"–{r['value_max']:g}" if r["value_max"] is not None else ""
        unit = r["unit"] or ""
        if r["value_canonical"] is not None and r["unit_canonical"] is not None and r["unit_canonical"] != r["unit"]:
            unit += f" (= {r['value_canonical']:.4g} {r['unit_canonical']})"
        method = r["method"] or {}
        shown_method = method.get("kind", "") + (f" ({method['detail']})" if method.get("detail") else "")
        evidence = r.get("evidence") or {}
        source = Path(r["source"] or "").name + (
            f" p.{evidence.get('page')}" if evidence.get("page") is not None else ""
        )
        credibility = f"{(r['credibility'] or {}).get('score', 0):.2f}"
        if wide:
            cells = [r["material"], r["property"], value, unit, shown_method, credibility, f"{r['relevance']:.2f}"]
            half = EVIDENCE_HALF_WIDTH
        else:
            cells = [r["material"], r["property"], f"{value} {r['unit'] or ''}".strip(), credibility]
            half = EVIDENCE_HALF_WIDTH // 2
        table.add_row(*cells, source, evidence_window(r, half))
    console.print(table)
