"""Settings: where propmine finds its data and models; every one can be set from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

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
    threads: int | None = Field(
        default=None,
        ge=0,
        description="CPU threads for the model (torch): unset picks the physical cores this process may use, "
        "fewer when other processes keep them busy; 0 leaves torch's own default",
    )
    corpus_dir: Path | None = Field(
        default=None,
        description="The folder of annotated corpora (bandgap-200-arxiv, polyie, ...) for training data and evaluation; "
        "not part of a user's clone",
    )

    @classmethod
    def from_env(cls) -> Settings:
        """The settings from PROPMINE_* variables (an empty variable counts as unset).

        Raises:
            ConfigError: a variable's value is not of its setting's kind (one line naming the variable).
        """
        values: dict[str, object] = {}
        for name in cls.model_fields:
            env = os.environ.get(f"PROPMINE_{name.upper()}")
            if env:
                values[name] = env
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            first = err.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "?"
            raise ConfigError(
                f"PROPMINE_{name.upper()}={values.get(name)!r}: {first['msg']} ({cls.model_fields[name].description})"
                if name in cls.model_fields
                else f"settings: {first['msg']}"
            ) from err

    def require_corpus_dir(self) -> Path:
        """The corpus folder (PROPMINE_CORPUS_DIR), or a ConfigError that says how to name one."""
        if self.corpus_dir is None or not self.corpus_dir.is_dir():
            where = f" ({self.corpus_dir} is not a folder)" if self.corpus_dir else ""
            raise ConfigError(f"no corpus folder{where}: set PROPMINE_CORPUS_DIR or pass the folder explicitly")
        return self.corpus_dir
