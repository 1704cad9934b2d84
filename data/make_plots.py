"""Generate plots of known data for the figure readers: `python data/make_plots.py OUT_DIR`.

Every plot is drawn by matplotlib from data made here with a fixed seed, and placed on A4 pages
twice: as VECTOR graphics (the matplotlib PDF shown on the page, so its paths and text stay
exact) and as RASTER (a PNG of the same figure, so its text is pixels only). Each figure sits
directly above its caption "Fig. N. ...", the way propmine's PDF parser finds figures.

- plots_vector.pdf  13 figures (15 panels: two figures have panels (a) and (b)), vector
- plots_raster.pdf  the same figures as PNG images (150-200 dpi)
- bad_figures.pdf   figures a reader must skip: a micrograph, a schematic, 3D surfaces, plots
                    with an inset, an unreadably small image (vector and raster where it applies)
- truth.json        one entry per plot panel (see `make_plot_set`)

The generator is a module too: tests and benchmarks import it and write the set into tmp folders.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf

SEED = 20260401
A4 = pymupdf.paper_rect("a4")
MARGIN = 50.0
CAPTION_GAP = 6.0  # points between a figure's bottom and its caption
CAPTION_SIZE = 9.0
BODY = (
    "The figures on this page were generated with known data so that the figure readers can be scored "
    "against the values that were plotted; the captions follow the usual journal style."
)


@dataclass
class SeriesSpec:
    """One data series as plotted: `shown` is the legend text (mathtext allowed), `label` the plain truth."""

    x: list[float]
    y: list[float]
    style: str  # "line" (a line, with or without markers) or "scatter" (markers only)
    label: str | None = None
    shown: str | None = None
    marker: str | None = None
    color: str | None = None


@dataclass
class PanelSpec:
    """One set of axes: the axis titles as drawn, their truth (label, unit, scale), the series."""

    x_title: str
    y_title: str
    x_label: str | None
    x_unit: str | None
    y_label: str | None
    y_unit: str | None
    series: list[SeriesSpec]
    x_scale: str = "linear"
    y_scale: str = "linear"
    legend: bool = False
    grid: bool = False
    panel: str | None = None


@dataclass
class PlotSpec:
    caption: str
    panels: list[PanelSpec]
    size_in: tuple[float, float] = (5.0, 3.3)
    raster_dpi: int = 170


@dataclass
class BadSpec:
    """A figure that is not a 2D plot: drawn by `draw(fig)`; expected to be skipped for `reason`."""

    caption: str
    reason: str
    draw: Callable
    kinds: tuple[str, ...] = ("vector", "raster")
    size_in: tuple[float, float] = (4.6, 3.2)
    tiny_px: tuple[int, int] | None = None  # render the raster this small (then stretch it on the page)


def _r(values: np.ndarray | list[float], digits: int = 6) -> list[float]:
    return [float(round(float(v), digits)) for v in values]


def _sig(values: np.ndarray, digits: int = 5) -> list[float]:
    """Round to significant digits (for data spanning decades on a log axis)."""
    return [float(f"{float(v):.{digits}g}") for v in values]


def plot_specs(seed: int = SEED) -> list[PlotSpec]:
    """The plots of known data, in figure order."""
    rng = np.random.default_rng(seed)
    specs: list[PlotSpec] = []

    # 1. Band gap against temperature (Varshni), three lines with a legend.
    t = np.arange(0, 601, 25.0)
    gaps = {"TiO2": (3.20, 4.0e-4, 300.0), "ZnO": (3.44, 6.7e-4, 672.0), "GaN": (3.51, 9.1e-4, 830.0)}
    series = [SeriesSpec(_r(t), _r(e0 - a * t**2 / (t + b)), "line", name, name) for name, (e0, a, b) in gaps.items()]
    specs.append(
        PlotSpec(
            "Band gap of TiO2, ZnO and GaN films against temperature (Varshni fits).",
            [PanelSpec("Temperature (K)", "Band gap [eV]", "Temperature", "K", "Band gap", "eV", series, legend=True)],
        )
    )

    # 2. Arrhenius plot: conductivity on log y against 1000/T, two scatter series.
    inv_t = np.linspace(1.2, 2.4, 11)
    series = []
    for name, marker, prefactor, ea in (("YSZ", "o", 2.0e4, 0.95), ("GDC", "s", 6.0e3, 0.68)):
        sigma = prefactor * np.exp(-ea * inv_t / 1000 / 8.617e-5) * 10 ** rng.normal(0, 0.04, inv_t.size)
        series.append(SeriesSpec(_r(inv_t), _sig(sigma), "scatter", name, name, marker=marker))
    specs.append(
        PlotSpec(
            "Arrhenius plot of the ionic conductivity of YSZ and GDC pellets.",
            [
                PanelSpec(
                    "1000/T (K$^{-1}$)",
                    "Conductivity / S cm$^{-1}$",
                    "1000/T",
                    "K^-1",
                    "Conductivity",
                    "S cm^-1",
                    series,
                    y_scale="log",
                    legend=True,
                )
            ],
            raster_dpi=150,
        )
    )

    # 3. Band gap of Zn(1-x)Mg(x)O against x: one line, no legend, a grid, x without a unit.
    x = np.linspace(0, 0.35, 15)
    series = [SeriesSpec(_r(x), _r(3.37 + 2.51 * x - 0.9 * x * x), "line", None, color="#2a7f62")]
    specs.append(
        PlotSpec(
            "Optical band gap of Zn1-xMgxO films against the Mg content x.",
            [PanelSpec("Mg content $x$", "$E_g$ (eV)", "Mg content x", None, "Eg", "eV", series, grid=True)],
            size_in=(4.2, 3.0),
            raster_dpi=200,
        )
    )

    # 4. Thermal conductivity, log-log, lines with triangle markers.
    temp = np.array([50, 70, 100, 150, 200, 300, 400, 600, 800, 1000], dtype=float)
    series = [
        SeriesSpec(_r(temp), _sig(k0 * (300 / temp) ** p), "line", name, name, marker="^")
        for name, k0, p in (("Si", 148.0, 1.3), ("SiGe", 9.0, 0.35))
    ]
    specs.append(
        PlotSpec(
            "Thermal conductivity of Si and SiGe alloys on logarithmic axes.",
            [
                PanelSpec(
                    "Temperature (K)",
                    "$\\kappa$ (W m$^{-1}$ K$^{-1}$)",
                    "Temperature",
                    "K",
                    "kappa",
                    "W m^-1 K^-1",
                    series,
                    x_scale="log",
                    y_scale="log",
                    legend=True,
                )
            ],
        )
    )

    # 5. Dielectric constant against frequency on a log x axis.
    f = np.logspace(2, 7, 21)
    series = [
        SeriesSpec(_sig(f), _r(e_inf + (e_0 - e_inf) / (1 + (f / f0) ** 0.6), 3), "line", name, name, color=c)
        for name, e_0, e_inf, f0, c in (("BaTiO3", 2400, 1500, 2e5, "tab:red"), ("SrTiO3", 900, 300, 3e4, "tab:blue"))
    ]
    specs.append(
        PlotSpec(
            "Dielectric constant of BaTiO3 and SrTiO3 ceramics against frequency.",
            [
                PanelSpec(
                    "Frequency (Hz)",
                    "Dielectric constant",
                    "Frequency",
                    "Hz",
                    "Dielectric constant",
                    None,
                    series,
                    x_scale="log",
                    legend=True,
                )
            ],
            raster_dpi=150,
        )
    )

    # 6. Negative values: Seebeck coefficient, square markers, grid, no legend.
    t = np.arange(300, 801, 50.0)
    s = -(60 + 0.3 * (t - 300)) + rng.normal(0, 4, t.size)
    series = [SeriesSpec(_r(t), _r(s, 2), "scatter", None, marker="s", color="#6a3d9a")]
    specs.append(
        PlotSpec(
            "Seebeck coefficient of n-type Bi2Te3 against temperature.",
            [PanelSpec("T (K)", "S ($\\mu$V K$^{-1}$)", "T", "K", "S", "μV K^-1", series, grid=True)],
            size_in=(4.2, 3.0),
        )
    )

    # 7. Formation energy (negative), two lines with markers, legend with subscripts in mathtext.
    x = np.linspace(0, 1, 11)
    series = [
        SeriesSpec(_r(x), _r(a * x * (x - 1) + b * x, 4), "line", name, shown, marker=m)
        for name, shown, a, b, m in (
            ("LixCoO2", "Li$_x$CoO$_2$", 1.6, 0.12, "o"),
            ("LixNiO2", "Li$_x$NiO$_2$", 1.1, 0.05, "s"),
        )
    ]
    specs.append(
        PlotSpec(
            "Formation energy of delithiated LixCoO2 and LixNiO2 from DFT.",
            [
                PanelSpec(
                    "Li content $x$",
                    "Formation energy (eV/atom)",
                    "Li content x",
                    None,
                    "Formation energy",
                    "eV/atom",
                    series,
                    legend=True,
                    grid=True,
                )
            ],
            raster_dpi=200,
        )
    )

    # 8. Two panels: (a) lattice parameter (line+markers), (b) resistivity on log y (two lines).
    al = np.linspace(0, 30, 7)
    panel_a = PanelSpec(
        "Al content (at.%)",
        "Lattice parameter (Å)",
        "Al content",
        "at.%",
        "Lattice parameter",
        "Å",
        [
            SeriesSpec(
                _r(al),
                _r(3.189 - 0.00078 * al + rng.normal(0, 0.0006, al.size), 5),
                "line",
                None,
                marker="o",
                color="k",
            )
        ],
        panel="a",
    )
    t = np.linspace(80, 300, 12)
    panel_b = PanelSpec(
        "Temperature (K)",
        "Resistivity ($\\Omega$ cm)",
        "Temperature",
        "K",
        "Resistivity",
        "Ω cm",
        [
            SeriesSpec(_r(t), _sig(r0 * np.exp(ea / t)), "line", name, shown)
            for name, shown, r0, ea in (("TiO2", "TiO$_2$", 0.05, 600.0), ("Nb:TiO2", "Nb:TiO$_2$", 2e-3, 90.0))
        ],
        y_scale="log",
        legend=True,
        panel="b",
    )
    specs.append(
        PlotSpec(
            "(a) Lattice parameter of AlxGa1-xN against Al content; (b) resistivity of TiO2 films.",
            [panel_a, panel_b],
            size_in=(7.0, 2.9),
        )
    )

    # 9. Absorbance spectra: dense lines, explicit colours.
    wl = np.linspace(300, 800, 101)
    series = []
    for name, edge, width, peak, color in (("CdSe", 620, 12, 0.25, "#d62728"), ("CdS", 480, 10, 0.18, "#1f77b4")):
        absorbance = 1.0 / (1 + np.exp((wl - edge) / width)) + peak * np.exp(-(((wl - edge + 15) / 12) ** 2))
        series.append(SeriesSpec(_r(wl, 3), _r(absorbance, 4), "line", name, name, color=color))
    specs.append(
        PlotSpec(
            "Absorbance spectra of CdSe and CdS quantum dots in toluene.",
            [
                PanelSpec(
                    "Wavelength (nm)",
                    "Absorbance (a.u.)",
                    "Wavelength",
                    "nm",
                    "Absorbance",
                    "a.u.",
                    series,
                    legend=True,
                )
            ],
            raster_dpi=150,
        )
    )

    # 10. Magnetisation loop branch: negative x and y, one black line, grid.
    h = np.linspace(-5, 5, 41)
    series = [SeriesSpec(_r(h), _r(62 * np.tanh(h / 0.8), 3), "line", None, color="black")]
    specs.append(
        PlotSpec(
            "Magnetization of Fe3O4 nanoparticles at 300 K.",
            [
                PanelSpec(
                    "Magnetic field (T)", "M (emu g$^{-1}$)", "Magnetic field", "T", "M", "emu g^-1", series, grid=True
                )
            ],
            size_in=(4.4, 3.1),
        )
    )

    # 11. Hall-Petch on log-log axes: two scatter series.
    d = np.logspace(1, 4, 9)
    series = [
        SeriesSpec(
            _sig(d),
            _sig((s0 + k / np.sqrt(d / 1000)) * 10 ** rng.normal(0, 0.02, d.size)),
            "scatter",
            name,
            name,
            marker=m,
        )
        for name, s0, k, m in (("Cu", 25.0, 110.0, "o"), ("Ni", 40.0, 160.0, "^"))
    ]
    specs.append(
        PlotSpec(
            "Yield strength of Cu and Ni against grain size (Hall-Petch).",
            [
                PanelSpec(
                    "Grain size (nm)",
                    "Yield strength (MPa)",
                    "Grain size",
                    "nm",
                    "Yield strength",
                    "MPa",
                    series,
                    x_scale="log",
                    y_scale="log",
                    legend=True,
                )
            ],
            raster_dpi=200,
        )
    )

    # 12. Capacity retention: three scatter series with o, s, ^ markers.
    cycles = np.arange(1, 101, 9.0)
    series = []
    for name, c0, fade, m in (("LiFePO4", 160, 0.02, "o"), ("LiCoO2", 145, 0.12, "s"), ("NMC811", 195, 0.25, "^")):
        cap = c0 * (1 - fade * cycles / 100) + rng.normal(0, 1.0, cycles.size)
        series.append(SeriesSpec(_r(cycles), _r(cap, 2), "scatter", name, name, marker=m))
    specs.append(
        PlotSpec(
            "Discharge capacity of three cathodes over 100 cycles at 1C.",
            [
                PanelSpec(
                    "Cycle number",
                    "Capacity (mAh g$^{-1}$)",
                    "Cycle number",
                    None,
                    "Capacity",
                    "mAh g^-1",
                    series,
                    legend=True,
                    grid=True,
                )
            ],
        )
    )

    # 13. Two panels: (a) band gap against pressure, (b) refractive index scatter.
    p = np.linspace(0, 10, 11)
    panel_a = PanelSpec(
        "Pressure (GPa)",
        "$E_g$ (eV)",
        "Pressure",
        "GPa",
        "Eg",
        "eV",
        [
            SeriesSpec(_r(p), _r(e0 + k * p - 0.0003 * p * p, 5), "line", name, name)
            for name, e0, k in (("GaN", 3.44, 0.039), ("AlN", 6.1, 0.042))
        ],
        legend=True,
        panel="a",
    )
    wl = np.linspace(400, 1000, 13)
    panel_b = PanelSpec(
        "Wavelength (nm)",
        "Refractive index",
        "Wavelength",
        "nm",
        "Refractive index",
        None,
        [
            SeriesSpec(
                _r(wl),
                _r(2.3 + 0.08e6 / wl**2 + rng.normal(0, 0.004, wl.size), 4),
                "scatter",
                None,
                marker="o",
                color="tab:green",
            )
        ],
        grid=True,
        panel="b",
    )
    specs.append(
        PlotSpec(
            "(a) Band gap of GaN and AlN against pressure; (b) refractive index of a GaN film.",
            [panel_a, panel_b],
            size_in=(7.0, 2.9),
            raster_dpi=200,
        )
    )
    return specs


def _draw_panel(ax, spec: PanelSpec) -> None:
    for s in spec.series:
        kwargs = {"label": s.shown or s.label or "_nolegend_"}
        if s.color:
            kwargs["color"] = s.color
        if s.style == "scatter":
            ax.plot(s.x, s.y, linestyle="none", marker=s.marker or "o", markersize=5, **kwargs)
        else:
            ax.plot(s.x, s.y, linestyle="-", marker=s.marker or "", markersize=4, linewidth=1.3, **kwargs)
    ax.set_xscale(spec.x_scale)
    ax.set_yscale(spec.y_scale)
    ax.set_xlabel(spec.x_title)
    ax.set_ylabel(spec.y_title)
    if spec.grid:
        ax.grid(True, color="0.85", linewidth=0.6)
    if spec.legend:
        ax.legend(frameon=False, fontsize=8)
    if spec.panel:
        ax.text(-0.2, 1.02, f"({spec.panel})", transform=ax.transAxes, fontsize=10, fontweight="bold")


def _plot_figure(spec: PlotSpec):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(spec.panels), figsize=spec.size_in, squeeze=False)
    for ax, panel in zip(axes[0], spec.panels, strict=True):
        _draw_panel(ax, panel)
    fig.tight_layout()
    return fig, list(axes[0])


def _save(fig, fmt: str, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    return buf.getvalue()


def _truth_axes(ax, spec: PanelSpec) -> dict:
    return {
        "x_label": spec.x_label,
        "x_unit": spec.x_unit,
        "x_scale": spec.x_scale,
        "y_label": spec.y_label,
        "y_unit": spec.y_unit,
        "y_scale": spec.y_scale,
        "x_range": [float(v) for v in ax.get_xlim()],
        "y_range": [float(v) for v in ax.get_ylim()],
        "series": [
            {
                "label": s.label,
                "style": s.style,
                "color": _hex(line.get_color()),
                "points": [[x, y] for x, y in zip(s.x, s.y, strict=True)],
            }
            for s, line in zip(spec.series, ax.get_lines(), strict=True)
        ],
    }


def _hex(color: object) -> str:
    from matplotlib.colors import to_hex

    return to_hex(color)


class _Pages:
    """Places figures two to a page above their "Fig. N." captions, in one PDF per kind."""

    def __init__(self) -> None:
        self.doc = pymupdf.open()
        self.page: pymupdf.Page | None = None
        self.top = MARGIN
        self.on_page = 0

    def place(
        self,
        number: int,
        caption: str,
        size_pt: tuple[float, float],
        kind: str,
        content: bytes,
        box_pt: tuple[float, float] | None = None,
    ) -> int:
        """Put a figure (PDF bytes or image bytes) and its caption on the next free slot; returns the page number."""
        width, height = box_pt or size_pt
        if self.page is None or self.on_page == 2:
            self._new_page()
        assert self.page is not None
        x0 = (A4.width - width) / 2
        rect = pymupdf.Rect(x0, self.top, x0 + width, self.top + height)
        if kind == "vector":
            with pymupdf.open("pdf", content) as src:
                self.page.show_pdf_page(rect, src, 0)
        else:
            self.page.insert_image(rect, stream=content, keep_proportion=False)
        text_w = max(width, 300.0)
        cap = pymupdf.Rect(
            (A4.width - text_w) / 2, rect.y1 + CAPTION_GAP, (A4.width + text_w) / 2, rect.y1 + CAPTION_GAP + 40
        )
        left = self.page.insert_textbox(cap, f"Fig. {number}. {caption}", fontsize=CAPTION_SIZE, fontname="helv")
        if left < 0:
            raise ValueError(f"caption of Fig. {number} does not fit: {caption!r}")
        self.top = cap.y1 - left + 34  # the caption's last line, then space to the next figure
        self.on_page += 1
        return self.page.number + 1

    def _new_page(self) -> None:
        if self.page is not None:  # running text at the foot of the finished page, as in a paper
            self.page.insert_textbox(
                pymupdf.Rect(MARGIN, A4.height - MARGIN - 40, A4.width - MARGIN, A4.height - MARGIN),
                BODY,
                fontsize=9,
                fontname="tiro",
            )
        self.page = self.doc.new_page(width=A4.width, height=A4.height)
        self.top = MARGIN
        self.on_page = 0

    def save(self, path: Path) -> None:
        self._new_page()  # the last page gets its running text
        self.doc.delete_page(-1)
        self.doc.set_metadata({})
        self.doc.save(str(path), garbage=3, deflate=True, no_new_id=True)
        self.doc.close()


def _micrograph(fig) -> None:
    """Grains with bright boundaries and noise, a scale bar burnt in: an SEM image, no axes."""
    from matplotlib.patches import Rectangle

    rng = np.random.default_rng(SEED + 1)
    h, w = 220, 300
    seeds = rng.uniform(0, 1, (40, 2)) * (h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    dist = np.sort(np.stack([np.hypot(yy - sy, xx - sx) for sy, sx in seeds]), axis=0)
    image = 0.35 + 0.5 * np.exp(-(dist[1] - dist[0]) / 2.5) + rng.normal(0, 0.08, (h, w))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(image, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.add_patch(Rectangle((220, 200), 60, 5, color="white"))
    ax.text(250, 193, "200 nm", color="white", ha="center", fontsize=9)
    ax.set_axis_off()


def _schematic(fig) -> None:
    """Process flow: boxes and arrows, no axes."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ax = fig.add_axes((0, 0, 1, 1))
    steps = ["Ti precursor", "Spin coating", "Annealing\n500 °C", "TiO2 film"]
    for i, step in enumerate(steps):
        x = 0.04 + i * 0.245
        ax.add_patch(FancyBboxPatch((x, 0.4), 0.18, 0.2, boxstyle="round,pad=0.01", facecolor="#dde8f5", edgecolor="k"))
        ax.text(x + 0.09, 0.5, step, ha="center", va="center", fontsize=8)
        if i:
            ax.add_patch(FancyArrowPatch((x - 0.06, 0.5), (x - 0.005, 0.5), arrowstyle="-|>", mutation_scale=12))
    ax.text(0.5, 0.8, "Sol-gel route to anatase films", ha="center", fontsize=10)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()


def _surface(fig) -> None:
    """A 3D surface: band gap over composition and temperature."""
    ax = fig.add_subplot(projection="3d")
    x, t = np.meshgrid(np.linspace(0, 1, 16), np.linspace(0, 600, 16))
    ax.plot_surface(x, t, 3.4 + 2.6 * x - 0.0005 * t, cmap="viridis", linewidth=0)
    ax.set_xlabel("Al content x")
    ax.set_ylabel("Temperature (K)")
    ax.set_zlabel("$E_g$ (eV)")


def _with_inset(fig) -> None:
    """A line plot with a zoomed inset: two sets of axes in one figure."""
    ax = fig.add_subplot()
    e = np.linspace(2.8, 3.6, 41)
    ax.plot(e, np.clip(4 * (e - 3.2), 0, None) ** 2, color="tab:blue")
    ax.set_xlabel("Photon energy (eV)")
    ax.set_ylabel("$(\\alpha h\\nu)^2$ (a.u.)")
    inset = ax.inset_axes((0.12, 0.45, 0.35, 0.45))
    zoom = np.linspace(3.1, 3.35, 21)
    inset.plot(zoom, np.clip(4 * (zoom - 3.2), 0, None) ** 2, color="tab:red")
    inset.set_xlabel("E (eV)", fontsize=7)
    inset.tick_params(labelsize=6)
    fig.tight_layout()


def _thumbnail(fig) -> None:
    """A plot rendered far too small to read (then stretched on the page)."""
    ax = fig.add_subplot()
    x = np.linspace(0, 10, 30)
    ax.plot(x, np.sin(x), "o-")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Strain (%)")


def bad_specs() -> list[BadSpec]:
    return [
        BadSpec(
            "Scanning electron micrograph of the annealed TiO2 film surface.", "no axes", _micrograph, kinds=("raster",)
        ),
        BadSpec("Schematic of the sol-gel deposition route.", "no axes", _schematic, size_in=(5.2, 2.0)),
        BadSpec("Band gap of AlxGa1-xN over composition and temperature.", "3d plot", _surface, size_in=(4.4, 3.4)),
        BadSpec("Tauc plot of a TiO2 film; the inset enlarges the absorption edge.", "inset", _with_inset),
        BadSpec(
            "Strain response of the film under cyclic load.",
            "unreadable image",
            _thumbnail,
            kinds=("raster",),
            tiny_px=(48, 32),
        ),
    ]


def make_plot_set(folder: Path) -> list[dict]:
    """Write plots_vector.pdf, plots_raster.pdf, bad_figures.pdf and truth.json into `folder`.

    Returns the truth: one dict per plot panel with file, page, number, panel (None, "a", "b"),
    kind ("vector"/"raster"), expect ("read"/"skip"), reason (a SkipReason for expect="skip"),
    caption, x_label, x_unit, x_scale, y_label, y_unit, y_scale, x_range, y_range (the axes'
    limits as drawn) and series [{label, style ("line"/"scatter"), color, points [[x, y], ...]}].
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth: list[dict] = []
    style = {
        "pdf.fonttype": 42,
        "font.size": 9,
        "axes.titlesize": 9,
        "svg.hashsalt": "propmine",
        "path.simplify": False,
        "figure.dpi": 100,
    }
    with plt.rc_context(style):
        vector, raster = _Pages(), _Pages()
        for number, spec in enumerate(plot_specs(), start=1):
            fig, axes = _plot_figure(spec)
            pdf_bytes, png_bytes = _save(fig, "pdf"), _save(fig, "png", spec.raster_dpi)
            size_pt = (spec.size_in[0] * 72, spec.size_in[1] * 72)
            axes_truth = [_truth_axes(ax, panel) for ax, panel in zip(axes, spec.panels, strict=True)]
            plt.close(fig)
            for kind, pages, content in (("vector", vector, pdf_bytes), ("raster", raster, png_bytes)):
                page = pages.place(number, spec.caption, size_pt, kind, content)
                for panel, axis in zip(spec.panels, axes_truth, strict=True):
                    truth.append(
                        {
                            "file": f"plots_{kind}.pdf",
                            "page": page,
                            "number": number,
                            "panel": panel.panel,
                            "kind": kind,
                            "expect": "read",
                            "reason": None,
                            "caption": spec.caption,
                            **axis,
                        }
                    )
        vector.save(folder / "plots_vector.pdf")
        raster.save(folder / "plots_raster.pdf")

        bad = _Pages()
        number = 0
        for spec in bad_specs():
            fig = plt.figure(figsize=spec.size_in)
            spec.draw(fig)
            size_pt = (spec.size_in[0] * 72, spec.size_in[1] * 72)
            contents = {"vector": _save(fig, "pdf"), "raster": _save(fig, "png", 160)}
            if spec.tiny_px:
                contents["raster"] = _save(fig, "png", spec.tiny_px[0] / spec.size_in[0])
            plt.close(fig)
            for kind in spec.kinds:
                number += 1
                page = bad.place(number, spec.caption, size_pt, kind, contents[kind])
                truth.append(
                    {
                        "file": "bad_figures.pdf",
                        "page": page,
                        "number": number,
                        "panel": None,
                        "kind": kind,
                        "expect": "skip",
                        "reason": spec.reason,
                        "caption": spec.caption,
                        "x_label": None,
                        "x_unit": None,
                        "x_scale": "linear",
                        "y_label": None,
                        "y_unit": None,
                        "y_scale": "linear",
                        "x_range": None,
                        "y_range": None,
                        "series": [],
                    }
                )
        bad.save(folder / "bad_figures.pdf")
    (folder / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def main(out: str) -> None:
    truth = make_plot_set(Path(out))
    plots = sum(t["expect"] == "read" for t in truth)
    print(f"wrote {plots} plots and {len(truth) - plots} figures to skip to {out} (truth.json)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent / "plots"))
