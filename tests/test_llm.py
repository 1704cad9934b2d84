"""The LLM extractor: the answer grammar, parsing and retries, grounding, and the real model."""

from __future__ import annotations

import json

import pytest

from extractors.records.decoding import COMPLETE, INVALID, PREFIX, AnswerGrammar, close_truncated
from extractors.records.extractor import PassageProposals
from extractors.records.grounding import ground_proposal
from extractors.records.llm import LLMExtractor, QueuedCompleter, parse_answer, passage_grammar
from schemas.errors import ExtractionError
from schemas.options import SHIPPED_ADAPTER_DIR, ExtractionOptions
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal

INFO = ExtractorInfo(name="llm", base_model="test", prompt_version="extract-v1")
TEXT = "The band gap of anatase TiO2 films is 3.21 eV, while rutile TiO2 has 3.0 eV at 300 K."


def passage(text: str = TEXT, context: str = "", origin: str = "text") -> Passage:
    return Passage(
        passage_id=f"p:0:{len(text)}",
        paper_id="p",
        text=text,
        char_start=0,
        char_end=len(text),
        context=context,
        origin=origin,
    )  # type: ignore[arg-type]


@pytest.fixture
def grammar() -> AnswerGrammar:
    return AnswerGrammar(passage=TEXT, properties=["band_gap"], values=["3.21 eV", "3.0 eV", "300 K"])


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ("[", PREFIX),
        ("[]", COMPLETE),
        ('[{"material": "anatase Ti', PREFIX),
        ('[{"material": "TiO2 films", "property": "band_gap", "value": "3.21 eV"}]', COMPLETE),
        ('[{"material": "GaN', INVALID),
        ('[{"material": "TiO2", "property": "density', INVALID),
        ('[{"material": "TiO2", "property": "band_gap", "value": "3.5 eV"', INVALID),
        (
            '[{"material": "TiO2", "property": "band_gap", "value": "3.21 eV"}, {"material": "TiO2", "property": "band_gap", "value": "3.21 eV"}]',
            INVALID,
        ),
        ("[] trailing", INVALID),
    ],
    ids=[
        "open",
        "empty",
        "material_prefix",
        "one_record",
        "material_not_in_passage",
        "property_not_allowed",
        "value_not_in_passage",
        "value_used_twice",
        "text_after_end",
    ],
)
def test_grammar_states(grammar: AnswerGrammar, answer: str, state: int) -> None:
    assert grammar.check(answer) == state


def test_grammar_unit_from_table_header() -> None:
    row = "GaN | 1.70 | 3.40"
    g = passage_grammar(
        passage(row, context="Table 1. Band gaps | Material | Eg PBE (eV) | Eg exp (eV)", origin="table"), ["band_gap"]
    )
    assert "1.70" in g.values and "1.70" in g.unitless_values and g.units == ["eV"]
    assert g.check('[{"material": "GaN", "property": "band_gap", "value": "1.70", "unit": "eV"}]') == COMPLETE
    assert g.check('[{"material": "GaN", "property": "band_gap", "value": "1.70", "unit": "K"}]') == INVALID
    # The unit is optional: a dimensionless column takes none, and grounding reads a band gap's from the header.
    bare = '[{"material": "GaN", "property": "band_gap", "value": "1.70"}]'
    assert g.check(bare) == COMPLETE
    record = ground_proposal(
        parse_answer(bare)[0],
        passage(row, context="Table 1. Band gaps\nMaterial | Eg PBE (eV) | Eg exp (eV)", origin="table"),
        INFO,
        "test",
    ).record
    assert record is not None and (record.value, record.unit) == (1.70, "eV")


def test_a_value_across_a_line_break_is_written_escaped() -> None:
    p = passage("White-P is insulating with a band gap of about\n1.4 eV at 7 GPa.")
    g = passage_grammar(p, ["band_gap"])
    escaped = '[{"material": "White-P", "property": "band_gap", "value": "about\\n1.4 eV"}]'
    assert g.check(escaped) == COMPLETE
    assert g.check(escaped.replace("\\n", "\n")) == INVALID  # a raw newline inside a JSON string
    [proposal] = parse_answer(escaped)
    assert ground_proposal(proposal, p, INFO, "test").record is not None


def test_close_truncated_keeps_whole_records() -> None:
    cut = '[{"material": "TiO2", "property": "band_gap", "value": "3.21 eV"}, {"material": "Ti'
    assert json.loads(close_truncated(cut)) == [{"material": "TiO2", "property": "band_gap", "value": "3.21 eV"}]
    assert close_truncated('[{"mat') == "[]"


@pytest.mark.parametrize(
    "answer",
    ["not json", '{"material": "TiO2"}', '[{"material": 3}]', "[1, 2]"],
    ids=["not_json", "not_a_list", "number_material", "not_records"],
)
def test_parse_answer_rejects_malformed(answer: str) -> None:
    with pytest.raises(ExtractionError):
        parse_answer(answer)


def test_malformed_output_is_retried_then_recorded() -> None:
    good = '[{"material": "TiO2 films", "property": "band_gap", "value": "3.21 eV"}]'
    retried = LLMExtractor(QueuedCompleter(["garbage", good]), INFO, max_retries=1).propose([passage()])
    assert retried[0].proposals[0].value == "3.21 eV" and retried[0].errors == []
    failing = LLMExtractor(QueuedCompleter(["garbage", "more garbage"]), INFO, max_retries=1).propose([passage()])
    assert failing[0].proposals == [] and "not JSON" in failing[0].errors[0]
    assert failing[0].raw_output == "more garbage"


def test_grounding_keeps_a_real_value_with_spans() -> None:
    p = passage()
    g = ground_proposal(Proposal(material="TiO2 films", property="band_gap", value="3.21 eV"), p, INFO, "test")
    r = g.record
    assert r is not None and g.rejected is None
    assert (r.value, r.unit, r.value_canonical, r.formula) == (3.21, "eV", 3.21, "O2Ti")
    assert TEXT[r.spans.value[0] : r.spans.value[1]] == "3.21 eV"
    assert TEXT[r.spans.material[0] : r.spans.material[1]] == "TiO2 films"
    assert TEXT[r.spans.property[0] : r.spans.property[1]] == "band gap"


@pytest.mark.parametrize(
    ("proposal", "reason"),
    [
        (Proposal(material="TiO2", property="band_gap", value="3.5 eV"), "not found"),
        (Proposal(material="GaN", property="band_gap", value="3.21 eV"), "material"),
        (Proposal(material="TiO2", property="band_gap", value="300 K"), "does not fit"),
        (Proposal(material="TiO2", property="colour", value="3.21 eV"), "unknown property"),
    ],
    ids=["planted_hallucinated_value", "material_not_in_passage", "wrong_dimension", "unknown_property"],
)
def test_grounding_rejects(proposal: Proposal, reason: str) -> None:
    g = ground_proposal(proposal, passage(), INFO, "test")
    assert g.record is None and g.rejected is not None and reason in g.rejected.reason


@pytest.mark.slow
def test_real_model_extracts_a_band_gap() -> None:
    extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm", env={}))
    result: list[PassageProposals] = extractor.propose([passage("The band gap of TiO2 is 3.2 eV.")], {"band_gap"})
    assert [(p.material, p.property, p.value) for p in result[0].proposals] == [("TiO2", "band_gap", "3.2 eV")]


@pytest.mark.slow
def test_lora_smoke_adapter_changes_base_does_not(tmp_path) -> None:
    import torch
    from safetensors.torch import load_file

    from extractors.learning.training import TrainConfig, train_adapter
    from extractors.records.model import load_model

    loaded = load_model(adapter=None)

    data = tmp_path / "train.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(i),
                    "passage": {"text": f"The band gap of TiO2 is 3.{i} eV.", "context": ""},
                    "properties": ["band_gap"],
                    "records": [{"material": "TiO2", "property": "band_gap", "value": f"3.{i} eV"}],
                }
            )
            for i in range(4)
        )
    )
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    card = train_adapter(
        data, tmp_path / "adapter", TrainConfig(max_steps=2, batch_size=2, lora_r=4), progress=False, loaded=loaded
    )
    weights = load_file(tmp_path / "adapter" / "adapter_model.safetensors")
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in weights.items()), "lora_B starts at zero and must move"
    trained = loaded.model.state_dict()  # LoRA layers now wrap the base: its weights sit under base_layer
    base_after = {
        k.replace("base_model.model.", "", 1).replace(".base_layer", ""): v
        for k, v in trained.items()
        if "lora_" not in k
    }
    assert set(before) == set(base_after)
    assert all(torch.equal(before[k], base_after[k]) for k in before), "the base weights must not change"
    assert card["steps"] == 2 and (tmp_path / "adapter" / "loss.jsonl").read_text().count("\n") == 2


@pytest.mark.slow
def test_a_local_model_directory_loads_and_answers_within_the_grammar(tmp_path, monkeypatch) -> None:
    """--base-model DIR: any local causal LM (here a tiny random-weight Llama built from a config).

    The model comes from PROPMINE_BASE_MODEL and PROPMINE_ADAPTER names the shipped adapter: `--adapter none`
    must win over the environment, and the shipped SmolLM2 adapter must never be put on another base model
    (on this tiny model it would not even load).
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from extractors.records.model import converted_embedded_dir
    from schemas.settings import Settings

    tokenizer = AutoTokenizer.from_pretrained(converted_embedded_dir(Settings.from_env()))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
    )
    model_dir = tmp_path / "tiny-llama"
    LlamaForCausalLM(config).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)

    monkeypatch.setenv("PROPMINE_BASE_MODEL", str(model_dir))
    assert ExtractionOptions.resolve().adapter is None, "no shipped adapter on another base model"
    monkeypatch.setenv("PROPMINE_ADAPTER", str(SHIPPED_ADAPTER_DIR))
    extractor = LLMExtractor.from_options(ExtractionOptions.resolve(extractor="llm", adapter="none"))
    assert extractor.info.base_model == str(model_dir) and extractor.info.adapter is None
    assert not hasattr(extractor.completer.loaded.model, "peft_config"), "--adapter none loads no adapter"
    [result] = extractor.propose([passage()], {"band_gap"})
    # Random weights write nonsense, but the grammar holds them to passage text: the answer parses.
    assert result.errors == [] and json.loads(result.raw_output or "") is not None
    assert all(p.material in TEXT and p.value in ("3.21 eV", "3.0 eV", "300 K") for p in result.proposals)
