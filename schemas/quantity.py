"""Quantities (numbers with units) as the tagger finds them in text."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Qualifier = Literal["exact", "approximate", "range", "lower_bound", "upper_bound"]


class Quantity(BaseModel):
    """One number (or range) with its unit, located in a text."""

    span: tuple[int, int] = Field(description="[start, end) of the whole quantity text")
    text: str = Field(description="The quantity as written, number(s) and unit")
    value: float
    value_max: float | None = Field(default=None, description="Upper end of a range")
    uncertainty: float | None = Field(default=None, description="The ± part, in the stated unit")
    qualifier: Qualifier = "exact"
    unit: str | None = Field(default=None, description="The unit as written; None for a bare number")
    unit_span: tuple[int, int] | None = None
    value_span: tuple[int, int] | None = Field(default=None, description="[start, end) of the first number")
    dimension: str | None = Field(default=None, description="pint dimensionality, e.g. '[length]'")
    value_si: float | None = Field(default=None, description="Value in SI base units")
    unit_si: str | None = None
