"""Credibility rules: weights over named record features, loaded from versioned files in data/credibility.

A record's score is a logistic function of the features that fire for it:
score = 1 / (1 + exp(-(bias + sum of weights))). The expert-written file (rules-v1) and a
calibrated one fitted on labels have the same shape, so calibration writes a new version and
never edits one in place. Every record stores the version that scored it.
"""

from __future__ import annotations

import tomllib
from functools import cache

from pydantic import BaseModel, Field

from schemas.errors import ConfigError
from schemas.settings import DATA_DIR

CREDIBILITY_DIR = DATA_DIR / "credibility"
DEFAULT_RULES = "credibility-v1"


class CredibilityRule(BaseModel):
    feature: str = Field(description="Name of a feature computed by extractors.records.credibility")
    weight: float = Field(description="Added to the logit when the feature fires")
    reason: str = Field(description="Shown to people; {detail}, {sample_form} and {property} are filled in")
    properties: list[str] | None = Field(default=None, description="Only for these properties (None: all)")


class CredibilityRules(BaseModel):
    version: str
    bias: float = Field(description="The logit of a record with no feature")
    rules: list[CredibilityRule]
    fitted_on: str | None = Field(default=None, description="For calibrated rules: the labels they were fitted on")


@cache
def load_credibility_rules(version: str = DEFAULT_RULES) -> CredibilityRules:
    """Load a rules file by version, e.g. 'credibility-v1' -> data/credibility/credibility-v1.toml."""
    path = CREDIBILITY_DIR / f"{version}.toml"
    if not path.is_file():
        raise ConfigError(f"credibility rules {version} not found in {CREDIBILITY_DIR}")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return CredibilityRules(
        version=raw["version"],
        bias=raw["bias"],
        fitted_on=raw.get("fitted_on"),
        rules=[CredibilityRule(**r) for r in raw["rule"]],
    )
