"""Paper metadata: what the source said (title, authors, year, venue, DOI, arXiv id, licence) reaches the
`papers` row through staging and the merge, an older database gets the columns, and the export and the report
use it. Nothing is guessed: a paper from a folder has only its parsed title."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.pipeline import extract_paper
from extractors.records.extractor import RuleExtractor
from flows.export import export_training_table
from flows.report import build_report
from flows.staging import read_staged_entry, stage_result
from flows.store import merge_staged, open_db
from schemas.fetch import PaperMetadata, PaperRef
from schemas.result import PaperResult

ARXIV = PaperMetadata(
    title="Band gaps of ZnO thin films",
    authors=["A. Author", "B. Author"],
    year=2024,
    venue="J. Films 12, 34 (2024)",
    doi="10.1000/zno.1",
    arxiv_id="2401.00001v2",
    licence="http://creativecommons.org/licenses/by/4.0/",
    landing_url="http://arxiv.org/abs/2401.00001v2",
    origin="arxiv",
)
COLUMNS = "title, authors, year, venue, doi, arxiv_id, licence, landing_url, metadata_from"


def text_paper(folder: Path, name: str, material: str) -> Path:
    path = folder / name
    path.write_text(f"Results\n\nThe band gap of {material} films is 3.3 eV, measured by UV-vis.\n", encoding="utf-8")
    return path


def mine(tmp_path: Path, papers: dict[str, PaperMetadata | None]) -> Path:
    """Stage each paper (a text file with one band gap, each of another material: a row each in the export) with
    its metadata, and merge them into a new database."""
    staging = tmp_path / "staging"
    for i, (name, metadata) in enumerate(papers.items()):
        result = extract_paper(text_paper(tmp_path, name, ("ZnO", "GaN", "TiO2")[i]), RuleExtractor())
        result.doi = metadata.doi if metadata else None
        stage_result(result, staging, metadata=metadata)
    db = tmp_path / "mined.duckdb"
    with open_db(db) as con:
        merge_staged(con, staging, None)
    return db


def paper_row(db: Path, name: str) -> tuple:
    with open_db(db, read_only=True) as con:
        found = con.execute(f"SELECT {COLUMNS} FROM papers WHERE source LIKE ?", [f"%{name}"]).fetchone()
    assert found is not None, name
    return found


def test_the_sources_metadata_reaches_the_papers_row(tmp_path: Path) -> None:
    db = mine(tmp_path, {"arxiv.txt": ARXIV, "folder.txt": None})
    assert paper_row(db, "arxiv.txt") == (
        "Band gaps of ZnO thin films",
        ["A. Author", "B. Author"],
        2024,
        "J. Films 12, 34 (2024)",
        "10.1000/zno.1",
        "2401.00001v2",
        "http://creativecommons.org/licenses/by/4.0/",
        "http://arxiv.org/abs/2401.00001v2",
        "arxiv",
    )
    # A paper from a folder: no year, venue or licence is made up for it.
    assert paper_row(db, "folder.txt")[1:8] == (None, None, None, None, None, None, None)


def test_a_pdf_without_source_metadata_keeps_its_parsed_title_and_nothing_else(tmp_path: Path, sample_pdf) -> None:
    result = extract_paper(sample_pdf, RuleExtractor())
    assert result.document is not None and result.document.title, "the sample paper has a title to parse"
    stage_result(result, tmp_path / "staging")
    db = tmp_path / "mined.duckdb"
    with open_db(db) as con:
        merge_staged(con, tmp_path / "staging", None)
    title, authors, year, venue, doi, arxiv_id, licence, _, origin = paper_row(db, sample_pdf.name)
    assert (title, origin) == (result.document.title, "document")
    assert (authors, year, venue, doi, arxiv_id, licence) == (None, None, None, None, None, None)


def test_a_failed_fetch_keeps_what_the_search_said(tmp_path: Path) -> None:
    ref = PaperRef(reference="https://example.org/gone.pdf", kind="url", title="Gone", year=2020, origin="openalex")
    stage_result(
        PaperResult(source=ref.reference, status="failed", errors=["fetch: HTTP 404"]),
        tmp_path / "staging",
        metadata=ref.metadata(),
    )
    db = tmp_path / "mined.duckdb"
    with open_db(db) as con:
        merge_staged(con, tmp_path / "staging", None)
    assert paper_row(db, "gone.pdf")[:3] == ("Gone", None, 2020)


def test_a_staged_file_round_trips_its_metadata_and_an_older_one_has_none(tmp_path: Path) -> None:
    path = stage_result(PaperResult(source="a.pdf", status="failed", errors=["x"]), tmp_path, metadata=ARXIV)
    _, _, metadata = read_staged_entry(path)
    assert metadata == ARXIV
    legacy = tmp_path / "results" / "legacy.json"  # staged by an older propmine: no metadata member
    legacy.write_text(PaperResult(source="b.pdf", status="failed").model_dump_json(), encoding="utf-8")
    assert read_staged_entry(legacy)[2] is None


def test_an_older_database_gets_the_metadata_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with open_db(db) as con:
        con.execute("INSERT INTO papers (paper_id, source, status) VALUES ('p1', 'a.pdf', 'success')")
        for column in ("authors", "year", "venue", "arxiv_id", "licence", "landing_url", "metadata_from"):
            con.execute(f"ALTER TABLE papers DROP COLUMN {column}")
        con.execute("ALTER TABLE runs DROP COLUMN stage_seconds")
    with open_db(db) as con:
        columns = {row[0] for row in con.execute("DESCRIBE papers").fetchall()}
        assert {"authors", "year", "venue", "arxiv_id", "licence", "metadata_from"} <= columns
        assert "stage_seconds" in {row[0] for row in con.execute("DESCRIBE runs").fetchall()}
        assert con.execute("SELECT source, year FROM papers").fetchall() == [("a.pdf", None)]


def test_the_export_carries_the_papers_metadata_and_counts_licences(tmp_path: Path) -> None:
    licensed = ARXIV.model_copy(update={"licence": "cc-by"})
    db = mine(tmp_path, {"arxiv.txt": licensed, "folder.txt": None})
    with open_db(db, read_only=True) as con:
        export_training_table(con, tmp_path / "out", "parquet", db.name)
    import pyarrow.parquet as pq

    rows = {Path(r["source"]).name: r for r in pq.read_table(tmp_path / "out" / "data.parquet").to_pylist()}
    assert rows["arxiv.txt"]["year"] == 2024 and rows["arxiv.txt"]["licence"] == "cc-by"
    assert rows["arxiv.txt"]["authors"] == ["A. Author", "B. Author"]
    assert rows["arxiv.txt"]["arxiv_id"] == "2401.00001v2" and rows["arxiv.txt"]["venue"] == "J. Films 12, 34 (2024)"
    assert rows["folder.txt"]["year"] is None and rows["folder.txt"]["licence"] is None
    card = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "in rows: cc-by 1; none stated: 1." in card


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        pytest.param(ARXIV, "1 of 2 papers have a publication year", id="year_from_arxiv"),
        pytest.param(None, "No publication years in this database", id="no_year_known"),
    ],
)
def test_the_report_draws_values_by_the_sources_year(tmp_path: Path, metadata, expected: str) -> None:
    db = mine(tmp_path, {"arxiv.txt": metadata, "folder.txt": None})
    out = tmp_path / "report.html"
    with open_db(db, read_only=True) as con:
        build_report(con, out, db_name=db.name)
    page = out.read_text(encoding="utf-8")
    assert expected in page
    assert ("values against publication year" in page) == (metadata is not None)
