"""Generate propmine's sample papers: `python data/make_samples.py data/samples`.

Everything here is written by propmine for its own demo and tests (no text from any corpus):

- sample_paper.pdf  a two-column A4 paper laid out by MuPDF's HTML engine, with sub/superscripts
                    (TiO2, Ba0.5Sr0.5TiO3, cm^-1, 10^5), a ruled table, a vector plot, a raster
                    image, running headers and page numbers; its gold records in sample_gold.jsonl
- sample_paper.txt  the same paper as plain text (the text-file path of the parser)
- bad/              an encrypted, a scanned (image-only), a truncated and an empty PDF

The generator is a module too: tests import it and write the files they need into tmp folders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pymupdf

TITLE = "Optical, dielectric and thermal properties of titanate thin films"
AUTHORS = "A. Sample, B. Writer and C. Tester, Institute of Example Materials, Testville"
RUNNING_HEAD = "Journal of Sample Materials 12 (2026) 101-102"

# Mini markup for the paper's text: X_{2} is a subscript, X^{-1} a superscript, **b** bold.
SECTIONS: list[tuple[str, list[str]]] = [
    (
        "1. Introduction",
        [
            "Titanium dioxide is a wide-gap semiconductor used in photocatalysis and in transparent "
            "electrodes [1]. Rutile TiO_{2} has a band gap of about 3.0 eV, as reported by Doe et al. [2], "
            "i.e. smaller than that of the anatase phase. Titanates such as Ba_{0.5}Sr_{0.5}TiO_{3} add a large "
            "and tunable permittivity (ca. 10^{3} at room temperature) to the optical transparency.",
            "Here we grow both materials as thin films and measure their optical, dielectric and thermal "
            "properties on the same samples (Fig. 1 and Table 1).",
        ],
    ),
    (
        "2. Experimental methods",
        [
            "Films 200 nm thick were deposited by pulsed laser deposition on SrTiO_{3}(001) substrates at "
            "700 °C under an oxygen pressure of 10^{-2} mbar. Optical absorption was measured by UV-vis "
            "spectroscopy from 250 to 800 nm. The permittivity was measured with interdigitated electrodes "
            "at 1 kHz, and the thermal conductivity by time-domain thermoreflectance at 300 K.",
        ],
    ),
    (
        "3. Results and discussion",
        [
            "The Tauc plot in Fig. 1 gives a direct optical band gap of 3.21 eV for the anatase TiO_{2} film, "
            "with an absorption coefficient of 1.2 × 10^{5} cm^{-1} at 350 nm.",
            "The Ba_{0.5}Sr_{0.5}TiO_{3} film has a band gap of 3.45 ± 0.05 eV and a dielectric constant of "
            "1200 at 1 kHz. Its Curie temperature is 250 K, below that of bulk BaTiO_{3}.",
            "The thermal conductivity of the TiO_{2} film was 1.5 W m^{-1} K^{-1} at 300 K, well below the "
            "single-crystal value. Table 1 lists the band gaps and refractive indices of reference oxides "
            "measured in the same set-up.",
            "TABLE",
            "Fig. 2 shows the surface of a TiO_{2} film: the grains are 40 to 60 nm across.",
            "FIGURE2",
        ],
    ),
    (
        "4. Conclusions",
        [
            "Anatase and titanate films grown in one chamber can be compared directly. Niobium doping "
            "lowers the resistivity of the TiO_{2} films to 2.5 × 10^{-3} Ω cm, which we will report separately.",
        ],
    ),
    (
        "Acknowledgements",
        [
            "We thank the staff of the example thin-film laboratory for help with the deposition chamber, and "
            "the anonymous reviewers for comments that improved the discussion of the dielectric data.",
        ],
    ),
    (
        "References",
        [
            "[1] C. Doe, J. Sample Mater. 1 (2001) 11-19.",
            "[2] D. Roe and C. Doe, Example Lett. 7 (2015) 205-208.",
        ],
    ),
]

ABSTRACT = (
    "We report the optical band gap, permittivity and thermal conductivity of anatase TiO_{2} and "
    "Ba_{0.5}Sr_{0.5}TiO_{3} thin films grown by pulsed laser deposition. The TiO_{2} films have a band gap "
    "of 3.21 eV; the Ba_{0.5}Sr_{0.5}TiO_{3} films reach a dielectric constant of 1200 at 1 kHz."
)

TABLE_CAPTION = "Table 1. Band gaps and refractive indices of reference oxides at room temperature."
TABLE_ROWS = [
    ["Material", "Band gap (eV)", "Refractive index"],
    ["ZnO", "3.37", "2.00"],
    ["SnO_{2}", "3.60", "2.01"],
    ["SrTiO_{3}", "3.25", "2.41"],
]
FIG1_CAPTION = "Fig. 1. Tauc plot of the anatase TiO_{2} film; the line extrapolates to the band gap."
FIG2_CAPTION = "Fig. 2. Scanning electron micrograph of a TiO_{2} film surface."

# What a careful reader extracts from the paper (one record per distinct fact).
GOLD = [
    {"material": "TiO2", "property": "band_gap", "value": 3.0, "unit": "eV", "synonyms": ["rutile TiO2"]},
    {"material": "TiO2", "property": "band_gap", "value": 3.21, "unit": "eV", "synonyms": ["anatase TiO2"]},
    {"material": "TiO2", "property": "absorption_coefficient", "value": 1.2e5, "unit": "1/cm"},
    {"material": "Ba0.5Sr0.5TiO3", "property": "band_gap", "value": 3.45, "unit": "eV"},
    {"material": "Ba0.5Sr0.5TiO3", "property": "dielectric_constant", "value": 1200, "unit": ""},
    {"material": "Ba0.5Sr0.5TiO3", "property": "curie_temperature", "value": 250, "unit": "K"},
    {"material": "TiO2", "property": "thermal_conductivity", "value": 1.5, "unit": "W/(m*K)"},
    {"material": "ZnO", "property": "band_gap", "value": 3.37, "unit": "eV"},
    {"material": "SnO2", "property": "band_gap", "value": 3.60, "unit": "eV"},
    {"material": "SrTiO3", "property": "band_gap", "value": 3.25, "unit": "eV"},
    {"material": "ZnO", "property": "refractive_index", "value": 2.00, "unit": ""},
    {"material": "SnO2", "property": "refractive_index", "value": 2.01, "unit": ""},
    {"material": "SrTiO3", "property": "refractive_index", "value": 2.41, "unit": ""},
    {
        "material": "TiO2",
        "property": "electrical_resistivity",
        "value": 2.5e-3,
        "unit": "ohm*cm",
        "synonyms": ["Nb-doped TiO2"],
    },
]

# Tauc-plot data of Fig. 1: (alpha h nu)^2 against photon energy, linear above the gap.
FIG1_POINTS = [(2.8 + 0.05 * i, max(0.0, 2.5 * (2.8 + 0.05 * i - 3.21)) + 0.04) for i in range(15)]

CSS = """
body { font-family: serif; font-size: 10pt; }
h1 { font-size: 16pt; font-weight: bold; text-align: center; margin: 0 0 6pt 0; }
p.authors { text-align: center; font-style: italic; }
p.abstract { margin: 4pt 20pt; }
h2 { font-size: 10.5pt; font-weight: bold; margin: 8pt 0 3pt 0; }
p { margin: 0 0 4pt 0; text-align: justify; }
p.caption { font-size: 8.5pt; }
td, th { border: 0.8pt solid black; padding: 1pt 3pt; font-size: 8.5pt; }
table { border-collapse: collapse; margin: 2pt 0 6pt 0; }
div.figure { height: 150pt; }
"""

A4 = pymupdf.paper_rect("a4")
MARGIN, GUTTER, HEADER_H = 50.0, 18.0, 150.0


def markup(text: str) -> str:
    """Our mini markup as HTML: _{x} -> <sub>, ^{x} -> <sup>, ** -> <b>."""
    out, i = "", 0
    while i < len(text):
        if text.startswith(("_{", "^{"), i):
            end = text.index("}", i)
            tag = "sub" if text[i] == "_" else "sup"
            inner = text[i + 2 : end].replace("-", "\u2212")
            out += f"<{tag}>{inner}</{tag}>"
            i = end + 1
        else:
            out += {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(text[i], text[i])
            i += 1
    return out


def plain(text: str) -> str:
    """Our mini markup as the plain text propmine's PDF parser writes (X2, cm^-1)."""
    return text.replace("_{", "").replace("^{", "^").replace("}", "")


def _table_html() -> str:
    head, *rows = TABLE_ROWS
    cells = "".join(f"<th>{markup(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{markup(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<p class="caption">{markup(TABLE_CAPTION)}</p><table><tr>{cells}</tr>{body}</table>'


def _body_html() -> str:
    parts = []
    for heading, paragraphs in SECTIONS:
        parts.append(f"<h2>{heading}</h2>")
        for para in paragraphs:
            if para == "TABLE":
                parts.append(_table_html())
            elif para == "FIGURE2":
                parts.append(f'<div class="figure"></div><p class="caption">{markup(FIG2_CAPTION)}</p>')
            else:
                parts.append(f"<p>{markup(para)}</p>")
        if heading.startswith("1."):
            parts.append(f'<div class="figure"></div><p class="caption">{markup(FIG1_CAPTION)}</p>')
    return "".join(parts)


def make_sample_paper(path: str | Path) -> dict:
    """Write the two-column sample paper; returns its gold item {"id", "path", "records"}."""
    path = Path(path)
    header = pymupdf.Story(
        f"<h1>{TITLE}</h1><p class='authors'>{AUTHORS}</p><h2>Abstract</h2><p class='abstract'>{markup(ABSTRACT)}</p>",
        user_css=CSS,
    )
    body = pymupdf.Story(_body_html(), user_css=CSS)
    col_w = (A4.width - 2 * MARGIN - GUTTER) / 2
    writer = pymupdf.DocumentWriter(str(path))
    first, more = True, 1
    while more:
        device = writer.begin_page(A4)
        top = MARGIN + 20
        if first:
            header.place(pymupdf.Rect(MARGIN, top, A4.width - MARGIN, top + HEADER_H))
            header.draw(device)
            top += HEADER_H
            first = False
        for x0 in (MARGIN, MARGIN + col_w + GUTTER):
            if more:
                more, _ = body.place(pymupdf.Rect(x0, top, x0 + col_w, A4.height - MARGIN - 20))
                body.draw(device)
        writer.end_page()
    writer.close()
    _decorate(path)
    return {"id": "sample_paper", "path": path.name, "records": GOLD}


def _decorate(path: Path) -> None:
    """Add what HTML layout cannot: running heads, page numbers, the plot and the micrograph."""
    doc = pymupdf.open(path)
    for page in doc:
        page.insert_text((MARGIN, MARGIN), RUNNING_HEAD, fontsize=8, fontname="helv")
        page.insert_text((A4.width / 2 - 3, A4.height - MARGIN + 10), str(page.number + 1), fontsize=8, fontname="helv")
        for x0, y0, _, _, text, *_ in page.get_text("blocks"):
            for caption, draw in (("Fig. 1.", _draw_tauc_plot), ("Fig. 2.", _draw_micrograph)):
                if text.startswith(caption):  # the caption block, below the space the HTML left free
                    draw(page, pymupdf.Rect(x0, y0 - 150, x0 + (A4.width - 2 * MARGIN - GUTTER) / 2 - 16, y0 - 6))
    doc.saveIncr()
    doc.close()


def _draw_tauc_plot(page: pymupdf.Page, region: pymupdf.Rect) -> None:
    """A vector line plot with axes, ticks, tick labels and axis titles (data in FIG1_POINTS)."""
    ax = pymupdf.Rect(region.x0 + 32, region.y0 + 6, region.x1 - 6, region.y1 - 26)
    x_lo, x_hi, y_lo, y_hi = 2.8, 3.5, 0.0, 1.0

    def to_page(x: float, y: float) -> pymupdf.Point:
        return pymupdf.Point(
            ax.x0 + (x - x_lo) / (x_hi - x_lo) * ax.width, ax.y1 - (y - y_lo) / (y_hi - y_lo) * ax.height
        )

    shape = page.new_shape()
    shape.draw_rect(ax)
    for i in range(8):
        x = x_lo + 0.1 * i
        p = to_page(x, y_lo)
        shape.draw_line(p, p + (0, -3))
        shape.insert_text(p + (-6, 9), f"{x:.1f}", fontsize=6)
    for i in range(6):
        y = y_lo + 0.2 * i
        p = to_page(x_lo, y)
        shape.draw_line(p, p + (3, 0))
        shape.insert_text(p + (-14, 2), f"{y:.1f}", fontsize=6)
    shape.finish(color=(0, 0, 0), width=0.6)
    points = [to_page(x, min(y, y_hi)) for x, y in FIG1_POINTS]
    shape.draw_polyline(points)
    shape.finish(color=(0.8, 0.1, 0.1), width=1.0, closePath=False)
    shape.insert_text((ax.x0 + ax.width / 2 - 30, ax.y1 + 20), "Photon energy (eV)", fontsize=7)
    shape.insert_text((ax.x0 - 24, ax.y0 + ax.height / 2 + 25), "(ahv)^2 (a.u.)", fontsize=7, rotate=90)
    shape.commit()


def _draw_micrograph(page: pymupdf.Page, region: pymupdf.Rect) -> None:
    """A raster image: grey grains on a darker background (a stand-in for an SEM image)."""
    width, height = 160, 120
    pixels = bytearray()
    for y in range(height):
        for x in range(width):
            grain = ((x // 16) * 7 + (y // 12) * 13) % 5
            pixels += bytes([60 + 30 * grain + (x * y) % 11])
    pix = pymupdf.Pixmap(pymupdf.csGRAY, width, height, bytes(pixels), False)
    page.insert_image(region, pixmap=pix)


def make_text_paper(path: str | Path) -> dict:
    """The sample paper as plain text (paragraphs separated by blank lines)."""
    path = Path(path)
    lines = [TITLE, AUTHORS, "Abstract", plain(ABSTRACT)]
    for heading, paragraphs in SECTIONS:
        lines.append(heading)
        for para in paragraphs:
            if para == "TABLE":
                lines.append(plain(TABLE_CAPTION))
                lines += [" | ".join(plain(c) for c in row) for row in TABLE_ROWS]
            elif para == "FIGURE2":
                lines.append(plain(FIG2_CAPTION))
            else:
                lines.append(plain(para))
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return {"id": "sample_paper_text", "path": path.name, "records": GOLD}


def make_encrypted(path: str | Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "The band gap of ZnO is 3.37 eV.")
    doc.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="secret")


def make_scanned(path: str | Path) -> None:
    """A page that is only an image of text: no text layer."""
    src = pymupdf.open()
    src.new_page(width=300, height=100).insert_text((20, 50), "The band gap of ZnO is 3.37 eV.", fontsize=12)
    pix = src[0].get_pixmap(dpi=100)
    doc = pymupdf.open()
    doc.new_page(width=300, height=100).insert_image(pymupdf.Rect(0, 0, 300, 100), stream=pix.tobytes("png"))
    doc.save(str(path))


def make_truncated(path: str | Path, source: Path | None = None) -> None:
    """The first third of a real PDF's bytes, as a download cut short leaves it."""
    if source is None:
        source = Path(path).with_suffix(".full.pdf")
        make_sample_paper(source)
    data = source.read_bytes()
    Path(path).write_bytes(data[: len(data) // 3])
    if source.name.endswith(".full.pdf"):
        source.unlink()


def make_empty_pdf(path: str | Path) -> None:
    """A valid PDF whose single page holds nothing."""
    doc = pymupdf.open()
    doc.new_page()
    doc.save(str(path))


def make_long(path: str | Path, pages: int) -> None:
    """A PDF with many short pages, for the page limit."""
    doc = pymupdf.open()
    for n in range(pages):
        doc.new_page().insert_text((72, 72), f"Page {n + 1}: the band gap of ZnO is 3.37 eV.")
    doc.save(str(path))


def main(out: str) -> None:
    folder = Path(out)
    (folder / "bad").mkdir(parents=True, exist_ok=True)
    gold = [make_sample_paper(folder / "sample_paper.pdf"), make_text_paper(folder / "sample_paper.txt")]
    (folder / "sample_gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold), encoding="utf-8")
    make_encrypted(folder / "bad" / "encrypted.pdf")
    make_scanned(folder / "bad" / "scanned.pdf")
    make_truncated(folder / "bad" / "truncated.pdf", folder / "sample_paper.pdf")
    make_empty_pdf(folder / "bad" / "empty_page.pdf")
    print(f"wrote samples to {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent / "samples"))
