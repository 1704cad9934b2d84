"""Query, report and export figures on a generated database of a million records (2 cores).

    .venv/bin/python benchmarks/query_speed.py [--records 1000000] [--runs 5] [--keep]

The database is generated with DuckDB SQL in a temporary folder: about 2000 materials (a skewed
spread, each written four ways: 'TiO2', 'TiO2 films', ...), 40 properties with values of a
realistic scale in their canonical units (some in other units: meV, degC), conditions, methods,
credibility with a few outliers, evidence sentences with spans, 50 000 papers (80 % with a
publication year, in an extra `year` column) and 3000 accept/reject labels. Embeddings are cached
in the temporary folder, so the first semantic query is cold (model load and embedding every
distinct material string) and the later ones are warm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from extractors.embeddings import NgramEmbedder, load_embedder  # noqa: E402
from extractors.quantities.formulas import normalize_formula  # noqa: E402
from flows.export import export_training_table  # noqa: E402
from flows.query import QueryOptions, search_records  # noqa: E402
from flows.report import build_report  # noqa: E402
from flows.store import open_db  # noqa: E402
from schemas.vocabulary import load_vocabulary  # noqa: E402

COMMON = [
    "TiO2",
    "ZnO",
    "GaN",
    "Si",
    "GaAs",
    "CdS",
    "SrTiO3",
    "BaTiO3",
    "Bi2Te3",
    "MoS2",
    "Fe3O4",
    "LiFePO4",
    "CsPbI3",
    "Cu2O",
    "NiO",
    "SnO2",
    "In2O3",
    "WO3",
    "Al2O3",
    "MgO",
]
CATIONS = [
    "Li",
    "Na",
    "K",
    "Mg",
    "Ca",
    "Sr",
    "Ba",
    "Ti",
    "Zr",
    "V",
    "Nb",
    "Cr",
    "Mo",
    "W",
    "Mn",
    "Fe",
    "Co",
    "Ni",
    "Cu",
    "Zn",
    "Ga",
    "In",
    "Sn",
    "Pb",
    "Bi",
    "Sb",
    "Al",
    "Ge",
    "Cd",
    "Y",
    "La",
    "Ce",
    "Gd",
    "Hf",
    "Ta",
]
ANIONS = ["O", "S", "Se", "Te", "N", "P", "As", "F", "Cl", "Br", "I"]
FORMS = ["", " films", " nanoparticles", " single crystals"]
# Rough typical magnitudes in canonical units, so that distributions and conversions look real.
TYPICAL = {
    "band_gap": 2.0,
    "superconducting_tc": 30.0,
    "curie_temperature": 400.0,
    "neel_temperature": 150.0,
    "melting_point": 1200.0,
    "glass_transition_temperature": 400.0,
    "decomposition_temperature": 600.0,
    "thermal_conductivity": 10.0,
    "electrical_conductivity": 1e4,
    "electrical_resistivity": 1e-4,
    "seebeck_coefficient": 2e-4,
    "zt": 1.0,
    "bulk_modulus": 100.0,
    "youngs_modulus": 150.0,
    "hardness": 10.0,
    "density": 5.0,
    "lattice_parameter": 5.0,
    "dielectric_constant": 20.0,
    "refractive_index": 2.2,
    "carrier_mobility": 100.0,
    "specific_capacity": 150.0,
    "power_conversion_efficiency": 15.0,
}


def materials(n: int) -> list[tuple[str, str | None]]:
    names = list(COMMON)
    stoich = ["", "2", "3"]
    for a in CATIONS:
        for b in CATIONS:
            for x in ANIONS:
                if len(names) >= n:
                    break
                if a == b:
                    continue
                names.append(
                    f"{a}{b}{x}3" if (len(names) % 3) else f"{a}{stoich[len(names) % 2 + 1]}{x}{stoich[len(names) % 3]}"
                )
    names = list(dict.fromkeys(names))[:n]
    return [(name, normalize_formula(name)) for name in names]


def generate(db: Path, n_records: int, n_papers: int = 50_000, n_materials: int = 2000) -> None:
    vocab = load_vocabulary()
    props = vocab.properties[:40]
    mats = materials(n_materials)
    with open_db(db) as con:
        con.register(
            "mat_src",
            pa.table(
                {
                    "mat_id": list(range(len(mats))),
                    "formula_text": [m for m, _ in mats],
                    "formula": [f for _, f in mats],
                }
            ),
        )
        con.register(
            "prop_src",
            pa.table(
                {
                    "prop_id": list(range(len(props))),
                    "property": [p.name for p in props],
                    "label": [p.label for p in props],
                    "unit": [p.unit for p in props],
                    "typical": [TYPICAL.get(p.name, 10.0) for p in props],
                }
            ),
        )
        con.execute("CREATE TEMP TABLE mat AS SELECT * FROM mat_src")
        con.execute("CREATE TEMP TABLE prop AS SELECT * FROM prop_src")
        con.execute("ALTER TABLE papers ADD COLUMN IF NOT EXISTS year INTEGER")
        con.execute(f"""
            INSERT INTO papers (paper_id, source, kind, title, doi, n_pages, status, n_records, year)
            SELECT md5('paper' || i), 'corpus/paper_' || i || '.pdf', 'pdf', 'A study of materials, part ' || i,
                   '10.5555/pm.' || i, 8 + i % 12, 'success', 0,
                   CASE WHEN i % 5 = 0 THEN NULL ELSE 1995 + (i * 7919) % 31 END
            FROM range({n_papers}) t(i)""")
        con.execute("SELECT setseed(0.42)")
        con.execute(f"""
            INSERT INTO records
            WITH base AS (
                SELECT i,
                       least({len(mats) - 1}, floor({len(mats)} * pow(random(), 2.2)))::INT AS mat_id,
                       least({len(props) - 1}, floor({len(props)} * pow(random(), 1.6)))::INT AS prop_id,
                       floor(random() * 4)::INT AS form,
                       sqrt(-2 * ln(greatest(random(), 1e-12))) * cos(2 * pi() * random()) AS z,
                       random() AS u_method, random() AS u_cred, random() AS u_cond, random() AS u_unit, random() AS u_out,
                       (i * 2654435761) % {n_papers} AS paper_no
                FROM range({n_records}) t(i)),
            v AS (
                SELECT b.*, m.formula_text || ['', ' films', ' nanoparticles', ' single crystals'][b.form + 1] AS material,
                       m.formula, p.property, p.label, p.unit AS unit_canonical,
                       p.typical * exp(0.45 * b.z) AS raw,
                       CASE WHEN b.u_method < 0.6 THEN 'experimental' WHEN b.u_method < 0.9 THEN 'computational'
                            ELSE 'literature' END AS method_kind
                FROM base b JOIN mat m ON m.mat_id = b.mat_id JOIN prop p ON p.prop_id = b.prop_id),
            w AS (
                SELECT v.*, round(raw, (4 - ceil(log10(raw)))::INT) AS value_canonical,
                       CASE WHEN unit_canonical = 'eV' AND u_unit < 0.15 THEN 'meV'
                            WHEN unit_canonical = 'K' AND u_unit < 0.15 THEN '°C' ELSE unit_canonical END AS unit,
                       least(0.98, greatest(0.05, (CASE method_kind WHEN 'experimental' THEN 0.72 WHEN 'computational' THEN 0.5
                             ELSE 0.45 END) + 0.15 * (u_cred - 0.5) - CASE WHEN u_out < 0.01 THEN 0.25 ELSE 0 END)) AS score,
                       (i % 50) * 300 AS cs
                FROM v),
            x AS (
                SELECT w.*,
                       CASE unit WHEN 'meV' THEN round(value_canonical * 1000, 1) WHEN '°C' THEN round(value_canonical - 273.15, 2)
                            ELSE value_canonical END AS value,
                       'The ' || label || ' of ' || material || ' is ' AS head
                FROM w),
            y AS (
                SELECT x.*, head || value || ' ' || unit || ', ' ||
                       CASE method_kind WHEN 'experimental' THEN 'measured by UV-vis absorption'
                            WHEN 'computational' THEN 'calculated with DFT (PBE)' ELSE 'as reported earlier [12]' END || '.' AS text
                FROM x)
            SELECT md5('record' || i), md5('paper' || paper_no), '10.5555/pm.' || paper_no, 'corpus/paper_' || paper_no || '.pdf',
                   material, formula, property, label, value, NULL, NULL, 'exact', unit, value_canonical, NULL, unit_canonical,
                   CASE WHEN u_cond < 0.3 THEN '[{{"name": "temperature", "value": 300.0, "unit": "K", "text": "300 K"}}]'
                        WHEN u_cond < 0.4 THEN '[{{"name": "temperature", "value": 10.0, "unit": "K", "text": "10 K"}}]'
                        ELSE '[]' END,
                   to_json({{'kind': method_kind, 'detail': CASE method_kind WHEN 'experimental' THEN 'UV-vis'
                             WHEN 'computational' THEN 'GGA/PBE' ELSE NULL END, 'found_in': 'sentence', 'sample_form': NULL}}),
                   method_kind,
                   to_json({{'value': [cs + length(head), cs + length(head) + length(value::VARCHAR) + 1 + length(unit)],
                             'material': [cs + 8 + length(label), cs + 8 + length(label) + length(material)],
                             'property': [cs + 4, cs + 4 + length(label)]}}),
                   to_json({{'text': text, 'char_start': cs, 'char_end': cs + length(text), 'page': 1 + i % 9, 'bbox': NULL,
                             'origin': 'text'}}),
                   1 + i % 9, 'text',
                   to_json({{'score': score, 'reasons': [method_kind],
                             'features': CASE WHEN u_out < 0.01 THEN MAP {{'outlier': 1.0}} ELSE MAP {{method_kind: 1.0}} END,
                             'rules_version': 'credibility-v1'}}),
                   score, '{{"name": "rules", "prompt_version": "rules-v1"}}', 'bench'
            FROM y""")
        con.execute("""
            INSERT INTO labels (label_id, record_id, action, version)
            SELECT 'bench-' || row_number() OVER () || '@1', record_id,
                   CASE WHEN random() < credibility_score THEN 'accept' ELSE 'reject' END, 1
            FROM records USING SAMPLE 3000 ROWS""")
        con.execute("CHECKPOINT")


def median_ms(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        clock = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - clock))
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="propmine-query-bench-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # a cold embedding cache, inside the temp folder
    try:
        db = tmp / "bench.duckdb"
        clock = time.perf_counter()
        generate(db, args.records)
        gen_s = time.perf_counter() - clock
        with open_db(db, read_only=True) as con:
            n, n_mat, n_str, n_prop = con.execute(
                "SELECT count(*), count(DISTINCT formula), count(DISTINCT material), count(DISTINCT property) FROM records"
            ).fetchone()
        print(
            f"database: {n:,} records, {n_mat:,} formulas ({n_str:,} material strings), {n_prop} properties; "
            f"generated in {gen_s:.1f} s, {db.stat().st_size / 1e6:.0f} MB"
        )

        lexical = NgramEmbedder()
        with open_db(db, read_only=True) as con:
            clock = time.perf_counter()
            semantic, notice = load_embedder()
            if notice:
                print(f"note: {notice}")
            cold = search_records(con, QueryOptions(text="zinc oxide nanoparticles"), semantic)
            cold_ms = 1000 * (time.perf_counter() - clock)
            cases = [
                (
                    "structured: --property band_gap --method experimental --min-credibility 0.7",
                    QueryOptions(property="band_gap", method="experimental", min_credibility=0.7),
                    lexical,
                ),
                (
                    "structured: --material TiO2 --property 'band gap'",
                    QueryOptions(material="TiO2", property="band gap"),
                    lexical,
                ),
                (
                    "unit-converted range: -p 'band gap' --min '3000 meV' --max '3.5 eV'",
                    QueryOptions(property="band gap", min="3000 meV", max="3.5 eV"),
                    lexical,
                ),
                (
                    "unit-converted range: -p 'Curie temperature' --min '100 °C'",
                    QueryOptions(property="Curie temperature", min="100 °C"),
                    lexical,
                ),
                (
                    "free text, formula: 'band gap of anatase TiO2 films above 3 eV'",
                    QueryOptions(text="band gap of anatase TiO2 films above 3 eV"),
                    semantic,
                ),
                (
                    "free text, semantic (warm): 'zinc oxide nanoparticles'",
                    QueryOptions(text="zinc oxide nanoparticles"),
                    semantic,
                ),
                (
                    "free text, semantic (warm): 'thermal conductivity of bismuth telluride'",
                    QueryOptions(text="thermal conductivity of bismuth telluride"),
                    semantic,
                ),
                (
                    "free text, lexical fallback: 'zinc oxide nanoparticles'",
                    QueryOptions(text="zinc oxide nanoparticles"),
                    lexical,
                ),
            ]
            print(f"\nquery latency, median (max) of {args.runs} runs, 20 hits, in one process:")
            print(
                f"  {'free text, semantic, COLD (model load + embed all material strings)':78s} {cold_ms:8.0f} ms  "
                f"[{len(cold.hits)} hits: {', '.join(sorted({h.record['material'] for h in cold.hits})[:3])}]"
            )
            for label, options, embedder in cases:
                hits = search_records(con, options, embedder).hits  # warm-up
                med, worst = median_ms(
                    lambda options=options, embedder=embedder: search_records(con, options, embedder), args.runs
                )
                top = hits[0].record if hits else None
                shown = f"{top['material']} {top['value']:g} {top['unit']}" if top else "-"
                print(f"  {label:78s} {med:8.0f} ms ({worst:.0f})  [{len(hits)} hits, first: {shown}]")

            clock = time.perf_counter()
            summary = build_report(con, tmp / "report.html", db_name=db.name, evidence_limit=500)
            print(
                f"\nreport: {time.perf_counter() - clock:.1f} s, {summary.n_bytes / 1e6:.2f} MB, "
                f"{summary.n_evidence} records in the evidence viewer"
            )
            for fmt in ("parquet", "hf"):
                clock = time.perf_counter()
                exported = export_training_table(con, tmp / f"export-{fmt}", fmt, db_name=db.name)
                size = sum(p.stat().st_size for p in (tmp / f"export-{fmt}").iterdir())
                print(
                    f"export {fmt:7s}: {time.perf_counter() - clock:.1f} s, {exported.n_rows:,} rows from "
                    f"{exported.n_records:,} records ({exported.n_conflicts:,} groups with disagreeing records, "
                    f"{exported.n_rejected:,} rejected left out), {size / 1e6:.0f} MB"
                )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak memory (RSS of this process, DuckDB and the model included): {peak_mb:.0f} MB")
        cache = tmp / "cache" / "propmine" / "embeddings"
        if cache.is_dir():
            print(
                f"embedding cache: {sum(p.stat().st_size for p in cache.iterdir()) / 1e6:.1f} MB "
                f"({json.dumps([p.name for p in cache.iterdir()])})"
            )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
