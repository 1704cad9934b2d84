"""Quantities: the number-with-unit tagger, units through pint, chemical formulas."""
