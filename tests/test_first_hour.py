"""What a new user meets in the first hour (issue 15): progress on long work, quiet output, CPU threads,
the details of item 6, parsing details (junk titles, broken fonts, files named .docx), figures in the summary.

Commands run as a user runs them: in a subprocess (what a log or a pipe sees), or in-process through
flows.cli.main where a part must be replaced (the batch flow, the model).
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pymupdf
import pytest
import typer
from conftest import run_cli  # tests/ is on sys.path (pytest's prepend import mode)
from rich.console import Console
from typer.testing import CliRunner

from extractors import progress
from extractors.documents.papers import open_paper, parse_document
from extractors.records import model as model_module
from extractors.records.model import available_cores, choose_threads
from flows import cli as cli_module
from flows.cli import app
from flows.progress import BatchProgress, WorkProgress, figures_summary, plural
from flows.query import evidence_window, hits_table
from flows.query_text import parse_bound
from schemas.errors import ConfigError, InputError
from schemas.figure import FigureData
from schemas.result import BatchSummary, PaperResult
from schemas.settings import Settings

PROPMINE = [sys.executable, "-m", "flows"]
ANSI = re.compile(r"\x1b\[")


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROPMINE, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.fixture
def one_record_paper(tmp_path: Path) -> Path:
    path = tmp_path / "zno.txt"
    path.write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis.\n", encoding="utf-8")
    return path


# -- 1. progress -------------------------------------------------------------------------------------------


def test_extract_off_a_terminal_says_a_plain_line_per_paper_and_stage(sample_pdf: Path, one_record_paper: Path):
    proc = run("extract", str(sample_pdf), str(one_record_paper), "--extractor", "rules", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "[1/2] sample_paper.pdf: reading" in lines
    assert "[1/2] sample_paper.pdf: parsing 2 pages" in lines
    assert any(re.fullmatch(r"\[1/2\] sample_paper\.pdf: \d+ records \(success\) in [\d.]+ s", line) for line in lines)
    assert "[2/2] zno.txt: 1 record (success) in" in proc.stderr
    assert not ANSI.search(proc.stderr) and "━" not in proc.stderr  # no bars, no colour codes in a log


def test_quiet_leaves_only_the_results(sample_pdf: Path) -> None:
    proc = run("extract", str(sample_pdf), "--extractor", "rules", "--format", "jsonl", "--quiet")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert len(proc.stdout.splitlines()) >= 3


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_long_stage_reports_its_rate_and_time_left_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "monotonic", clock)
    buffer = io.StringIO()
    shown = WorkProgress(Console(file=buffer, width=100), live=False)
    with shown, progress.listening(shown):
        shown.paper("patent.pdf", 1, 1)
        progress.stage("the model reads", 120, "passages")
        for _ in range(40):  # 40 passages in 80 s: 0.5/s, 80 left -> 160 s
            clock.now += 2.0
            progress.advance(1)
    assert buffer.getvalue().splitlines() == [
        "patent.pdf: reading",
        "patent.pdf: the model reads 120 passages",
        "patent.pdf: the model reads: 15/120 passages, 0.5 passages/s, about 3m30s left",  # 30 s in: 105 left
        "patent.pdf: the model reads: 30/120 passages, 0.5 passages/s, about 3m00s left",  # a line every 30 s
    ]


def test_on_a_terminal_the_stage_is_a_bar_with_a_rate() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=110, force_terminal=True)
    shown = WorkProgress(console)
    assert shown.live
    with shown, progress.listening(shown):
        shown.paper("patent.pdf", 1, 1)
        progress.stage("parsing", 30, "pages")
        for _ in range(10):
            progress.advance(1)
            time.sleep(0.03)
        progress.note("converting the packaged model once")
        time.sleep(0.3)  # the bar refreshes ten times a second
    screen = buffer.getvalue()
    assert "patent.pdf: parsing" in screen and "/30" in screen and "pages/s" in screen
    assert "note: converting the packaged model once" in screen


def test_progress_outside_a_listener_costs_nothing() -> None:
    progress.stage("parsing", 3, "pages")  # no listener: nothing happens, nothing fails
    progress.advance(3)
    progress.note("nobody hears this")


def test_batch_shows_each_paper_and_a_running_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI's side of the batch flow's `progress` callback, with the flow replaced by one that calls it."""
    import flows.mine_corpus

    def fake_mine_corpus(source: str, db: str, options: object, *, progress: object, **kwargs: object) -> BatchSummary:
        assert callable(progress)
        outcomes = [
            PaperResult(source="papers/a.pdf", records=[]),
            PaperResult(source="papers/b.pdf", status="failed", errors=["parse: b.pdf: the PDF is encrypted"]),
        ]
        for outcome in outcomes:
            progress(outcome.source, None, 2)
            progress(outcome.source, outcome, 2)
        return BatchSummary(run_id="r1", source=source, references=3, skipped=1, extracted=2, success=1, failed=1)

    monkeypatch.setattr(flows.mine_corpus, "mine_corpus", fake_mine_corpus)
    monkeypatch.setattr(cli_module, "err_console", Console(file=sys.stderr, width=60))
    code, _, err = run_cli(monkeypatch, capsys, "batch", str(tmp_path), "--db", str(tmp_path / "m.duckdb"))
    assert code == 0, err
    assert "[1/2] a.pdf: success, 0 records · so far 1 success, 0 records\n" in err
    assert re.search(
        r"^\[2/2\] b\.pdf: failed, parse: b\.pdf: the PDF is encrypted · so far 1 success, 1 failed", err, re.M
    )
    for label in ("papers listed", "skipped (done before)", "resumed (staged before)", "extracted", "records"):
        assert label in err  # whole, on a 60-column terminal


def test_a_real_batch_off_a_terminal_says_a_line_per_paper(tmp_path: Path) -> None:
    """Needs flows/mine_corpus.py to call its `progress` callback (see the note of issue 15's helper)."""
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "a.txt").write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, by UV-vis.\n", encoding="utf-8")
    (papers / "b.txt").write_text("Results\n\nGaN has a band gap of 3.4 eV. TiO2 has a band gap of 3.2 eV.\n", "utf-8")
    proc = run("batch", str(papers), "--db", str(tmp_path / "m.duckdb"), "--extractor", "rules", timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert re.fullmatch(r"\[1/2\] a\.txt: success, 1 record · so far 1 success, 1 record(, about .* left)?", lines[0])
    assert lines[1] == "[2/2] b.txt: success, 2 records · so far 2 success, 3 records", proc.stderr
    assert not any(line.startswith("INFO") for line in lines)  # Prefect's own logs are not the user's business


def test_batch_progress_counts_receipts_without_records() -> None:
    """A Dask chunk's receipt for a paper has a status but no records: counted, not guessed."""

    class Receipt:
        source = "x.pdf"
        status = "staged"

    buffer = io.StringIO()
    shown = BatchProgress(Console(file=buffer, width=120), live=False)
    shown("x.pdf", Receipt(), 1)
    assert buffer.getvalue().strip() == "[1/1] x.pdf: staged · so far 1 staged, 0 records"


# -- 2. noise ------------------------------------------------------------------------------------------------


def test_the_first_model_conversion_says_what_it_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note comes before the conversion starts (which is stopped here: it takes ~30 s)."""
    notes: list[str] = []

    class Listener:
        def stage(self, name: str, total: int | None, unit: str) -> None: ...

        def advance(self, done: int) -> None: ...

        def note(self, message: str) -> None:
            notes.append(message)

    class Stop(Exception):
        pass

    def refuse(*args: object, **kwargs: object) -> None:
        raise Stop

    import transformers

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", refuse)
    with progress.listening(Listener()), pytest.raises(Stop):
        model_module.converted_embedded_dir(Settings(cache_dir=tmp_path / "cache"))
    assert len(notes) == 1 and notes[0].startswith("converting the packaged model once into ")
    assert "about 30 s" in notes[0]


QUIET_LOAD = """
import sys, torch
from extractors.records.model import load_model
from schemas.options import SHIPPED_ADAPTER_DIR
loaded = load_model(base_model=None, adapter=str(SHIPPED_ADAPTER_DIR))
print(torch.get_num_threads())
"""


@pytest.mark.slow
def test_loading_the_model_prints_nothing_and_takes_the_thread_setting(base_model) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", QUIET_LOAD],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PROPMINE_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no "Loading weights" bars, no FutureWarning
    assert proc.stdout.strip() == "1"


@pytest.mark.slow
def test_the_model_reports_passages_as_it_reads_them(base_model) -> None:
    from extractors.records.llm import Job, ModelCompleter, passage_grammar
    from extractors.records.prompts import render_messages
    from schemas.passage import Passage

    texts = ["The band gap of ZnO is 3.37 eV.", "GaN has a band gap of 3.4 eV.", "TiO2 films: 3.2 eV gap."]
    passages = [
        Passage(passage_id=f"p{i}", paper_id="x", text=t, char_start=0, char_end=len(t)) for i, t in enumerate(texts)
    ]
    jobs = [Job(render_messages(p.text, p.context, ["band_gap"]), passage_grammar(p, ["band_gap"])) for p in passages]
    events: list[tuple] = []

    class Listener:
        def stage(self, name: str, total: int | None, unit: str) -> None:
            events.append(("stage", name, total, unit))

        def advance(self, done: int) -> None:
            events.append(("advance", done))

        def note(self, message: str) -> None: ...

    with progress.listening(Listener()):
        answers = ModelCompleter(base_model, batch_size=2, max_new_tokens=24).complete(jobs)
    assert len(answers) == 3
    assert events == [("stage", "the model reads", 3, "passages"), ("advance", 2), ("advance", 1)]


# -- 5. threads ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("3", 3), ("0", None), (None, "cores"), ("", "cores")],
    ids=["setting_wins", "zero_is_torch_default", "unset_physical_cores", "empty_is_unset"],
)
def test_thread_choice(monkeypatch: pytest.MonkeyPatch, setting: str | None, expected: int | str | None) -> None:
    if setting is None:
        monkeypatch.delenv("PROPMINE_THREADS", raising=False)
    else:
        monkeypatch.setenv("PROPMINE_THREADS", setting)
    chosen = choose_threads(Settings.from_env())
    assert chosen == (available_cores() if expected == "cores" else expected)


def test_the_cli_lets_openmp_threads_sleep() -> None:
    """OMP_WAIT_POLICY=PASSIVE unless the user set it, and before torch is imported (OpenMP reads it then)."""
    code = "import os, sys; from flows.cli import main; sys.argv = ['propmine', '--help']\n"
    code += "try:\n    main()\nexcept SystemExit:\n    pass\nprint(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "PASSIVE False", proc.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stdout.strip().splitlines()[-1] == "ACTIVE False"


def test_a_bad_thread_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPMINE_THREADS", "many")
    with pytest.raises(ConfigError, match=r"^PROPMINE_THREADS='many': .*integer") as caught:
        Settings.from_env()
    assert "\n" not in str(caught.value)


def test_available_cores_follow_the_affinity() -> None:
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert 1 <= available_cores() <= len(os.sched_getaffinity(0))


# -- 6. details ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(0, "0 records"), (1, "1 record"), (2, "2 records")], ids=["0", "1", "2"])
def test_plural(n: int, expected: str) -> None:
    assert plural(n, "record") == expected


def test_one_record_is_singular(one_record_paper: Path) -> None:
    proc = run("extract", str(one_record_paper), "--extractor", "rules")
    assert proc.returncode == 0, proc.stderr
    assert "1 record from 1 of 1 file; 0 proposals rejected as ungrounded" in proc.stderr
    assert "1 records" not in proc.stderr


def _all_help(typer_app: typer.Typer) -> dict[str, str]:
    """Every command's --help text (label's subcommands too), by command line."""
    runner = CliRunner()
    texts = {"": runner.invoke(typer_app, ["--help"]).output}
    commands = re.findall(r"^│ (\w[\w-]*) ", texts[""], re.M)
    for command in commands:
        texts[command] = runner.invoke(typer_app, [command, "--help"]).output
        for sub in re.findall(r"^│ (\w[\w-]*) ", texts[command], re.M) if "Commands" in texts[command] else []:
            texts[f"{command} {sub}"] = runner.invoke(typer_app, [command, sub, "--help"]).output
    return texts


def test_help_texts_name_only_commands_that_exist() -> None:
    texts = _all_help(app)
    assert {"extract", "batch", "train", "query", "label", "label export"} <= set(texts)
    groups = {name.split()[0] for name in texts if " " in name}
    for where, text in texts.items():
        flat = " ".join(text.replace("│", " ").split())
        for named in re.findall(r"propmine ([a-z][\w-]*(?: [a-z][\w-]*)?)", flat):
            words = named.split()
            command = " ".join(words[:2]) if words[0] in groups and len(words) == 2 else words[0]
            assert command in texts, f"`propmine {where} --help` names `propmine {named}`, which does not exist"


def test_an_unknown_property_exits_the_same_from_extract_and_query(
    one_record_paper: Path, tmp_path: Path, mine_text_papers, monkeypatch, capsys
) -> None:
    db = mine_text_papers(tmp_path, {"zno": one_record_paper.read_text(encoding="utf-8")})
    extract = run_cli(
        monkeypatch, capsys, "extract", str(one_record_paper), "--property", "colour", "--extractor", "rules"
    )
    query = run_cli(monkeypatch, capsys, "query", "--db", str(db), "--property", "colour of the sky", "--lexical")
    assert extract[0] == query[0] == ConfigError.exit_code
    assert "no such property" in query[2] and "not in the vocabulary" in extract[2]


@pytest.mark.parametrize(
    ("bound", "message"),
    [
        ("3 furlongs", "--min '3 furlongs' is a length, the wrong kind of unit: band_gap needs an energy (eV)"),
        ("300 K", "--min '300 K' is a temperature, the wrong kind of unit: band_gap needs an energy (eV)"),
        ("3 bananas", "--min '3 bananas': 'bananas' is not a unit propmine knows"),
    ],
    ids=["furlongs", "kelvin", "not_a_unit"],
)
def test_a_bound_in_the_wrong_unit_names_its_dimension(
    tmp_path: Path, mine_text_papers, one_record_paper: Path, monkeypatch, capsys, bound: str, message: str
) -> None:
    db = mine_text_papers(tmp_path, {"zno": one_record_paper.read_text(encoding="utf-8")})
    code, _, err = run_cli(monkeypatch, capsys, "query", "--db", str(db), "-p", "band_gap", "--min", bound, "--lexical")
    assert code == InputError.exit_code
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_bound_in_a_rare_unit_converts() -> None:
    q = parse_bound("2 furlongs", "--min")
    assert (q.value, q.unit) == (2.0, "furlongs")


QUERY_HIT = {
    "material": "ZnO",
    "property": "band_gap",
    "value": 3.37,
    "value_max": None,
    "qualifier": "exact",
    "unit": "eV",
    "value_canonical": 3.37,
    "unit_canonical": "eV",
    "method": {"kind": "experimental", "detail": "UV-vis"},
    "credibility": {"score": 0.8},
    "relevance": 0.9,
    "source": "/data/papers/zno.pdf",
    "spans": {"value": [1098, 1105]},
    "evidence": {
        "text": "In a long introduction that goes on and on about many things, we note that the band gap of ZnO "
        "is 3.37 eV at room temperature, which agrees with the values reported by many other groups.",
        "char_start": 1000,
        "page": 2,
    },
}


@pytest.mark.parametrize("width", [80, 160], ids=["narrow_terminal", "wide_terminal"])
def test_query_table_shows_the_evidence_around_the_value(width: int) -> None:
    buffer = io.StringIO()
    hits_table([QUERY_HIT], Console(file=buffer, width=width))
    screen = buffer.getvalue().splitlines()
    assert all(len(line) <= width and line[-1] in "┓┃┩│┘" for line in screen), "the table is cut at the edge"
    assert screen[1].split("┃")[-2].strip() == "evidence"
    evidence = " ".join(line.split("│")[-2].strip() for line in screen if line.startswith("│"))
    assert "the band gap of ZnO is 3.37 eV at room" in evidence
    assert "zno.pdf p.2" in buffer.getvalue()


def test_evidence_window_is_centred_on_the_value() -> None:
    window = evidence_window(QUERY_HIT, half_width=20)
    assert window == "…band gap of ZnO is 3.37 eV at room…"  # 20 characters on each side, cut between words


# -- 7. parsing ------------------------------------------------------------------------------------------------

TITLE = "Optical band gaps of sputtered ZnO thin films"
BODY = "The band gap of ZnO is 3.{} eV at 300 K, measured by UV-vis absorption on films of 200 nm."


def make_pdf(path: Path, metadata_title: str, title_size: float = 16, pages: int = 1, running_header: bool = False):
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=595, height=842)
        if n == 0:
            page.insert_text((72, 40 if running_header else 80), TITLE, fontsize=title_size)
        elif running_header:
            page.insert_text((72, 30), TITLE, fontsize=8)
        for i in range(12):
            page.insert_text((72, 120 + 14 * i), BODY.format(i), fontsize=10)
    doc.set_metadata({"title": metadata_title})
    doc.save(path)
    return path


@pytest.mark.parametrize(
    ("metadata_title", "title_size", "pages", "running_header"),
    [
        ("5", 16, 1, False),
        ("untitled", 16, 1, False),
        ("Microsoft Word - paper_v3.docx", 16, 1, False),
        ("5", 12, 1, False),
        ("Microsoft Word - paper_v3.docx", 18, 3, True),
    ],
    ids=["a_number", "untitled", "word_file_name", "title_barely_larger", "title_repeated_as_running_header"],
)
def test_a_junk_metadata_title_gives_way_to_the_first_page(
    tmp_path: Path, metadata_title: str, title_size: float, pages: int, running_header: bool
) -> None:
    path = make_pdf(tmp_path / "p.pdf", metadata_title, title_size, pages, running_header)
    doc = parse_document(open_paper(path))
    assert doc.title == TITLE
    assert doc.text.startswith(TITLE + "\n\n")  # the title line stays in the text


def test_a_good_metadata_title_is_kept_when_the_page_has_no_title_line(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "p.pdf", "Band gaps of ZnO films measured by UV-vis", title_size=10)
    assert parse_document(open_paper(path)).title == "Band gaps of ZnO films measured by UV-vis"


def make_broken_font_pdf(path: Path) -> Path:
    """A PDF whose '±' comes out of text extraction as the control character \\x02 (a font without a Unicode map)."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "The ZnO film thickness is 50\x025 nm and its band gap 3.3 eV.", fontsize=11)
    doc.save(path)
    return path


def test_an_undecodable_character_is_marked_and_warned_about(tmp_path: Path) -> None:
    doc = parse_document(open_paper(make_broken_font_pdf(tmp_path / "broken.pdf")))
    assert "thickness is 50\ufffd5 nm" in doc.text and "\x02" not in doc.text
    assert len(doc.warnings) == 1 and doc.warnings[0].startswith("1 character(s) could not be decoded")
    assert "page(s) 1" in doc.warnings[0]


def test_an_undecodable_character_is_never_part_of_a_number(tmp_path: Path) -> None:
    """Needs the tagger to refuse a number right after U+FFFD (extractors/quantities/tagger.py, QUANTITY)."""
    from extractors.quantities.tagger import tag_quantities

    doc = parse_document(open_paper(make_broken_font_pdf(tmp_path / "broken.pdf")))
    found = [(q.value, q.unit) for q in tag_quantities(doc.text)]
    assert (5.0, "nm") not in found and (3.3, "eV") in found


def test_parse_shows_the_warning(tmp_path: Path) -> None:
    proc = run("parse", str(make_broken_font_pdf(tmp_path / "broken.pdf")))
    assert proc.returncode == 0
    assert proc.stderr.startswith("note: 1 character(s) could not be decoded")


def make_docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml", "<w:document><w:body><w:p>The band gap is 3 eV</w:p></w:body></w:document>"
        )
    return path


def test_a_real_docx_is_refused_by_name_of_its_format(tmp_path: Path) -> None:
    proc = run("extract", str(make_docx(tmp_path / "paper.docx")), "--extractor", "rules")
    assert proc.returncode == InputError.exit_code
    assert proc.stderr.strip() == (
        f"error: {tmp_path / 'paper.docx'}: a Word document (.docx); propmine reads PDF and plain text only: "
        "save it as PDF (or text) first"
    )


def test_a_docx_renamed_txt_is_refused_too(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"a Word document \(\.docx\)"):
        open_paper(make_docx(tmp_path / "paper.txt"))


def test_a_text_file_named_docx_is_read_as_text_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis.\n", encoding="utf-8")
    proc = run("extract", str(path), "--extractor", "rules", "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["value"] for line in proc.stdout.splitlines()] == [3.37]
    assert "note: notes.docx: named .docx but holds plain text: read as plain text" in proc.stderr


def test_a_pdf_named_docx_is_read_as_a_pdf_with_a_note(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "paper.docx", "5")
    doc = parse_document(open_paper(path))
    assert doc.kind == "pdf" and doc.title == TITLE
    assert doc.warnings == ["named .docx but holds a PDF: read as a PDF"]


# -- 8. figures in the summary ---------------------------------------------------------------------------------


def figure(status: str, reason: str | None = None) -> FigureData:
    return FigureData(source="p.pdf", page=1, bbox=(0, 0, 100, 100), status=status, reason=reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("plots", "expected"),
    [
        (
            [figure("read"), figure("read")] + [figure("skipped", "no axes: a photo")] * 3,
            "2 plots read, 3 figures skipped as not plots",
        ),
        ([figure("skipped", "no axes: no frame")] * 5, "0 plots read, 5 figures skipped as not plots"),
        (
            [figure("read"), figure("skipped", "3d plot: slanted axes"), figure("failed", "no tick labels: x")],
            "1 plot read, 1 skipped (3d plot), 1 plot not read (no tick labels)",
        ),
    ],
    ids=["plots_and_photos", "only_photos", "skipped_and_failed_plots"],
)
def test_figures_summary_counts_plots_and_non_plots_apart(plots: list[FigureData], expected: str) -> None:
    assert figures_summary(plots) == expected


def test_extract_summary_names_the_figures(sample_pdf: Path) -> None:
    proc = run("extract", str(sample_pdf), "--extractor", "rules")
    assert proc.returncode == 0, proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert "; figures: 1 plot read (1 curve), 1 skipped (unreadable image)" in summary, summary
