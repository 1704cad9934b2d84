"""Records: the extractors (rules, LLM), prompts, constrained decoding, grounding, method context, credibility."""
