"""Running a figure reader over a paper's figures: choose the reader, read each figure.

`read_figures` runs a `FigureReader` over the figures of `figure_images`; a reader's failure on one
figure is that figure's status, never the paper's.
"""

from __future__ import annotations

import logging
from pathlib import Path

from extractors.figures.base import FigureReader, figure_images
from schemas.document import ParsedDocument
from schemas.errors import ConfigError, InputError
from schemas.figure import FigureData, FigureSkip

log = logging.getLogger(__name__)


def make_figure_reader(name: str) -> FigureReader | None:
    """'digitizer' (the offline reader), 'vlm:DIR' (a local image-text-to-text model) or 'none'."""
    if name == "none":
        return None
    if name == "digitizer":
        from extractors.figures.digitizer import Digitizer

        return Digitizer()
    if name.startswith("vlm:"):
        from extractors.figures.vlm import VLMReader

        return VLMReader(name.removeprefix("vlm:"))
    raise InputError(f"unknown figure reader {name!r}: use digitizer, vlm:DIR or none")


def read_figures(path: Path, doc: ParsedDocument, reader: FigureReader) -> list[FigureData]:
    """Every figure of the paper through `reader`: read, skipped (with the reason) or failed."""
    out: list[FigureData] = []
    for image in figure_images(path, doc):
        if image.skip_reason is not None:  # too large to render: never handed to the reader
            out.append(image.blank(image.skip_reason, reader=reader.name))
            continue
        try:
            plots = reader.read(image)
        except FigureSkip as skip:
            plots = [image.blank(skip.reason, reader=reader.name)]
        except ConfigError:  # the reader cannot run at all (no model, no OCR engine): one message, not one per figure
            raise
        except Exception as exc:  # one figure's failure is its own status
            log.warning("figure %s on page %s: %s", image.figure.number, image.figure.page, exc)
            plots = [image.blank(f"{type(exc).__name__}: {exc}".splitlines()[0], status="failed", reader=reader.name)]
        out += plots
    return out
