"""What a figure reader makes of one plot: axes, units, scales and data series in data coordinates.

The JSON form of `FigureData` is the contract of `propmine figures --format jsonl` (README, Figures):
`source`, `page`, `bbox`, `caption`, `x_label`, `x_unit`, `x_scale`, `y_label`, `y_unit`,
`y_scale`, `series` [{`label`, `points` [[x, y], ...]}]; fields may be added, none renamed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from schemas.document import BBox

AxisScale = Literal["linear", "log"]
FigureStatus = Literal["read", "skipped", "failed"]
# Why a figure is not digitized: it has no axes (photo, micrograph, schematic), or it is a kind of plot
# that a 2D point reader would turn into nonsense, or its pixels or text could not be read.
SkipReason = Literal[
    "no axes", "3d plot", "inset", "no tick labels", "no series", "unreadable image", "model output", "error"
]


class Series(BaseModel):
    label: str | None = Field(default=None, description="The legend entry of the series, if the figure has one")
    points: list[tuple[float, float]] = Field(
        default=[], description="[x, y] in data coordinates, in x order for lines"
    )
    style: Literal["line", "scatter", "bar", "unknown"] = "unknown"
    color: str | None = Field(default=None, description="#rrggbb of the series' stroke or marker")


class FigureData(BaseModel):
    """One plot (one panel of a figure) as read by a FigureReader."""

    source: str
    paper_id: str | None = None
    page: int
    bbox: BBox = Field(description="The panel's region on the page, in PDF points")
    number: int | None = Field(default=None, description="Figure number from its caption")
    panel: str | None = Field(default=None, description="'a', 'b', ... where the figure has panels")
    caption: str = ""
    kind: Literal["raster", "vector"] = "vector"
    reader: str = Field(default="", description="Which reader read it: 'digitizer', 'vlm:<model>'")
    prompt_version: str | None = Field(default=None, description="The prompt a vision-language reader was given")
    status: FigureStatus = "read"
    reason: str | None = Field(default=None, description="Why the figure was skipped or failed, one line")
    x_label: str | None = None
    x_unit: str | None = None
    x_scale: AxisScale = "linear"
    y_label: str | None = None
    y_unit: str | None = None
    y_scale: AxisScale = "linear"
    x_range: tuple[float, float] | None = Field(default=None, description="The axis' data range (plot area edges)")
    y_range: tuple[float, float] | None = None
    series: list[Series] = []
    x_categories: list[str] = Field(
        default=[], description="A categorical x axis (bar charts): point x = index into these names"
    )
    text: list[str] = Field(
        default=[], description="The figure's own text: tick labels, axis titles, legend, panel labels"
    )


class Curve(BaseModel):
    """A series whose values depend on a condition (band gap vs temperature): stored as a curve, not as records."""

    paper_id: str
    source: str
    figure_number: int | None = None
    panel: str | None = None
    page: int
    label: str | None = Field(default=None, description="The series' legend entry")
    material: str | None = Field(default=None, description="The material, grounded in the legend or the caption")
    property: str | None = Field(default=None, description="Canonical property of the y axis, if the vocabulary has it")
    y_label: str | None = None
    y_unit: str | None = None
    y_scale: AxisScale = "linear"
    x_label: str | None = None
    x_unit: str | None = None
    x_scale: AxisScale = "linear"
    x_condition: str | None = Field(
        default=None, description="temperature, pressure, wavelength, ... when the x axis is one"
    )
    points: list[tuple[float, float]] = []
    reader: str = ""


class FigureSkip(Exception):
    """A figure that must not be digitized, with the one-line reason (a photo has no axes)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
