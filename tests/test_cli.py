"""The CLI end to end, as a user runs it: output formats, the database, one-line errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROPMINE = [sys.executable, "-m", "flows"]
# What `extract` says on stderr besides errors, off a terminal: the model loading, a paper or a stage starting,
# a paper done (tests/test_first_hour.py checks these lines themselves).
PROGRESS_LINE = re.compile(
    r"^(?:loading the model|(?:\[\d+/\d+\] )?[^:]+: (?:reading|parsing \d+ pages?|\d+ records? .*))$"
)


def error_lines(stderr: str) -> list[str]:
    """The lines of stderr that are not progress; every other line must be progress."""
    return [line for line in stderr.splitlines() if line.strip() and not PROGRESS_LINE.match(line)]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROPMINE, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def text_paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.txt"
    path.write_text(
        "Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis absorption.\n", encoding="utf-8"
    )
    return path


def test_help_lists_the_commands() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("extract", "parse", "quantities"):
        assert command in proc.stdout


def test_extract_jsonl_has_the_record_contract(text_paper: Path, tmp_path: Path) -> None:
    db = tmp_path / "out.duckdb"
    proc = run("extract", str(text_paper), "--extractor", "rules", "--format", "jsonl", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 1
    r = records[0]
    for field in (
        "paper_id",
        "source",
        "material",
        "formula",
        "property",
        "property_text",
        "value",
        "value_max",
        "qualifier",
        "unit",
        "value_canonical",
        "unit_canonical",
        "conditions",
        "method",
        "spans",
        "evidence",
        "credibility",
        "extractor",
    ):
        assert field in r
    assert (r["material"], r["property"], r["value"], r["unit"]) == ("ZnO", "band_gap", 3.37, "eV")
    text = text_paper.read_text(encoding="utf-8")
    assert text[r["spans"]["value"][0] : r["spans"]["value"][1]] == "3.37 eV"
    assert r["conditions"][0]["name"] == "temperature" and r["method"]["kind"] == "experimental"
    assert r["extractor"]["name"] == "rules"
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM records").fetchone() == (1,)


def test_extract_csv(text_paper: Path) -> None:
    proc = run("extract", str(text_paper), "--extractor", "rules", "--format", "csv")
    assert proc.returncode == 0
    header, row = proc.stdout.splitlines()[:2]
    assert "material" in header and "ZnO" in row


def test_quantities_jsonl(text_paper: Path) -> None:
    proc = run("quantities", str(text_paper), "--format", "jsonl")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(q["value"], q["unit"]) for q in rows] == [(3.37, "eV"), (300.0, "K")]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["extract", "/nonexistent/paper.pdf", "--extractor", "rules"], "no such file", 2),
        (["parse", "/nonexistent/paper.pdf"], "no such file", 2),
        (["extract", "PAPER", "--extractor", "rules", "--property", "colour"], "not in the vocabulary", 4),
        (["extract", "PAPER", "--adapter", "/nonexistent/adapter"], "no such directory", 4),
        (["extract", "PAPER", "--base-model", "/tmp"], "not a local Hugging Face model directory", 4),
    ],
    ids=["missing_file", "parse_missing_file", "unknown_property", "missing_adapter", "base_model_not_a_model"],
)
def test_user_mistakes_get_one_line(args: list[str], message: str, code: int, text_paper: Path) -> None:
    proc = run(*[str(text_paper) if a == "PAPER" else a for a in args])
    assert proc.returncode == code
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_file_does_not_stop_the_others(text_paper: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    proc = run("extract", str(bad), str(text_paper), "--extractor", "rules", "--format", "jsonl")
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == 1 and "not a PDF" in proc.stderr


@pytest.mark.skipif(
    shutil.which("propmine") is None and not Path(sys.executable).with_name("propmine").exists(),
    reason="the propmine console script is not installed",
)
def test_console_script_runs() -> None:
    exe = shutil.which("propmine") or str(Path(sys.executable).with_name("propmine"))
    assert subprocess.run([exe, "--help"], capture_output=True, timeout=60).returncode == 0


ZERO_PAGE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.mark.parametrize(
    ("maker", "message"),
    [
        ("make_encrypted", "encrypted"),
        ("make_scanned", "no usable text layer"),
        ("make_truncated", "truncated"),
        ("zero_pages", "no pages"),
        ("long_500", "500 pages is over the limit of 200"),
    ],
    ids=["encrypted", "scanned", "truncated", "zero_pages", "500_pages"],
)
def test_bad_pdfs_write_nothing(samples, tmp_path: Path, text_paper: Path, maker: str, message: str) -> None:
    bad = tmp_path / "bad.pdf"
    if maker == "zero_pages":
        bad.write_bytes(ZERO_PAGE_PDF)
    elif maker == "long_500":
        samples.make_long(bad, pages=500)
    else:
        getattr(samples, maker)(bad)
    db = tmp_path / "out.duckdb"
    proc = run("extract", str(bad), str(text_paper), "--extractor", "rules", "--format", "jsonl", "--db", str(db))
    assert proc.returncode == 2
    lines = error_lines(proc.stderr)
    assert len(lines) == 1 and message in lines[0], proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchone() == (1,)  # the good paper only
    sources = [row[0] for row in con.execute("SELECT source FROM papers").fetchall()]
    assert (
        str(bad) not in sources
        or con.execute("SELECT status FROM papers WHERE source = ?", [str(bad)]).fetchone()[0] == "failed"
    )


def test_sample_paper_demo(sample_pdf: Path) -> None:
    """What `make demo` shows, with the rule-based extractor: the sample's values with their pages."""
    proc = run("extract", str(sample_pdf), "--extractor", "rules", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    got = {(r["material"], r["property"], r["value"]) for r in map(json.loads, proc.stdout.splitlines())}
    assert {("ZnO", "band_gap", 3.37), ("ZnO", "refractive_index", 2.0), ("TiO2", "band_gap", 3.21)} <= got
    assert ("ZnO", "refractive_index", 3.37) not in got  # a table value belongs to its column's property
