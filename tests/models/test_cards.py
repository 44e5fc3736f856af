"""Model cards: inferred from the signature, overridden beside the file or inline; wrong models refused in one line."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from vinpaint.errors import InvalidOptionError, MissingDependencyError, UnknownPluginError, UnreadableInputError
from vinpaint.fill import SPATIAL_FILLERS
from vinpaint.options import engine_option_specs, spec_named, validate
from vinpaint.pipeline import RemoveOptions

from .conftest import run_cli, write_folder


def test_onnx_names_pass_the_option_check_without_loading_anything():
    spec = spec_named("fill", engine_option_specs("propagate"))
    assert validate(spec, "onnx:lama.onnx") == "onnx:lama.onnx"
    assert RemoveOptions(engine_options={"flow": "onnx:raft.onnx"}).engine_options["flow"] == "onnx:raft.onnx"


def test_other_unknown_names_are_still_refused_and_the_prefix_is_listed():
    spec = spec_named("fill", engine_option_specs("propagate"))
    with pytest.raises(InvalidOptionError, match=r"must be one of: .*patchmatch, onnx:\.\.\.; got 'lama'"):
        validate(spec, "lama")
    with pytest.raises(UnknownPluginError, match=r"choose one of: .*onnx:\.\.\."):
        SPATIAL_FILLERS.get("lama")


def test_without_onnxruntime_the_cli_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    frames = np.full((3, 16, 16, 3), 100, np.uint8)
    masks = np.zeros((3, 16, 16), bool)
    masks[:, 4:8, 4:8] = True
    result = run_cli("remove", write_folder(tmp_path / "in", frames), "--mask", write_folder(tmp_path / "m", masks),
                     "-o", tmp_path / "out", "--fill", "onnx:never-loaded.onnx")
    assert result.exit_code == 2
    assert "ONNX models need onnxruntime: pip install 'vinpaint[onnx]'" in result.output
    assert not (tmp_path / "out").exists()


def test_load_model_without_onnxruntime_raises_missing_dependency(monkeypatch, tmp_path):
    from vinpaint.models import load_model

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'vinpaint\[onnx\]'"):
        load_model(tmp_path / "any.onnx")


# the rest needs ONNX Runtime and onnx to build models


@pytest.fixture
def tiny():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from . import tiny_models

    return tiny_models


def _card(path, kind, overrides=None):
    from vinpaint.models import load_model, model_card, read_card_overrides

    return model_card(load_model(path), kind, read_card_overrides(path, overrides))


def test_lama_like_signature_is_recognised(tiny, models_folder):
    card = _card(tiny.mean_fill_model(models_folder / "lama.onnx", size=32), "fill")
    assert (card.inputs, card.outputs, card.layout, card.size) == (
        {"image": "image", "mask": "mask"}, {"image": "output"}, "NCHW", (32, 32))


def test_yolo_like_signature_reads_class_names_from_metadata(tiny, models_folder):
    card = _card(tiny.box_detector_model(models_folder / "yolo.onnx", [(10, 10, 4, 4, 0, 0.9)]), "detect")
    assert card.classes == ("person", "car") and card.resize == "letterbox" and card.size == (64, 64)


def test_card_beside_the_file_and_inline_override_the_inferred_one(tiny, models_folder):
    path = tiny.mean_fill_model(models_folder / "model.onnx")
    (models_folder / "model.onnx.json").write_text(json.dumps({"colour": "BGR", "input_range": [0, 255]}))
    card = _card(path, "fill", '{"input_range": [-1, 1]}')
    assert card.colour == "BGR" and card.input_range == (-1, 1)


def test_model_with_too_many_inputs_is_refused_naming_what_was_expected(tiny, models_folder):
    path = tiny.mean_fill_model(models_folder / "three.onnx", extra_input=True)
    with pytest.raises(UnreadableInputError) as caught:
        _card(path, "fill")
    message = str(caught.value)
    assert "three.onnx is not a fill model: it has 3 input(s) (image, mask, extra)" in message
    assert "expected 2 inputs, image (1,3,H,W) and mask (1,1,H,W)" in message and "\n" not in message


def test_model_with_a_wrong_channel_count_is_refused_naming_the_input_and_shape(tiny, models_folder):
    path = tiny.mean_fill_model(models_folder / "four.onnx", channels=4)
    with pytest.raises(UnreadableInputError, match=r"input image \(1,4,\?,\?\) \(image\) should be NCHW \(1,3,H,W\)"):
        _card(path, "fill", {"inputs": {"image": "image", "mask": "mask"}})


def test_flow_model_used_as_a_filler_is_refused_from_the_cli(tiny, tmp_path, models_folder):
    model = tiny.shift_flow_model(models_folder / "flow.onnx", (1.0, 0.0))
    frames = np.full((3, 16, 16, 3), 100, np.uint8)
    masks = np.zeros((3, 16, 16), bool)
    masks[:, 4:8, 4:8] = True
    result = run_cli("remove", write_folder(tmp_path / "in", frames), "--mask", write_folder(tmp_path / "m", masks),
                     "-o", tmp_path / "out", "--fill", f"onnx:{model}")
    assert result.exit_code == 2
    assert "flow.onnx is not a fill model" in result.output and "image (1,3,H,W) and mask (1,1,H,W)" in result.output


def test_card_naming_a_missing_tensor_is_refused(tiny, models_folder):
    path = tiny.mean_fill_model(models_folder / "lama.onnx")
    with pytest.raises(UnreadableInputError, match=r"its card names input 'img' for 'image', but its inputs are image, mask"):
        _card(path, "fill", {"inputs": {"image": "img"}})


def test_unknown_provider_is_refused(tiny, models_folder):
    from vinpaint.models import load_model

    path = tiny.mean_fill_model(models_folder / "lama.onnx")
    with pytest.raises(InvalidOptionError, match=r"provider\(s\) NoSuchExecutionProvider not available here"):
        load_model(path, providers=["NoSuchExecutionProvider"])
