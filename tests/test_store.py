"""The DuckDB writer: idempotent writes, failed papers, Parquet export (the opener is tested in test_storage.py)."""

from __future__ import annotations

import duckdb
import pytest

from extractors.pipeline import extract_paper
from extractors.records.extractor import RuleExtractor
from flows.store import export_parquet, open_db, write_paper
from schemas.tables import SCHEMA_VERSION

TEXT = """Results

The band gap of anatase TiO2 films is 3.21 eV at 300 K. The thermal conductivity of Bi2Te3 is 1.5 W/(m K).
"""


@pytest.fixture
def paper(tmp_path):
    path = tmp_path / "paper.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def rows(db, sql: str) -> list[tuple]:
    with open_db(db) as con:
        return con.execute(sql).fetchall()


def test_writing_a_paper_twice_gives_the_same_rows(tmp_path, paper) -> None:
    db = tmp_path / "p.duckdb"
    result = extract_paper(paper, RuleExtractor())
    assert {(r.material, r.property, r.value) for r in result.records} == {
        ("anatase TiO2", "band_gap", 3.21),
        ("Bi2Te3", "thermal_conductivity", 1.5),
    }
    for _ in range(2):
        with open_db(db) as con:
            write_paper(con, result)
    records = rows(db, "SELECT record_id, material, property, value, unit_canonical FROM records ORDER BY property")
    assert len(records) == 2 and records[0][1:] == ("anatase TiO2", "band_gap", 3.21, "eV")
    assert rows(db, "SELECT status, n_records FROM papers") == [("success", 2)]
    assert rows(db, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]


def test_a_failed_paper_keeps_only_its_status(tmp_path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"this is not a pdf")
    db = tmp_path / "p.duckdb"
    result = extract_paper(bad, RuleExtractor())
    assert result.status == "failed"
    with open_db(db) as con:
        write_paper(con, result)
    assert rows(db, "SELECT status FROM papers") == [("failed",)]
    assert rows(db, "SELECT count(*) FROM records") == [(0,)]
    assert "not a PDF" in rows(db, "SELECT error FROM papers")[0][0]


def test_parquet_export(tmp_path, paper) -> None:
    db = tmp_path / "p.duckdb"
    with open_db(db) as con:
        write_paper(con, extract_paper(paper, RuleExtractor()))
        files = export_parquet(con, tmp_path / "export")
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'export' / 'records.parquet'}'").fetchone() == (2,)
    assert len(files) == 8  # seven tables and curves


def test_a_pdf_with_figures_and_a_table_is_stored_twice(tmp_path, sample_pdf) -> None:
    """Figures and rejected records have no primary key: writing a paper again must still replace them."""
    result = extract_paper(sample_pdf, RuleExtractor())
    assert result.document is not None and result.document.figures
    db = tmp_path / "pdf.duckdb"
    for _ in range(2):
        with open_db(db) as con:
            write_paper(con, result)
    assert rows(db, "SELECT count(*) FROM figures") == [(len(result.document.figures),)]
    assert rows(db, "SELECT count(*) FROM records") == [(len(result.records),)]


def test_a_paper_that_failed_to_download_and_then_succeeds_has_one_row(tmp_path, paper) -> None:
    from schemas.result import PaperResult

    db = tmp_path / "p.duckdb"
    with open_db(db) as con:
        write_paper(con, PaperResult(source=str(paper), status="failed", errors=["fetch: HTTP 503"]))
        write_paper(con, extract_paper(paper, RuleExtractor(), source=str(paper)))
    assert rows(db, "SELECT source, status FROM papers") == [(str(paper), "success")]
