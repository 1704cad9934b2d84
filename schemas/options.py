"""ExtractionOptions: every option of an extraction run, resolved once and passed whole.

The CLI (extract, batch, serve, eval), the Prefect flows (a flow parameter) and the pipeline take
the same object. `ExtractionOptions.resolve` is the one place where defaults are decided: a flag
wins over the environment (PROPMINE_EXTRACTOR, PROPMINE_BASE_MODEL, PROPMINE_ADAPTER,
PROPMINE_FIGURE_READER, PROPMINE_MAX_PAGES), the environment over the defaults, and the word
`none` means none wherever it is given. Its `key()` says what decides a paper's records: a batch
re-run with the same key skips the papers it has done.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.credibility import DEFAULT_RULES
from schemas.errors import ConfigError
from schemas.settings import DATA_DIR

ExtractorName = Literal["llm", "rules", "none"]
EXTRACTORS: tuple[str, ...] = ("llm", "rules", "none")
SHIPPED_ADAPTER_DIR = DATA_DIR / "adapters" / "default"
DEFAULT_PROMPT_VERSION = "extract-v1"
DEFAULT_MAX_PAGES = 200
_NONE_WORDS = {"none", "no", "off", ""}


class ExtractionOptions(BaseModel):
    """The options of one extraction run; JSON-safe (a Prefect parameter, a run's row in DuckDB)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    extractor: ExtractorName = Field(
        default="rules",
        description="rules (the default: the rule-based extractor), llm (base model + LoRA adapter, with the rules' "
        "checks; the default where a base model or an adapter is named) or none (parse and store passages)",
    )
    base_model: str | None = Field(
        default=None, description="A local Hugging Face model directory; None for the embedded SmolLM2-135M-Instruct"
    )
    adapter: str | None = Field(default=None, description="A LoRA adapter directory; None for the bare base model")
    prompt_version: str = Field(default=DEFAULT_PROMPT_VERSION, description="The prompt template (data/prompts)")
    properties: list[str] | None = Field(
        default=None, description="Canonical property names to extract (sorted); None for every property"
    )
    max_pages: int = Field(default=DEFAULT_MAX_PAGES, ge=1, description="PDFs with more pages are refused")
    figure_reader: str | None = Field(
        default="digitizer", description="digitizer, vlm:DIR (a local vision-language model), or None: plots not read"
    )

    @classmethod
    def resolve(
        cls,
        *,
        extractor: str | None = None,
        base_model: str | None = None,
        adapter: str | None = None,
        properties: list[str] | None = None,
        max_pages: int | None = None,
        figure_reader: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ExtractionOptions:
        """Options from flags (None: not given), then the environment (PROPMINE_*), then the defaults.

        Raises:
            ConfigError: an unknown extractor, property or figure reader, or a model or adapter folder
                that does not exist.
        """
        env = os.environ if env is None else env
        flags = {
            "extractor": extractor,
            "base_model": base_model,
            "adapter": adapter,
            "properties": properties or None,
            "max_pages": max_pages,
            "figure_reader": figure_reader,
        }
        given: dict[str, object] = {}
        for name, flag in flags.items():
            value = flag if flag is not None else (env.get(f"PROPMINE_{name.upper()}") or None)
            if value is not None:
                given[name] = value
        if isinstance(given.get("properties"), str):  # PROPMINE_PROPERTIES=band_gap,curie_temperature
            given["properties"] = [p for p in str(given["properties"]).split(",") if p.strip()]
        return cls.model_validate(given)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: object) -> object:
        """Words to values and the defaults that depend on other options, however the object is made.

        An absent option takes its default; a present None (or 'none') means none. So a dump of resolved
        options validates to the same options, and `ExtractionOptions()` equals `resolve()` with an empty
        environment.
        """
        if not isinstance(data, Mapping):
            return data
        values = dict(data)
        # The rules are the default: on every unseen gold split measured, the shipped adapter added nothing they
        # do not find, or false records, at 14-150 times the cost (the adapter card's kfold_scores). Naming a
        # model or an adapter asks for the model.
        asks_model = "base_model" in values or "adapter" in values
        name = str(values.get("extractor") or ("llm" if asks_model else "rules")).strip().lower()
        if name not in EXTRACTORS:
            raise ConfigError(f"--extractor {name}: use llm, rules or none")
        values["extractor"] = name
        if name != "llm":  # a model and an adapter mean nothing to the rules or to a parse-only run
            values["base_model"] = values["adapter"] = None
        else:
            base = _word(values.get("base_model"))
            base = None if base is None or base.lower() in ("default", "embedded") else base
            if base is not None and not Path(base).is_dir():
                raise ConfigError(f"--base-model {base}: no such directory")
            values["base_model"] = base
            values["adapter"] = _adapter_dir(values["adapter"], base) if "adapter" in values else _default_adapter(base)
        values["properties"] = canonical_properties(values.get("properties"))
        if "figure_reader" not in values:  # a parse-only run reads no plots unless a reader is named
            values["figure_reader"] = "none" if name == "none" else "digitizer"
        values["figure_reader"] = _figure_reader(values["figure_reader"])
        return values

    @property
    def property_set(self) -> set[str] | None:
        return set(self.properties) if self.properties else None

    def key(self) -> str:
        """What decides a paper's records; a batch re-run with the same key skips papers already done."""
        parts: list[object] = [self.extractor]
        if self.extractor == "llm":
            adapter = (
                Path(self.adapter).name if self.adapter else None
            )  # by name and weights, not by where the checkout is
            parts += [self.base_model or "embedded", adapter, adapter_sha256(self.adapter), self.prompt_version]
        parts += [DEFAULT_RULES, self.properties or [], self.figure_reader or "none"]
        return json.dumps(parts)


def _word(value: object) -> str | None:
    """A string option with 'none' (and '') read as None."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _NONE_WORDS else text


def _default_adapter(base_model: str | None) -> str | None:
    """The shipped adapter: trained on the embedded SmolLM2, so never put on another base model."""
    shipped = (SHIPPED_ADAPTER_DIR / "adapter_config.json").is_file()
    return str(SHIPPED_ADAPTER_DIR) if base_model is None and shipped else None


def _adapter_dir(value: object, base_model: str | None) -> str | None:
    """A named adapter: 'none' is none, 'default' the shipped one, else a folder that must exist."""
    adapter = _word(value)
    if adapter is None:
        return None
    if adapter.lower() == "default":
        if base_model is not None:
            raise ConfigError("--adapter default: the shipped adapter fits only the embedded SmolLM2 base model")
        return str(SHIPPED_ADAPTER_DIR)
    if not Path(adapter).is_dir():
        raise ConfigError(f"--adapter {adapter}: no such directory")
    return adapter


def _figure_reader(value: object) -> str | None:
    name = _word(value)
    if name is None:
        return None
    if name == "digitizer" or (name.startswith("vlm:") and len(name) > 4):
        return name
    raise ConfigError(f"--figures {name}: use digitizer, vlm:DIR or none")


def canonical_properties(names: list[str] | None) -> list[str] | None:
    """Property names as the vocabulary spells them, sorted; None when none are given.

    Raises:
        ConfigError: a name the vocabulary does not know (the message lists the known ones).
    """
    if not names:
        return None
    from schemas.vocabulary import load_vocabulary

    vocab = load_vocabulary()
    resolved = set()
    for name in names:
        canonical = vocab.resolve(name)
        if canonical is None:
            raise ConfigError(f"--property {name}: not in the vocabulary; known: {', '.join(vocab.names)}")
        resolved.add(canonical)
    return sorted(resolved)


@cache
def _file_sha256(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def adapter_sha256(adapter: str | None) -> str | None:
    """The first 16 hex digits of the adapter's weights' sha256 (None without an adapter)."""
    if adapter is None:
        return None
    weights = Path(adapter) / "adapter_model.safetensors"
    if not weights.is_file():
        return None
    return _file_sha256(weights, weights.stat().st_mtime_ns)
