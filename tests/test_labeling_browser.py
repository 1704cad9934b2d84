"""The labeling UI in a real browser: Debian's Chromium driven by Playwright against a server on a
free loopback port with a temporary database. Leaves a screenshot in test-artifacts/labeling.png."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractors.learning.training import read_examples
from extractors.pipeline import extract_paper
from extractors.quantities.tagger import tag_quantities
from extractors.records.extractor import PassageProposals
from flows.store import open_db, write_paper
from schemas.passage import Passage
from schemas.record import ExtractorInfo, Proposal

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PAPER = """Optical and magnetic properties of thin films

Results

The band gap of CdS films is 2.42 eV at 300 K and their exciton binding energy is 0.028 eV, while the Curie temperature of CrI3 is 61 K, as reported earlier [4].

The ZnO nanorods have a band gap of 3.37 eV. The converter left <script>window.pwned = 1</script> in the text.

The band gap of the perovskite film was 1.55 eV after annealing.
"""

# What the "model" proposes: one wrong value (the exciton binding energy read as the band gap).
SCRIPT = {
    "CdS films": [
        Proposal(material="CdS", property="band_gap", value="0.028 eV"),
        Proposal(material="CrI3", property="curie_temperature", value="61 K"),
    ],
    "ZnO nanorods": [Proposal(material="ZnO", property="band_gap", value="3.37 eV")],
}


class ScriptedExtractor:
    """Proposes fixed records for passages that contain a key of SCRIPT."""

    info = ExtractorInfo(name="scripted", adapter="test")

    def propose(
        self, passages: list[Passage], properties: set[str] | None = None, context=None
    ) -> list[PassageProposals]:
        return [
            PassageProposals(p, [x for key, proposals in SCRIPT.items() if key in p.text for x in proposals])
            for p in passages
        ]


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright; never `playwright install`)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install -y chromium)")
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app under uvicorn in a thread, on a free loopback port, with a fresh database."""
    import uvicorn

    from labeling.app import create_app

    paper = tmp_path / "films.txt"
    paper.write_text(PAPER, encoding="utf-8")
    db = tmp_path / "films.duckdb"
    result = extract_paper(paper, ScriptedExtractor())
    assert len(result.records) == 3, result.rejected
    with open_db(db) as con:
        write_paper(con, result)
    port = _free_port()
    app = create_app(db, allowed_hosts=["127.0.0.1", "localhost"], default_who="tester")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the labeling server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db
    server.should_exit = True
    thread.join(timeout=10)


def _select(page, needle: str, occurrence: int = 0) -> None:
    """Select `needle` in the passage text, as a mouse drag would."""
    page.evaluate(
        """([needle, occurrence]) => {
            const root = document.getElementById('passage-text');
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const nodes = []; let text = '';
            while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
            let at = -1;
            for (let i = 0; i <= occurrence; i++) at = text.indexOf(needle, at + 1);
            const locate = (offset) => {
                for (const [node, start] of nodes) if (offset <= start + node.data.length) return [node, offset - start];
            };
            const range = document.createRange();
            range.setStart(...locate(at));
            range.setEnd(...locate(at + needle.length));
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
        }""",
        [needle, occurrence],
    )


def test_review_in_the_browser(server: tuple[str, Path], tmp_path: Path) -> None:
    sync_playwright = _playwright()
    base, db = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))

            # The queue: the possible miss first, then the passages with records.
            page.goto(f"{base}/queue")
            rows = page.locator(".queue-table tbody tr")
            assert rows.count() == 3
            assert "possible miss" in rows.nth(0).inner_text()

            # Correct a wrong value: the exciton binding energy was read as the band gap.
            page.get_by_role("link", name="The band gap of CdS films").click()
            first = page.locator("#card-0")
            assert "0.028 eV" in first.inner_text()
            first.get_by_role("button", name="Edit").click()
            first.locator('.edit-form input[name="value"]').fill("2.42 eV")
            first.get_by_role("button", name="Save correction").click()
            page.wait_for_selector("#card-0.status-corrected")
            assert "2.42 eV" in page.locator("#card-0 .fields").inner_text()
            assert "corrected" in page.locator("#banner").inner_text()

            # Accept the Curie temperature with the keyboard: j to it, a to accept.
            page.locator("body").click(position={"x": 5, "y": 300})
            page.keyboard.press("j")
            page.wait_for_selector("#card-1.focused")
            page.keyboard.press("a")
            page.wait_for_selector("#card-1.status-accepted")
            page.wait_for_selector("#passage-state.reviewed")
            assert page.locator("#p-reviewed").inner_text() == "1"
            page.screenshot(path=str(tmp_path / "corrected.png"))
            reviewed_page = page.url

            # j at the last record goes to the next passage to review: the ZnO one. Reject with r, undo, reject.
            page.keyboard.press("j")
            page.wait_for_url("**/passage/**")
            page.wait_for_selector("#passage-text")
            if "ZnO" not in page.locator("#passage-text").inner_text():  # the possible miss came first
                page.goto(f"{base}/queue")
                page.get_by_role("link", name="The ZnO nanorods").click()
            text = page.locator("#passage-text").inner_text()
            assert "<script>window.pwned = 1</script>" in text  # shown as text
            assert page.evaluate("window.pwned") is None  # and never run
            page.keyboard.press("r")
            page.wait_for_selector("#card-0.status-rejected")
            page.keyboard.press("u")
            page.wait_for_selector("#card-0.status-open")
            assert "Undone: reject" in page.locator("#banner").inner_text()
            page.keyboard.press("r")
            page.wait_for_selector("#card-0.status-rejected")

            # The possible miss: add the record from selections, then mark the passage done.
            page.goto(f"{base}/queue")
            page.get_by_role("link", name="The band gap of the perovskite").click()
            assert "found no records" in page.locator(".records-col").inner_text()
            _select(page, "perovskite")
            page.wait_for_selector("#selection-tools:not([hidden])")
            page.locator('[data-use="material"]').dispatch_event("mousedown")
            _select(page, "1.55")
            page.locator('[data-use="value"]').dispatch_event("mousedown")
            _select(page, "band gap")
            page.locator('[data-use="property"]').dispatch_event("mousedown")
            assert page.locator('#add-form select[name="property"]').input_value() == "band_gap"
            page.get_by_role("button", name="Add record").click()
            page.wait_for_selector("#card-0.status-added")
            assert "1.55 eV" in page.locator("#card-0").inner_text()
            page.locator("body").click(position={"x": 5, "y": 300})
            page.keyboard.press("d")
            page.wait_for_url("**/queue**")

            # Export from the UI.
            with page.expect_download() as download_info:
                page.get_by_role("link", name="Export JSONL").click()
            exported = tmp_path / "labels.jsonl"
            download_info.value.save_as(exported)
            examples = read_examples(exported)
            records = {(r["material"], r["property"], r["value"]) for ex in examples for r in ex["records"]}
            assert records == {
                ("CdS", "band_gap", "2.42 eV"),
                ("CrI3", "curie_temperature", "61 K"),
                ("perovskite", "band_gap", "1.55 eV"),
            }
            assert any(ex["records"] == [] for ex in examples)  # the rejected ZnO passage is a negative
            for ex in examples:
                quantities = {q.text for q in tag_quantities(ex["passage"]["text"])}
                assert all(r["value"] in quantities for r in ex["records"])

            # The screenshot: the reviewed passage with its highlights.
            page.goto(reviewed_page)
            page.locator("#card-0").click(position={"x": 40, "y": 12})
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "labeling.png"), full_page=True)
            shutil.copy(ARTIFACTS / "labeling.png", tmp_path / "final.png")
            assert not errors, errors
        finally:
            browser.close()
