"""A paper's time budget and the stop request (Ctrl-C), without Prefect: flows.extract_paper.run_paper and extract_task.

The batch end to end (a slow paper among good ones, SIGINT to a running batch) is in test_batch.py.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from extractors.pipeline import Pipeline
from flows.extract_paper import StopRequest, extract_task, run_paper
from schemas.options import ExtractionOptions
from schemas.result import PaperResult


def spin_forever() -> PaperResult:
    """A pathological paper: pure-Python work that never ends (a quadratic loop on a huge input, in effect)."""
    n = 0
    while True:
        n = (n + sum(range(200))) % 7


def paper_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "propmine-paper" and t.is_alive()]


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline.load(ExtractionOptions.resolve(extractor="rules", figure_reader="none"))


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.txt"
    path.write_text("Results\n\nThe band gap of ZnO is 3.37 eV at 300 K, measured by UV-vis.\n", encoding="utf-8")
    return path


def test_a_paper_past_its_budget_fails_and_is_stopped(pipeline: Pipeline, paper: Path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "extract", lambda path, source=None: spin_forever())
    clock = time.monotonic()
    result = extract_task.fn(str(paper), "slow.pdf", pipeline, budget_s=0.5)
    assert result is not None and result.status == "failed"
    assert result.errors[0].startswith("time budget (0.5 s)"), result.errors
    assert time.monotonic() - clock < 3  # the budget, plus the moment the worker takes to unwind
    assert paper_threads() == []  # stopped, not left spinning beside the next paper


def test_a_paper_within_its_budget_is_unchanged(pipeline: Pipeline, paper: Path) -> None:
    result = extract_task.fn(str(paper), str(paper), pipeline, budget_s=60)
    assert result is not None and result.status == "success"
    assert [(r.material, r.value, r.unit) for r in result.records] == [("ZnO", 3.37, "eV")]
    assert result.extraction_key == pipeline.options.key()


def test_an_error_inside_the_worker_is_the_papers_error(pipeline: Pipeline, paper: Path, monkeypatch) -> None:
    def broken(path: str, source: str | None = None) -> PaperResult:
        raise ValueError("a bug on this paper")

    monkeypatch.setattr(pipeline, "extract", broken)
    result = extract_task.fn(str(paper), "bad.pdf", pipeline, budget_s=60)
    assert result is not None and result.status == "failed"
    assert result.errors == ["internal error: ValueError: a bug on this paper"]


def test_stop_now_drops_the_paper_in_hand() -> None:
    stop = StopRequest()
    assert stop.press().startswith("stopping after the paper in hand")
    threading.Timer(0.3, stop.press).start()  # the second Ctrl-C, while the paper runs
    clock = time.monotonic()
    assert run_paper(spin_forever, budget_s=0, stop=stop) is None
    assert time.monotonic() - clock < 3 and paper_threads() == []


def test_the_first_press_lets_the_paper_finish() -> None:
    stop = StopRequest()

    def slowish() -> str:
        stop.press()  # Ctrl-C arrives while the paper runs
        time.sleep(0.3)
        return "done"

    assert run_paper(slowish, budget_s=10, stop=stop) == "done"
    assert stop.requested and not stop.now.is_set()


def test_a_press_with_no_paper_to_drop_interrupts() -> None:
    stop = StopRequest()
    stop.press()
    with pytest.raises(KeyboardInterrupt):
        stop.press()  # between papers (fetching, merging): nothing to drop, so stop as Ctrl-C always does


def test_a_paper_past_its_budget_inside_an_import_is_stopped_after_the_import(tmp_path: Path, monkeypatch) -> None:
    """An exception inside an import would leave a half-made module behind for every later paper."""
    from flows.extract_paper import TimeBudgetExceeded

    (tmp_path / "slow_to_import.py").write_text(
        "import time\nstart = time.monotonic()\nwhile time.monotonic() - start < 1.0:\n    pass\nCOMPLETE = True\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_to_import", raising=False)

    def first_paper() -> PaperResult:
        import slow_to_import  # noqa: F401  (a module imported on first use, as spaCy or torch are)

        return spin_forever()

    with pytest.raises(TimeBudgetExceeded):
        run_paper(first_paper, budget_s=0.2)
    assert sys.modules["slow_to_import"].COMPLETE is True and paper_threads() == []


def test_a_busy_database_postpones_a_merge_in_the_middle_of_a_batch(tmp_path: Path, monkeypatch) -> None:
    import flows.mine_corpus
    from schemas.storage import DatabaseBusy

    def busy(db: Path, staging: Path, run_id: str | None, wait_s: float) -> list[PaperResult]:
        raise DatabaseBusy(f"{db}: the database is in use by another process (pid 1)")

    monkeypatch.setattr(flows.mine_corpus, "merge_task", busy)
    assert flows.mine_corpus._merge_on_the_way(tmp_path / "mined.duckdb", tmp_path / "staging", "run") == []
