"""The LLM record extractor: a base causal LM plus a LoRA adapter, writing grammar-constrained JSON.

`LLMExtractor` turns candidate passages into prompts (extractors.records.prompts), asks a `Completer`
for answers (the real model through extractors.records.decoding, or a queue of canned answers in tests),
parses them into Proposals, and retries answers that do not parse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from extractors import progress
from extractors.quantities.tagger import tag_quantities
from extractors.quantities.units import header_units
from extractors.records.context import PaperContext
from extractors.records.decoding import (
    AnswerGrammar,
    GenerationStats,
    TokenTable,
    generate_constrained,
)
from extractors.records.extractor import PassageProposals
from extractors.records.model import LoadedModel
from extractors.records.prompts import render_messages
from schemas.errors import ExtractionError
from schemas.options import SHIPPED_ADAPTER_DIR, ExtractionOptions, adapter_sha256
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal
from schemas.settings import Settings
from schemas.vocabulary import load_vocabulary

log = logging.getLogger(__name__)

DEFAULT_ADAPTER_DIR = SHIPPED_ADAPTER_DIR  # the adapter trained on the embedded SmolLM2 (data/adapters/default)


@dataclass
class Job:
    """One passage to answer: its messages and the grammar its answer must follow."""

    messages: list[dict[str, str]]
    grammar: AnswerGrammar


class Completer(Protocol):
    """Turns jobs into raw answer texts (one per job)."""

    def complete(self, jobs: list[Job]) -> list[str]: ...


class QueuedCompleter:
    """A fake model for tests: returns queued answers in order ('[]' once the queue is empty)."""

    def __init__(self, answers: Iterable[str]) -> None:
        self.answers = list(answers)
        self.calls: list[Job] = []

    def complete(self, jobs: list[Job]) -> list[str]:
        self.calls.extend(jobs)
        return [self.answers.pop(0) if self.answers else "[]" for _ in jobs]


@dataclass
class ModelCompleter:
    """The real model: batched, grammar-constrained greedy decoding."""

    loaded: LoadedModel
    batch_size: int = 8
    max_new_tokens: int = 160
    constrained: bool = True
    stats: GenerationStats = field(default_factory=GenerationStats)

    def __post_init__(self) -> None:
        self._table = TokenTable(self.loaded.tokenizer) if self.constrained else None  # type: ignore[attr-defined]

    def complete(self, jobs: list[Job]) -> list[str]:
        tok = self.loaded.tokenizer  # type: ignore[attr-defined]
        answers: list[str] = []
        # Similar lengths in one batch waste less on padding.
        order = sorted(range(len(jobs)), key=lambda i: len(jobs[i].messages[-1]["content"]))
        by_index: dict[int, str] = {}
        if jobs:
            progress.stage("the model reads", len(jobs), "passages")
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            prompts = [
                tok.apply_chat_template(jobs[i].messages, tokenize=False, add_generation_prompt=True) for i in chunk
            ]
            texts = generate_constrained(
                self.loaded.model,
                tok,
                self._table,
                prompts,  # type: ignore[attr-defined]
                [jobs[i].grammar for i in chunk] if self.constrained else None,
                max_new_tokens=self.max_new_tokens,
                stats=self.stats,
            )
            by_index.update(zip(chunk, texts, strict=True))
            progress.advance(len(chunk))
        answers = [by_index[i] for i in range(len(jobs))]
        return answers


def parse_answer(text: str) -> list[Proposal]:
    """Parse a model answer into proposals.

    Raises:
        ExtractionError: the text is not a JSON list of records with string fields.
    """
    try:
        data = json.loads(text.strip())
    except json.JSONDecodeError as err:
        raise ExtractionError(f"model output is not JSON ({err.msg} at {err.pos}): {text[:80]!r}") from err
    if not isinstance(data, list):
        raise ExtractionError(f"model output is not a JSON list: {text[:80]!r}")
    proposals = []
    for item in data:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("material", "property", "value")
        ):
            raise ExtractionError(f"model output has a malformed record: {str(item)[:80]!r}")
        proposals.append(
            Proposal(
                material=item["material"],
                property=item["property"],
                value=item["value"],
                unit=item.get("unit") if isinstance(item.get("unit"), str) else None,
            )
        )
    return proposals


def passage_grammar(passage: Passage, properties: list[str]) -> AnswerGrammar:
    """The answers allowed for a passage: its own quantities, the allowed properties, its text."""
    vocab = load_vocabulary()
    dimensionless = any(not (vocab.get(p) and vocab.get(p).unit) for p in properties)  # type: ignore[union-attr]
    with_bare = passage.origin == "table" or dimensionless
    values, unitless = [], set()
    for q in tag_quantities(passage.text, include_unitless=with_bare):
        text = passage.text[q.span[0] : q.span[1]]
        # As written inside a JSON string (render_answer's form): "about\n1.4 eV" wraps a line.
        escaped = json.dumps(text, ensure_ascii=False)[1:-1]
        if '"' in text or escaped in values:
            continue
        values.append(escaped)
        if q.unit is None:
            unitless.add(escaped)
    units = header_units(passage.context)
    return AnswerGrammar(
        passage=passage.text, properties=properties, values=values, unitless_values=unitless, units=units
    )


class LLMExtractor:
    """Proposes records for passages with a (LoRA-tuned) causal LM."""

    def __init__(self, completer: Completer, info: ExtractorInfo, max_retries: int = 1) -> None:
        self.completer = completer
        self.info = info
        self.max_retries = max_retries

    @classmethod
    def from_options(
        cls, options: ExtractionOptions, settings: Settings | None = None, batch_size: int = 8, constrained: bool = True
    ) -> LLMExtractor:
        """Load the model the options name (resolved: base model or the embedded SmolLM2, adapter or none).

        Args:
            options: resolved run options (`ExtractionOptions.resolve`); adapter None runs the bare base model.
            settings: machine settings (cache folder, device); read from the environment when None.
        """
        from extractors.records.model import load_model

        loaded = load_model(settings or Settings.from_env(), base_model=options.base_model, adapter=options.adapter)
        info = ExtractorInfo(
            name="llm",
            base_model=loaded.base_model,
            adapter=_adapter_name(options.adapter),
            adapter_sha256=adapter_sha256(options.adapter),
            prompt_version=options.prompt_version,
        )
        return cls(ModelCompleter(loaded, batch_size=batch_size, constrained=constrained), info)

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context: PaperContext | None = None
    ) -> list[PassageProposals]:
        allowed = sorted(properties) if properties else load_vocabulary().names
        results = [PassageProposals(p) for p in passages]
        jobs = [
            Job(
                render_messages(p.text, p.context, sorted(properties) if properties else None),
                passage_grammar(p, allowed),
            )
            for p in passages
        ]
        pending = list(range(len(passages)))
        for attempt in range(self.max_retries + 1):
            if not pending:
                break
            answers = self.completer.complete([jobs[i] for i in pending])
            failed = []
            for i, answer in zip(pending, answers, strict=True):
                results[i].raw_output = answer
                try:
                    results[i].proposals = parse_answer(answer)
                    results[i].errors = []
                except ExtractionError as err:
                    results[i].errors = [f"{err} (attempt {attempt + 1})"]
                    failed.append(i)
            pending = failed
        return results


def _adapter_name(adapter: str | None) -> str | None:
    if adapter is None:
        return None
    path = Path(adapter).resolve()
    card = path / "adapter_card.json"
    if card.is_file():
        try:
            return json.loads(card.read_text())["name"]
        except (KeyError, json.JSONDecodeError):
            pass
    return path.name
