"""LoRA fine-tuning of the extractor on (passage -> records) examples, on the CPU or a GPU.

Examples are JSON Lines as `extractors.learning.corpora` and `propmine label export` write them:
{"id", "passage": {"text", "context"}, "properties": [...] | null, "records": [{material, property, value, unit}]}.
Each becomes the extractor's own prompt (extractors.records.prompts) and its canonical answer; the loss is
taken on the answer tokens only. Checkpoints (adapter + optimizer + step) allow resuming.

A checkpoint is never unpickled: resuming is on by default, so a file planted in the output folder
would otherwise run code. The adapter is safetensors (peft), the trainer state is its tensors in
safetensors plus everything else (step, hyperparameters, RNG states) in JSON; checkpoints of the old
pickle format (`trainer_state.pt`) are refused with one line.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extractors.records.prompts import PROMPT_VERSION, render_answer, render_messages
from schemas.errors import ConfigError, InputError

log = logging.getLogger(__name__)

STATE_FORMAT = "propmine-trainer-state-v1"
STATE_JSON = "trainer_state.json"  # step, optimizer and scheduler settings, RNG states: no code, only data
STATE_TENSORS = "trainer_state.safetensors"  # the optimizer's moments and the torch RNG state
LEGACY_STATE = "trainer_state.pt"  # the pickle of earlier versions: never loaded


@dataclass
class TrainConfig:
    """Training settings; the defaults are what the shipped adapter was trained with."""

    epochs: float = 1.0
    max_steps: int | None = None
    batch_size: int = 4
    learning_rate: float = 3e-4
    warmup_steps: int = 10
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str = "all-linear"
    max_length: int = 384
    seed: int = 0
    checkpoint_every: int = 25


def read_examples(path: str | Path) -> list[dict[str, Any]]:
    """Read training examples, checking each has a passage and a list of records."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such training file")
    examples = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            ex = json.loads(line)
            ex["passage"]["text"]
            assert isinstance(ex["records"], list)
        except (json.JSONDecodeError, KeyError, TypeError, AssertionError) as err:
            raise InputError(f"{p}:{n}: not a training example (needs passage.text and records)") from err
        examples.append(ex)
    if not examples:
        raise InputError(f"{p}: no training examples")
    return examples


def encode_example(tokenizer: Any, example: dict[str, Any], max_length: int) -> dict[str, list[int]] | None:
    """Token ids and labels (-100 on the prompt) for one example; None if the answer does not fit."""
    passage = example["passage"]
    messages = render_messages(passage["text"], passage.get("context", ""), example.get("properties"))
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    answer = render_answer(example["records"]) + (tokenizer.eos_token or "")
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if len(answer_ids) >= max_length // 2:
        return None
    prompt_ids = prompt_ids[-(max_length - len(answer_ids)) :]  # keep the end: the passage, not the system text
    return {"input_ids": prompt_ids + answer_ids, "labels": [-100] * len(prompt_ids) + answer_ids}


def _batches(encoded: list[dict[str, list[int]]], batch_size: int, rng: random.Random, pad_id: int):
    import torch

    order = list(range(len(encoded)))
    rng.shuffle(order)
    for start in range(0, len(order), batch_size):
        items = [encoded[i] for i in order[start : start + batch_size]]
        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), pad_id)
        labels = torch.full((len(items), width), -100)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, it in enumerate(items):
            n = len(it["input_ids"])
            ids[row, :n] = torch.tensor(it["input_ids"])
            labels[row, :n] = torch.tensor(it["labels"])
            mask[row, :n] = 1
        yield ids, labels, mask


def train_adapter(
    data: str | Path,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    base_model: str | None = None,
    resume: bool = True,
    progress: bool = True,
    loaded: Any = None,
) -> dict[str, Any]:
    """Train a LoRA adapter and save it (with a model card) in out_dir.

    Args:
        data: training examples (JSON Lines).
        out_dir: where the adapter, `loss.jsonl`, checkpoints and `adapter_card.json` go.
        config: hyperparameters; TrainConfig() when None.
        base_model: a local Hugging Face model directory; None for the embedded SmolLM2.
        resume: continue from out_dir/checkpoint if it exists.
        loaded: an already loaded base (extractors.records.model.LoadedModel); LoRA layers are added to it in place.

    Returns:
        The model card as a dict.

    Raises:
        InputError: the training file is missing or malformed.
        ConfigError: no example fits, or (resuming) the checkpoint is of the old pickle format, incomplete,
            unreadable or made for another model or settings.
    """
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from tqdm import tqdm

    from extractors.records.model import load_model

    config = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    examples = read_examples(data)
    checkpoint = out / "checkpoint"
    # Checked before the model loads: a refused checkpoint costs the user no waiting.
    state = load_trainer_state(checkpoint) if resume and _recover_checkpoint(out) else None
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    loaded = loaded or load_model(base_model=base_model, adapter=None)
    tok, model = loaded.tokenizer, loaded.model
    encoded = [e for e in (encode_example(tok, ex, config.max_length) for ex in examples) if e]
    if not encoded:
        raise ConfigError(f"{data}: no example fits in {config.max_length} tokens")
    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    total_steps = config.max_steps or max(1, int(steps_per_epoch * config.epochs))
    start_step = 0
    if state is not None:
        model = PeftModel.from_pretrained(model, checkpoint, is_trainable=True)
        start_step = state.step
        log.info("resuming from step %d", start_step)
    else:
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=config.target_modules,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - config.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    if state is not None:
        try:
            optimizer.load_state_dict(state.optimizer)
            scheduler.load_state_dict(state.scheduler)
        except (ValueError, KeyError, TypeError, RuntimeError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ConfigError(
                f"{checkpoint}: the checkpoint does not fit this model and settings ({reason}); "
                "delete it or pass --no-resume to start afresh"
            ) from err
    rng = random.Random(config.seed)
    batches: list = []
    epoch = 0
    # Replay the data order up to the resumed step so a resumed run sees what an unbroken one would.
    for _ in range(start_step):
        if not batches:
            batches = list(_batches(encoded, config.batch_size, rng, tok.pad_token_id))
            epoch += 1
        batches.pop(0)
    if state is not None:
        state.restore_rng()  # dropout continues as in an unbroken run
    log_path = out / "loss.jsonl"
    clock = time.perf_counter()
    tokens = 0
    bar = tqdm(
        range(start_step, total_steps), initial=start_step, total=total_steps, desc="train", disable=not progress
    )
    with log_path.open("a", encoding="utf-8") as loss_log:
        for step in bar:
            if not batches:
                batches = list(_batches(encoded, config.batch_size, rng, tok.pad_token_id))
                epoch += 1
            ids, labels, mask = batches.pop(0)
            ids, labels, mask = ids.to(loaded.device), labels.to(loaded.device), mask.to(loaded.device)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            tokens += int(mask.sum())
            bar.set_postfix(loss=f"{loss.item():.3f}")
            loss_log.write(
                json.dumps(
                    {"step": step + 1, "epoch": epoch, "loss": round(loss.item(), 5), "lr": scheduler.get_last_lr()[0]}
                )
                + "\n"
            )
            loss_log.flush()
            if (step + 1) % config.checkpoint_every == 0 and step + 1 < total_steps:
                save_checkpoint(out, model, step + 1, optimizer, scheduler)
    seconds = time.perf_counter() - clock
    model.save_pretrained(out)
    card = {
        "name": out.name,
        "base_model": loaded.base_model,
        "prompt_version": PROMPT_VERSION,
        "data": {
            "path": str(data),
            "examples": len(examples),
            "encoded": len(encoded),
            "positives": sum(1 for ex in examples if ex["records"]),
            "corpora": sorted({ex.get("corpus", "?") for ex in examples}),
        },
        "steps": total_steps,
        "config": asdict(config),
        "train_seconds": round(seconds, 1),
        "train_tokens_per_s": round(tokens / seconds, 1) if seconds else None,
        "final_loss": _mean_last_losses(log_path),
        "dev_scores": None,
    }
    (out / "adapter_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    if checkpoint.exists():
        shutil.rmtree(checkpoint)
    return card


def _mean_last_losses(path: Path, n: int = 10) -> float | None:
    losses = [json.loads(line)["loss"] for line in path.read_text().splitlines() if line.strip()]
    return round(sum(losses[-n:]) / len(losses[-n:]), 4) if losses else None


@dataclass
class TrainerState:
    """What a checkpoint holds besides the adapter: where training stopped and how to go on from there."""

    step: int
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    torch_rng: Any = None  # torch.get_rng_state(), a uint8 tensor
    cuda_rng: list[Any] = field(default_factory=list)
    python_rng: Any = None  # random.getstate()

    def restore_rng(self) -> None:
        import torch

        if self.torch_rng is not None:
            torch.set_rng_state(self.torch_rng)
        if self.cuda_rng and torch.cuda.is_available() and len(self.cuda_rng) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(self.cuda_rng)
        if self.python_rng is not None:
            random.setstate(self.python_rng)


def save_checkpoint(out: Path, model: Any, step: int, optimizer: Any, scheduler: Any) -> Path:
    """Write out/checkpoint (the adapter and the trainer state) whole, or leave the previous one.

    The files are written to checkpoint.partial and swapped in by renames, so a run killed while
    saving finds a complete checkpoint (the new or the previous one) when it resumes.
    """
    checkpoint, partial, previous = out / "checkpoint", out / "checkpoint.partial", out / "checkpoint.previous"
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    save_trainer_state(partial, step, optimizer, scheduler)
    if checkpoint.exists():
        shutil.rmtree(previous, ignore_errors=True)
        checkpoint.rename(previous)
    partial.rename(checkpoint)
    shutil.rmtree(previous, ignore_errors=True)
    return checkpoint


def _recover_checkpoint(out: Path) -> bool:
    """Whether out/checkpoint exists (after finishing a swap that a kill interrupted)."""
    checkpoint, previous = out / "checkpoint", out / "checkpoint.previous"
    if not checkpoint.exists() and previous.is_dir():
        previous.rename(checkpoint)  # killed between the two renames: the previous checkpoint is whole
    shutil.rmtree(out / "checkpoint.partial", ignore_errors=True)
    return checkpoint.exists()


def save_trainer_state(folder: Path, step: int, optimizer: Any, scheduler: Any) -> None:
    """Write the trainer state as STATE_TENSORS (every tensor) and STATE_JSON (the rest, tensors by name)."""
    import torch
    from safetensors.torch import save_file

    tensors: dict[str, Any] = {}
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    tree = {
        "format": STATE_FORMAT,
        "step": step,
        "optimizer": _encode(optimizer.state_dict(), tensors),
        "scheduler": _encode(scheduler.state_dict(), tensors),
        "torch_rng": _encode(torch.get_rng_state(), tensors),
        "cuda_rng": _encode(cuda_rng, tensors),
        "python_rng": _encode(random.getstate(), tensors),
    }
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / STATE_TENSORS))
    (folder / STATE_JSON).write_text(json.dumps(tree), encoding="utf-8")


def load_trainer_state(checkpoint: Path) -> TrainerState:
    """Read a checkpoint's trainer state without unpickling anything.

    Raises:
        ConfigError: the checkpoint is in the old pickle format, incomplete, or not a trainer state;
            the message says to delete it or pass --no-resume.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    fresh = f"delete {checkpoint} or pass --no-resume to start afresh"
    if (checkpoint / LEGACY_STATE).exists() or (checkpoint / "adapter_model.bin").exists():
        raise ConfigError(
            f"{checkpoint}: a checkpoint in the old pickle format, which propmine does not load "
            f"(unpickling a file can run code); {fresh}"
        )
    missing = [
        name
        for name in ("adapter_config.json", "adapter_model.safetensors", STATE_JSON, STATE_TENSORS)
        if not (checkpoint / name).is_file()
    ]
    if missing:
        raise ConfigError(f"{checkpoint}: not a complete checkpoint (no {', '.join(missing)}); {fresh}")
    try:
        tree = json.loads((checkpoint / STATE_JSON).read_text(encoding="utf-8"))
        tensors = load_file(str(checkpoint / STATE_TENSORS))
        if not isinstance(tree, dict) or tree.get("format") != STATE_FORMAT:
            raise ValueError(f"format is not {STATE_FORMAT}")
        step = tree["step"]
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ValueError(f"step {step!r} is not a step number")
        optimizer, scheduler = _decode(tree["optimizer"], tensors), _decode(tree["scheduler"], tensors)
        if not isinstance(optimizer, dict) or not isinstance(scheduler, dict):
            raise ValueError("the optimizer or scheduler state is not a mapping")
        return TrainerState(
            step=step,
            optimizer=optimizer,
            scheduler=scheduler,
            torch_rng=_decode(tree.get("torch_rng"), tensors),
            cuda_rng=_decode(tree.get("cuda_rng", []), tensors),
            python_rng=_decode(tree.get("python_rng"), tensors),
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, SafetensorError) as err:
        reason = f"{type(err).__name__}: {err}".splitlines()[0]
        raise ConfigError(f"{checkpoint}: unreadable trainer state ({reason}); {fresh}") from err


def _encode(value: Any, tensors: dict[str, Any]) -> Any:
    """`value` as JSON, its tensors moved into `tensors` and named: {"tensor": name}, {"tuple": [...]},
    {"dict": [[key, value], ...]} (keys may be ints, as an optimizer's parameter ids are)."""
    import torch

    if isinstance(value, torch.Tensor):
        name = f"t{len(tensors)}"
        tensors[name] = value.detach().to("cpu").clone().contiguous()
        return {"tensor": name}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, tensors) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, (str, int)) for k in value):
            raise TypeError("a trainer state key is neither a string nor an integer")
        return {"dict": [[k, _encode(v, tensors)] for k, v in value.items()]}
    raise TypeError(f"cannot save a {type(value).__name__} in a trainer state")


def _decode(value: Any, tensors: dict[str, Any]) -> Any:
    """The inverse of `_encode`; anything else is a ValueError."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        (tag, inner), *_ = value.items()
        if tag == "tensor" and isinstance(inner, str) and inner in tensors:
            return tensors[inner]
        if tag == "tuple" and isinstance(inner, list):
            return tuple(_decode(v, tensors) for v in inner)
        if tag == "dict" and isinstance(inner, list):
            pairs = []
            for pair in inner:
                if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                    raise ValueError("a mapping entry is not a [key, value] pair")
                pairs.append((pair[0], _decode(pair[1], tensors)))
            return dict(pairs)
    raise ValueError(f"unexpected value in the trainer state: {str(value)[:60]}")
