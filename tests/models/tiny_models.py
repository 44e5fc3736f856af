"""Tiny ONNX models built with ``onnx.helper`` that compute something checkable, one per plug-in kind.

* :func:`mean_fill_model`: LaMa's signature (``image``, ``mask`` -> ``output``, [0, 1]); returns the
  mean colour of the known (mask 0) pixels everywhere.
* :func:`shift_flow_model`: RAFT's signature (two images -> ``flow`` (1,2,H,W)); returns a fixed
  shift, its sign that of a one-step Lucas-Kanade estimate of the horizontal motion (so the backward
  flow is the negative of the forward one, as on a real pan).
* :func:`disc_segmenter_models`: SAM's encoder and decoder signatures; the decoder returns, at the
  frame's size, logits ``radius^2 - distance^2`` around the first prompt point: a disc.
* :func:`box_detector_model`: YOLOv8's signature (``images`` -> ``output0`` (1, 4+C, N)); returns
  the given candidates whatever the image, class names in the metadata as Ultralytics writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

onnx = __import__("pytest").importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

FLOAT = TensorProto.FLOAT


def _save(graph, path: Path, metadata: dict[str, str] | None = None) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path)


def _const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def mean_fill_model(path: Path, *, size: int | None = None, channels: int = 3, extra_input: bool = False) -> Path:
    """``output = mean of image over mask == 0``, per channel, broadcast to the image's shape."""
    h = w = size if size else None
    dims = lambda c: [1, c, h or "H", w or "W"]  # noqa: E731
    inputs = [helper.make_tensor_value_info("image", FLOAT, dims(channels)),
              helper.make_tensor_value_info("mask", FLOAT, dims(1))]
    if extra_input:
        inputs.append(helper.make_tensor_value_info("extra", FLOAT, [1]))
    nodes = [
        helper.make_node("Sub", ["one", "mask"], ["known"]),
        helper.make_node("Mul", ["image", "known"], ["known_image"]),
        helper.make_node("ReduceSum", ["known_image", "axes"], ["total"], keepdims=1),
        helper.make_node("ReduceSum", ["known", "axes"], ["count"], keepdims=1),
        helper.make_node("Div", ["total", "count"], ["mean"]),
        helper.make_node("Mul", ["image", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "mean"], ["output"]),
    ]
    graph = helper.make_graph(nodes, "mean_fill", inputs,
                              [helper.make_tensor_value_info("output", FLOAT, dims(channels))],
                              [_const("one", np.float32(1)), _const("zero", np.float32(0)),
                               _const("axes", np.array([2, 3], np.int64))])
    return _save(graph, path)


def shift_flow_model(path: Path, shift: tuple[float, float]) -> Path:
    """``flow = shift * sign(-sum((image2 - image1) * d image1 / dx))`` everywhere, (1,2,H,W)."""
    dims = [1, 3, "H", "W"]
    nodes = [
        helper.make_node("Slice", ["image1", "one_i", "end_i", "axis3"], ["right"]),
        helper.make_node("Slice", ["image1", "zero_i", "minus_one_i", "axis3"], ["left"]),
        helper.make_node("Sub", ["right", "left"], ["gradient"]),
        helper.make_node("Sub", ["image2", "image1"], ["change"]),
        helper.make_node("Slice", ["change", "zero_i", "minus_one_i", "axis3"], ["change_left"]),
        helper.make_node("Mul", ["change_left", "gradient"], ["product"]),
        helper.make_node("ReduceSum", ["product"], ["sum"], keepdims=0),
        helper.make_node("Neg", ["sum"], ["minus_sum"]),
        helper.make_node("Sign", ["minus_sum"], ["sign"]),
        helper.make_node("Mul", ["shift", "sign"], ["signed_shift"]),
        helper.make_node("Slice", ["image1", "zero_i", "two_i", "axis1"], ["two_planes"]),
        helper.make_node("Mul", ["two_planes", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "signed_shift"], ["flow"]),
    ]
    initializers = [_const("one_i", np.array([1], np.int64)), _const("zero_i", np.array([0], np.int64)),
                    _const("two_i", np.array([2], np.int64)), _const("minus_one_i", np.array([-1], np.int64)),
                    _const("end_i", np.array([2**62], np.int64)), _const("axis3", np.array([3], np.int64)),
                    _const("axis1", np.array([1], np.int64)), _const("zero", np.float32(0)),
                    _const("shift", np.array(shift, np.float32).reshape(1, 2, 1, 1))]
    graph = helper.make_graph(nodes, "shift_flow",
                              [helper.make_tensor_value_info("image1", FLOAT, dims),
                               helper.make_tensor_value_info("image2", FLOAT, dims)],
                              [helper.make_tensor_value_info("flow", FLOAT, [1, 2, "H", "W"])], initializers)
    return _save(graph, path)


def disc_segmenter_models(folder: Path, *, radius: float, size: int = 64) -> tuple[Path, Path]:
    """``(encoder, decoder)``: the encoder averages the channels; the decoder draws a disc around the first point.

    The point arrives in the encoder's input pixels (longest side ``size``) and is mapped back to the
    frame's as SAM's decoder does, by ``max(orig_im_size) / size``.
    """
    encoder = helper.make_graph(
        [helper.make_node("ReduceMean", ["image"], ["image_embeddings"], axes=[1], keepdims=1)], "encoder",
        [helper.make_tensor_value_info("image", FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("image_embeddings", FLOAT, [1, 1, size, size])])
    nodes = [
        helper.make_node("ReduceMax", ["orig_im_size"], ["longest"], keepdims=0),
        helper.make_node("Div", ["longest", "size"], ["to_frame"]),
        helper.make_node("Slice", ["point_coords", "zero_i", "one_i", "axis1"], ["first_point"]),  # (1,1,2)
        helper.make_node("Mul", ["first_point", "to_frame"], ["point"]),
        helper.make_node("Slice", ["point", "zero_i", "one_i", "axis2"], ["px"]),
        helper.make_node("Slice", ["point", "one_i", "two_i", "axis2"], ["py"]),
        helper.make_node("Cast", ["orig_im_size"], ["size_i"], to=TensorProto.INT64),
        helper.make_node("Slice", ["size_i", "zero_i", "one_i", "axis0"], ["height_1"]),
        helper.make_node("Slice", ["size_i", "one_i", "two_i", "axis0"], ["width_1"]),
        helper.make_node("Squeeze", ["height_1"], ["height"]),
        helper.make_node("Squeeze", ["width_1"], ["width"]),
        helper.make_node("Range", ["zero_s", "height", "one_s"], ["rows_i"]),
        helper.make_node("Range", ["zero_s", "width", "one_s"], ["cols_i"]),
        helper.make_node("Cast", ["rows_i"], ["rows"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["cols_i"], ["cols"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["rows", "column_shape"], ["ys"]),  # (H,1)
        helper.make_node("Reshape", ["px", "scalar_shape"], ["px_s"]),
        helper.make_node("Reshape", ["py", "scalar_shape"], ["py_s"]),
        helper.make_node("Sub", ["cols", "px_s"], ["dx"]),
        helper.make_node("Sub", ["ys", "py_s"], ["dy"]),
        helper.make_node("Mul", ["dx", "dx"], ["dx2"]),
        helper.make_node("Mul", ["dy", "dy"], ["dy2"]),
        helper.make_node("Add", ["dx2", "dy2"], ["distance2"]),  # (H,W)
        helper.make_node("Sub", ["radius2", "distance2"], ["disc"]),
        helper.make_node("ReduceSum", ["image_embeddings"], ["embedding_sum"], keepdims=0),
        helper.make_node("Mul", ["embedding_sum", "zero"], ["nothing"]),
        helper.make_node("Add", ["disc", "nothing"], ["disc_used"]),
        helper.make_node("Unsqueeze", ["disc_used", "axes01"], ["masks"]),
    ]
    initializers = [_const("size", np.float32(size)), _const("zero_i", np.array([0], np.int64)),
                    _const("one_i", np.array([1], np.int64)), _const("two_i", np.array([2], np.int64)),
                    _const("axis0", np.array([0], np.int64)), _const("axis1", np.array([1], np.int64)),
                    _const("axis2", np.array([2], np.int64)), _const("zero_s", np.int64(0)),
                    _const("one_s", np.int64(1)), _const("column_shape", np.array([-1, 1], np.int64)),
                    _const("scalar_shape", np.array([], np.int64)), _const("radius2", np.float32(radius ** 2)),
                    _const("zero", np.float32(0)), _const("axes01", np.array([0, 1], np.int64))]
    decoder = helper.make_graph(nodes, "decoder", [
        helper.make_tensor_value_info("image_embeddings", FLOAT, [1, 1, size, size]),
        helper.make_tensor_value_info("point_coords", FLOAT, [1, "N", 2]),
        helper.make_tensor_value_info("point_labels", FLOAT, [1, "N"]),
        helper.make_tensor_value_info("orig_im_size", FLOAT, [2]),
    ], [helper.make_tensor_value_info("masks", FLOAT, [1, 1, "H", "W"])], initializers)
    return _save(encoder, folder / "disc_encoder.onnx"), _save(decoder, folder / "disc_decoder.onnx")


def box_detector_model(path: Path, candidates: list[tuple[float, float, float, float, int, float]], *,
                       classes: tuple[str, ...] = ("person", "car"), size: int = 64) -> Path:
    """Returns ``candidates`` ``(cx, cy, w, h, class, score)`` (input pixels) as ``output0`` (1, 4+C, N)."""
    rows = np.zeros((1, 4 + len(classes), len(candidates)), np.float32)
    for index, (cx, cy, w, h, class_id, score) in enumerate(candidates):
        rows[0, :4, index] = (cx, cy, w, h)
        rows[0, 4 + class_id, index] = score
    nodes = [helper.make_node("ReduceSum", ["images"], ["total"], keepdims=0),
             helper.make_node("Mul", ["total", "zero"], ["nothing"]),
             helper.make_node("Add", ["rows", "nothing"], ["output0"])]
    graph = helper.make_graph(nodes, "box_detector", [helper.make_tensor_value_info("images", FLOAT, [1, 3, size, size])],
                              [helper.make_tensor_value_info("output0", FLOAT, list(rows.shape))],
                              [_const("rows", rows), _const("zero", np.float32(0))])
    names = "{" + ", ".join(f"{i}: '{name}'" for i, name in enumerate(classes)) + "}"
    return _save(graph, path, {"names": names})
