"""Training-example builders: every record is aligned to its passage, and dev papers stay out of train."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from extractors.learning.corpora import (
    BUILDERS,
    NEGATIVES_PER_POSITIVE,
    SOFC_PROPERTIES,
    _detokenize,
    bandgap_200_gold,
    bandgap_200_papers,
    build_cde_bandgap,
    build_grobid_quantities,
    build_measeval,
    build_polyie,
    build_sofc_exp,
)
from extractors.quantities.tagger import tag_quantities
from schemas.vocabulary import load_vocabulary


def test_detokenize_keeps_offsets() -> None:
    tokens = ["PCE", "(", "%", ")", "of", "3.8", "%", ",", "high"]
    text, spans = _detokenize(tokens)
    assert text == "PCE (%) of 3.8%, high"
    assert [text[s:e] for s, e in spans] == tokens


def _check_aligned(examples: list[dict]) -> None:
    assert examples
    for ex in examples:
        text = ex["passage"]["text"]
        tagged = {q.text for q in tag_quantities(text)}
        for r in ex["records"]:
            assert r["material"] in text, (ex["id"], r)
            assert r["value"] in tagged, (ex["id"], r, tagged)


def test_cde_examples_are_aligned(corpus: Path) -> None:
    _check_aligned(list(islice(build_cde_bandgap(corpus), 60)))


def test_polyie_examples_are_aligned(corpus: Path) -> None:
    examples = list(islice(build_polyie(corpus), 80))
    _check_aligned(examples)
    assert any(r["property"] == "power_conversion_efficiency" for ex in examples for r in ex["records"])


def test_bandgap_200_dev_split(corpus: Path) -> None:
    papers = bandgap_200_papers(corpus)
    dev = {p["doi"] for p in papers if p["split"] == "dev"}
    train = {p["doi"] for p in papers if p["split"] == "train"}
    assert dev and train and not dev & train
    assert abs(len(dev) / len(papers) - 1 / 3) < 0.05
    gold = bandgap_200_gold(corpus, "dev")
    assert {g["id"] for g in gold} == dev and sum(len(g["records"]) for g in gold) > 20


def _check_papers_apart(examples: list[dict]) -> None:
    dev = {ex["paper"] for ex in examples if ex["split"] == "dev"}
    train = {ex["paper"] for ex in examples if ex["split"] == "train"}
    assert dev and train and not dev & train


def _check_properties(examples: list[dict]) -> None:
    names = set(load_vocabulary().names)
    for ex in examples:
        assert set(ex["properties"]) <= names, ex["id"]
        assert {r["property"] for r in ex["records"]} <= set(ex["properties"]), ex["id"]


@pytest.fixture(scope="module")
def sofc_examples(corpus: Path) -> list[dict]:
    return list(build_sofc_exp(corpus))


@pytest.mark.parametrize("name", ["measeval", "sofc_exp"])
def test_span_corpus_examples(corpus: Path, sofc_examples: list[dict], name: str) -> None:
    examples = sofc_examples if name == "sofc_exp" else list(build_measeval(corpus))
    _check_aligned(examples)
    _check_properties(examples)
    _check_papers_apart(examples)
    assert any(ex["records"] for ex in examples)


def test_measeval_keeps_only_vocabulary_properties(corpus: Path) -> None:
    records = [r for ex in build_measeval(corpus) for r in ex["records"]]
    assert {
        "material": "unmodified epoxy polymer",
        "property": "youngs_modulus",
        "value": "3.19 ± 0.10 GPa",
        "unit": None,
    } in records


def test_sofc_slots_resolve_to_their_vocabulary_property() -> None:
    vocab = load_vocabulary()
    assert all(vocab.resolve(slot.replace("_", " ")) == prop for slot, prop in SOFC_PROPERTIES.items())
    # "power density" reads as (mass) density to the vocabulary: the slot must stay out.
    assert "power_density" not in SOFC_PROPERTIES


def test_sofc_negatives_are_sampled_per_positive(sofc_examples: list[dict]) -> None:
    negatives = [ex for ex in sofc_examples if not ex["records"]]
    assert negatives and len(negatives) <= NEGATIVES_PER_POSITIVE * (len(sofc_examples) - len(negatives))


def test_grobid_quantities_makes_no_examples(corpus: Path) -> None:
    assert list(build_grobid_quantities(corpus)) == []
    assert BUILDERS["grobid-quantities"] is build_grobid_quantities
