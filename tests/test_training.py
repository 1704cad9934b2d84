"""Training checkpoints: resuming never unpickles, and a resumed run goes on as an unbroken one would."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.learning.training import (
    LEGACY_STATE,
    STATE_JSON,
    STATE_TENSORS,
    load_trainer_state,
    save_trainer_state,
)
from schemas.errors import ConfigError

PROPMINE = [sys.executable, "-m", "flows"]


class _Planted:
    """A pickle that creates `marker` when it is unpickled (what an attacker's file would do instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def _training_data(folder: Path) -> Path:
    data = folder / "train.jsonl"
    example = {
        "id": "0",
        "passage": {"text": "The band gap of TiO2 is 3.2 eV.", "context": ""},
        "properties": ["band_gap"],
        "records": [{"material": "TiO2", "property": "band_gap", "value": "3.2 eV"}],
    }
    data.write_text(json.dumps(example) + "\n", encoding="utf-8")
    return data


def _plant(checkpoint: Path, case: str, marker: Path) -> None:
    checkpoint.mkdir(parents=True)
    (checkpoint / "adapter_config.json").write_text("{}", encoding="utf-8")
    if case == "pickled_trainer_state":
        (checkpoint / LEGACY_STATE).write_bytes(pickle.dumps({"step": 1, "optimizer": _Planted(marker)}))
    elif case == "pickled_adapter_weights":
        (checkpoint / STATE_JSON).write_text("{}", encoding="utf-8")
        (checkpoint / STATE_TENSORS).write_bytes(b"")
        (checkpoint / "adapter_model.bin").write_bytes(pickle.dumps(_Planted(marker)))
    elif case == "pickle_named_as_state":
        (checkpoint / "adapter_model.safetensors").write_bytes(b"")
        (checkpoint / STATE_JSON).write_bytes(pickle.dumps(_Planted(marker)))
        (checkpoint / STATE_TENSORS).write_bytes(pickle.dumps(_Planted(marker)))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("pickled_trainer_state", "old pickle format"),
        ("pickled_adapter_weights", "old pickle format"),
        ("pickle_named_as_state", "unreadable trainer state"),
        ("incomplete", "not a complete checkpoint"),
    ],
    ids=["pickled_trainer_state", "pickled_adapter_weights", "pickle_named_as_state", "incomplete"],
)
def test_a_planted_checkpoint_never_runs_and_gets_one_line(tmp_path: Path, case: str, message: str) -> None:
    """`propmine train` resumes by default: a file planted in OUT/checkpoint must not run, and the user is told."""
    out, marker = tmp_path / "adapter", tmp_path / "planted-code-ran"
    _plant(out / "checkpoint", case, marker)
    proc = subprocess.run(
        [*PROPMINE, "train", "--data", str(_training_data(tmp_path)), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert not marker.exists(), "the planted pickle was unpickled"
    assert proc.returncode == 4, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "--no-resume" in lines[0], proc.stderr
    assert (out / "checkpoint").is_dir(), "a refused checkpoint is left for the user to look at"


def test_a_json_state_that_is_not_a_trainer_state_is_refused(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    checkpoint = tmp_path / "checkpoint"
    _plant(checkpoint, "incomplete", tmp_path / "marker")
    (checkpoint / "adapter_model.safetensors").write_bytes(b"")
    (checkpoint / STATE_JSON).write_text(json.dumps({"format": "something-else", "step": 3}), encoding="utf-8")
    save_file({"t0": torch.zeros(1)}, str(checkpoint / STATE_TENSORS))
    with pytest.raises(ConfigError, match="unreadable trainer state .*format is not"):
        load_trainer_state(checkpoint)


def _tiny_run(steps: int, torch_seed: int = 0):
    """A small model with dropout, AdamW with weight decay and a warm-up schedule, as in train_adapter."""
    import torch

    torch.manual_seed(torch_seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.3), torch.nn.Linear(8, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 3))
    return model, optimizer, scheduler


def _train(model, optimizer, scheduler, steps: int) -> None:
    import torch

    x = torch.linspace(-1, 1, 32).reshape(8, 4)
    y = x.sum(dim=1, keepdim=True)
    for _ in range(steps):
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()


def test_a_resumed_run_ends_where_an_unbroken_one_does(tmp_path: Path) -> None:
    """Optimizer moments, the schedule and the dropout RNG come back from tensors and JSON alone."""
    import torch

    model, optimizer, scheduler = _tiny_run(0)
    _train(model, optimizer, scheduler, 3)
    save_trainer_state(tmp_path, 3, optimizer, scheduler)
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_JSON, STATE_TENSORS]
    saved_weights = {k: v.clone() for k, v in model.state_dict().items()}
    _train(model, optimizer, scheduler, 4)  # the unbroken run
    unbroken = model.state_dict()

    resumed, optimizer2, scheduler2 = _tiny_run(0, torch_seed=123)  # another process: other RNG, fresh optimizer
    resumed.load_state_dict(saved_weights)  # (train_adapter reads these from the adapter's safetensors)
    state = load_trainer_state_files(tmp_path)
    assert state.step == 3
    optimizer2.load_state_dict(state.optimizer)
    scheduler2.load_state_dict(state.scheduler)
    state.restore_rng()
    _train(resumed, optimizer2, scheduler2, 4)

    assert scheduler2.get_last_lr() == scheduler.get_last_lr()
    assert all(torch.equal(unbroken[k], resumed.state_dict()[k]) for k in unbroken)


def load_trainer_state_files(folder: Path):
    """load_trainer_state wants a whole checkpoint: add the adapter files train_adapter would have written."""
    (folder / "adapter_config.json").write_text("{}", encoding="utf-8")
    (folder / "adapter_model.safetensors").write_bytes(b"")
    return load_trainer_state(folder)


def test_a_kill_between_the_checkpoint_renames_resumes_from_the_previous_one(tmp_path: Path) -> None:
    from extractors.learning.training import _recover_checkpoint

    (tmp_path / "checkpoint.previous").mkdir()
    (tmp_path / "checkpoint.partial").mkdir()
    assert _recover_checkpoint(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint"]


def _tiny_llama(tokenizer):
    """A two-layer random Llama on the embedded model's tokenizer: train_adapter's whole loop in seconds."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from extractors.records.model import LoadedModel

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
    )
    return LoadedModel(
        model=LlamaForCausalLM(config), tokenizer=tokenizer, base_model="tiny", adapter=None, device="cpu"
    )


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from extractors.records.model import converted_embedded_dir
    from schemas.settings import Settings

    tok = AutoTokenizer.from_pretrained(converted_embedded_dir(Settings.from_env()))
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def _examples(folder: Path, n: int = 6) -> Path:
    data = folder / "train.jsonl"
    rows = [
        {
            "id": str(i),
            "passage": {"text": f"The band gap of TiO2 is 3.{i} eV.", "context": ""},
            "properties": ["band_gap"],
            "records": [{"material": "TiO2", "property": "band_gap", "value": f"3.{i} eV"}],
        }
        for i in range(n)
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return data


@pytest.mark.slow
def test_training_killed_after_a_checkpoint_resumes_to_the_same_adapter(tmp_path: Path, tokenizer) -> None:
    from safetensors.torch import load_file

    from extractors.learning.training import TrainConfig, train_adapter

    data = _examples(tmp_path)
    config = TrainConfig(max_steps=4, batch_size=2, lora_r=4, checkpoint_every=2, warmup_steps=1)
    train_adapter(data, tmp_path / "unbroken", config, progress=False, loaded=_tiny_llama(tokenizer))

    killed = _tiny_llama(tokenizer)
    calls = []

    def kill_at_third_step(module, args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    killed.model.register_forward_pre_hook(kill_at_third_step)
    with pytest.raises(KeyboardInterrupt):
        train_adapter(data, tmp_path / "resumed", config, progress=False, loaded=killed)
    assert json.loads((tmp_path / "resumed" / "checkpoint" / STATE_JSON).read_text())["step"] == 2

    card = train_adapter(data, tmp_path / "resumed", config, progress=False, loaded=_tiny_llama(tokenizer))
    unbroken = load_file(tmp_path / "unbroken" / "adapter_model.safetensors")
    resumed = load_file(tmp_path / "resumed" / "adapter_model.safetensors")
    assert card["steps"] == 4 and not (tmp_path / "resumed" / "checkpoint").exists()
    assert unbroken.keys() == resumed.keys() and all((unbroken[k] == resumed[k]).all() for k in unbroken)


@pytest.mark.slow
def test_a_planted_pickle_beside_a_real_adapter_never_runs(tmp_path: Path, tokenizer) -> None:
    """The old loader got as far as torch.load only with a loadable adapter beside the pickle: plant both."""
    from peft import LoraConfig, get_peft_model

    from extractors.learning.training import TrainConfig, train_adapter

    out, marker = tmp_path / "adapter", tmp_path / "planted-code-ran"
    lora = get_peft_model(
        _tiny_llama(tokenizer).model, LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM")
    )
    lora.save_pretrained(out / "checkpoint")
    (out / "checkpoint" / LEGACY_STATE).write_bytes(pickle.dumps({"step": 1, "optimizer": _Planted(marker)}))
    with pytest.raises(ConfigError, match="old pickle format"):
        train_adapter(
            _examples(tmp_path), out, TrainConfig(max_steps=2, lora_r=4), progress=False, loaded=_tiny_llama(tokenizer)
        )
    assert not marker.exists()
