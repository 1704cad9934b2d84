"""Figures: rendered figure regions, the readers (vector digitizer, raster, VLM), axes, figure records, scoring."""
