"""propmine labeling: the review UI, fine-tuning data export, and Label Studio import/export.

Depends on schemas (and on extractors only for what the model itself uses: the quantity tagger and
the decoder's grammar, so that labels only ever ask for values the model can write); never on flows.
"""
