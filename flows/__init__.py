"""propmine flows."""
