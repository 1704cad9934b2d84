"""Generate papers whose property values stand only in tables: `python data/make_tables.py OUT [--held-back]`.

Each paper is written twice, as a two-page PDF (laid out by MuPDF's HTML engine, as
data/make_samples.py does) and as the plain text a pdf-to-text tool makes of such a paper, where
every table is flattened one cell per line after its caption (header cells first, then each row's
cells, long cells wrapped over two lines). Beside them a JSON file holds the truth: every
(material, property, value, unit) a table states, with its table and row.

Tables come in three styles (`ruled`: a full grid; `hrules`: journal style, rules above and below
the header and at the end; `unruled`: no lines at all) and two layouts (full page width, or one
column of a two-column page, where cells wrap more). Headers use several spellings of each
property and unit, some tables group method columns under one merged header ("Band gap (eV)" over
"PBE", "HSE06", "Exp."), values carry footnote marks, ranges and uncertainties, and some columns
are distractors (temperature, method, structure, reference).

Seeds below HELD_BACK_SEED are the development set. Papers made with `held_back=True` use seeds
from HELD_BACK_SEED on and draw header spellings that the development set never uses: keep them
out of sight while tuning and report on them separately.
"""

from __future__ import annotations

import json
import random
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pymupdf

STYLES = ("ruled", "hrules", "unruled")
LAYOUTS = ("wide", "column")
HELD_BACK_SEED = 1000

# Mini markup, as in make_samples.py: X_{2} is a subscript, X^{-1} a superscript.
CSS = """
body { font-family: serif; font-size: 10pt; }
h1 { font-size: 15pt; font-weight: bold; text-align: center; margin: 0 0 8pt 0; }
h2 { font-size: 10.5pt; font-weight: bold; margin: 8pt 0 3pt 0; }
p { margin: 0 0 4pt 0; text-align: justify; }
p.caption { font-size: 8.5pt; margin: 6pt 0 2pt 0; }
p.note { font-size: 7.5pt; margin: 0 0 1pt 0; }
table { border-collapse: collapse; margin: 2pt 0 4pt 0; }
div.float { page-break-inside: avoid; break-inside: avoid; }
td, th { padding: 1.5pt 4pt; font-size: 8.5pt; text-align: left; font-weight: normal; vertical-align: top; }
table.ruled td, table.ruled th { border: 0.7pt solid black; }
table.hrules tr.top th { border-top: 1pt solid black; }
table.hrules th.low { border-bottom: 0.6pt solid black; }
table.hrules th.group { border-bottom: 0.4pt solid black; }
table.hrules tr.last td { border-bottom: 1pt solid black; }
"""


@dataclass(frozen=True)
class PropertySpec:
    """One property as the generator writes it: header spellings (markup) with their unit, values, materials."""

    name: str
    headers: tuple[tuple[str, str], ...]  # (header markup, unit as written)
    held_back_headers: tuple[tuple[str, str], ...]
    low: float
    high: float
    decimals: int
    materials: tuple[str, ...]


BAND_GAP_MATERIALS = (
    "ZnO",
    "GaN",
    "anatase TiO_{2}",
    "SnO_{2}",
    "CdS",
    "MoS_{2}",
    "WSe_{2}",
    "CsPbBr_{3}",
    "Ba_{0.5}Sr_{0.5}TiO_{3}",
    "In_{2}O_{3}",
    "β-Ga_{2}O_{3}",
    "hexagonal boron nitride (h-BN)",
    "Cu_{2}ZnSnS_{4}",
    "GaAs",
    "InP",
    "AlN",
    "2H-MoTe_{2}",
    "CH_{3}NH_{3}PbI_{3}",
    "monolayer black phosphorus",
    "ZnSe",
)
PROPERTIES = {
    "band_gap": PropertySpec(
        "band_gap",
        (("E_{g} (eV)", "eV"), ("Band gap (eV)", "eV"), ("Band gap / eV", "eV"), ("E_{g} [eV]", "eV")),
        (("Bandgap (eV)", "eV"), ("Optical band gap / eV", "eV"), ("Energy gap [eV]", "eV")),
        0.4,
        6.0,
        2,
        BAND_GAP_MATERIALS,
    ),
    "band_gap_mev": PropertySpec(
        "band_gap",
        (("E_{g} (meV)", "meV"),),
        (("Band gap [meV]", "meV"),),
        15,
        900,
        0,
        ("VCClBr", "VCFBr", "Bi_{2}Se_{3}", "SnTe", "PbSnSe", "HgTe quantum well", "InAs/GaSb bilayer", "Bi_{2}Te_{3}"),
    ),
    "yield_strength": PropertySpec(
        "yield_strength",
        (("Yield strength (MPa)", "MPa"), ("σ_{y} (MPa)", "MPa"), ("Yield stress / MPa", "MPa")),
        (("0.2% proof stress [MPa]", "MPa"), ("Yield strength, MPa", "MPa")),
        180,
        1450,
        0,
        (
            "Fe-0.2C-1.5Mn steel",
            "Ti-6Al-4V",
            "AISI 316L",
            "Al 6061-T6",
            "Inconel 718",
            "CoCrFeMnNi",
            "Mg alloy AZ31",
            "Cu-Cr-Zr",
            "Ni_{3}Al",
            "Fe-9Cr-1Mo (Grade 91)",
            "Ti_{3}Al",
        ),
    ),
    "thermal_conductivity": PropertySpec(
        "thermal_conductivity",
        (
            ("Thermal conductivity (W/mK)", "W/mK"),
            ("κ (W m^{−1} K^{−1})", "W m−1 K−1"),
            ("Thermal conductivity / W m^{−1} K^{−1}", "W m−1 K−1"),
        ),
        (("κ [W/(m K)]", "W/(m K)"), ("Lattice thermal conductivity (W/m·K)", "W/m·K")),
        0.3,
        420,
        1,
        (
            "Bi_{2}Te_{3}",
            "PbTe",
            "SnSe",
            "Si",
            "diamond",
            "Cu",
            "AlN",
            "Si_{0.8}Ge_{0.2}",
            "amorphous SiO_{2}",
            "Mg_{2}Si",
            "CoSb_{3}",
        ),
    ),
    "density": PropertySpec(
        "density",
        (("Density (g cm^{−3})", "g cm−3"), ("ρ (g/cm^{3})", "g/cm3"), ("Density [g/cm^{3}]", "g/cm3")),
        (("Mass density / g cm^{−3}", "g cm−3"), ("Bulk density (g/cm^{3})", "g/cm3")),
        1.5,
        19.0,
        2,
        (
            "Al_{2}O_{3}",
            "ZrO_{2}",
            "Ti-6Al-4V",
            "Si_{3}N_{4}",
            "MgO",
            "WC",
            "SiC",
            "yttria-stabilized zirconia",
            "B_{4}C",
        ),
    ),
    "curie_temperature": PropertySpec(
        "curie_temperature",
        (("T_{C} (K)", "K"), ("Curie temperature (K)", "K"), ("T_{C} / K", "K")),
        (("Curie point (°C)", "°C"), ("Curie temperature [K]", "K")),
        30,
        1390,
        0,
        (
            "Fe",
            "Ni",
            "Co",
            "Gd",
            "CrI_{3}",
            "Fe_{3}O_{4}",
            "La_{0.7}Sr_{0.3}MnO_{3}",
            "BaTiO_{3}",
            "CrBr_{3}",
            "Fe_{3}GeTe_{2}",
            "Nd_{2}Fe_{14}B",
        ),
    ),
}
# Columns that are not properties: a reader must not take their numbers for one.
DISTRACTORS = (
    ("T (K)", ("300", "77", "10", "4.2", "295")),
    ("Method", ("Exp.", "PBE", "HSE06", "Calc.")),
    ("Structure", ("wurtzite", "rocksalt", "fcc", "bcc", "hexagonal", "orthorhombic")),
    ("Ref.", ("[12]", "[7]", "[23]", "[31]", "this work")),
)
PROSE = (
    "The samples were prepared as described in our earlier report, and their phase purity was checked before every "
    "measurement.",
    "All calculations used a plane-wave basis with a kinetic-energy cutoff chosen after convergence tests.",
    "The trends discussed below hold for every composition studied, within the scatter between nominally identical "
    "samples.",
    "We compare our data with values from the literature where such values exist, and note where they disagree.",
    "Each entry is the mean over at least three specimens cut from the same batch.",
    "The differences between the materials follow their bonding, as the next section discusses in detail.",
    "Uncertainties are dominated by the sample geometry rather than by the instrument.",
    "A complete list of the synthesis conditions is given in the supplementary material.",
)


def markup(text: str) -> str:
    """Mini markup as HTML: _{x} -> <sub>, ^{x} -> <sup>."""
    out, i = "", 0
    while i < len(text):
        if text.startswith(("_{", "^{"), i):
            end = text.index("}", i)
            tag = "sub" if text[i] == "_" else "sup"
            out += f"<{tag}>{text[i + 2 : end]}</{tag}>"
            i = end + 1
        else:
            out += {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(text[i], text[i])
            i += 1
    return out


def plain(text: str) -> str:
    """Mini markup as the plain text a pdf-to-text tool writes (TiO2, cm−3, footnote marks glued on)."""
    return text.replace("_{", "").replace("^{", "").replace("}", "")


@dataclass
class Column:
    header: str  # markup
    unit: str | None  # as written, for property columns
    prop: str | None  # canonical property name, None for a distractor
    group: str | None = None  # markup of a merged header above this column
    spec: PropertySpec | None = None


def _value(rng: random.Random, spec: PropertySpec) -> tuple[str, float, float | None]:
    """A cell (markup) and the value (and upper end) it states."""
    value = round(rng.uniform(spec.low, spec.high), spec.decimals)
    fmt = f"{{:.{spec.decimals}f}}"
    roll = rng.random()
    if roll < 0.10:
        high = round(value * rng.uniform(1.05, 1.3), spec.decimals)
        return f"{fmt.format(value)}{rng.choice(['–', '-'])}{fmt.format(high)}", value, high
    text = fmt.format(value)
    if roll < 0.25:
        text += "^{" + rng.choice(["a", "b", "c", "*"]) + "}"
    elif roll < 0.30:
        text += f" ± {fmt.format(max(10**-spec.decimals, round(value * 0.03, spec.decimals)))}"
    return text, value, None


def _table(rng: random.Random, number: int, held_back: bool, layout: str) -> dict:
    """One table: its caption, columns, rows (markup) and truth records."""
    key = rng.choice(list(PROPERTIES))
    spec = PROPERTIES[key]
    headers = spec.held_back_headers if held_back else spec.headers
    columns: list[Column] = []
    header, unit = rng.choice(headers)
    if spec.name == "band_gap" and unit == "eV" and rng.random() < 0.3:
        for method in rng.sample(["PBE", "HSE06", "Exp."], rng.choice([2, 3])):
            columns.append(Column(method, unit, spec.name, group=header, spec=spec))
    else:
        columns.append(Column(header, unit, spec.name, spec=spec))
    if rng.random() < 0.35:  # a second property column
        other_key = rng.choice([k for k in PROPERTIES if PROPERTIES[k].name != spec.name])
        other = PROPERTIES[other_key]
        other_header, other_unit = rng.choice(other.held_back_headers if held_back else other.headers)
        columns.append(Column(other_header, other_unit, other.name, spec=other))
    for name, _ in rng.sample(DISTRACTORS, rng.choice([0, 1, 1, 2]) if layout == "wide" else rng.choice([0, 1])):
        # never inside the columns of a merged group header
        at = [i for i in range(len(columns) + 1) if i in (0, len(columns)) or not columns[i].group]
        columns.insert(rng.choice(at), Column(name, None, None))
    label_header = rng.choice(["Material", "Compound", "Sample", "System", ""])
    rows: list[list[str]] = []
    records: list[dict] = []
    materials = rng.sample(spec.materials, min(len(spec.materials), rng.randint(3, 7)))
    for r, material in enumerate(materials, start=1):
        row = [material]
        for c in columns:
            if c.prop is None:
                row.append(rng.choice(dict(DISTRACTORS)[c.header]))
                continue
            assert c.spec is not None
            if rng.random() < 0.06:
                row.append("–")
                continue
            cell, value, high = _value(rng, c.spec)
            row.append(cell)
            records.append(
                {
                    "material": plain(material),
                    "property": c.prop,
                    "value": value,
                    "value_max": high,
                    "unit": plain(c.unit or ""),
                    "table": number,
                    "row": r,
                    "column": plain(((c.group + " ") if c.group else "") + c.header),
                }
            )
        rows.append(row)
    names = " and ".join(sorted({(c.spec.name if c.spec else "").replace("_", " ") for c in columns if c.prop}))
    caption = f"Table {number}. {names[0].upper() + names[1:]} of the {rng.choice(['studied', 'selected', 'reference'])} materials"
    if rng.random() < 0.5:
        caption += rng.choice([" at room temperature", ", as measured and as computed", " (values from this work)"])
    caption += "."
    notes = []
    if any("^{a}" in cell for row in rows for cell in row):
        notes.append("^{a} Measured on thin films.")
    if any("^{*}" in cell for row in rows for cell in row):
        notes.append("^{*} Estimated from the absorption edge.")
    return {
        "number": number,
        "caption": caption,
        "label_header": label_header,
        "columns": columns,
        "rows": rows,
        "notes": notes,
        "records": records,
    }


def _table_html(table: dict, style: str) -> str:
    columns: list[Column] = table["columns"]
    grouped = any(c.group for c in columns)
    cls = f' class="{style}"'
    head = []
    if grouped:
        first = [f'<th rowspan="2" class="low">{markup(table["label_header"])}</th>']
        second = []
        i = 0
        while i < len(columns):
            c = columns[i]
            if c.group:
                span = sum(1 for d in columns if d.group == c.group)
                first.append(f'<th colspan="{span}" class="group">{markup(c.group)}</th>')
                second += [f'<th class="low">{markup(d.header)}</th>' for d in columns[i : i + span]]
                i += span
            else:
                first.append(f'<th rowspan="2" class="low">{markup(c.header)}</th>')
                i += 1
        head = [f'<tr class="top">{"".join(first)}</tr>', f"<tr>{''.join(second)}</tr>"]
    else:
        cells = [table["label_header"]] + [c.header for c in columns]
        head = ['<tr class="top">' + "".join(f'<th class="low">{markup(h)}</th>' for h in cells) + "</tr>"]
    body = []
    for n, row in enumerate(table["rows"]):
        last = ' class="last"' if n == len(table["rows"]) - 1 else ""
        cells = "".join(f"<td>{markup(c)}</td>" for c in row)
        body.append(f"<tr{last}>{cells}</tr>")
    notes = "".join(f'<p class="note">{markup(n)}</p>' for n in table["notes"])
    return (
        f'<div class="float"><p class="caption">{markup(table["caption"])}</p>'
        f"<table{cls}>{''.join(head)}{''.join(body)}</table>{notes}</div>"
    )


def _wrap_cell(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, break_on_hyphens=False) or [text]


def _table_text(table: dict) -> list[str]:
    """The table as a pdf-to-text tool flattens it: caption, header cells, then each row's cells, one per line."""
    lines = textwrap.wrap(plain(table["caption"]), width=78)
    columns: list[Column] = table["columns"]
    first = [table["label_header"]] if table["label_header"] else []
    second: list[str] = []
    seen_groups: set[str] = set()
    for c in columns:
        if c.group:
            if c.group not in seen_groups:
                seen_groups.add(c.group)
                first.append(c.group)
            second.append(c.header)
        else:
            first.append(c.header)
    for cell in first + second:
        lines += _wrap_cell(plain(cell), 22)
    for row in table["rows"]:
        lines += _wrap_cell(plain(row[0]), 18)
        lines += [plain(c) for c in row[1:]]
    lines += [plain(n) for n in table["notes"]]
    return lines


def make_table_paper(pdf_path: str | Path, text_path: str | Path, seed: int, style: str, layout: str) -> dict:
    """Write one paper (PDF and flattened text) whose values stand only in tables; returns its truth."""
    rng = random.Random(f"{seed}-{style}-{layout}")
    held_back = seed >= HELD_BACK_SEED
    tables = [_table(rng, n, held_back, layout) for n in range(1, rng.choice([2, 3]) + 1)]
    title = "Properties of selected materials from tables " + str(seed)
    html = [f"<h1>{title}</h1>"]
    text_lines = [title, ""]
    for n, table in enumerate(tables):
        heading = f"{n + 1}. Results, part {n}" if n else "1. Introduction"
        prose = [" ".join(rng.sample(PROSE, rng.randint(2, 3))) for _ in range(rng.randint(3, 5))]
        html.append(f"<h2>{heading}</h2>" + "".join(f"<p>{p}</p>" for p in prose))
        html.append(_table_html(table, style))
        after = rng.choice(PROSE)
        html.append(f"<p>{after}</p>")
        text_lines.append(heading)
        for p in prose:
            text_lines += textwrap.wrap(p, width=78) + ([""] if rng.random() < 0.5 else [])
        text_lines += _table_text(table)
        text_lines += textwrap.wrap(after, width=78) + [""]
    _write_pdf(Path(pdf_path), "".join(html), layout)
    Path(text_path).write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    records = [r for t in tables for r in t["records"]]
    return {
        "id": Path(pdf_path).stem,
        "pdf": Path(pdf_path).name,
        "text": Path(text_path).name,
        "seed": seed,
        "style": style,
        "layout": layout,
        "held_back": held_back,
        "rows": sum(len(t["rows"]) for t in tables),
        "records": records,
    }


def _write_pdf(path: Path, html: str, layout: str) -> None:
    page = pymupdf.paper_rect("a4")
    margin, gutter = 56.0, 18.0
    story = pymupdf.Story(html, user_css=CSS)
    writer = pymupdf.DocumentWriter(str(path))
    if layout == "wide":
        frames = [(margin, page.width - margin)]
    else:
        col = (page.width - 2 * margin - gutter) / 2
        frames = [(margin, margin + col), (margin + col + gutter, page.width - margin)]
    more = 1
    while more:
        device = writer.begin_page(page)
        for x0, x1 in frames:
            if more:
                more, _ = story.place(pymupdf.Rect(x0, margin, x1, page.height - margin))
                story.draw(device)
        writer.end_page()
    writer.close()


def make_table_set(folder: str | Path, seeds: list[int] | range, held_back: bool = False) -> list[dict]:
    """Papers for every style and layout of each seed (held-back seeds are offset by HELD_BACK_SEED)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth = []
    for seed in seeds:
        seed = seed + HELD_BACK_SEED if held_back and seed < HELD_BACK_SEED else seed
        for style in STYLES:
            for layout in LAYOUTS:
                stem = f"tables_{seed}_{style}_{layout}"
                truth.append(make_table_paper(folder / f"{stem}.pdf", folder / f"{stem}.txt", seed, style, layout))
    (folder / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), encoding="utf-8")
    return truth


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else Path("table_samples")
    items = make_table_set(out, range(10), held_back="--held-back" in sys.argv)
    print(f"wrote {len(items)} papers ({sum(len(i['records']) for i in items)} table values) to {out}")
