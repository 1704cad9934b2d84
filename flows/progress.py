"""What `propmine extract` and `batch` show while they work, on stderr.

On a terminal: rich bars for the stage in hand (pages parsed, passages through the model) with a
rate and an estimate of the time left, and for a batch a bar over the papers with a running
summary. Off a terminal (a log file, a pipe, CI): plain lines instead of bars, one when a paper
or a long stage starts, one when a paper ends, and one at most every `PLAIN_EVERY_S` seconds
while a stage goes on, so that a log shows that the run is alive and how far it is.

The stages are reported by the computation through extractors.progress; the papers by the
command (`extract`) or by the batch flow's `progress` callback (`batch`).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Protocol, Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from schemas.figure import FigureData
from schemas.result import BatchSummary, PaperResult

# Off a terminal, a stage that goes on says how far it is at most this often.
PLAIN_EVERY_S = 30.0


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 record', '2 records', '0 records' (`many` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def duration(seconds: float) -> str:
    """A duration as people read it: '0.4 s', '12 s', '3m05s', '1h02m'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def figures_summary(plots: list[FigureData], curves: int = 0) -> str | None:
    """The figures of a run in one phrase, plots and non-plots counted apart; None when there were none.

    'no axes' (a photo, micrograph or schematic) is not a plot, and skipping it is right; other figures the
    reader chose not to digitize (a 3D plot, an inset, an image too small to read) are skipped with their
    reason; a plot it tried and failed on (no tick labels, no series) is not read.
    """
    if not plots:
        return None
    read = [p for p in plots if p.status == "read"]
    not_plots = [p for p in plots if p.status == "skipped" and (p.reason or "").startswith("no axes")]
    skipped = [p for p in plots if p.status == "skipped" and p not in not_plots]
    failed = [p for p in plots if p.status == "failed"]
    parts = [plural(len(read), "plot") + " read" + (f" ({plural(curves, 'curve')})" if curves else "")]
    if not_plots:
        parts.append(plural(len(not_plots), "figure") + " skipped as not plots")
    if skipped:
        parts.append(f"{len(skipped):,} skipped ({_reasons(skipped)})")
    if failed:
        parts.append(plural(len(failed), "plot") + f" not read ({_reasons(failed)})")
    return ", ".join(parts)


def _reasons(plots: list[FigureData]) -> str:
    """'3d plot, unreadable image ×2': the kinds of reason (before the colon), most frequent first."""
    reasons = Counter((p.reason or p.status).split(":")[0] for p in plots)
    return ", ".join(reason + (f" ×{n}" if n > 1 else "") for reason, n in reasons.most_common())


class _RateColumn(ProgressColumn):
    """'3.1 pages/s' (or 's/page' when slower than one a second)."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit") or "items"
        one = task.fields.get("one") or unit
        speed = task.speed
        if not speed:
            return Text("")
        if speed >= 1:
            return Text(f"{speed:.1f} {unit}/s", style="progress.data.speed")
        return Text(f"{1 / speed:.1f} s/{one}", style="progress.data.speed")


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit


class WorkProgress:
    """Shows the progress of `propmine extract`: implements extractors.progress.ProgressListener, plus the
    paper boundaries that the command reports (`paper`, `paper_done`). Use as a context manager.

    Args:
        console: where to write (stderr).
        quiet: show nothing (errors are the command's to print).
        live: bars (True) or plain lines (False); None: bars when the console is a terminal.
    """

    # Off a terminal, a line when a paper or a stage starts (a batch leaves them out: a line per paper is enough).
    start_lines = True

    def __init__(self, console: Console, quiet: bool = False, live: bool | None = None) -> None:
        self.console = console
        self.quiet = quiet
        self.live = console.is_terminal if live is None else live
        self._bars: Progress | None = None
        self._stage_task: TaskID | None = None
        self._stage: tuple[str, int | None, str] | None = None
        self._stage_done = 0
        self._stage_started = 0.0
        self._last_line = 0.0
        self._prefix = ""
        self._paper_started = 0.0

    # -- the context ------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        if self.live and not self.quiet:
            self._bars = Progress(*self._columns(), console=self.console, transient=True)
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def _columns(self) -> list[ProgressColumn]:
        return [
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeRemainingColumn(),
        ]

    # -- papers -----------------------------------------------------------------------------------
    def paper(self, source: str, number: int, total: int) -> None:
        """A paper starts (number counts from 1)."""
        self._prefix = (f"[{number}/{total}] " if total > 1 else "") + Path(source).name
        self._paper_started = time.monotonic()
        self._end_stage()
        if not self.live and self.start_lines:
            self._line(f"{self._prefix}: reading")

    def paper_done(self, result: PaperResult) -> None:
        """A paper ended: its status, records and time, and what its document warns about."""
        self._end_stage()
        seconds = time.monotonic() - self._paper_started if self._paper_started else sum(result.seconds.values())
        document = result.document
        for warning in document.warnings if document is not None else []:
            self.say(f"[yellow]note:[/yellow] {escape(Path(result.source).name)}: {escape(warning)}")
        if not self.live and result.status != "failed":
            self._line(
                f"{self._prefix or Path(result.source).name}: {plural(len(result.records), 'record')} "
                f"({result.status}) in {duration(seconds)}"
            )

    # -- ProgressListener ---------------------------------------------------------------------------
    def stage(self, name: str, total: int | None, unit: str) -> None:
        self._end_stage()
        self._stage = (name, total, unit)
        self._stage_done = 0
        self._stage_started = self._last_line = time.monotonic()
        what = f"{name}" + (f" {plural(total, _singular(unit), unit)}" if total is not None and unit else "")
        if self._bars is not None:
            label = f"{self._prefix}: {name}" if self._prefix else name
            self._stage_task = self._bars.add_task(label, total=total, unit=unit, one=_singular(unit))
        elif self.start_lines:
            self._line(f"{self._prefix}: {what}" if self._prefix else what)

    def advance(self, done: int) -> None:
        self._stage_done += done
        if self._bars is not None and self._stage_task is not None:
            self._bars.advance(self._stage_task, done)
            return
        now = time.monotonic()
        if self._stage is None or self.quiet or now - self._last_line < PLAIN_EVERY_S:
            return
        name, total, unit = self._stage
        elapsed = now - self._stage_started
        line = f"{name}: {self._stage_done}" + (f"/{total}" if total else "") + f" {unit}"
        if self._stage_done and elapsed > 0:
            line += f", {self._stage_done / elapsed:.2g} {unit}/s"
            if total:
                line += f", about {duration((total - self._stage_done) * elapsed / self._stage_done)} left"
        self._line(f"{self._prefix}: {line}" if self._prefix else line)
        self._last_line = now

    def note(self, message: str) -> None:
        self.say(f"note: {escape(message)}")

    # -- output ------------------------------------------------------------------------------------
    def say(self, markup: str, always: bool = False) -> None:
        """One line above the bars (or in the log); nothing when quiet, unless `always` (what Ctrl-C does)."""
        if self.quiet and not always:
            return
        (self._bars.console if self._bars is not None else self.console).print(markup, highlight=False)

    def error(self, message: str) -> None:
        """An error line, shown even when quiet."""
        console = self._bars.console if self._bars is not None else self.console
        console.print(f"[red]error:[/red] {escape(message)}", highlight=False)

    def _line(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, highlight=False, markup=False, soft_wrap=True)  # a log line is never folded

    def _end_stage(self) -> None:
        if self._bars is not None and self._stage_task is not None:
            self._bars.remove_task(self._stage_task)
        self._stage_task = None
        self._stage = None


class PaperOutcome(Protocol):
    """What the batch tells about a finished paper: a PaperResult, or a Dask chunk's receipt for it.

    `records` (a list or a count), `errors` and `document` are read where the object has them.
    """

    source: str
    status: str


class BatchProgress(WorkProgress):
    """Shows a batch: a bar over the papers with a running summary (or a line per paper), and each paper's stages.

    Called by the batch flow as `progress(source, outcome, total)`: `outcome` None when the paper starts, the
    paper's result (or receipt) when it is finished; `total` is the number of papers this run extracts. Papers
    may finish in any order and without a start call (several workers): only finished ones are counted.
    """

    start_lines = False

    def __init__(self, console: Console, quiet: bool = False, live: bool | None = None) -> None:
        super().__init__(console, quiet, live)
        self.counts: Counter[str] = Counter()
        self.records = 0
        self.finished = 0
        self._batch_task: TaskID | None = None
        self._batch_started: float | None = (
            None  # the first call: the time to set up (Prefect, the model) is not a paper's
        )

    def __call__(self, source: str, outcome: PaperOutcome | None, total: int) -> None:
        if self._batch_started is None:
            self._batch_started = time.monotonic()
        if self._bars is not None and self._batch_task is None:
            self._batch_task = self._bars.add_task("papers", total=total, unit="papers", one="paper")
        elif self._bars is not None and self._batch_task is not None:  # papers found done while others download
            self._bars.update(self._batch_task, total=total)
        if outcome is None:
            self.paper(source, self.finished + 1, total)
            return
        self.finished += 1
        self.counts[outcome.status] += 1
        found = getattr(outcome, "records", None)
        n_records = len(found) if isinstance(found, list) else found if isinstance(found, int) else None
        self.records += n_records or 0
        errors = "; ".join(getattr(outcome, "errors", None) or [])
        document = getattr(outcome, "document", None)
        self._end_stage()
        for warning in document.warnings if document is not None else []:
            self.say(f"[yellow]note:[/yellow] {escape(Path(source).name)}: {escape(warning)}")
        if self._bars is not None and self._batch_task is not None:
            self._bars.update(self._batch_task, completed=self.finished, description=f"papers · {self.running()}")
            if outcome.status == "failed":
                self.error(f"{Path(source).name}: {errors[:200]}")
            return
        elapsed = time.monotonic() - self._batch_started
        left = (total - self.finished) * elapsed / self.finished if self.finished < total else 0.0
        what = errors[:160] if outcome.status == "failed" else None
        if what is None and n_records is not None:
            what = plural(n_records, "record")
        self._line(
            f"[{self.finished}/{total}] {Path(source).name}: {outcome.status}"
            + (f", {what}" if what else "")
            + f" · so far {self.running()}"
            + (f", about {duration(left)} left" if left >= 1 else "")
        )

    def running(self) -> str:
        """The running summary: '12 success, 1 partial, 2 failed, 57 records'."""
        order = ["success", "partial", "failed", *sorted(set(self.counts) - {"success", "partial", "failed"})]
        parts = [f"{self.counts[s]} {s}" for s in order if self.counts[s]]
        return ", ".join([*parts, plural(self.records, "record")])

    def _columns(self) -> list[ProgressColumn]:
        return [*super()._columns()[:-1], TimeElapsedColumn(), TimeRemainingColumn()]


def summary_rows(summary: BatchSummary) -> list[tuple[str, str]]:
    """A batch summary (schemas.result.BatchSummary) as (what, how many) rows, headers that never need cutting."""
    return [
        ("papers listed", f"{summary.references:,}"),
        ("skipped (done before)", f"{summary.skipped:,}"),
        ("resumed (staged before)", f"{summary.resumed:,}"),
        ("extracted", f"{summary.extracted:,}"),
        ("  success", f"{summary.success:,}"),
        ("  partial", f"{summary.partial:,}"),
        ("  failed", f"{summary.failed:,}"),
        ("records", f"{summary.records:,}"),
        ("time", duration(summary.seconds)),
        *[(f"  {name}", duration(s)) for name, s in summary.stage_seconds.items() if name != "wall" and s >= 0.05],
    ]
