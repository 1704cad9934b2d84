"""propmine labeling."""
