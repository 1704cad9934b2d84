"""Prompt templates (versioned files in data/prompts) and the canonical answer format.

The extractor, the trainer and the labeling export all go through `render_messages` and
`render_answer`, so a model is always trained on exactly the text it will be asked to write.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache

from schemas.errors import ConfigError
from schemas.options import DEFAULT_PROMPT_VERSION
from schemas.record import Proposal
from schemas.settings import DATA_DIR

PROMPT_VERSION = DEFAULT_PROMPT_VERSION


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str


@cache
def load_prompt(version: str = PROMPT_VERSION) -> PromptTemplate:
    path = DATA_DIR / "prompts" / f"{version}.toml"
    if not path.is_file():
        raise ConfigError(f"prompt template {version} not found in {path.parent}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return PromptTemplate(version=raw["version"], system=raw["system"].strip(), user=raw["user"].strip())


def render_messages(
    text: str, context: str = "", properties: list[str] | None = None, version: str = PROMPT_VERSION
) -> list[dict[str, str]]:
    """The chat messages for one passage (context is a table's caption and header)."""
    template = load_prompt(version)
    user = template.user.format(
        properties=", ".join(sorted(properties)) if properties else "any",
        context=f"Table: {context}\n" if context else "",
        text=text,
    )
    return [{"role": "system", "content": template.system}, {"role": "user", "content": user}]


def render_answer(records: list[Proposal] | list[dict]) -> str:
    """The canonical JSON answer: keys in a fixed order, `unit` only when given apart from the value."""
    items = []
    for r in records:
        d = r.model_dump() if isinstance(r, Proposal) else dict(r)
        item = {"material": d["material"], "property": d["property"], "value": d["value"]}
        if d.get("unit"):
            item["unit"] = d["unit"]
        items.append(item)
    return json.dumps(items, ensure_ascii=False)
