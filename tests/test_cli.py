"""The CLI end to end, as a user runs it: output formats, the database, one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

PROPMINE = [sys.executable, "-m", "flows"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROPMINE, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def text_paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.txt"
    path.write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis absorption.\n", encoding="utf-8")
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
    for field in ("paper_id", "source", "material", "formula", "property", "property_text", "value", "value_max",
                  "qualifier", "unit", "value_canonical", "unit_canonical", "conditions", "method", "spans",
                  "evidence", "credibility", "extractor"):
        assert field in r
    assert (r["material"], r["property"], r["value"], r["unit"]) == ("ZnO", "band_gap", 3.37, "eV")
    text = text_paper.read_text(encoding="utf-8")
    assert text[r["spans"]["value"][0]:r["spans"]["value"][1]] == "3.37 eV"
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


@pytest.mark.parametrize(("args", "message", "code"), [
    (["extract", "/nonexistent/paper.pdf", "--extractor", "rules"], "no such file", 2),
    (["parse", "/nonexistent/paper.pdf"], "no such file", 2),
    (["extract", "PAPER", "--extractor", "rules", "--property", "colour"], "not in the vocabulary", 4),
    (["extract", "PAPER", "--adapter", "/nonexistent/adapter"], "no such directory", 4),
], ids=["missing_file", "parse_missing_file", "unknown_property", "missing_adapter"])
def test_user_mistakes_get_one_line(args: list[str], message: str, code: int, text_paper: Path) -> None:
    proc = run(*[str(text_paper) if a == "PAPER" else a for a in args])
    assert proc.returncode == code
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_bad_file_does_not_stop_the_others(text_paper: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    proc = run("extract", str(bad), str(text_paper), "--extractor", "rules", "--format", "jsonl")
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == 1 and "not a PDF" in proc.stderr


@pytest.mark.skipif(shutil.which("propmine") is None and not Path(sys.executable).with_name("propmine").exists(),
                    reason="the propmine console script is not installed")
def test_console_script_runs() -> None:
    exe = shutil.which("propmine") or str(Path(sys.executable).with_name("propmine"))
    assert subprocess.run([exe, "--help"], capture_output=True, timeout=60).returncode == 0
