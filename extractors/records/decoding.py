"""Grammar-constrained greedy decoding: the model can only write records made of passage text.

The answer grammar is the canonical JSON of `extractors.records.prompts.render_answer`:

    [ ]  |  [ REC (, REC)* ]
    REC = {"material": "MAT", "property": "PROP", "value": "VAL"[, "unit": "UNIT"]}

where MAT is any one-line substring of the passage, PROP one of the allowed vocabulary names, VAL
the text of a quantity the tagger found in the passage, JSON-escaped (each used once), and UNIT a
unit from the table header (optional, only after a bare number). So every output parses, and every value is in the source.

Decoding is greedy with lazy checking: at each step the highest-scoring tokens are tried in order
and the first one that keeps the text a valid prefix of the grammar is taken; usually the first
or second try succeeds, so the constraint costs little next to the forward pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

INVALID, PREFIX, COMPLETE = 0, 1, 2
_REC_OPEN = '{"material": "'
_PROP = '", "property": "'
_VALUE = '", "value": "'
_UNIT = ', "unit": "'


@dataclass
class AnswerGrammar:
    """The set of answers allowed for one passage."""

    passage: str
    properties: list[str]
    values: list[str]
    unitless_values: set[str] = field(default_factory=set)
    units: list[str] = field(default_factory=list)
    max_records: int = 8
    max_material_chars: int = 80

    def alphabet(self) -> set[str]:
        """Every non-ASCII character an answer can contain."""
        if not hasattr(self, "_alphabet"):
            chars = set(self.passage) | set("".join(self.properties + self.values + self.units))
            self._alphabet = {c for c in chars if ord(c) > 127}
        return self._alphabet

    def check(self, text: str) -> int:
        """INVALID, PREFIX (can still become valid) or COMPLETE for a (partial) answer."""
        pos = 0
        n = len(text)

        def lit(s: str) -> int:
            nonlocal pos
            rest = text[pos : pos + len(s)]
            if len(rest) < len(s):
                return PREFIX if s.startswith(rest) else INVALID
            if rest != s:
                return INVALID
            pos += len(s)
            return COMPLETE

        def field_(options: list[str] | None) -> tuple[int, str]:
            """Read a string field up to its closing quote; options None means a passage substring."""
            nonlocal pos
            end = text.find('"', pos)
            value = text[pos:] if end < 0 else text[pos:end]
            if options is None:  # a material: passage text on one line (a raw control character is not JSON)
                ok = (
                    value.strip() == value
                    and len(value) <= self.max_material_chars
                    and (not value or value in self.passage)
                    and not any(c in value for c in "\n\r\t\\")
                )
            else:
                ok = any(o.startswith(value) for o in options) if end < 0 else value in options
            if not ok or (end >= 0 and not value):
                return INVALID, value
            if end < 0:
                return PREFIX, value
            pos = end  # the closing quote is part of the next literal
            return COMPLETE, value

        state = lit("[")
        if state != COMPLETE:
            return state
        if pos == n:
            return PREFIX
        if text[pos] == "]":
            return COMPLETE if pos + 1 == n else INVALID
        used: set[str] = set()
        records = 0
        while True:
            for step in ("open", "mat", "prop", "pval", "val"):
                if step == "open":
                    state = lit(_REC_OPEN)
                elif step == "mat":
                    state, _ = field_(None)
                elif step == "prop":
                    state = lit(_PROP)
                    if state == COMPLETE:
                        state, _ = field_(self.properties)
                elif step == "pval":
                    state = lit(_VALUE)
                else:
                    state, value = field_([v for v in self.values if v not in used])
                    if state == COMPLETE:
                        used.add(value)
                if state != COMPLETE:
                    return state
            state = lit('"')
            if state != COMPLETE:
                return state
            # A bare table number may carry a header unit; a dimensionless column (ZT) takes none.
            if value in self.unitless_values and self.units and text[pos : pos + 1] != "}":
                state = lit(_UNIT)
                if state == COMPLETE:
                    state, _ = field_(self.units)
                if state == COMPLETE:
                    state = lit('"')
                if state != COMPLETE:
                    return state
            state = lit("}")
            if state != COMPLETE:
                return state
            records += 1
            if pos == n:
                return PREFIX
            if text[pos] == "]":
                return COMPLETE if pos + 1 == n else INVALID
            if records >= self.max_records or len(used) >= len(self.values):
                return INVALID
            state = lit(", ")
            if state != COMPLETE:
                return state


def close_truncated(text: str) -> str:
    """Cut an answer that ran out of tokens after its last whole record and close the list."""
    if text.rstrip().endswith("]"):
        return text
    last = text.rfind("}")
    return text[: last + 1] + "]" if last >= 0 else "[]"


class TokenTable:
    """The bytes every token id stands for, so partial UTF-8 characters are handled exactly."""

    def __init__(self, tokenizer: Any) -> None:
        size = len(tokenizer)
        special = set(tokenizer.all_special_ids)
        pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
        byte_level = any(p and "Ġ" in p for p in pieces[:5000] if p)
        decoder = _bytes_decoder() if byte_level else None
        self.bytes: list[bytes | None] = []
        for tid, piece in enumerate(pieces):
            if tid in special or piece is None:
                self.bytes.append(None)
            elif decoder is not None:
                try:
                    self.bytes.append(bytes(decoder[ch] for ch in piece))
                except KeyError:
                    self.bytes.append(None)
            else:
                self.bytes.append(tokenizer.decode([tid]).encode("utf-8"))


def _bytes_decoder() -> dict[str, int]:
    # The reversible byte <-> printable-character map of GPT-2 style byte-level BPE.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def check_bytes(grammar: AnswerGrammar, data: bytes) -> int:
    """Grammar state of a byte string that may end inside a UTF-8 character.

    A partial character is allowed only if some character the answer may contain starts with
    those bytes and would itself be valid there; otherwise decoding could reach a dead end.
    """
    try:
        return grammar.check(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        if err.reason != "unexpected end of data" or err.start < len(data) - 3:
            return INVALID
        head, tail = data[: err.start].decode("utf-8"), data[err.start :]
        for ch in grammar.alphabet():
            if ch.encode("utf-8").startswith(tail) and grammar.check(head + ch) != INVALID:
                return PREFIX
        return INVALID


@dataclass
class GenerationStats:
    prompt_tokens: int = 0
    new_tokens: int = 0
    forward_s: float = 0.0
    constraint_s: float = 0.0
    tries: int = 0
    truncated: int = 0


def generate_constrained(
    model: Any,
    tokenizer: Any,
    table: TokenTable | None,
    prompts: list[str],
    grammars: list[AnswerGrammar] | None,
    max_new_tokens: int = 160,
    stats: GenerationStats | None = None,
) -> list[str]:
    """Greedy batched generation; with grammars, every answer is valid under its grammar.

    Args:
        prompts: fully rendered prompt texts (chat template applied).
        grammars: one per prompt, or None for plain greedy decoding (to measure the constraint's cost).
        max_new_tokens: the token budget per answer; an answer cut by it is closed after its last record.
    """
    import time

    import torch

    stats = stats or GenerationStats()
    device = next(model.parameters()).device
    enc = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False)
    ids = enc["input_ids"].to(device)
    attn = enc["attention_mask"].to(device)
    stats.prompt_tokens += int(attn.sum())
    batch = ids.shape[0]
    generated: list[bytes] = [b""] * batch
    token_ids: list[list[int]] = [[] for _ in range(batch)]
    done = [False] * batch
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    eos = set(filter(None, [tokenizer.eos_token_id])) | {
        tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>",) if t in tokenizer.get_vocab()
    }
    past = None
    cache_arg = _cache_argument(model)
    step_input = ids
    with torch.no_grad():
        for _step in range(max_new_tokens):
            clock = time.perf_counter()
            position = (attn.cumsum(-1) - 1).clamp(min=0)
            if past is not None:
                position = position[:, -1:]
            out = model(
                input_ids=step_input, attention_mask=attn, position_ids=position, use_cache=True, **{cache_arg: past}
            )
            past = getattr(out, cache_arg)  # the output field has the same name as the argument
            logits = out.logits[:, -1, :].float()
            stats.forward_s += time.perf_counter() - clock
            clock = time.perf_counter()
            chosen = []
            for i in range(batch):
                if done[i]:
                    chosen.append(pad)
                    continue
                if grammars is None:
                    tid = int(torch.argmax(logits[i]))
                    if tid in eos:
                        done[i] = True
                        chosen.append(pad)
                        continue
                else:
                    assert table is not None, "grammars come with the tokenizer's TokenTable"
                    found = _first_valid(logits[i], grammars[i], generated[i], table, stats)
                    if found is None:  # no token fits: end here, keeping the whole records so far
                        log.warning("no token continues the answer %r", generated[i][-60:])
                        done[i] = True
                        chosen.append(pad)
                        stats.truncated += 1
                        generated[i] = close_truncated(generated[i].decode("utf-8", errors="ignore")).encode()
                        continue
                    tid = found
                chosen.append(tid)
                token_ids[i].append(tid)
                if grammars is not None:
                    assert table is not None, "grammars come with the tokenizer's TokenTable"
                    generated[i] += table.bytes[tid] or b""
                    if check_bytes(grammars[i], generated[i]) == COMPLETE:
                        done[i] = True
            stats.constraint_s += time.perf_counter() - clock
            stats.new_tokens += sum(1 for i in range(batch) if not done[i]) or 1
            if all(done):
                break
            step_input = torch.tensor(chosen, device=device).unsqueeze(1)
            attn = torch.cat(
                [
                    attn,
                    torch.tensor(
                        [[0 if d and c == pad else 1] for d, c in zip(done, chosen, strict=True)], device=device
                    ),
                ],
                dim=1,
            )
    texts = []
    for i in range(batch):
        text = (
            generated[i].decode("utf-8", errors="replace")
            if grammars is not None
            else tokenizer.decode(token_ids[i], skip_special_tokens=True)
        )
        if grammars is not None and not done[i]:
            stats.truncated += 1
            text = close_truncated(text)
        texts.append(text)
    return texts


def _cache_argument(model: Any) -> str:
    """The name of the KV-cache argument: transformers 5.24 renamed `past_key_values` to `cache`."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # under a peft wrapper
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def _first_valid(
    logits: Any, grammar: AnswerGrammar, prefix: bytes, table: TokenTable, stats: GenerationStats
) -> int | None:
    """The highest-scoring token that keeps the answer valid (None if none does)."""
    import torch

    tried = 0
    for k in (16, 256, logits.shape[0]):
        for tid in torch.topk(logits, k=min(k, logits.shape[0])).indices.tolist()[tried:]:
            stats.tries += 1
            piece = table.bytes[tid]
            if piece and check_bytes(grammar, prefix + piece) != INVALID:
                return tid
        tried = k
    return None
