"""propmine extractors."""
