"""The Dask worker plugin that loads the pipeline on each worker as it starts (flows.dask_runner.preload_pipelines).

Its own module because it subclasses distributed's WorkerPlugin: importing it imports distributed,
which only a Dask run needs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

log = logging.getLogger(__name__)


class PreloadPipeline(WorkerPlugin):
    """Load (and warm up) the pipeline in a thread of each worker, so the event loop stays free for heartbeats."""

    def __init__(self, load: Callable[[], object]) -> None:
        self.load = load  # picklable by reference: functools.partial(flows.dask_runner.worker_pipeline, options)

    def setup(self, worker: Any) -> None:
        threading.Thread(target=self._load, name="propmine-preload", daemon=True).start()

    def _load(self) -> None:
        try:
            self.load()
        except Exception:  # the first chunk loads it again and fails its papers with the reason
            log.warning("preloading the pipeline failed", exc_info=True)
