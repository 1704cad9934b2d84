"""The offline raster plot reader: the pixels of a plot image to axes, units and data series.

`read_raster` finds the axes frames of a figure image (long dark perpendicular lines meeting at a
corner, with tick marks; several side by side or stacked are panels), the tick marks on their
bottom and left axes, and the text around them (tick labels with their exponents, axis titles
with the exponents of their units, offset multipliers such as '×10^4', panel labels), which it
reads with the tesseract CLI: every crop goes on its own line of one "sheet" per kind of text (one
call for the digits, one for words, one for a legend). Tick labels paired with their ticks
become an axis calibration (`extractors.figures.axes.calibrate`). The plot area's ink, without grid lines,
legend and panel labels, is split by colour; each colour becomes lines (a point per pixel column
along the smoothest path: a black solid, dashed and dotted line are told apart as three curves),
markers (their centres) or bars (their tops). A legend (a colour sample followed by text, inside
the plot or right of it) names them; samples of one colour are matched by their dashes.

A figure without a frame of two perpendicular axes with tick marks (a photo, a micrograph, a
schematic) raises `FigureSkip`, as do a 3D plot (long thin slanted axes, no frame), a plot with an
inset (unless asked to read around it) and an image too small, blurred or blank to read. An axis
whose tick labels cannot be read, or a second y axis on the right, gives a panel with status
"failed": an axis is never guessed.
"""

from extractors.figures.raster.reader import READER_NAME, RasterReader, _fix_unit, read_raster

__all__ = ["READER_NAME", "RasterReader", "_fix_unit", "read_raster"]
