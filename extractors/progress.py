"""Progress of long work, reported by the computation and shown by whoever listens (the CLI).

The computation does not print: a stage that can take long (the pages of a PDF, the passages
through the model) says `stage(...)` when it starts and `advance(...)` as it goes, and a one-off
step that keeps the user waiting (converting the packaged model) says `note(...)`. Without a
listener these calls cost nothing. The listener is process-wide rather than passed down through
every call, because the stages sit several layers below the commands that show them (the
pipeline, the batch flow and its per-paper worker thread all run between them), and a batch's
paper runs in a thread of its own where a context variable would not reach.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class ProgressListener(Protocol):
    """What a front end implements to show progress; every method must return quickly and never raise."""

    def stage(self, name: str, total: int | None, unit: str) -> None:
        """A stage begins: e.g. ('parsing', 30, 'pages'), ('model', 120, 'passages'); total None when unknown."""

    def advance(self, done: int) -> None:
        """`done` more units of the current stage are finished."""

    def note(self, message: str) -> None:
        """One line about what propmine is doing while the user waits (not an error, not a result)."""


_lock = threading.Lock()
_listener: ProgressListener | None = None


@contextmanager
def listening(listener: ProgressListener | None) -> Iterator[None]:
    """Send the progress of the work inside the block to `listener` (None: to nobody)."""
    global _listener
    with _lock:
        previous, _listener = _listener, listener
    try:
        yield
    finally:
        with _lock:
            _listener = previous


def stage(name: str, total: int | None = None, unit: str = "") -> None:
    if _listener is not None:
        _listener.stage(name, total, unit)


def advance(done: int = 1) -> None:
    if _listener is not None:
        _listener.advance(done)


def note(message: str) -> None:
    if _listener is not None:
        _listener.note(message)
