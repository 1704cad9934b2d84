"""Run options: resolved once (flags over environment over defaults), the same on every command."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.errors import ConfigError
from schemas.options import SHIPPED_ADAPTER_DIR, ExtractionOptions

RUN_OPTIONS = {"--extractor", "--base-model", "--adapter", "--property", "--max-pages", "--figures"}


def test_defaults_are_the_rules_and_the_digitizer() -> None:
    """The rules are the default extractor: the shipped adapter did not win on the unseen gold splits."""
    options = ExtractionOptions.resolve(env={})
    assert options.extractor == "rules" and options.base_model is None and options.adapter is None
    assert options.figure_reader == "digitizer" and options.max_pages == 200 and options.properties is None
    assert ExtractionOptions() == options, "a bare object and a resolved one agree on the defaults"


@pytest.mark.parametrize(
    ("flags", "env"),
    [
        pytest.param({"extractor": "llm"}, {}, id="asked_by_name"),
        pytest.param({"adapter": "default"}, {}, id="an_adapter_asks_for_the_model"),
        pytest.param({"adapter": "none"}, {}, id="no_adapter_is_the_bare_model"),
        pytest.param({}, {"PROPMINE_ADAPTER": "default"}, id="adapter_from_the_environment"),
    ],
)
def test_the_model_is_used_when_asked_or_when_an_adapter_is_named(flags: dict, env: dict) -> None:
    options = ExtractionOptions.resolve(**flags, env=env)
    assert options.extractor == "llm" and options.base_model is None
    expected = None if flags.get("adapter") == "none" else str(SHIPPED_ADAPTER_DIR)
    assert options.adapter == expected


@pytest.mark.parametrize(
    ("flags", "env", "expected"),
    [
        pytest.param({"adapter": "none"}, {"PROPMINE_ADAPTER": "ADAPTER"}, None, id="flag_none_beats_env"),
        pytest.param({}, {"PROPMINE_ADAPTER": "none"}, None, id="env_none"),
        pytest.param({}, {"PROPMINE_ADAPTER": "ADAPTER"}, "ADAPTER", id="env_adapter"),
        pytest.param({"adapter": "default"}, {"PROPMINE_ADAPTER": "ADAPTER"}, "SHIPPED", id="flag_default_beats_env"),
        pytest.param({}, {"PROPMINE_BASE_MODEL": "MODEL"}, None, id="no_shipped_adapter_on_another_base"),
        pytest.param({"base_model": "MODEL"}, {}, None, id="no_shipped_adapter_on_flag_base"),
        pytest.param({"base_model": "MODEL"}, {"PROPMINE_ADAPTER": "ADAPTER"}, "ADAPTER", id="own_adapter_on_own_base"),
    ],
)
def test_adapter_resolution(tmp_path, flags: dict, env: dict, expected: str | None) -> None:
    names = {"ADAPTER": tmp_path / "adapter", "MODEL": tmp_path / "model", "SHIPPED": SHIPPED_ADAPTER_DIR}
    for key in ("ADAPTER", "MODEL"):
        names[key].mkdir()
    fill = {k: str(v) for k, v in names.items()}
    options = ExtractionOptions.resolve(
        **{k: fill.get(v, v) for k, v in flags.items()}, env={k: fill.get(v, v) for k, v in env.items()}
    )
    assert options.adapter == (fill[expected] if expected else None)


def test_flags_beat_environment_beats_defaults() -> None:
    env = {"PROPMINE_EXTRACTOR": "rules", "PROPMINE_MAX_PAGES": "12", "PROPMINE_FIGURE_READER": "none"}
    from_env = ExtractionOptions.resolve(env=env)
    assert (from_env.extractor, from_env.max_pages, from_env.figure_reader) == ("rules", 12, None)
    from_flags = ExtractionOptions.resolve(extractor="none", max_pages=3, figure_reader="digitizer", env=env)
    assert (from_flags.extractor, from_flags.max_pages, from_flags.figure_reader) == ("none", 3, "digitizer")


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        pytest.param(None, None, id="parse_only_reads_no_plots_by_default"),
        pytest.param("digitizer", "digitizer", id="named_reader_reads_plots"),
    ],
)
def test_parse_only_runs_read_plots_only_when_asked(figures: str | None, expected: str | None) -> None:
    assert ExtractionOptions.resolve(extractor="none", figure_reader=figures, env={}).figure_reader == expected


def test_rules_and_parse_only_runs_carry_no_model() -> None:
    options = ExtractionOptions.resolve(extractor="rules", adapter="whatever", env={"PROPMINE_BASE_MODEL": "x"})
    assert options.base_model is None and options.adapter is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param({"extractor": "gpt"}, "--extractor gpt", id="unknown_extractor"),
        pytest.param({"adapter": "/no/such/adapter"}, "no such directory", id="missing_adapter"),
        pytest.param({"base_model": "/no/such/model"}, "no such directory", id="missing_base_model"),
        pytest.param({"properties": ["flux capacitance"]}, "not in the vocabulary", id="unknown_property"),
        pytest.param({"figure_reader": "ocr"}, "--figures ocr", id="unknown_figure_reader"),
    ],
)
def test_bad_options_are_one_clear_error(flags: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        ExtractionOptions.resolve(**flags, env={})


def test_properties_are_canonical_and_sorted() -> None:
    options = ExtractionOptions.resolve(extractor="rules", properties=["Curie temperature", "Band gap"], env={})
    assert options.properties == ["band_gap", "curie_temperature"]
    assert options.property_set == {"band_gap", "curie_temperature"}


def test_options_survive_json_as_a_flow_parameter() -> None:
    options = ExtractionOptions.resolve(adapter="none", properties=["band_gap"], env={})
    again = ExtractionOptions.model_validate(json.loads(options.model_dump_json()))
    assert again == options and again.adapter is None, "a dumped 'no adapter' stays no adapter"


def test_key_changes_with_what_decides_the_records() -> None:
    base = ExtractionOptions.resolve(extractor="rules", env={})
    assert base.key() == ExtractionOptions.resolve(extractor="rules", max_pages=5, env={}).key()
    others = [
        ExtractionOptions.resolve(extractor="rules", properties=["band_gap"], env={}),
        ExtractionOptions.resolve(extractor="rules", figure_reader="none", env={}),
        ExtractionOptions.resolve(extractor="llm", env={}),
        ExtractionOptions.resolve(extractor="llm", adapter="none", env={}),
    ]
    assert len({base.key(), *(o.key() for o in others)}) == 5


@pytest.mark.parametrize("command", ["extract", "batch", "serve"])
def test_every_extracting_command_takes_the_same_run_options(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    shown = set(re.findall(r"--[a-z][a-z-]+", result.output))
    assert shown >= RUN_OPTIONS, f"{command} lacks {RUN_OPTIONS - shown}"
