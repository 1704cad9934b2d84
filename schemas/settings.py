"""Settings: where propmine finds its data and models; every one can be set from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from schemas.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "propmine"


class Settings(BaseModel):
    """Machine settings (caches, device, limits, corpora); `Settings.from_env()` reads PROPMINE_* variables.

    What a run extracts, and with which model, is in `schemas.options.ExtractionOptions`.
    """

    cache_dir: Path = Field(default_factory=_cache_dir, description="Converted model weights and other caches")
    max_file_mb: float = Field(default=200.0, description="Files larger than this are refused")
    device: str = Field(default="auto", description="'auto' (GPU when present), 'cpu' or 'cuda'")
    corpus_dir: Path | None = Field(
        default=None,
        description="The folder of annotated corpora (bandgap-200-arxiv, polyie, ...) for training data and evaluation; "
        "not part of a user's clone",
    )

    @classmethod
    def from_env(cls) -> Settings:
        values: dict[str, object] = {}
        for name in cls.model_fields:
            env = os.environ.get(f"PROPMINE_{name.upper()}")
            if env is not None:
                values[name] = env
        return cls.model_validate(values)

    def require_corpus_dir(self) -> Path:
        """The corpus folder (PROPMINE_CORPUS_DIR), or a ConfigError that says how to name one."""
        if self.corpus_dir is None or not self.corpus_dir.is_dir():
            where = f" ({self.corpus_dir} is not a folder)" if self.corpus_dir else ""
            raise ConfigError(f"no corpus folder{where}: set PROPMINE_CORPUS_DIR or pass the folder explicitly")
        return self.corpus_dir
