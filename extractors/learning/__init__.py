"""Learning: training data from the shared corpora, LoRA training, evaluation against gold."""
