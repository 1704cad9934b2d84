"""Plots of known data in many drawing styles: `python data/make_plots_styles.py OUT_DIR [--split dev|held]`.

data/make_plots.py draws every plot the same way, so a reader tuned on it learns one house style.
This generator draws each figure from a seed with one of six matplotlib style sheets (default,
classic, ggplot, seaborn, grayscale, bmh) and a random mix of what journals show: dashed and
dotted lines, markers only, error bars, shaded bands, open frames (no top/right spines), light
grey frames (gnuplot), small or rotated tick labels, scientific offsets (x10^4 at the axis end),
serif fonts, log axes, legends inside or outside the axes, 100-300 dpi rasters.

Each seed gives one figure, placed as VECTOR (the matplotlib PDF) in `{name}_vector.pdf` and as
RASTER (a PNG) in `{name}_raster.pdf`. The truth is written as `{name}_truth.json` in the format of
data/make_plots.py (so extractors.figures.evaluation scores it), each entry with three more keys:
`seed`, `style` (the style sheet) and `tags` (the features drawn).

Seeds are split: DEV_SEEDS (0-29, and EXTRA_DEV_SEEDS 30-59) are for looking at failures and tuning
the reader, HELD_SEEDS (100-129) only for reporting.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_plots  # noqa: E402  (data/ is not a package: the sibling generator, for its page layout)

STYLES = ("default", "classic", "ggplot", "seaborn", "grayscale", "bmh")
_SHEETS = {"default": "default", "seaborn": "seaborn-v0_8", "grayscale": "grayscale"}
DEV_SEEDS = tuple(range(0, 30))
HELD_SEEDS = tuple(range(100, 130))
EXTRA_DEV_SEEDS = tuple(range(30, 60))  # more figures to look at failures in (tuning allowed, like dev)
SPLITS = {"dev": DEV_SEEDS, "dev-extra": EXTRA_DEV_SEEDS, "held": HELD_SEEDS}

_MATERIALS = [
    ("TiO2", "TiO$_2$"),
    ("ZnO", "ZnO"),
    ("GaN", "GaN"),
    ("Si", "Si"),
    ("SiC", "SiC"),
    ("Cu", "Cu"),
    ("Ni", "Ni"),
    ("Al2O3", "Al$_2$O$_3$"),
    ("BaTiO3", "BaTiO$_3$"),
    ("LiFePO4", "LiFePO$_4$"),
    ("MoS2", "MoS$_2$"),
    ("CdTe", "CdTe"),
    ("Fe3O4", "Fe$_3$O$_4$"),
    ("YSZ", "YSZ"),
]
_X_AXES = [  # label, unit (truth), unit as drawn, positive start, span
    ("Temperature", "K", "K", 300.0, 500.0),
    ("Time", "s", "s", 0.0, 120.0),
    ("Pressure", "GPa", "GPa", 0.0, 12.0),
    ("Wavelength", "nm", "nm", 400.0, 400.0),
    ("Strain", "%", "%", 0.0, 8.0),
    ("Thickness", "μm", "$\\mu$m", 1.0, 50.0),
]
_Y_AXES = [
    ("Conductivity", "S cm^-1", "S cm$^{-1}$"),
    ("Capacity", "mAh g^-1", "mAh g$^{-1}$"),
    ("Band gap", "eV", "eV"),
    ("Stress", "MPa", "MPa"),
    ("Resistivity", "Ω cm", "$\\Omega$ cm"),
    ("Intensity", "a.u.", "a.u."),
    ("Hardness", "GPa", "GPa"),
]
_TITLE_FORMS = ("{label} ({unit})", "{label} [{unit}]", "{label} / {unit}")
_DASHES = ("-", "--", ":", "-.")
_MARKERS = ("o", "s", "^", "D", "v")


@dataclass
class StyledSeries:
    x: list[float]
    y: list[float]
    style: str  # "line" or "scatter" (the truth's kind)
    label: str | None
    shown: str | None
    linestyle: str = "-"
    marker: str | None = None
    yerr: list[float] | None = None
    band: float | None = None  # half-width of a shaded band around a line


@dataclass
class StyledPlot:
    """One figure: its style sheet, the drawing options and the series; `tags` name the options used."""

    seed: int
    style: str
    x_title: str
    y_title: str
    x_label: str
    x_unit: str
    y_label: str
    y_unit: str
    series: list[StyledSeries]
    x_scale: str = "linear"
    y_scale: str = "linear"
    legend: str | None = None  # None, "inside" or "outside"
    legend_frame: bool = True
    open_frame: bool = False
    light_frame: bool = False
    tick_size: float = 9.0
    x_rotation: float = 0.0
    sci: bool = False
    math_offset: bool = False
    serif: bool = False
    grid: bool = False
    scatter_fn: bool = False  # markers drawn with ax.scatter (a PathCollection) instead of ax.plot
    dpi: int = 150
    size_in: tuple[float, float] = (5.0, 3.3)
    tags: list[str] = field(default_factory=list)

    @property
    def caption(self) -> str:
        names = [s.label for s in self.series if s.label]
        what = " and ".join(names) if names else "the film"
        return f"{self.y_label} of {what} against {self.x_label.lower()}."


def _curve(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """A smooth shape on t in [0, 1], values roughly in [0, 1]."""
    kind = rng.integers(5)
    if kind == 0:
        return t
    if kind == 1:
        return np.exp(-t / rng.uniform(0.2, 0.6))
    if kind == 2:
        return 1 / (1 + np.exp(-(t - rng.uniform(0.3, 0.7)) / 0.08))
    if kind == 3:
        return np.sqrt(t)
    return 0.5 + 0.4 * np.sin(2 * np.pi * (t * rng.uniform(0.6, 1.4)) + rng.uniform(0, 3))


def styled_plot(seed: int) -> StyledPlot:
    """The figure of one seed: style sheet by seed, options and data at random."""
    rng = np.random.default_rng(seed)
    style = STYLES[seed % len(STYLES)]
    x_label, x_unit, x_unit_drawn, x_start, x_span = _X_AXES[rng.integers(len(_X_AXES))]
    y_label, y_unit, y_unit_drawn = _Y_AXES[rng.integers(len(_Y_AXES))]
    tags: list[str] = []
    x_scale = "log" if rng.random() < 0.15 else "linear"
    y_scale = "log" if rng.random() < 0.25 else "linear"
    n = int(rng.integers(1, 4))
    kinds = ["scatter" if rng.random() < 0.4 else "line" for _ in range(n)]
    dashed = style == "grayscale" or rng.random() < 0.4
    names = [_MATERIALS[i] for i in rng.choice(len(_MATERIALS), n, replace=False)]
    mathtext = rng.random() < 0.5
    sci = y_scale == "linear" and rng.random() < 0.25
    y_factor = float(10.0 ** rng.choice([-5, -4, 4, 5, 6])) if sci else float(rng.choice([1.0, 10.0, 100.0]))
    series = []
    order = rng.permutation(n)
    for k in range(n):
        scatter = kinds[k] == "scatter"
        count = int(rng.integers(8, 15)) if scatter else int(rng.integers(30, 80))
        t = np.sort(rng.uniform(0, 1, count)) if scatter else np.linspace(0, 1, count)
        x = 10 ** (rng.uniform(0, 1) + 3 * t) if x_scale == "log" else x_start + x_span * t
        shape = _curve(rng, t)
        if y_scale == "log":
            y = 10 ** (order[k] * 0.8 + rng.uniform(-0.3, 0.3) + rng.uniform(1, 2.5) * shape)
        else:
            y = (1.0 + 1.2 * order[k] + rng.uniform(0.5, 1.5) * shape) * y_factor
        if scatter:
            y = y * (1 + rng.normal(0, 0.02, count))
        s = StyledSeries(
            make_plots._sig(x),
            make_plots._sig(y),
            kinds[k],
            names[k][0] if n > 1 or rng.random() < 0.5 else None,
            (names[k][1] if mathtext else names[k][0]),
        )
        if s.label is None:
            s.shown = None
        if not scatter:
            s.linestyle = _DASHES[k % len(_DASHES)] if dashed else "-"
            if rng.random() < 0.25:
                s.marker = _MARKERS[rng.integers(len(_MARKERS))]
                tags.append("line+markers")
            if rng.random() < 0.2 and y_scale == "linear":
                s.band = float(0.08 * np.ptp(y) + 1e-12)
                tags.append("band")
        else:
            s.marker = _MARKERS[(k + int(rng.integers(len(_MARKERS)))) % len(_MARKERS)]
            if rng.random() < 0.3 and y_scale == "linear":
                s.yerr = [float(v) for v in np.abs(rng.normal(0.04, 0.01, count)) * np.ptp(y)]
                tags.append("errorbars")
        series.append(s)
    tags += ["dashed"] if dashed and "line" in kinds and n > 1 else []
    tags += ["markers only"] if all(k == "scatter" for k in kinds) else []
    form = _TITLE_FORMS[rng.integers(len(_TITLE_FORMS))]
    plot = StyledPlot(
        seed=seed,
        style=style,
        x_title=form.format(label=x_label, unit=x_unit_drawn),
        y_title=form.format(label=y_label, unit=y_unit_drawn),
        x_label=x_label,
        x_unit=x_unit,
        y_label=y_label,
        y_unit=y_unit,
        series=series,
        x_scale=x_scale,
        y_scale=y_scale,
        legend=None if all(s.label is None for s in series) else ("outside" if rng.random() < 0.2 else "inside"),
        legend_frame=bool(rng.random() < 0.5),
        open_frame=bool(rng.random() < 0.3),
        light_frame=bool(rng.random() < 0.25),
        tick_size=float(rng.choice([6.0, 7.0, 9.0, 9.0, 10.0])),
        x_rotation=float(rng.choice([0, 0, 0, 30, 45, 90])),
        sci=sci,
        math_offset=bool(rng.random() < 0.5),
        serif=bool(rng.random() < 0.4),
        grid=bool(rng.random() < 0.3),
        scatter_fn=bool(rng.random() < 0.3),
        dpi=int(rng.integers(100, 301)),
        size_in=(float(rng.uniform(4.0, 5.6)), float(rng.uniform(2.8, 3.6))),
    )
    tags += ["log x"] if x_scale == "log" else []
    tags += ["log y"] if y_scale == "log" else []
    tags += [f"legend {plot.legend}"] if plot.legend else []
    tags += ["open frame"] if plot.open_frame else []
    tags += ["light frame"] if plot.light_frame else []
    tags += ["small ticks"] if plot.tick_size <= 7 else []
    tags += ["rotated ticks"] if plot.x_rotation else []
    tags += ["sci offset"] if sci else []
    tags += ["serif"] if plot.serif else []
    tags += ["grid"] if plot.grid else []
    tags += ["ax.scatter"] if plot.scatter_fn and "scatter" in kinds else []
    tags += ["low dpi"] if plot.dpi < 150 else []
    plot.tags = sorted(set(tags))
    return plot


def _draw(plot: StyledPlot):
    """The matplotlib figure of `plot` (inside its style sheet) and the truth of its axes."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=plot.size_in)
    colours = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["k"])
    drawn = []
    for k, s in enumerate(plot.series):
        colour = colours[k % len(colours)]
        label = s.shown or "_nolegend_"
        if s.style == "scatter":
            if s.yerr is not None:
                ax.errorbar(
                    s.x, s.y, yerr=s.yerr, fmt=s.marker or "o", color=colour, markersize=5, capsize=2, label=label
                )
                drawn.append(colour)
            elif plot.scatter_fn:
                ax.scatter(s.x, s.y, marker=s.marker or "o", color=colour, s=25, label=label)
                drawn.append(colour)
            else:
                ax.plot(s.x, s.y, linestyle="none", marker=s.marker or "o", color=colour, markersize=5, label=label)
                drawn.append(colour)
        else:
            ax.plot(
                s.x, s.y, linestyle=s.linestyle, marker=s.marker or "", markersize=4, color=colour, lw=1.4, label=label
            )
            if s.band:
                y = np.asarray(s.y)
                ax.fill_between(s.x, y - s.band, y + s.band, color=colour, alpha=0.2, linewidth=0)
            drawn.append(colour)
    ax.set_xscale(plot.x_scale)
    ax.set_yscale(plot.y_scale)
    ax.set_xlabel(plot.x_title)
    ax.set_ylabel(plot.y_title)
    ax.tick_params(labelsize=plot.tick_size)
    if plot.x_rotation:
        for t in ax.get_xticklabels():
            t.set_rotation(plot.x_rotation)
            t.set_horizontalalignment("right" if plot.x_rotation < 90 else "center")
    if plot.sci:
        ax.ticklabel_format(axis="y", style="sci", scilimits=(0, 0), useMathText=plot.math_offset)
        ax.yaxis.get_offset_text().set_fontsize(plot.tick_size)
    if plot.grid:
        ax.grid(True, linewidth=0.6)
    if plot.open_frame:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(top=False, right=False)
    if plot.light_frame:
        for spine in ax.spines.values():
            spine.set_color("0.7")
        ax.tick_params(colors="0.45", which="both")
        ax.tick_params(color="0.7", which="both")
    if plot.legend == "inside":
        ax.legend(frameon=plot.legend_frame, fontsize=8)
    elif plot.legend == "outside":
        ax.legend(frameon=plot.legend_frame, fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    fig.tight_layout()
    truth = {
        "x_label": plot.x_label,
        "x_unit": plot.x_unit,
        "x_scale": plot.x_scale,
        "y_label": plot.y_label,
        "y_unit": plot.y_unit,
        "y_scale": plot.y_scale,
        "x_range": [float(v) for v in ax.get_xlim()],
        "y_range": [float(v) for v in ax.get_ylim()],
        "series": [
            {
                "label": s.label,
                "style": s.style,
                "color": make_plots._hex(colour),
                "points": [[x, y] for x, y in zip(s.x, s.y, strict=True)],
            }
            for s, colour in zip(plot.series, drawn, strict=True)
        ],
    }
    return fig, truth


def _rc(plot: StyledPlot) -> dict:
    rc = {
        "pdf.fonttype": 42,
        "svg.hashsalt": "propmine",
        "path.simplify": False,
        "figure.dpi": 100,
        "font.size": 9,
        "axes.titlesize": 9,
    }
    if plot.serif:
        rc |= {"font.family": "serif", "mathtext.fontset": "dejavuserif"}
    return rc


def make_style_set(folder: Path, seeds: tuple[int, ...] | list[int] = DEV_SEEDS, name: str = "styles") -> list[dict]:
    """Write `{name}_vector.pdf`, `{name}_raster.pdf` and `{name}_truth.json` for `seeds` into `folder`.

    Returns the truth: one entry per figure and kind in the format of `make_plots.make_plot_set`, plus
    `seed`, `style` and `tags`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth: list[dict] = []
    vector, raster = make_plots._Pages(), make_plots._Pages()
    for number, seed in enumerate(seeds, start=1):
        plot = styled_plot(seed)
        with plt.style.context(_SHEETS.get(plot.style, plot.style)), plt.rc_context(_rc(plot)):
            fig, axis = _draw(plot)
            pdf_bytes, png_bytes = make_plots._save(fig, "pdf"), make_plots._save(fig, "png", plot.dpi)
            plt.close(fig)
        size_pt = (plot.size_in[0] * 72, plot.size_in[1] * 72)
        for kind, pages, content in (("vector", vector, pdf_bytes), ("raster", raster, png_bytes)):
            page = pages.place(number, plot.caption, size_pt, kind, content)
            truth.append(
                {
                    "file": f"{name}_{kind}.pdf",
                    "page": page,
                    "number": number,
                    "panel": None,
                    "kind": kind,
                    "expect": "read",
                    "reason": None,
                    "caption": plot.caption,
                    **axis,
                    "seed": seed,
                    "style": plot.style,
                    "tags": plot.tags,
                }
            )
    vector.save(folder / f"{name}_vector.pdf")
    raster.save(folder / f"{name}_raster.pdf")
    (folder / f"{name}_truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path(__file__).parent / "plots_styles"
    split = argv[2] if len(argv) > 2 and argv[1] == "--split" else "dev"
    truth = make_style_set(out, SPLITS[split], name=f"styles_{split}")
    print(f"wrote {len(truth)} plots ({split} seeds) to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
