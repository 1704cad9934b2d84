"""Plots into records and curves: the property and unit from the y-axis title, the material from the legend or caption.

A plot point is a record only where the property has one value per material: a bar of a bar chart
named by its category, or a series that is a single point. A series along a condition (band gap vs
temperature, conductivity vs 1000/T) is a curve: stored whole, in its own table, never cut into
records. Nothing is a record unless its property is in the vocabulary, its unit converts to the
property's unit and its material is written in the figure (legend, category) or in the caption.
"""

from __future__ import annotations

import re

from extractors.figures.axes import is_arbitrary_unit
from extractors.quantities.formulas import normalize_formula
from extractors.quantities.units import dimension_of, to_canonical
from extractors.records.grounding import find_material
from extractors.records.method import find_method
from schemas.document import Figure, ParsedDocument
from schemas.errors import InputError
from schemas.figure import Curve, FigureData, Series
from schemas.record import Condition, Evidence, ExtractorInfo, Record, Spans
from schemas.vocabulary import PropertyDef, load_vocabulary

# Axis titles that name a condition, by the unit's dimension first and by words where there is no unit.
_CONDITION_BY_DIMENSION = {
    "[temperature]": "temperature",
    "1 / [temperature]": "temperature",
    "[mass] / [length] / [time] ** 2": "pressure",
    "1 / [time]": "frequency",
    "[time]": "time",
    "[length] ** 2 * [mass] / [time] ** 2": "energy",
    "[current] / [length]": "field",
    "[mass] / [current] / [time] ** 2": "field",
}
_CONDITION_WORDS = [
    ("temperature", r"\btemperature\b|^T$|1000\s*/\s*T|\b1/T\b"),
    ("pressure", r"\bpressure\b|^P$"),
    ("wavelength", r"\bwavelength\b|^λ$"),
    ("frequency", r"\bfrequency\b|^f$|^ν$"),
    ("time", r"\btime\b|^t$"),
    ("field", r"\bfield\b|^[BH]$|^μ0H$"),
    ("thickness", r"\bthickness\b"),
    ("energy", r"\benergy\b|^E$|^hν$"),
    ("composition", r"^x$|^y$|\bcontent\b|\bconcentration\b|\bdoping\b|\bfraction\b|\bcomposition\b|at\.?\s?%|mol\s?%"),
    ("strain", r"\bstrain\b"),
    ("voltage", r"\bvoltage\b|\bbias\b|^V$"),
    ("cycle", r"\bcycles?\b"),
]
# Legend entries that name a method or a data set, not a material.
_NOT_MATERIAL = re.compile(
    r"^(fit|fits?ted|linear fit|experiment(al)?|exp\.?|calc\.?|calculated|theory|dft|gga|lda|hse\d*|"
    r"pbe|this work|data|model|simulation|measured|ref\.?.*|sample \w+|\w+ et al\.?.*)$",
    re.I,
)


def x_condition(plot: FigureData) -> str | None:
    """The condition the x axis varies (temperature, pressure, ...), or None."""
    if plot.x_categories:
        return None
    dim = dimension_of(plot.x_unit) if plot.x_unit and not is_arbitrary_unit(plot.x_unit) else None
    if dim in _CONDITION_BY_DIMENSION:
        return _CONDITION_BY_DIMENSION[dim]
    if dim == "[length]":
        return "wavelength" if re.search(r"wavelength|λ", plot.x_label or "", re.I) else "thickness"
    label = (plot.x_label or "").strip()
    return next((name for name, pattern in _CONDITION_WORDS if re.search(pattern, label, re.I)), None)


def figure_records(
    doc: ParsedDocument, plots: list[FigureData], properties: set[str] | None = None
) -> tuple[list[Record], list[Curve]]:
    """Records (one value per material) and curves (values along a condition) from the read plots."""
    vocab = load_vocabulary()
    records: list[Record] = []
    curves: list[Curve] = []
    for plot in plots:
        if plot.status != "read":
            continue
        figure = next((f for f in doc.figures if f.page == plot.page and f.number == plot.number), None)
        prop_name = vocab.resolve(plot.y_label) if plot.y_label else None
        prop = vocab.get(prop_name) if prop_name else None
        condition = x_condition(plot)
        for series in plot.series:
            material = _series_material(series, plot, figure, doc)
            curves.append(
                Curve(
                    paper_id=doc.paper_id,
                    source=doc.source,
                    figure_number=plot.number,
                    panel=plot.panel,
                    page=plot.page,
                    label=series.label,
                    material=material,
                    property=prop.name if prop else None,
                    y_label=plot.y_label,
                    y_unit=plot.y_unit,
                    y_scale=plot.y_scale,
                    x_label=plot.x_label,
                    x_unit=plot.x_unit,
                    x_scale=plot.x_scale,
                    x_condition=condition,
                    points=series.points,
                    reader=plot.reader,
                )
            )
            if prop is None or figure is None or (properties and prop.name not in properties):
                continue
            if plot.x_categories:
                points = [
                    (plot.x_categories[int(x)], x, y) for x, y in series.points if 0 <= int(x) < len(plot.x_categories)
                ]
            elif len(series.points) == 1 and material:
                points = [(material, *series.points[0])]
            else:
                continue  # a curve along x: one value per point is not one value per material
            for name, x, y in points:
                record = _record(plot, series, figure, doc, name, x, y, prop, condition)
                if record is not None:
                    records.append(record)
    return records, curves


def _series_material(series: Series, plot: FigureData, figure: Figure | None, doc: ParsedDocument) -> str | None:
    """The legend entry where it names a material, else the caption's one material for a plot of one series."""
    label = (series.label or "").strip()
    if label and not _NOT_MATERIAL.match(label) and (normalize_formula(label) or re.search(r"[A-Z]", label)):
        return label
    if figure is None or len(plot.series) != 1:
        return None
    formulas = {w.strip(".,;:()") for w in figure.caption.split()}
    named = sorted(
        {w for w in formulas if len(w) > 1 and normalize_formula(w) and re.search(r"\d|[A-Z][a-z]?[A-Z]", w)}
    )
    return named[0] if len(named) == 1 else None


def _record(
    plot: FigureData,
    series: Series,
    figure: Figure,
    doc: ParsedDocument,
    material: str,
    x: float,
    y: float,
    prop: PropertyDef,
    condition: str | None,
) -> Record | None:
    canonical = y
    if prop.unit:
        if plot.y_unit is None:
            return None  # a property with a unit needs the axis to say which
        try:
            canonical = to_canonical(y, plot.y_unit, prop.unit)
        except InputError:
            return None  # the axis' unit does not fit the property (a wrong axis title, or another property)
    caption_span = (figure.caption_char_start or 0, figure.caption_char_end or 0)
    in_caption = find_material(material, figure.caption)
    legend = " ".join(s.label or "" for s in plot.series)
    value = float(f"{y:.4g}")
    conditions = []
    if condition and not plot.x_categories:
        conditions.append(
            Condition(name=condition, value=float(f"{x:.4g}"), unit=plot.x_unit, text=f"{plot.x_label} = {x:.4g}")
        )
    record = Record(
        paper_id=doc.paper_id,
        source=doc.source,
        material=material,
        formula=normalize_formula(material),
        property=prop.name,
        property_text=plot.y_label or prop.label,
        value=value,
        qualifier="exact" if plot.kind == "vector" else "approximate",
        unit=plot.y_unit,
        value_canonical=float(f"{canonical:.4g}"),
        unit_canonical=prop.unit or None,
        conditions=conditions,
        method=find_method([("clause", series.label or ""), ("sentence", figure.caption), ("passage", legend)]),
        spans=Spans(
            value=caption_span,
            material=(caption_span[0] + in_caption[0], caption_span[0] + in_caption[1]) if in_caption else None,
        ),
        evidence=Evidence(
            text=figure.caption,
            char_start=caption_span[0],
            char_end=caption_span[1],
            page=plot.page,
            bbox=plot.bbox,
            origin="figure",
            figure_number=plot.number,
            panel=plot.panel,
            point=(x, y),
        ),
        extractor=ExtractorInfo(name=plot.reader or "digitizer"),
    )
    return record.with_id()
