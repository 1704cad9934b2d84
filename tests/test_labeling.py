"""The labeling UI's routes in process: queue order, highlights, labels with concurrency and undo,
security (CSRF, escaping, access token), the fine-tuning exports and the Label Studio round trip."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from extractors.learning.training import read_examples
from extractors.pipeline import extract_paper
from extractors.quantities.tagger import tag_quantities
from extractors.records.extractor import RuleExtractor
from flows.store import open_db, write_paper
from labeling.app import create_app
from labeling.cli import label_app
from labeling.database import open_labels_db
from labeling.labelstudio import label_config
from schemas.tables import SCHEMA_VERSION

PAPER = """Optical and thermal properties of oxide films

Results

The band gap of anatase TiO2 films is 3.21 eV at 300 K, while rutile TiO2 has a band gap of about 3.0 eV, as reported by Doe et al. [2]. The thermal conductivity of Bi2Te3 is 1.5 W/(m K).

The ZnO nanorods have a band gap of 3.37 eV. The tags <script>alert("x")</script> and <b>bold</b> were left in by the converter.

The band gap of the perovskite film was 1.55 eV after annealing.

The optical gap 𝐸g of CdS is 2.42 eV.
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def built_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database made the way `propmine extract --extractor rules --db` makes one."""
    folder = tmp_path_factory.mktemp("labeling")
    paper = folder / "oxides.txt"
    paper.write_text(PAPER, encoding="utf-8")
    db = folder / "built.duckdb"
    result = extract_paper(paper, RuleExtractor())
    # The perovskite value is the miss a reviewer adds in these tests: take it out of what the rules found.
    result.records = [r for r in result.records if r.material != "perovskite"]
    assert len(result.records) == 5
    with open_db(db) as con:
        write_paper(con, result)
    return db


@pytest.fixture
def db(built_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "labels.duckdb"
    shutil.copy(built_db, copy)
    return copy


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def passage_id(db: Path, words: str) -> str:
    return rows(db, "SELECT passage_id FROM passages WHERE text LIKE ?", [f"%{words}%"])[0][0]


def record_id(db: Path, value: float) -> str:
    return rows(db, "SELECT record_id FROM records WHERE value = ?", [value])[0][0]


def client(db: Path, who: str = "alice", **kwargs) -> TestClient:
    """A browser-like client that has loaded a page (so it holds the CSRF cookie and token)."""
    c = TestClient(
        create_app(db, allowed_hosts=["127.0.0.1", "localhost"], default_who=who, **kwargs), base_url="http://127.0.0.1"
    )
    page = c.get("/queue")
    assert page.status_code == 200
    c.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return c


def label(c: TestClient, pid: str, item: str | None, action: str, version: int = 0, **fields) -> dict:
    body = {"passage_id": pid, "item_id": item, "action": action, "version": version}
    if fields:
        body["fields"] = fields
    return c.post("/api/label", json=body)


def item_of(c: TestClient, pid: str, item: str) -> dict:
    return next(it for it in c.get(f"/api/passage/{pid}").json()["items"] if it["item_id"] == item)


# ---------------------------------------------------------------- queue and page


def test_queue_puts_possible_misses_and_least_credible_records_first(db: Path) -> None:
    c = client(db)
    queue = c.get("/api/queue").json()["queue"]
    doubts = [q["doubt"] for q in queue]
    assert doubts == sorted(doubts, reverse=True)
    first = queue[0]
    assert first["kind"] == "possible miss" and first["passage_id"] == passage_id(db, "perovskite")
    with_records = [q for q in queue if q["kind"] == "records"]
    assert [q["min_credibility"] for q in with_records] == sorted(q["min_credibility"] for q in with_records)
    assert with_records[0]["passage_id"] == passage_id(db, "anatase")  # its rutile value is second-hand and approximate
    assert all(
        q["passage_id"] != passage_id(db, "Optical and thermal") for q in queue
    )  # no quantity: nothing to review
    page = c.get("/queue?show=all").text
    assert page.index("perovskite") < page.index("anatase")


class Marks(HTMLParser):
    """The passage text's highlighted segments: (classes, text) in order."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.current: list[str] | None = None
        self.marks: list[tuple[set[str], str]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if attrs.get("id") == "passage-text":
            self.inside = 1
        elif self.inside and tag == "span":
            self.current = (attrs.get("class") or "").split()

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "div":
            self.inside = 0
        if self.inside and tag == "span":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data
            if self.current:
                self.marks.append((set(self.current), data))


def page_marks(c: TestClient, pid: str) -> Marks:
    parser = Marks()
    parser.feed(c.get(f"/passage/{pid}").text)
    return parser


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        pytest.param("hl-material", "ZnO", id="material"),
        pytest.param("hl-property", "band gap", id="property"),
        pytest.param("hl-value", "3.37 ", id="value_number"),
        pytest.param("hl-unit", "eV", id="unit_inside_value"),
    ],
)
def test_each_part_of_a_record_is_highlighted(db: Path, kind: str, text: str) -> None:
    marks = page_marks(client(db), passage_id(db, "ZnO nanorods"))
    assert any(kind in classes and chunk == text for classes, chunk in marks.marks), marks.marks


def test_the_page_shows_the_passage_text_exactly(db: Path) -> None:
    pid = passage_id(db, "ZnO nanorods")
    marks = page_marks(client(db), pid)
    assert marks.text == rows(db, "SELECT text FROM passages WHERE passage_id = ?", [pid])[0][0]


def test_each_record_shows_its_credibility_score_and_reasons(db: Path) -> None:
    page = client(db).get(f"/passage/{passage_id(db, 'anatase')}").text
    assert "0.31" in page and "quoted from another paper" in page
    assert 'value="0.31"' in page


def test_markup_in_a_paper_is_shown_as_text(db: Path) -> None:
    c = client(db)
    page = c.get(f"/passage/{passage_id(db, 'ZnO nanorods')}").text
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;script&gt;" in c.get("/queue?show=all").text
    assert "script-src 'self'" in c.get("/queue").headers["content-security-policy"]


# ---------------------------------------------------------------- labels


def test_accept_is_stored_at_once_with_who_and_when(db: Path) -> None:
    c = client(db)
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    answer = label(c, pid, rid, "accept")
    assert answer.status_code == 200, answer.text
    assert answer.json()["progress"]["decided"] == 1
    assert item_of(c, pid, rid)["status"] == "accepted" and item_of(c, pid, rid)["version"] == 1
    stored = rows(db, "SELECT action, who, labeled_at IS NOT NULL, version, label_id FROM labels")
    assert stored == [("accept", "alice", True, 1, f"{rid}@1")]


def test_reject_then_passage_is_reviewed(db: Path) -> None:
    c = client(db)
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    assert label(c, pid, rid, "reject").status_code == 200
    state = c.get(f"/api/passage/{pid}").json()
    assert state["reviewed"] and state["items"][0]["status"] == "rejected"
    assert "hl-rejected" in c.get(f"/passage/{pid}").text


def test_credible_flag_is_its_own_label(db: Path) -> None:
    c = client(db)
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    assert label(c, pid, rid, "not_credible").status_code == 200
    assert label(c, pid, rid, "accept", 1).status_code == 200
    item = item_of(c, pid, rid)
    assert item["credible"] is False and item["status"] == "accepted" and item["version"] == 2


def test_edit_a_value_to_another_quantity_of_the_passage(db: Path) -> None:
    c = client(db)
    pid, rid = passage_id(db, "anatase"), record_id(db, 3.0)
    text = rows(db, "SELECT text, char_start FROM passages WHERE passage_id = ?", [pid])[0]
    start = text[0].index("3.21")
    # The reviewer selected "3.21" only: the selection is widened to the whole quantity.
    answer = label(
        c,
        pid,
        rid,
        "correct",
        value="3.21",
        value_start=start,
        material="TiO2",
        material_start=text[0].index("TiO2", text[0].index("rutile")),
    )
    assert answer.status_code == 200, answer.text
    item = item_of(c, pid, rid)
    assert item["status"] == "corrected"
    assert item["fields"]["value"] == "3.21 eV"
    assert item["fields"]["value_span"] == [text[1] + start, text[1] + start + len("3.21 eV")]
    assert item["fields"]["material_span"][0] == text[1] + text[0].index("TiO2", text[0].index("rutile"))
    assert rows(db, "SELECT action, fields->>'value' FROM labels") == [("correct", "3.21 eV")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"value": "3.25 eV"}, "not a quantity in this passage", id="value_not_in_passage"),
        pytest.param({"value": "300 K"}, "does not fit band_gap", id="unit_does_not_fit"),
        pytest.param({"material": "SrTiO3"}, "not in the passage text", id="material_not_in_passage"),
        pytest.param({"property": "colour"}, "not in the vocabulary", id="unknown_property"),
        pytest.param({"value": ""}, "value is empty", id="empty_value"),
    ],
)
def test_an_edit_the_model_could_not_learn_is_refused(db: Path, fields: dict, message: str) -> None:
    c = client(db)
    pid, rid = passage_id(db, "anatase"), record_id(db, 3.21)
    answer = label(c, pid, rid, "correct", **fields)
    assert answer.status_code == 422 and message in answer.json()["error"]
    assert rows(db, "SELECT count(*) FROM labels") == [(0,)]


def test_add_a_record_from_a_selection(db: Path) -> None:
    c = client(db)
    pid = passage_id(db, "perovskite")
    text = rows(db, "SELECT text FROM passages WHERE passage_id = ?", [pid])[0][0]
    answer = label(
        c,
        pid,
        None,
        "add",
        material="perovskite",
        material_start=text.index("perovskite"),
        property="band gap",
        value="1.55",
        value_start=text.index("1.55"),
    )
    assert answer.status_code == 200, answer.text
    items = answer.json()["passage"]["items"]
    assert [
        (it["status"], it["fields"]["material"], it["fields"]["property"], it["fields"]["value"]) for it in items
    ] == [("added", "perovskite", "band_gap", "1.55 eV")]
    assert any("hl-value" in cls and chunk.startswith("1.55") for cls, chunk in page_marks(c, pid).marks)
    again = label(c, pid, None, "add", material="perovskite", property="band_gap", value="1.55 eV")
    assert again.status_code == 409 and "already there" in again.json()["error"]


def test_undo_takes_back_the_last_label_and_keeps_both_rows(db: Path) -> None:
    c = client(db)
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    label(c, pid, rid, "accept")
    answer = c.post("/api/undo", json={})
    assert answer.status_code == 200, answer.text
    assert answer.json()["undone"]["action"] == "accept"
    item = item_of(c, pid, rid)
    assert item["status"] == "open" and item["version"] == 2
    assert rows(db, "SELECT action, undoes FROM labels ORDER BY version") == [("accept", None), ("undo", f"{rid}@1")]
    assert c.post("/api/undo", json={}).status_code == 422  # nothing left to undo


def test_undo_of_an_added_record_removes_it(db: Path) -> None:
    c = client(db)
    pid = passage_id(db, "perovskite")
    label(c, pid, None, "add", material="perovskite", property="band_gap", value="1.55 eV")
    assert c.post("/api/undo", json={}).status_code == 200
    assert c.get(f"/api/passage/{pid}").json()["items"] == []


def test_a_stale_version_gets_409_and_loses_nothing(db: Path) -> None:
    alice, bob = client(db, "alice"), client(db, "bob")
    assert bob.post("/api/who", json={"name": "bob"}).status_code == 200
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    seen = item_of(bob, pid, rid)["version"]
    assert label(alice, pid, rid, "accept", seen).status_code == 200
    stale = label(bob, pid, rid, "reject", seen)
    assert stale.status_code == 409
    assert "alice accepted it" in stale.json()["error"] and "reload" in stale.json()["error"]
    assert item_of(bob, pid, rid)["status"] == "accepted"
    fresh = label(bob, pid, rid, "reject", item_of(bob, pid, rid)["version"])
    assert fresh.status_code == 200
    assert rows(db, "SELECT who, action FROM labels ORDER BY version") == [("alice", "accept"), ("bob", "reject")]


def test_two_writes_at_the_same_moment_store_one_and_refuse_the_other(db: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    alice, bob = client(db, "alice"), client(db, "bob")
    bob.post("/api/who", json={"name": "bob"})
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda c_action: label(c_action[0], pid, rid, c_action[1], 0), [(alice, "accept"), (bob, "reject")]
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert rows(db, "SELECT count(*) FROM labels") == [(1,)]


def test_adding_what_the_model_proposed_is_refused(db: Path) -> None:
    c = client(db)
    answer = label(c, passage_id(db, "ZnO nanorods"), None, "add", material="ZnO", property="band_gap", value="3.37 eV")
    assert answer.status_code == 422 and "accept it instead" in answer.json()["error"]


def test_undo_after_someone_else_labeled_is_refused(db: Path) -> None:
    alice, bob = client(db, "alice"), client(db, "bob")
    bob.post("/api/who", json={"name": "bob"})
    pid, rid = passage_id(db, "ZnO nanorods"), record_id(db, 3.37)
    label(alice, pid, rid, "accept")
    label(bob, pid, rid, "not_credible", 1)
    answer = alice.post("/api/undo", json={})
    assert answer.status_code == 409 and "bob" in answer.json()["error"]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="no_token"),
        pytest.param("forged.0123456789abcdef0123456789abcdef", id="forged_token"),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(db: Path, header: str | None) -> None:
    c = client(db)
    if header is None:
        del c.headers["X-CSRF-Token"]
    else:
        c.headers["X-CSRF-Token"] = header
    answer = label(c, passage_id(db, "ZnO nanorods"), record_id(db, 3.37), "accept")
    assert answer.status_code == 403 and "CSRF" in answer.json()["error"]
    assert rows(db, "SELECT count(*) FROM labels") == [(0,)]


def test_a_csrf_token_from_another_server_is_refused(db: Path) -> None:
    first, second = client(db), client(db)
    second.cookies.set("pm_csrf", first.cookies.get("pm_csrf"))
    second.headers["X-CSRF-Token"] = first.headers["X-CSRF-Token"]
    assert label(second, passage_id(db, "ZnO nanorods"), record_id(db, 3.37), "accept").status_code == 403


def test_passage_done_needs_every_record_decided(db: Path) -> None:
    c = client(db)
    pid = passage_id(db, "ZnO nanorods")
    refused = label(c, pid, None, "done")
    assert refused.status_code == 422 and "still need accept or reject" in refused.json()["error"]
    miss = passage_id(db, "perovskite")
    assert label(c, miss, None, "done").status_code == 200
    assert c.get(f"/api/passage/{miss}").json()["reviewed"]


def test_next_skips_reviewed_passages(db: Path) -> None:
    c = client(db)
    queue = [q["passage_id"] for q in c.get("/api/queue").json()["queue"]]
    assert c.get(f"/api/passage/{queue[1]}").json()["items"]
    for item in c.get(f"/api/passage/{queue[1]}").json()["items"]:
        label(c, queue[1], item["item_id"], "accept", item["version"])
    answer = c.get(f"/next?after={queue[0]}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith(queue[2].replace(":", "%3A"))


# ---------------------------------------------------------------- access


def test_an_access_token_is_required_when_set(db: Path) -> None:
    token = "s3cret-token-for-tests-only"
    c = TestClient(create_app(db, token=token), base_url="http://10.0.0.5")
    assert c.get("/queue").status_code == 401
    assert c.get("/queue", headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert c.get("/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    moved = c.get(f"/queue?show=all&token={token}", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/queue?show=all"
    assert c.get("/queue").status_code == 200  # the token now rides in a cookie


def test_a_loopback_server_refuses_foreign_host_names(db: Path) -> None:
    c = TestClient(create_app(db, allowed_hosts=["127.0.0.1", "localhost"]), base_url="http://attacker.example")
    assert c.get("/queue").status_code == 400


def test_serving_beyond_localhost_generates_a_token(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: started.update(app=app, **kw))
    result = runner.invoke(label_app, ["serve", "--db", str(db), "--host", "0.0.0.0", "--port", "9999"])
    assert result.exit_code == 0, result.output
    token = started["app"].state.settings.token
    assert token and len(token) >= 16 and f"?token={token}" in result.output
    assert started["host"] == "0.0.0.0" and started["port"] == 9999
    local = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: local.update(app=app, **kw))
    runner.invoke(label_app, ["serve", "--db", str(db)])
    assert local["host"] == "127.0.0.1" and local["app"].state.settings.token is None


# ---------------------------------------------------------------- exports


def label_some(db: Path) -> None:
    """Accept, correct, reject and add, as a reviewer would."""
    c = client(db)
    anatase = passage_id(db, "anatase")
    text = rows(db, "SELECT text FROM passages WHERE passage_id = ?", [anatase])[0][0]
    assert label(c, anatase, record_id(db, 3.21), "accept").status_code == 200
    assert (
        label(
            c,
            anatase,
            record_id(db, 3.0),
            "correct",
            material="TiO2",
            material_start=text.index("TiO2", text.index("rutile")),
        ).status_code
        == 200
    )
    assert label(c, passage_id(db, "Bi2Te3"), record_id(db, 1.5), "accept").status_code == 200
    zno = passage_id(db, "ZnO nanorods")
    assert label(c, zno, record_id(db, 3.37), "reject").status_code == 200
    miss = passage_id(db, "perovskite")
    assert label(c, miss, None, "add", material="perovskite", property="band_gap", value="1.55 eV").status_code == 200
    assert label(c, miss, None, "done").status_code == 200
    # CdS: left unreviewed


def test_export_writes_what_propmine_train_reads(db: Path, tmp_path: Path) -> None:
    label_some(db)
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(label_app, ["export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    examples = read_examples(out)
    assert len(examples) == 4 and not any("CdS" in ex["passage"]["text"] for ex in examples)  # CdS is unreviewed
    anatase = next(ex for ex in examples if "anatase" in ex["passage"]["text"])
    assert anatase["records"] == [
        {"material": "anatase TiO2", "property": "band_gap", "value": "3.21 eV", "unit": None},
        {"material": "TiO2", "property": "band_gap", "value": "about 3.0 eV", "unit": None},
    ]
    assert anatase["properties"] == ["band_gap"] and anatase["corpus"] == "labels"
    bi2te3 = next(ex for ex in examples if "Bi2Te3" in ex["passage"]["text"])
    assert bi2te3["records"] == [
        {"material": "Bi2Te3", "property": "thermal_conductivity", "value": "1.5 W/(m K)", "unit": None}
    ]
    zno = next(ex for ex in examples if "ZnO" in ex["passage"]["text"])
    assert zno["records"] == [] and zno["properties"] == ["band_gap"]
    perovskite = next(ex for ex in examples if "perovskite" in ex["passage"]["text"])
    assert perovskite["records"] == [
        {"material": "perovskite", "property": "band_gap", "value": "1.55 eV", "unit": None}
    ]
    assert perovskite["labeled_by"] == ["alice"]
    for ex in examples:
        quantities = {q.text for q in tag_quantities(ex["passage"]["text"], include_unitless=True)}
        for record in ex["records"]:
            assert record["value"] in quantities and record["material"] in ex["passage"]["text"]
    assert "1 queued passages not fully reviewed yet" in result.output


def test_the_download_matches_the_cli_export(db: Path, tmp_path: Path) -> None:
    label_some(db)
    c = client(db)
    download = c.get("/export.jsonl")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    out = tmp_path / "cli.jsonl"
    runner.invoke(label_app, ["export", "--db", str(db), "--out", str(out)])
    assert download.text == out.read_text(encoding="utf-8")


def test_hf_export_is_a_dataset_with_a_card(db: Path, tmp_path: Path) -> None:
    from datasets import Dataset

    label_some(db)
    out = tmp_path / "hf"
    for _ in range(2):  # a second export replaces the first
        result = runner.invoke(label_app, ["export", "--db", str(db), "--hf", str(out)])
        assert result.exit_code == 0, result.output
    shards = sorted((out / "data").glob("*.parquet"))
    rows_read = [row for shard in shards for row in Dataset.from_parquet(str(shard))]
    assert len(rows_read) == 4
    assert {r["records"][0]["value"] for r in rows_read if r["records"]} == {"3.21 eV", "1.5 W/(m K)", "1.55 eV"}
    card = (out / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "configs:" in card and "| records | 4 |" in card
    assert json.loads((out / ".propmine-export.json").read_text())["kind"] == "propmine-labels"


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        pytest.param(
            lambda tmp: (tmp / "papers").mkdir() or (tmp / "papers" / "notes.txt").write_text("mine"),
            ["--hf", "papers"],
            "not an earlier",
            id="foreign_directory",
        ),
        pytest.param(
            lambda tmp: (tmp / "notes.jsonl").write_text('{"mine": 1}\n'),
            ["--out", "notes.jsonl"],
            "not an earlier propmine export",
            id="foreign_file",
        ),
        pytest.param(
            lambda tmp: (tmp / "a").mkdir(),
            ["--out", "a/../../escape.jsonl"],
            "leads out of the working directory",
            id="dotdot_escape",
        ),
        pytest.param(
            lambda tmp: (tmp / "elsewhere").mkdir() or (tmp / "link").symlink_to(tmp / "elsewhere"),
            ["--hf", "link"],
            "symbolic link",
            id="symlink_directory",
        ),
        pytest.param(lambda tmp: (tmp / "adir").mkdir(), ["--out", "adir"], "is a directory", id="out_is_a_directory"),
    ],
)
def test_exports_refuse_to_write_outside_the_chosen_path(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make, args: list[str], message: str
) -> None:
    label_some(db)
    work = tmp_path / "work"
    work.mkdir()
    make(work)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    monkeypatch.chdir(work)
    result = runner.invoke(label_app, ["export", "--db", str(db), *args])
    assert result.exit_code != 0 and message in str(result.exception)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_force_writes_into_a_foreign_directory_without_deleting(db: Path, tmp_path: Path) -> None:
    label_some(db)
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = runner.invoke(label_app, ["export", "--db", str(db), "--hf", str(folder), "--force"])
    assert result.exit_code == 0, result.output
    assert (folder / "notes.txt").read_text() == "mine" and (folder / "README.md").is_file()


def test_dotdot_that_stays_inside_is_fine(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    label_some(db)
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(label_app, ["export", "--db", str(db), "--out", "a/../inside.jsonl"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "inside.jsonl").is_file()


def test_nothing_reviewed_is_an_input_error(db: Path, tmp_path: Path) -> None:
    result = runner.invoke(label_app, ["export", "--db", str(db), "--out", str(tmp_path / "x.jsonl")])
    assert result.exit_code != 0 and "no reviewed passages" in str(result.exception)


# ---------------------------------------------------------------- Label Studio


def test_ls_export_writes_tasks_with_spans_and_relations(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "tasks.json"
    result = runner.invoke(
        label_app, ["ls-export", "--db", str(db), "--out", str(out), "--config", str(tmp_path / "config.xml")]
    )
    assert result.exit_code == 0, result.output
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert len(tasks) == 5  # the queue: every passage with a record or a quantity
    cds = next(t for t in tasks if "CdS" in t["data"]["text"])
    text = cds["data"]["text"]
    regions = {r["id"]: r for r in cds["predictions"][0]["result"] if r["type"] == "labels"}
    assert {r["value"]["labels"][0] for r in regions.values()} == {"Material", "Property", "Value"}
    for r in regions.values():
        # Label Studio counts UTF-16 units: the mathematical E before the value is two of them.
        start = len(text.encode("utf-16-le")[: 2 * r["value"]["start"]].decode("utf-16-le"))
        assert text[start : start + len(r["value"]["text"])] == r["value"]["text"]
    value = next(r for r in regions.values() if r["value"]["labels"] == ["Value"])
    assert value["value"]["text"] == "2.42 eV" and value["value"]["start"] == text.index("2.42") + 1
    relations = [r for r in cds["predictions"][0]["result"] if r["type"] == "relation"]
    assert {
        (regions[r["from_id"]]["value"]["labels"][0], regions[r["to_id"]]["value"]["labels"][0]) for r in relations
    } == {("Material", "Value"), ("Property", "Value")}
    choice = next(r for r in cds["predictions"][0]["result"] if r["type"] == "choices")
    assert choice["id"] == value["id"] and choice["value"]["choices"] == ["band_gap"]
    assert '<Choices name="property" toName="text" perRegion="true"' in (tmp_path / "config.xml").read_text()
    assert '<Label value="Value"' in label_config()


def as_label_studio_export(tasks: list[dict], edit) -> list[dict]:
    """Tasks as Label Studio's JSON export writes them after annotation (the documented full format)."""
    exported = []
    for n, task in enumerate(tasks, 1):
        result = [dict(r, origin="prediction") for r in task["predictions"][0]["result"]]
        result = edit(task, result)
        annotation = {
            "id": 100 + n,
            "completed_by": {"id": 7, "email": "carol@example.org", "first_name": "", "last_name": ""},
            "result": result,
            "was_cancelled": result is None,
            "ground_truth": False,
            "created_at": "2026-11-20T10:00:00.000000Z",
            "updated_at": "2026-11-20T10:01:00.000000Z",
            "draft_created_at": None,
            "lead_time": 12.5,
            "prediction": {},
            "result_count": 0,
            "unique_id": f"u{n}",
            "import_id": None,
            "last_action": None,
            "task": n,
            "project": 3,
            "updated_by": 7,
            "parent_prediction": 1,
            "parent_annotation": None,
            "last_created_by": None,
        }
        if result is None:
            annotation["result"] = []
        exported.append(
            {
                "id": n,
                "annotations": [annotation],
                "file_upload": "tasks.json",
                "drafts": [],
                "predictions": [
                    {
                        "id": n,
                        "model_version": task["predictions"][0]["model_version"],
                        "created_ago": "1 hour",
                        "result": task["predictions"][0]["result"],
                        "score": task["predictions"][0]["score"],
                        "cluster": None,
                        "neighbors": None,
                        "mislabeling": 0.0,
                        "created_at": "2026-11-20T09:00:00Z",
                        "updated_at": "2026-11-20T09:00:00Z",
                        "model": None,
                        "model_run": None,
                        "task": n,
                        "project": 3,
                    }
                ],
                "data": task["data"],
                "meta": {},
                "created_at": "2026-11-20T09:00:00Z",
                "updated_at": "2026-11-20T10:01:00Z",
                "inner_id": n,
                "total_annotations": 1,
                "cancelled_annotations": 0,
                "total_predictions": 1,
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 3,
                "updated_by": 7,
                "comment_authors": [],
            }
        )
    return exported


def annotate(task: dict, result: list[dict]) -> list[dict] | None:
    """What an annotator does: keep the TiO2/Bi2Te3 records, delete the ZnO value, add the perovskite value,
    cancel the CdS task."""
    text = task["data"]["text"]
    if "ZnO" in text:
        dropped = {r["id"] for r in result if r.get("value", {}).get("labels") == ["Value"]}
        return [r for r in result if r.get("id") not in dropped and r.get("to_id") not in dropped]
    if "perovskite" in text:
        start, end = text.index("1.55"), text.index("1.55") + len("1.55 eV")
        m0 = text.index("perovskite")
        return result + [
            {
                "id": "newV",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {"start": start, "end": end, "text": text[start:end], "labels": ["Value"]},
            },
            {
                "id": "newM",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {"start": m0, "end": m0 + 10, "text": "perovskite", "labels": ["Material"]},
            },
            {
                "id": "newV",
                "from_name": "property",
                "to_name": "text",
                "type": "choices",
                "origin": "manual",
                "value": {"start": start, "end": end, "text": text[start:end], "choices": ["band_gap"]},
            },
            {"from_id": "newM", "to_id": "newV", "type": "relation", "direction": "right", "labels": []},
        ]
    if "CdS" in text:
        return None
    return result


def test_label_studio_round_trip(db: Path, tmp_path: Path) -> None:
    tasks_file = tmp_path / "tasks.json"
    assert runner.invoke(label_app, ["ls-export", "--db", str(db), "--out", str(tasks_file)]).exit_code == 0
    export = tmp_path / "project-3-at-2026-11-20.json"
    export.write_text(
        json.dumps(as_label_studio_export(json.loads(tasks_file.read_text()), annotate)), encoding="utf-8"
    )
    result = runner.invoke(label_app, ["ls-import", "--db", str(db), "--file", str(export)])
    assert result.exit_code == 0, result.output
    assert "4 passages imported" in result.output and "1 skipped" in result.output  # CdS was cancelled
    labels = rows(
        db, "SELECT l.action, l.who, l.via, l.fields->>'value' FROM labels l ORDER BY l.passage_id, l.version"
    )
    assert {(a, v) for a, _, _, v in labels} >= {
        ("accept", "3.21 eV"),
        ("reject", "3.37 eV"),
        ("add", "1.55 eV"),
        ("done", None),
    }
    assert {w for _, w, _, _ in labels} == {"label-studio:carol@example.org"} and {v for _, _, v, _ in labels} == {
        "label-studio"
    }
    again = runner.invoke(label_app, ["ls-import", "--db", str(db), "--file", str(export)])
    assert "0 passages imported" in again.output and "4 unchanged" in again.output
    out = tmp_path / "labels.jsonl"
    assert runner.invoke(label_app, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    examples = {ex["passage"]["text"][:20]: ex["records"] for ex in read_examples(out)}
    assert len(examples) == 4 and [] in examples.values()
    assert any(
        r == [{"material": "perovskite", "property": "band_gap", "value": "1.55 eV", "unit": None}]
        for r in examples.values()
    )


def test_a_label_studio_correction_of_a_material_becomes_a_correct_label(db: Path, tmp_path: Path) -> None:
    tasks_file = tmp_path / "tasks.json"
    runner.invoke(label_app, ["ls-export", "--db", str(db), "--out", str(tasks_file)])

    def fix_rutile(task: dict, result: list[dict]) -> list[dict] | None:
        text = task["data"]["text"]
        if "rutile" not in text:
            return None
        at = text.index("TiO2", text.index("rutile"))
        value = next(r for r in result if r["type"] == "labels" and r["value"]["text"] == "about 3.0 eV")
        result = [
            r
            for r in result
            if not (r["type"] == "relation" and r["to_id"] == value["id"] and r["from_id"].startswith("m"))
        ]
        return result + [
            {
                "id": "rutileM",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": at, "end": at + 4, "text": "TiO2", "labels": ["Material"]},
            },
            {"from_id": "rutileM", "to_id": value["id"], "type": "relation", "direction": "right", "labels": ["of"]},
        ]

    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(as_label_studio_export(json.loads(tasks_file.read_text()), fix_rutile)), encoding="utf-8"
    )
    assert runner.invoke(label_app, ["ls-import", "--db", str(db), "--file", str(export)]).exit_code == 0
    actions = dict(rows(db, "SELECT record_id, action FROM labels WHERE record_id IS NOT NULL"))
    assert actions[record_id(db, 3.0)] == "correct" and actions[record_id(db, 3.21)] == "accept"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("not json", "not JSON", id="not_json"),
        pytest.param('[{"text": "a"}]', "not a Label Studio JSON export", id="json_min_shape"),
    ],
)
def test_ls_import_refuses_what_is_not_a_label_studio_export(
    db: Path, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = runner.invoke(label_app, ["ls-import", "--db", str(db), "--file", str(bad)])
    assert result.exit_code != 0 and message in str(result.exception)


# ---------------------------------------------------------------- schema


def test_a_version_2_database_is_migrated_and_keeps_its_labels(db: Path) -> None:
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE labels")
    con.execute(
        "CREATE TABLE labels (label_id VARCHAR PRIMARY KEY, record_id VARCHAR, paper_id VARCHAR, passage_id VARCHAR, "
        "action VARCHAR, fields JSON, who VARCHAR, labeled_at TIMESTAMP DEFAULT current_timestamp, version INTEGER DEFAULT 1)"
    )
    con.execute("INSERT INTO labels (label_id, record_id, action, who) VALUES ('old-1', 'r1', 'accept', 'dave')")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with open_labels_db(db) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert con.execute("SELECT label_id, who, undoes, via FROM labels").fetchall() == [
            ("old-1", "dave", None, None)
        ]
    with open_db(db) as con:  # and the writer agrees
        assert con.execute("SELECT count(*) FROM labels").fetchone() == (1,)


def test_a_missing_database_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        label_app, ["export", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code != 0 and "no such database" in str(result.exception)
