"""`propmine report` and `propmine export` over a small mined database: what a user opens and loads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from flows.cli_data import register
from flows.export import ExportFormat, conditions_key, export_training_table
from flows.report import build_report, evidence_segments
from flows.store import open_db
from schemas.errors import InputError
from schemas.storage import EXPORT_MANIFEST as MANIFEST

PAPERS = {
    "tio2_uvvis": "Results\n\nThe band gap of anatase TiO2 films is 3.21 eV, measured by UV-vis absorption at 300 K.\n",
    "tio2_pbe": "Methods\n\nWe used DFT with the PBE functional.\n\nResults\n\nOur PBE calculations give a band gap of 1.85 eV for TiO2 at 300 K.\n",
    # The same condition in other units: 26.85 °C is 300 K, so this record joins the group above.
    "tio2_celsius": "Results\n\nThe band gap of TiO2 is 3.2 eV at 26.85 °C, from UV-vis absorption.\n",
    "tio2_cold": "Results\n\nAt 10 K the band gap of rutile TiO2 single crystals is 3.03 eV, measured by photoluminescence.\n",
    "gan": "Results\n\nThe band gap of GaN single crystals is 3.4 eV, measured by photoluminescence.\n",
    "zno": "Results\n\nThe optical band gap of ZnO nanorods is 3370 meV from UV-vis spectra.\n",
    "bst": "Results\n\nThe Curie temperature of Ba0.5Sr0.5TiO3 ceramics is 250 K, from dielectric measurements.\n",
    "cds": "Results\n\nThe band gap of CdS <script>alert('x')</script> films is 2.42 eV, measured by UV-vis.\n",
}


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory, mine_text_papers) -> Path:
    return mine_text_papers(tmp_path_factory.mktemp("mined"), PAPERS)


@pytest.fixture
def db(mined: Path, tmp_path: Path) -> Path:
    """A private copy of the mined database, for tests that add labels, flags or years."""
    copy = tmp_path / "db" / "copy.duckdb"
    copy.parent.mkdir()
    shutil.copy(mined, copy)
    return copy


def add_labels(db: Path, labels: list[tuple[str, str, str]]) -> None:
    """labels: (label_id, source stem of the record, action); 'undo:LABEL' takes that label back."""
    with open_db(db) as con:
        for label_id, stem, action in labels:
            found = con.execute("SELECT record_id FROM records WHERE source LIKE ?", [f"%{stem}.txt"]).fetchone()
            assert found is not None, stem
            undoes = action.removeprefix("undo:") if action.startswith("undo:") else None
            con.execute(
                "INSERT INTO labels (label_id, record_id, action, version, undoes) VALUES (?, ?, ?, ?, ?)",
                [label_id, found[0], "undo" if undoes else action, 2 if undoes else 1, undoes],
            )


def report_text(db: Path, out: Path, **kwargs) -> str:
    with open_db(db, read_only=True) as con:
        build_report(con, out, db_name=db.name, **kwargs)
    return out.read_text(encoding="utf-8")


def test_report_is_one_self_contained_page_with_escaped_evidence(mined: Path, tmp_path: Path) -> None:
    out = tmp_path / "site" / "report.html"
    page = report_text(mined, out)
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]
    assert not re.search(r"https?://", page, re.IGNORECASE)
    assert "<link" not in page and not re.search(r"""src="(?!data:image/png;base64,)""", page)
    assert page.count("<img") >= 3
    # The paper's <script> is text on the page; the only script element is the page's own.
    assert "CdS</mark> &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; films" in page
    assert page.count("<script") == 1
    assert '<mark class="value" title="value">3.21 eV</mark>' in page
    assert '<mark class="material" title="material">TiO2</mark>' in page
    assert "page unknown (not a PDF)" in page
    assert page.count('class="card"') == len(PAPERS)
    # papers from a folder carry no publication year, and none is guessed
    assert "No publication years in this database" in page and "No accept/reject labels yet" in page


@pytest.mark.parametrize(
    ("text", "start", "spans", "expected"),
    [
        (
            "Eg of TiO2 is 3.2 eV.",
            100,
            {"value": [114, 120], "material": [106, 110], "property": [100, 102]},
            [
                ("Eg", "property"),
                (" of ", None),
                ("TiO2", "material"),
                (" is ", None),
                ("3.2 eV", "value"),
                (".", None),
            ],
        ),
        ("a <b> 3 eV", 0, {"value": [6, 10]}, [("a <b> ", None), ("3 eV", "value")]),
        ("3 eV here", 0, {"value": [0, 4], "material": [50, 60]}, [("3 eV", "value"), (" here", None)]),
        ("Eg 3 eV", 0, {"value": [3, 7], "material": [0, 4]}, [("Eg 3", "material"), (" eV", None)]),
        ("<i>x</i>", 0, {}, [("<i>x</i>", None)]),
    ],
    ids=[
        "three_spans_offset_into_source",
        "markup_kept_as_text",
        "span_outside_ignored",
        "overlap_keeps_first",
        "no_spans",
    ],
)
def test_evidence_segments(text: str, start: int, spans: dict, expected: list) -> None:
    assert evidence_segments(text, start, spans) == expected


def test_report_escapes_the_title_and_the_database_name(mined: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    with open_db(mined, read_only=True) as con:
        build_report(con, out, db_name="<db>.duckdb", evidence_limit=0, title='Band gaps <script>"x"</script>')
    page = out.read_text(encoding="utf-8")
    assert "<title>Band gaps &lt;script&gt;&#34;x&#34;&lt;/script&gt;</title>" in page
    assert "Database &lt;db&gt;.duckdb" in page and page.count("<script") == 1
    assert "No records to show." in page and "None" not in page


def test_report_shows_calibration_outliers_and_years_where_known(db: Path, tmp_path: Path) -> None:
    add_labels(
        db,
        [
            ("a@1", "tio2_uvvis", "accept"),
            ("b@1", "tio2_pbe", "reject"),
            ("c@1", "gan", "reject"),
            ("c@2", "gan", "undo:c@1"),
        ],
    )
    with open_db(db) as con:
        con.execute("""UPDATE records SET credibility = json_merge_patch(credibility, '{"features": {"outlier": 1.0}}')
                       WHERE source LIKE '%tio2_pbe.txt'""")
        con.execute("UPDATE papers SET year = 2019 WHERE source LIKE '%tio2%'")  # as an arXiv search gives it
    page = report_text(db, tmp_path / "report.html", evidence_limit=4)
    assert "2 records with an accept or reject label" in page and "Brier score" in page
    assert "Records flagged as outliers: 1" in page
    assert "4 of 8 papers have a publication year" in page
    cards = re.findall(r'<article class="card".*?</article>', page, re.DOTALL)
    assert len(cards) == 4 and "outlier</span>" in cards[0] and "1.85 eV" in cards[0]


def cli(*args: str):
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, list(args))


def test_cli_report(mined: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("report", "--db", str(mined), "--out", str(out), "--evidence-limit", "3")
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count('class="card"') == 3
    refused = cli("report", "--db", str(mined), "--out", str(tmp_path))
    assert isinstance(refused.exception, InputError) and "is a directory" in str(refused.exception)


def read_export(out: Path, format: str) -> list[dict]:
    if format == "parquet":
        return pq.read_table(out / "data.parquet").to_pylist()
    if format == "csv":
        return duckdb.sql(f"SELECT * FROM read_csv('{out / 'data.csv'}', header=true)").to_arrow_table().to_pylist()
    import datasets

    return datasets.load_from_disk(str(out)).to_list()


@pytest.mark.parametrize("format", ["parquet", "csv", "hf"], ids=["parquet", "csv", "hf"])
def test_export_one_row_per_material_property_conditions(
    mined: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, format: ExportFormat
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf_home" / "datasets"))
    out = tmp_path / "export"
    with open_db(mined, read_only=True) as con:
        summary = export_training_table(con, out, format, db_name="mined.duckdb")
    rows = read_export(out, format)
    keys = [(r["material_key"], r["property"], r["conditions_key"] or "") for r in rows]
    assert len(keys) == len(set(keys)) == summary.n_rows == 6
    tio2 = {r["conditions_key"]: r for r in rows if r["material_key"] == "O2Ti"}
    room = tio2["temperature=300 K"]
    # Three records for TiO2 at room temperature: the measured 3.21 eV is kept over the PBE 1.85 eV,
    # and the 3.2 eV at 26.85 °C agrees with it.
    assert (room["value"], room["unit"], room["n_records"], room["n_agree"], room["n_disagree"]) == (
        3.21,
        "eV",
        3,
        2,
        1,
    )
    other = room["other_values"] if format != "csv" else json.loads(room["other_values"])
    assert other == [1.85]
    assert room["source"].endswith("tio2_uvvis.txt") and room["evidence_text"].startswith(
        "The band gap of anatase TiO2"
    )
    assert len(room["paper_id"]) == 64 and room["record_id"] and room["method_kind"] == "experimental"
    assert tio2["temperature=10 K"]["value"] == 3.03
    zno = next(r for r in rows if r["material_key"] == "OZn")
    assert (zno["value"], zno["unit"], zno["value_as_written"], zno["unit_as_written"]) == (3.37, "eV", 3370.0, "meV")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "one per (material, property, conditions)" in card and "Rows whose records disagree: 1" in card
    assert "| band_gap | eV | 5 |" in card
    assert not (tmp_path / "hf_home").exists()  # nothing cached outside the chosen directory
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


@pytest.mark.parametrize(
    ("labels", "min_credibility", "expected"),
    [
        ([("a@1", "tio2_uvvis", "reject")], 0.0, (3.2, 2, 1, 1)),
        ([("a@1", "tio2_uvvis", "reject"), ("a@2", "tio2_uvvis", "undo:a@1")], 0.0, (3.21, 3, 2, 0)),
        ([], 0.5, (3.21, 2, 2, 0)),
    ],
    ids=["rejected_record_left_out", "undone_reject_counts_again", "min_credibility_drops_the_pbe_value"],
)
def test_export_leaves_out_rejected_and_less_credible_records(
    db: Path, tmp_path: Path, labels: list, min_credibility: float, expected: tuple
) -> None:
    add_labels(db, labels)
    with open_db(db, read_only=True) as con:
        summary = export_training_table(
            con, tmp_path / "out", "parquet", db_name="copy", min_credibility=min_credibility
        )
    room = next(
        r
        for r in pq.read_table(tmp_path / "out" / "data.parquet").to_pylist()
        if r["material_key"] == "O2Ti" and r["conditions_key"] == "temperature=300 K"
    )
    assert (room["value"], room["n_records"], room["n_agree"], summary.n_rejected) == expected


def test_export_again_replaces_its_own_files(mined: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open_db(mined, read_only=True) as con:
        export_training_table(con, out, "parquet", db_name="m")
        export_training_table(con, out, "csv", db_name="m")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "README.md", "data.csv"]


def _foreign_dir(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")


def _readme_link(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"files": ["data.parquet", "README.md"]}), encoding="utf-8")
    (out / "README.md").symlink_to(outside)


def _manifest_escape(out: Path, outside: Path) -> None:
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"files": [f"../{outside.name}"]}), encoding="utf-8")


def _out_is_file(out: Path, outside: Path) -> None:
    out.write_text("x", encoding="utf-8")


def _out_is_link(out: Path, outside: Path) -> None:
    out.symlink_to(outside.parent)


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (_foreign_dir, "not an earlier propmine export"),
        (_readme_link, "is a link"),
        (_manifest_escape, "outside the directory"),
        (_out_is_file, "is a file"),
        (_out_is_link, "symbolic link"),
    ],
    ids=[
        "not_empty_foreign_dir",
        "symlinked_readme_points_outside",
        "manifest_names_a_parent_file",
        "out_is_a_file",
        "out_is_a_symlink",
    ],
)
def test_export_never_writes_outside_the_chosen_path(mined: Path, tmp_path: Path, prepare, message: str) -> None:
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    prepare(out, outside)
    with pytest.raises(InputError, match=message), open_db(mined, read_only=True) as con:
        export_training_table(con, out, "parquet", db_name="m")
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_cli_export(mined: Path, tmp_path: Path) -> None:
    result = cli(
        "export", "--db", str(mined), "--format", "hf", "--out", str(tmp_path / "ds"), "--property", "band gap"
    )
    assert result.exit_code == 0, result.output
    import datasets

    ds = datasets.load_from_disk(str(tmp_path / "ds"))
    assert set(ds["property"]) == {"band_gap"} and ds.num_rows == 5
    assert (tmp_path / "ds" / "README.md").is_file()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            '[{"name": "temperature", "value": 300.0, "unit": "K", "text": "300 K"}]',
            '[{"name": "temperature", "value": 26.85, "unit": "°C", "text": "room temperature (26.85 °C)"}]',
            True,
        ),
        (
            '[{"name": "temperature", "value": 300.0, "unit": "K", "text": "300 K"}]',
            '[{"name": "temperature", "value": 10.0, "unit": "K", "text": "10 K"}]',
            False,
        ),
        (
            '[{"name": "pressure", "value": 1, "unit": "GPa", "text": "1 GPa"}, {"name": "temperature", "value": 300, "unit": "K", "text": "300 K"}]',
            '[{"name": "temperature", "value": 300, "unit": "K", "text": "300 K"}, {"name": "pressure", "value": 10, "unit": "kbar", "text": "10 kbar"}]',
            True,
        ),
        ("[]", None, True),
    ],
    ids=["celsius_equals_kelvin", "different_temperature", "order_and_units_do_not_matter", "none_is_empty"],
)
def test_conditions_key(a: str, b: str | None, same: bool) -> None:
    assert (conditions_key(a) == conditions_key(b)) is same
