"""Shared fixtures: generated sample papers, the shared corpus (when present), the real model."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from extractors.figures.base import FigureImage

REPO = Path(__file__).resolve().parent.parent
# The annotated corpora: PROPMINE_CORPUS_DIR, else ../shared/corpus beside the checkout (CI has it; a user's clone does not).
CORPUS = Path(os.environ.get("PROPMINE_CORPUS_DIR") or REPO.parent / "shared" / "corpus")
if CORPUS.is_dir():
    os.environ.setdefault("PROPMINE_CORPUS_DIR", str(CORPUS))
# The tests' HTTP servers listen on 127.0.0.1, which the fetcher refuses without this allowance (issue 14
# item 7); tests/test_fetch_hosts.py builds FetchSettings itself and tests the refusal.
os.environ.setdefault("PROPMINE_FETCH_ALLOW_PRIVATE", "1")


def load_samples_module(name: str = "make_samples"):
    spec = importlib.util.spec_from_file_location(name, REPO / "data" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it is being executed
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def samples():
    """The sample generator module (data/make_samples.py)."""
    return load_samples_module()


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory, samples) -> Path:
    path = tmp_path_factory.mktemp("samples") / "sample_paper.pdf"
    samples.make_sample_paper(path)
    return path


@pytest.fixture(scope="session")
def plot_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """The generated plots of known data (data/make_plots.py): their folder and truth."""
    folder = tmp_path_factory.mktemp("plots")
    return folder, load_samples_module("make_plots").make_plot_set(folder)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (it is not part of a user's clone)")
    return CORPUS


@pytest.fixture(scope="session")
def base_model():
    """The embedded SmolLM2 (converted once into the user cache), without an adapter."""
    from extractors.records.model import load_model

    return load_model(adapter=None)


@pytest.fixture(scope="session")
def mine_text_papers():
    """A function that mines {name: text} papers with the rule-based extractor into folder/mined.duckdb.

    Each paper must give exactly one record, so a test's expectations stay tied to its texts.
    """
    from extractors.pipeline import extract_paper
    from extractors.records.extractor import RuleExtractor
    from flows.store import open_db, write_paper

    def mine(folder: Path, papers: dict[str, str]) -> Path:
        db = folder / "mined.duckdb"
        with open_db(db) as con:
            for name, text in papers.items():
                path = folder / f"{name}.txt"
                path.write_text(text, encoding="utf-8")
                result = extract_paper(path, RuleExtractor())
                assert result.status == "success" and len(result.records) == 1, (name, result.errors)
                write_paper(con, result)
        return db

    return mine


def plot_image(fig, path: Path, dpi: int = 200, upscale: float = 1.0) -> FigureImage:
    """A matplotlib figure saved as a PNG and handed to a reader the way figure_images hands a page's figure (page at
    72 pt/inch, Fig. 3 on page 2). With `upscale`, the PNG is enlarged as a PDF page render enlarges a low-dpi image.
    """
    import matplotlib.pyplot as plt
    from PIL import Image

    from extractors.figures.base import FigureImage
    from schemas.document import Figure

    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    image = Image.open(path).convert("RGB")
    if upscale != 1.0:
        size = (round(image.width * upscale), round(image.height * upscale))
        image = image.resize(size, Image.Resampling.BICUBIC)
    scale = dpi * upscale / 72
    region = (50.0, 100.0, 50.0 + image.width / scale, 100.0 + image.height / scale)
    figure = Figure(number=3, page=2, bbox=region, caption="Fig. 3. A plot.", kind="raster")
    return FigureImage(figure=figure, source=str(path), image=image, region=region, scale=scale)


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`propmine ARGS` in this process: (exit code, stdout, stderr)."""
    from flows.cli import main

    monkeypatch.setattr(sys, "argv", ["propmine", *args])
    with pytest.raises(SystemExit) as caught:
        main()
    out, err = capsys.readouterr()
    code = caught.value.code
    return (code if isinstance(code, int) else 1), out, err


@pytest.fixture(scope="module")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect server for the module that asks for it; its API URL."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


def query(db: Path, sql: str) -> list[tuple]:
    """Rows of a read-only query on a DuckDB file."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
