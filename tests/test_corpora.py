"""Training-example builders: every record is aligned to its passage, and dev papers stay out of train."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from extractors.corpora import (
    _detokenize,
    bandgap_200_gold,
    bandgap_200_papers,
    build_cde_bandgap,
    build_polyie,
)
from extractors.quantities import tag_quantities


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
