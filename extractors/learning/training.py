"""LoRA fine-tuning of the extractor on (passage -> records) examples, on the CPU or a GPU.

Examples are JSON Lines as `extractors.learning.corpora` and `propmine label export` write them:
{"id", "passage": {"text", "context"}, "properties": [...] | null, "records": [{material, property, value, unit}]}.
Each becomes the extractor's own prompt (extractors.records.prompts) and its canonical answer; the loss is
taken on the answer tokens only. Checkpoints (adapter + optimizer + step) allow resuming.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from extractors.records.prompts import PROMPT_VERSION, render_answer, render_messages
from schemas.errors import ConfigError, InputError

log = logging.getLogger(__name__)


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
    """
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from tqdm import tqdm

    from extractors.records.model import load_model

    config = config or TrainConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    examples = read_examples(data)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    loaded = loaded or load_model(base_model=base_model, adapter=None)
    tok, model = loaded.tokenizer, loaded.model
    encoded = [e for e in (encode_example(tok, ex, config.max_length) for ex in examples) if e]
    if not encoded:
        raise ConfigError(f"{data}: no example fits in {config.max_length} tokens")
    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    total_steps = config.max_steps or max(1, int(steps_per_epoch * config.epochs))
    checkpoint = out / "checkpoint"
    start_step = 0
    if resume and (checkpoint / "adapter_config.json").is_file():
        model = PeftModel.from_pretrained(model, checkpoint, is_trainable=True)
        state = torch.load(checkpoint / "trainer_state.pt", weights_only=False)
        start_step = state["step"]
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
        state = None
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - config.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
    rng = random.Random(config.seed)
    batches: list = []
    epoch = 0
    # Replay the data order up to the resumed step so a resumed run sees what an unbroken one would.
    for _ in range(start_step):
        if not batches:
            batches = list(_batches(encoded, config.batch_size, rng, tok.pad_token_id))
            epoch += 1
        batches.pop(0)
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
                model.save_pretrained(checkpoint)
                torch.save(
                    {"step": step + 1, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                    checkpoint / "trainer_state.pt",
                )
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
        import shutil

        shutil.rmtree(checkpoint)
    return card


def _mean_last_losses(path: Path, n: int = 10) -> float | None:
    losses = [json.loads(line)["loss"] for line in path.read_text().splitlines() if line.strip()]
    return round(sum(losses[-n:]) / len(losses[-n:]), 4) if losses else None
