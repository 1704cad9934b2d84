"""The vision-language figure reader: answer parsing and mapping, and a tiny random model run end to end."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from extractors.figures.base import FigureImage
from extractors.figures.vlm import (
    VLMReader,
    figure_data_from_answer,
    parse_figure_json,
    render_figure_prompt,
    render_pix2struct_header,
)
from schemas.document import Figure
from schemas.errors import ConfigError
from schemas.figure import FigureSkip

READER = "vlm:test-model"
GOOD = (
    '{"x_label": "Temperature", "x_unit": "K", "x_scale": "linear", "y_label": "Band gap", "y_unit": "eV", '
    '"y_scale": "log", "series": [{"label": "GaN", "points": [[100, 3.4], [300, 3.39]]}]}'
)


@pytest.fixture
def figure_image() -> FigureImage:
    image = Image.new("RGB", (120, 80), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(10, 70), (110, 70)], fill="black")  # x axis
    draw.line([(10, 70), (10, 5)], fill="black")  # y axis
    draw.line([(10, 60), (60, 30), (110, 20)], fill="blue", width=2)
    figure = Figure(
        number=2, page=1, bbox=(50.0, 100.0, 110.0, 140.0), caption="Fig. 2. Band gap of GaN vs T.", kind="raster"
    )
    return FigureImage(
        figure=figure,
        source="paper.pdf",
        image=image,
        region=(46.0, 96.0, 114.0, 144.0),
        scale=120 / 68,
        paper_id="abc",
    )


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(GOOD, id="plain_json"),
        pytest.param(f"```json\n{GOOD}\n```", id="fenced_json"),
        pytest.param(f"Here is the data:\n{GOOD}\nI hope this helps. {{not json", id="chatter_and_trailing_junk"),
        pytest.param('{"label": "GaN", "points": [[1, 2]]' + GOOD, id="truncated_object_before"),
    ],
)
def test_parse_figure_json_finds_the_answer(text: str) -> None:
    parsed = parse_figure_json(text)
    assert parsed["y_unit"] == "eV"
    assert parsed["series"][0]["points"] == [[100, 3.4], [300, 3.39]]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("I cannot read this figure.", id="prose"),
        pytest.param('{"x_label": "T", "series": [{"label": "a", "points": [[1, 2', id="truncated"),
    ],
)
def test_parse_figure_json_refuses_text_without_json(text: str) -> None:
    with pytest.raises(ValueError):
        parse_figure_json(text)


def test_parse_figure_json_reads_a_deplot_table() -> None:
    parsed = parse_figure_json(
        "TITLE | Band gap <0x0A> Temperature (K) | GaN | AlN <0x0A> 100 | 3.4 | 6.1 <0x0A> 300 | 3.39 | n/a"
    )
    assert (parsed["x_label"], parsed["x_unit"]) == ("Temperature", "K")
    assert [s["label"] for s in parsed["series"]] == ["GaN", "AlN"]
    assert parsed["series"][0]["points"] == [["100", "3.4"], ["300", "3.39"]]


# --- mapping -----------------------------------------------------------------------------------


def test_good_answer_is_read(figure_image: FigureImage) -> None:
    plot = figure_data_from_answer(figure_image, GOOD, READER)
    assert (plot.status, plot.reason, plot.reader) == ("read", None, READER)
    assert (plot.x_label, plot.x_unit, plot.x_scale) == ("Temperature", "K", "linear")
    assert (plot.y_label, plot.y_unit, plot.y_scale) == ("Band gap", "eV", "log")
    assert plot.series[0].label == "GaN"
    assert plot.series[0].points == [(100.0, 3.4), (300.0, 3.39)]
    assert (plot.source, plot.paper_id, plot.page, plot.number) == ("paper.pdf", "abc", 1, 2)
    assert plot.caption == "Fig. 2. Band gap of GaN vs T."


def test_deplot_table_is_read(figure_image: FigureImage) -> None:
    plot = figure_data_from_answer(figure_image, "x | y <0x0A> 1 | 2 <0x0A> 2 | 4 <0x0A> 3 | - ", READER)
    assert (plot.status, plot.x_categories) == ("read", [])
    assert plot.series[0].points == [(1.0, 2.0), (2.0, 4.0)]


def test_deplot_bar_chart_has_categories(figure_image: FigureImage) -> None:
    answer = "TITLE | <0x0A> Material | Band gap (eV) <0x0A> GaN | 3.4 <0x0A> AlN | n/a <0x0A> InN | 0.7"
    plot = figure_data_from_answer(figure_image, answer, READER)
    assert plot.x_categories == ["GaN", "AlN", "InN"]
    assert plot.series[0].label == "Band gap (eV)"
    assert plot.series[0].points == [(0.0, 3.4), (2.0, 0.7)]


def test_points_that_are_not_two_finite_numbers_are_dropped(figure_image: FigureImage) -> None:
    answer = (
        '{"x_scale": "logarithmic", "y_scale": "semilog?", "series": ['
        '{"label": "a", "points": [[1, 2], ["3", "4.5"], [1, "high"], [true, 2], [NaN, 1], [1e999, 2], '
        '[1, 2, 3], [5], null, "7,8", {"x": 9, "y": 10}]}, '
        '{"label": "empty", "points": [["a", "b"]]}, "not a series"]}'
    )
    plot = figure_data_from_answer(figure_image, answer, READER)
    assert plot.status == "read"
    assert [s.label for s in plot.series] == ["a"]
    assert plot.series[0].points == [(1.0, 2.0), (3.0, 4.5), (9.0, 10.0)]
    assert (plot.x_scale, plot.y_scale) == ("log", "linear")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("The plot shows a rising curve.", id="prose"),
        pytest.param('{"x_label": "T", "series": [{"points": [[1, ', id="malformed_json"),
        pytest.param('{"x_label": "T", "series": [{"label": "a", "points": [["a", "b"]]}]}', id="no_numeric_points"),
        pytest.param('{"x_label": "T", "y_label": "E"}', id="no_series"),
        pytest.param("", id="empty"),
    ],
)
def test_unusable_answer_fails_with_the_model_output(figure_image: FigureImage, answer: str) -> None:
    plot = figure_data_from_answer(figure_image, answer + "\nmore\nlines", READER)
    assert plot.status == "failed"
    assert plot.reason is not None and plot.reason.startswith("model output")
    assert "\n" not in plot.reason
    assert plot.series == []


def test_not_a_plot_is_skipped(figure_image: FigureImage) -> None:
    with pytest.raises(FigureSkip) as skip:
        figure_data_from_answer(figure_image, '```json\n{"plot": false, "reason": "SEM micrograph"}\n```', READER)
    assert skip.value.reason == "no axes: SEM micrograph"


def test_prompt_names_the_caption() -> None:
    prompt = render_figure_prompt("Fig. 3.\nThermal   conductivity of Si.")
    assert prompt.endswith("Figure caption: Fig. 3. Thermal conductivity of Si.")
    assert '"series": [{"label"' in prompt and '{"plot": false' in prompt


# --- loading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["missing", "empty_dir"])
def test_missing_model_directory_is_a_config_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "empty_dir":
        path.mkdir()
    with pytest.raises(ConfigError, match="no config.json") as err:
        VLMReader(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_unloadable_model_is_a_config_error_once(
    tmp_path: Path, figure_image: FigureImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "no-such-model"}')
    monkeypatch.setenv("PROPMINE_DEVICE", "cpu")
    reader = VLMReader(tmp_path)
    with pytest.raises(ConfigError, match="cannot load a vision-language model") as first:
        reader.read(figure_image)
    assert "\n" not in str(first.value)
    with pytest.raises(ConfigError) as second:  # the next figure does not try to load it again
        reader.read(figure_image)
    assert second.value is first.value


def word_tokenizer(specials: list[str], words: list[str], **special_tokens: object) -> Any:
    """A fast tokenizer over a fixed word list, built offline; anything else is <unk>."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate([*specials, *words])}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="<unk>", **special_tokens)


def build_tiny_idefics3(path: Path) -> None:
    """A random-weight Idefics3 (SmolVLM's architecture) with a chat template."""
    from transformers import Idefics3Config, Idefics3ForConditionalGeneration, Idefics3Processor
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil

    image_tokens = ["<image>", "<fake_token_around_image>", "<global-img>", "<end_of_utterance>"]
    words = [
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        '"',
        "x_label",
        "series",
        "points",
        "label",
        "plot",
        "false",
        "1",
        "2",
        "User",
        "Assistant",
    ]
    tokenizer = word_tokenizer(
        ["<unk>", "<pad>", "<s>", "</s>", *image_tokens],
        words,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=image_tokens,
    )
    # 32 px images in 8 px patches, pixel-shuffled by 2: (32 / 8) ** 2 / 2 ** 2 = 4 tokens per image.
    image_processor = Idefics3ImageProcessorPil(
        size={"longest_edge": 32}, max_image_size={"longest_edge": 32}, do_image_splitting=False
    )
    chat_template = (
        "{% for m in messages %}{{ m['role'] | capitalize }}:{% for c in m['content'] %}"
        "{% if c['type'] == 'image' %}<image>{% elif c['type'] == 'text' %} {{ c['text'] }}{% endif %}"
        "{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
    )
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=4, chat_template=chat_template
    )
    config = Idefics3Config(
        image_token_id=tokenizer.get_vocab()["<image>"],
        scale_factor=2,
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "max_position_embeddings": 512,
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 32,
            "patch_size": 8,
        },
    )
    Idefics3ForConditionalGeneration(config).save_pretrained(path)
    processor.save_pretrained(path)


def build_tiny_pix2struct(path: Path) -> None:
    """A random-weight Pix2Struct in DePlot's VQA mode (the instruction is drawn above the image)."""
    from transformers import (
        Pix2StructConfig,
        Pix2StructForConditionalGeneration,
        Pix2StructProcessor,
    )
    from transformers.models.pix2struct.image_processing_pil_pix2struct import (
        Pix2StructImageProcessorPil,
    )

    tokenizer = word_tokenizer(
        ["<pad>", "</s>", "<unk>"],
        ["TITLE", "|", "<0x0A>", "x", "y", "1", "2", "3"],
        pad_token="<pad>",
        eos_token="</s>",
    )
    image_options: dict[str, Any] = {"is_vqa": True, "max_patches": 16, "patch_size": {"height": 8, "width": 8}}
    image_processor = Pix2StructImageProcessorPil(**image_options)
    config = Pix2StructConfig(
        is_vqa=True,
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "d_kv": 16,
            "d_ff": 64,
            "num_layers": 1,
            "num_heads": 2,
            "pad_token_id": 0,
            "eos_token_id": 1,
            "decoder_start_token_id": 0,
        },
        # A patch enters as its 8 x 8 x 3 pixel values.
        vision_config={
            "hidden_size": 32,
            "patch_embed_hidden_size": 8 * 8 * 3,
            "d_ff": 64,
            "d_kv": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "patch_size": 8,
        },
    )
    Pix2StructForConditionalGeneration(config).save_pretrained(path)
    Pix2StructProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(path)


@pytest.fixture(scope="module")
def tiny_vlm_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny models: Idefics3 with a chat template, a copy whose processor has none, a DePlot-style Pix2Struct."""
    root = tmp_path_factory.mktemp("tiny-vlm")
    dirs = {
        "chat_template": root / "tiny-idefics3",
        "plain_prompt": root / "tiny-idefics3-plain",
        "pix2struct": root / "tiny-deplot",
    }
    build_tiny_idefics3(dirs["chat_template"])
    shutil.copytree(dirs["chat_template"], dirs["plain_prompt"])
    (dirs["plain_prompt"] / "chat_template.jinja").unlink()
    build_tiny_pix2struct(dirs["pix2struct"])
    return dirs


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection (a hub download) fails the test."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setenv("PROPMINE_DEVICE", "cpu")


def spy_on_generate(model: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], Any]]:
    """The (inputs, output) of each call of model.generate from now on."""
    calls: list[tuple[dict[str, Any], Any]] = []
    generate = model.generate

    def spy(**inputs: Any) -> Any:
        output = generate(**inputs)
        calls.append((inputs, output))
        return output

    monkeypatch.setattr(model, "generate", spy)
    return calls


def assert_read_or_failed(reader: VLMReader, figure_image: FigureImage, answer: str) -> None:
    """What random weights may give: a read (unlikely), a failed figure quoting the answer, or a skip."""
    try:
        plots = reader.read(figure_image)
    except FigureSkip as skip:  # random weights could, in principle, say {"plot": false}
        assert skip.reason.startswith("no axes")
        return
    assert len(plots) == 1 and plots[0].reader == reader.name
    expected = figure_data_from_answer(figure_image, answer, reader.name)  # greedy: the same answer
    assert plots[0] == expected.model_copy(update={"prompt_version": reader.prompt_version})
    assert plots[0].prompt_version == "figure-v1"
    assert plots[0].status in ("read", "failed")
    if plots[0].status == "failed":
        assert plots[0].reason is not None and plots[0].reason.startswith("model output")


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("variant", ["chat_template", "plain_prompt"])
def test_tiny_idefics3_reads_a_figure_offline(
    tiny_vlm_dirs: dict[str, Path], figure_image: FigureImage, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_dir = tiny_vlm_dirs[variant]
    reader = VLMReader(model_dir, max_new_tokens=12)
    assert reader.name == f"vlm:{model_dir.name}"
    assert reader._loaded is None  # nothing loads before the first figure

    vlm = reader.loaded
    assert type(vlm.model).__name__ == "Idefics3ForConditionalGeneration"
    assert vlm.device == "cpu"  # PROPMINE_DEVICE
    assert bool(vlm.processor.chat_template) == (variant == "chat_template")
    calls = spy_on_generate(vlm.model, monkeypatch)
    answer = reader.generate_answer(figure_image)
    ((inputs, output),) = calls
    assert inputs["pixel_values"].shape[-2:] == (32, 32)
    prompt_length = inputs["input_ids"].shape[1]
    assert prompt_length > 40 and output.shape[1] > prompt_length
    # Only new tokens are decoded: the prompt, itself full of vocabulary words, is not echoed.
    assert isinstance(answer, str)
    assert len(vlm.processor.tokenizer(answer, add_special_tokens=False)["input_ids"]) <= 12
    assert_read_or_failed(reader, figure_image, answer)


@pytest.mark.usefixtures("offline")
def test_tiny_deplot_reads_a_figure_offline(
    tiny_vlm_dirs: dict[str, Path], figure_image: FigureImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = VLMReader(tiny_vlm_dirs["pix2struct"], max_new_tokens=12)
    vlm = reader.loaded
    assert (type(vlm.model).__name__, vlm.encoder_decoder) == ("Pix2StructForConditionalGeneration", True)
    calls = spy_on_generate(vlm.model, monkeypatch)
    answer = reader.generate_answer(figure_image)  # no font download for the drawn instruction
    ((inputs, output),) = calls
    assert inputs["flattened_patches"].shape[1] <= 16 and output.shape[1] <= 13
    assert_read_or_failed(reader, figure_image, answer)


def test_pix2struct_header_is_drawn_above_the_image(tmp_path: Path, figure_image: FigureImage) -> None:
    headed = render_pix2struct_header(
        figure_image.image, "Generate underlying data table of the figure below:", tmp_path
    )
    assert headed.width >= figure_image.image.width
    assert headed.height > figure_image.image.height * headed.width / figure_image.image.width
    assert headed.getpixel((headed.width - 1, headed.height - 1)) == figure_image.image.getpixel((119, 79))
