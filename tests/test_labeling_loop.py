"""The fine-tuning loop end to end: extract -> review in the labeling app -> export -> train an
adapter -> evaluate it -> load it in the extractor. Uses the real embedded model (slow)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from extractors.learning import evaluation
from extractors.learning.training import TrainConfig, read_examples, train_adapter
from extractors.pipeline import extract_paper
from flows.store import open_db, write_paper
from labeling.app import create_app
from labeling.cli import label_app
from schemas.options import ExtractionOptions
from schemas.record import ExtractorInfo

PAPERS = {
    "znse.txt": "Optical constants of ZnSe\n\nResults\n\n"
    "The band gap of ZnSe was measured by ellipsometry at 1.96 eV photon energy. It is 2.70 eV at room temperature.\n",
    "gan.txt": "Excitons in GaN\n\nResults\n\n"
    "The band gap of GaN is 3.40 eV, and its exciton binding energy is 25 meV.\n\n"
    "The thermal conductivity of GaN is 230 W/(m K) at 300 K.\n",
    "cdte.txt": "CdTe absorbers\n\nResults\n\n"
    "The band gap of CdTe is 1.50 eV, measured with a 2.33 eV laser. The Curie temperature of CrI3 is 61 K.\n",
}
GOLD = [
    {
        "id": "znse",
        "text": "The band gap of ZnSe is 2.70 eV at room temperature.",
        "records": [{"material": "ZnSe", "property": "band_gap", "value": 2.70, "unit": "eV"}],
    },
    {
        "id": "gan",
        "text": "The band gap of GaN is 3.40 eV.",
        "records": [{"material": "GaN", "property": "band_gap", "value": 3.40, "unit": "eV"}],
    },
]


@pytest.mark.slow
def test_labels_train_an_adapter_that_extracts_grounded_records(tmp_path: Path) -> None:
    from extractors.records.llm import LLMExtractor, QueuedCompleter
    from extractors.records.model import load_model

    # 1. A model's records in a database: a fake model whose answers (one per candidate passage) make the
    #    mistakes a reviewer corrects: a photon energy and a laser taken for band gaps, a gap taken for an
    #    exciton binding energy.
    def said(*records: tuple[str, str, str]) -> str:
        return json.dumps([{"material": m, "property": p, "value": v} for m, p, v in records])

    answers = {
        "znse.txt": [said(("ZnSe", "band_gap", "1.96 eV"))],
        "gan.txt": [
            said(("GaN", "exciton_binding_energy", "3.40 eV"), ("GaN", "exciton_binding_energy", "25 meV")),
            said(("GaN", "thermal_conductivity", "230 W/(m K)")),
        ],
        "cdte.txt": [
            said(
                ("CdTe", "band_gap", "1.50 eV"), ("CdTe", "band_gap", "2.33 eV"), ("CrI3", "curie_temperature", "61 K")
            )
        ],
    }
    info = ExtractorInfo(name="llm", base_model="fake", prompt_version="extract-v1")
    db = tmp_path / "papers.duckdb"
    with open_db(db) as con:
        for name, text in PAPERS.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
            fake = LLMExtractor(QueuedCompleter(answers[name]), info)
            write_paper(con, extract_paper(tmp_path / name, fake))

    # 2. A reviewer works through the queue in the app.
    client = TestClient(
        create_app(db, allowed_hosts=["127.0.0.1"], default_who="reviewer"), base_url="http://127.0.0.1"
    )
    page = client.get("/queue")
    client.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    queue = client.get("/api/queue").json()["queue"]
    decided = {}
    for entry in queue:
        state = client.get(f"/api/passage/{entry['passage_id']}").json()
        for item in state["items"]:
            f = item["fields"]
            body = {"passage_id": entry["passage_id"], "item_id": item["item_id"], "version": item["version"]}
            if f["value"] == "1.96 eV":  # the photon energy, not the gap: correct the value
                body |= {"action": "correct", "fields": {"value": "2.70 eV"}}
            elif f["value"] == "3.40 eV":  # the model took it for the exciton binding energy: correct the property
                body |= {"action": "correct", "fields": {"property": "band_gap"}}
            elif f["value"] == "2.33 eV":  # the laser, not the gap
                body |= {"action": "reject"}
            else:
                body |= {"action": "accept"}
            answer = client.post("/api/label", json=body)
            assert answer.status_code == 200, answer.text
            decided[f["value"]] = body["action"]
        if not state["items"]:
            assert (
                client.post("/api/label", json={"passage_id": entry["passage_id"], "action": "done"}).status_code == 200
            )
    assert decided == {
        "1.96 eV": "correct",
        "3.40 eV": "correct",
        "25 meV": "accept",
        "230 W/(m K)": "accept",
        "1.50 eV": "accept",
        "2.33 eV": "reject",
        "61 K": "accept",
    }
    assert client.get("/api/queue").json()["progress"]["reviewed"] == len(queue)

    # 3. Export the fine-tuning data.
    data = tmp_path / "labels.jsonl"
    result = CliRunner().invoke(label_app, ["export", "--db", str(db), "--out", str(data)])
    assert result.exit_code == 0, result.output
    examples = read_examples(data)
    records = {(r["material"], r["property"], r["value"]) for ex in examples for r in ex["records"]}
    assert ("ZnSe", "band_gap", "2.70 eV") in records and ("GaN", "band_gap", "3.40 eV") in records
    assert not any(r[2] in ("1.96 eV", "2.33 eV") for r in records)

    # 4. Train an adapter on it (two steps: the loop, not the quality, is under test).
    loaded = load_model(adapter=None)
    adapter = tmp_path / "adapter-from-labels"
    card = train_adapter(data, adapter, TrainConfig(max_steps=2, batch_size=2, lora_r=4), progress=False, loaded=loaded)
    assert card["steps"] == 2 and card["data"]["examples"] == len(examples)
    assert (adapter / "adapter_model.safetensors").is_file()
    del loaded

    # 5. Load it the way `propmine extract --adapter DIR` does, and evaluate it against a tiny gold.
    extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm", adapter=str(adapter), env={}))
    assert extractor.info.adapter == "adapter-from-labels" and extractor.info.adapter_sha256

    written = []

    def run(path: Path):
        extracted = extract_paper(path, extractor, properties={"band_gap"})
        written.extend((path.read_text(encoding="utf-8"), record) for record in extracted.records)
        return extracted.records, len(extracted.rejected)

    report = evaluation.evaluate(run, GOLD, {"band_gap"})
    assert report.papers == 2
    assert report.predicted >= 1, "the tuned model should still find the band gaps"
    assert report.hallucinated == 0 and report.overall.tp >= 1
    # Every record it wrote is grounded: its value span in the source text holds its number.
    for text, record in written:
        start, end = record.spans.value
        assert f"{record.value:g}" in text[start:end]
        assert record.material in text and record.extractor.adapter == "adapter-from-labels"

    # 6. `propmine eval` puts the new adapter beside the previous one (the shipped default).
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(item) for item in GOLD), encoding="utf-8")
    scores = tmp_path / "scores.json"
    compared = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows",
            "eval",
            "--gold",
            str(gold),
            "--adapter",
            str(adapter),
            "--adapter",
            "default",
            "--no-rules",
            "--report",
            str(scores),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert compared.returncode == 0, compared.stderr
    side_by_side = json.loads(scores.read_text(encoding="utf-8"))
    assert set(side_by_side) == {"adapter adapter-from-labels", "adapter default"}
    assert all(s["papers"] == 2 and s["hallucination_rate"] == 0.0 for s in side_by_side.values())
    assert "adapter adapter-from-labels" in compared.stdout and "adapter default" in compared.stdout
