"""The vision-language figure reader: a local image-text-to-text model asked for a plot's data as JSON.

`VLMReader` shows the rendered figure to any local transformers model directory (SmolVLM/Idefics3,
Qwen2-VL, Florence-2, or the chart models DePlot/MatCha) with the versioned prompt
data/prompts/figure-v1.txt, and turns the answer into a `FigureData`: "read" with its series,
a `FigureSkip` when the model says the figure is not a plot, or "failed" with the model's own
words when its answer holds no usable JSON. Points are only ever taken from the answer, never
filled in. torch and transformers are imported by the loader, on the first figure read.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from extractors.figures.base import FigureImage
from extractors.records.model import resolve_device
from schemas.errors import ConfigError, ExtractionError
from schemas.figure import AxisScale, FigureData, FigureSkip, Series
from schemas.settings import DATA_DIR, Settings

log = logging.getLogger(__name__)

FIGURE_PROMPT_VERSION = "figure-v1"
# DePlot and MatCha (Pix2Struct) were trained on one fixed instruction and answer with a
# linearized table ("TITLE | ... <0x0A> x | y1 | y2 <0x0A> ..."), not with JSON.
PIX2STRUCT_PROMPT = "Generate underlying data table of the figure below:"
REASON_CHARS = 160  # a failed figure's reason quotes at most this much of the model's answer


@cache
def load_figure_prompt(version: str = FIGURE_PROMPT_VERSION) -> str:
    """The prompt template text; `{caption}` in it stands for the figure's caption."""
    path = DATA_DIR / "prompts" / f"{version}.txt"
    if not path.is_file():
        raise ConfigError(f"prompt template {version} not found in {path.parent}")
    return path.read_text(encoding="utf-8").strip()


def render_figure_prompt(caption: str, version: str = FIGURE_PROMPT_VERSION) -> str:
    # str.replace, not str.format: the template is full of JSON braces.
    return load_figure_prompt(version).replace("{caption}", " ".join(caption.split()) or "(none)")


@dataclass
class LoadedVLM:
    """A processor and an image-text-to-text model ready for generation."""

    model: Any
    processor: Any
    model_dir: Path
    device: str
    model_type: str
    encoder_decoder: bool  # generate() returns only new tokens: there is no prompt to cut off


def check_model_dir(model_dir: Path) -> None:
    """Raises ConfigError unless `model_dir` looks like a local Hugging Face model directory."""
    if not (model_dir / "config.json").is_file():
        raise ConfigError(
            f"vision-language model {model_dir}: not a local Hugging Face model directory (no config.json)"
        )


def load_vlm(model_dir: Path, device: str = "auto") -> LoadedVLM:
    """Load a processor and model from a local directory; nothing is ever downloaded.

    Args:
        model_dir: a directory written by `save_pretrained` (config.json, weights, processor files).
        device: 'auto' (GPU when present), 'cpu' or 'cuda'.

    Raises:
        ConfigError: the directory is missing or does not hold an image-text-to-text model.
    """
    check_model_dir(model_dir)
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor

    device = resolve_device(device)
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    model: Any
    try:
        config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
        processor = AutoProcessor.from_pretrained(model_dir, local_files_only=True)
        try:
            model = AutoModelForImageTextToText.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
        except ValueError:
            # Not in the image-text-to-text mapping (older checkpoints): the class the config names.
            names = [*(config.architectures or []), "AutoModelForVision2Seq"]
            model_class = next((getattr(transformers, n) for n in names if hasattr(transformers, n)), None)
            if model_class is None:
                raise
            model = model_class.from_pretrained(model_dir, local_files_only=True, dtype=dtype)
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"cannot load a vision-language model from {model_dir}: {_one_line(str(err))}") from err
    model.to(device)
    model.eval()
    return LoadedVLM(
        model=model,
        processor=processor,
        model_dir=model_dir,
        device=device,
        model_type=config.model_type,
        encoder_decoder=bool(getattr(model.config, "is_encoder_decoder", False)),
    )


class VLMReader:
    """A FigureReader that asks a local vision-language model for each figure's data as JSON.

    Args:
        model_path: a local transformers model directory (checked now, loaded on the first read).
        device: 'auto', 'cpu' or 'cuda'; None reads PROPMINE_DEVICE (default 'auto').
        max_new_tokens: the longest answer generated for one figure.

    Raises:
        ConfigError: `model_path` is not a local model directory.
    """

    def __init__(self, model_path: str | Path, device: str | None = None, max_new_tokens: int = 512):
        self.model_path = Path(model_path)
        self.name = f"vlm:{self.model_path.name}"
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.prompt_version = FIGURE_PROMPT_VERSION
        self._loaded: LoadedVLM | None = None
        self._load_error: ConfigError | None = None
        check_model_dir(self.model_path)

    @property
    def loaded(self) -> LoadedVLM:
        """The model and processor, loaded on first use; a model that failed to load is not retried."""
        if self._load_error is not None:
            raise self._load_error
        if self._loaded is None:
            try:
                self._loaded = load_vlm(self.model_path, self.device or Settings.from_env().device)
            except ConfigError as err:
                self._load_error = err
                raise
        return self._loaded

    def read(self, figure: FigureImage) -> list[FigureData]:
        """One FigureData for the figure; raises FigureSkip when the model says it is not a plot."""
        answer = self.generate_answer(figure)
        log.debug("%s on figure %s: %s", self.name, figure.figure.number, answer)
        plot = figure_data_from_answer(figure, answer, self.name)
        return [plot.model_copy(update={"prompt_version": self.prompt_version})]

    def generate_answer(self, figure: FigureImage) -> str:
        """The model's decoded answer (new tokens only) for the figure's image."""
        import torch

        vlm = self.loaded
        inputs = build_inputs(vlm, figure.image, figure.figure.caption, self.prompt_version)
        inputs = inputs.to(vlm.device, dtype=vlm.model.dtype)
        try:
            with torch.inference_mode():
                output = vlm.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        except (RuntimeError, ValueError) as err:
            raise ExtractionError(f"{self.name} generation failed: {_one_line(str(err))}") from err
        if not vlm.encoder_decoder and "input_ids" in inputs:
            output = output[:, inputs["input_ids"].shape[1] :]
        return vlm.processor.batch_decode(output, skip_special_tokens=True)[0].strip()


def build_inputs(vlm: LoadedVLM, image: Any, caption: str, version: str = FIGURE_PROMPT_VERSION) -> Any:
    """The processor's tensors for one image and the figure prompt, through its chat template when it has one."""
    processor = vlm.processor
    if vlm.model_type == "pix2struct":
        # DePlot-style checkpoints render the instruction above the image (is_vqa); others take none.
        if not getattr(getattr(processor, "image_processor", None), "is_vqa", False):
            return processor(images=image, return_tensors="pt")
        # The processor would fetch its header font from the hub (transformers 5 drops a font
        # argument), so the header is drawn here and the image processor is told not to draw one.
        headed = render_pix2struct_header(image, PIX2STRUCT_PROMPT, vlm.model_dir)
        return processor.image_processor(images=headed, is_vqa=False, return_tensors="pt")
    prompt = render_figure_prompt(caption, version)
    if getattr(processor, "chat_template", None):
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
        text = processor.apply_chat_template(messages, add_generation_prompt=True)
    else:
        # Processors that count image placeholders in the text (Idefics3, LLaVA) need one per image.
        image_token = getattr(processor, "image_token", None)
        text = f"{image_token}{prompt}" if image_token else prompt
    return processor(images=[image], text=text, return_tensors="pt")


def render_pix2struct_header(image: Any, text: str, model_dir: Path) -> Any:
    """The image with `text` drawn above it, as Pix2Struct's VQA checkpoints (DePlot) expect.

    The font is a TrueType file in the model directory when there is one (DePlot was trained with
    Arial.TTF), else PyMuPDF's built-in Helvetica, which has Arial's metrics.
    """
    from PIL import Image
    from transformers.models.pix2struct.image_processing_pil_pix2struct import render_text

    fonts = sorted(p for p in model_dir.iterdir() if p.suffix.lower() in (".ttf", ".otf"))
    if fonts:
        header = render_text(text, font_path=str(fonts[0]))
    else:
        import pymupdf

        header = render_text(text, font_bytes=pymupdf.Font("helv").buffer)
    image = image.convert("RGB")
    width = max(header.width, image.width)
    header = header.resize((width, round(header.height * width / header.width)))
    image = image.resize((width, round(image.height * width / image.width)))
    headed = Image.new("RGB", (width, header.height + image.height), "white")
    headed.paste(header, (0, 0))
    headed.paste(image, (0, header.height))
    return headed


def parse_figure_json(text: str) -> dict[str, Any]:
    """The figure answer in a model's text: its first JSON object, or a DePlot table in the same form.

    Code fences, chatter before the object and junk after it are ignored. An object with "series"
    or "plot" is preferred over an earlier one without (such as one series of a truncated answer).

    Raises:
        ValueError: the text holds neither a JSON object nor a linearized table.
    """
    decoder = json.JSONDecoder()
    first: dict[str, Any] | None = None
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            if "series" in value or "plot" in value:
                return value
            first = first if first is not None else value
    if first is not None:
        return first
    table = parse_linearized_table(text)
    if table is not None:
        return table
    raise ValueError(f"no JSON object in {_one_line(text)!r}" if text.strip() else "empty answer")


def parse_linearized_table(text: str) -> dict[str, Any] | None:
    """DePlot's "TITLE | t <0x0A> x | a | b <0x0A> 1 | 2 | 3" as a figure answer; None if not a table.

    The header row names the x axis (with its unit in brackets, if any) and one series per column.
    Rows named by words rather than numbers make a categorical x axis: x is the row's index.
    """
    lines = [line for line in re.split(r"<0x0A>|\n", text) if "|" in line]
    rows = [[cell.strip() for cell in line.split("|")] for line in lines]
    if rows and rows[0][0].upper() == "TITLE":
        rows = rows[1:]
    if len(rows) < 2 or len(rows[0]) < 2:
        return None
    header, body = rows[0], rows[1:]
    x_label, x_unit = _split_unit(header[0])
    names = [row[0] for row in body]
    categorical = any(_number(name) is None for name in names)  # bar chart rows: "GaN | 3.4"
    xs: list[object] = list(range(len(names))) if categorical else list(names)
    series = [
        {"label": header[i] or None, "points": [[x, row[i]] for x, row in zip(xs, body, strict=True) if len(row) > i]}
        for i in range(1, len(header))
    ]
    return {"x_label": x_label, "x_unit": x_unit, "series": series, "x_categories": names if categorical else []}


def figure_data_from_answer(figure: FigureImage, answer: str, reader: str) -> FigureData:
    """The FigureData a model's answer says: read, failed (no usable JSON or no points), or FigureSkip.

    Points that are not two finite numbers are dropped; series left without points are dropped;
    an axis scale other than "log" is linear; "x_categories" names the x positions 0, 1, ... of a
    categorical axis.

    Raises:
        FigureSkip: the answer says the figure is not a plot ({"plot": false}).
    """
    try:
        parsed = parse_figure_json(answer)
    except ValueError as err:
        return figure.blank(f"model output: {err}", status="failed", reader=reader)
    if parsed.get("plot") is False or str(parsed.get("plot")).lower() == "false":
        raise FigureSkip(f"no axes: {_text(parsed.get('reason')) or 'the model says it is not a plot'}")
    raw_series = parsed.get("series")
    series = []
    for raw in raw_series if isinstance(raw_series, list) else []:
        if not isinstance(raw, dict):
            continue
        raw_points = raw.get("points")
        points = [p for p in map(_point, raw_points if isinstance(raw_points, list) else []) if p is not None]
        if points:
            series.append(Series(label=_text(raw.get("label")), points=points))
    if not series:
        return figure.blank(
            f"model output: no series with numeric points in {_one_line(answer)!r}", status="failed", reader=reader
        )
    categories = parsed.get("x_categories")
    return figure.blank(
        None,
        status="read",
        reader=reader,
        series=series,
        x_categories=[str(c) for c in categories] if isinstance(categories, list) else [],
        x_label=_text(parsed.get("x_label")),
        x_unit=_text(parsed.get("x_unit")),
        x_scale=_scale(parsed.get("x_scale")),
        y_label=_text(parsed.get("y_label")),
        y_unit=_text(parsed.get("y_unit")),
        y_scale=_scale(parsed.get("y_scale")),
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool):  # json's true/false are ints to Python, never coordinates
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _point(value: object) -> tuple[float, float] | None:
    if isinstance(value, dict):
        value = [value.get("x"), value.get("y")]
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    x, y = _number(value[0]), _number(value[1])
    return None if x is None or y is None else (x, y)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = " ".join(str(value).split())
    return text if text and text.lower() not in ("null", "none") else None


def _scale(value: object) -> AxisScale:
    return "log" if isinstance(value, str) and value.strip().lower().startswith("log") else "linear"


def _split_unit(title: str) -> tuple[str | None, str | None]:
    """'Temperature (K)' -> ('Temperature', 'K'); a title without a bracketed unit keeps no unit."""
    match = re.fullmatch(r"(.*?)\s*[(\[]([^)\]]+)[)\]]", title.strip())
    if match and match.group(1):
        return match.group(1), match.group(2).strip()
    return title.strip() or None, None


def _one_line(text: str, limit: int = REASON_CHARS) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
