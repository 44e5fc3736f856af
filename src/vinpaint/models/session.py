"""ONNX Runtime sessions: imported lazily, made once per file, on the CPU unless the user asks.

onnxruntime is an optional dependency (``pip install 'vinpaint[onnx]'``); nothing here imports it
until a model is loaded, so every other command works without it.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputNotFoundError, MissingDependencyError, UnreadableInputError

log = logging.getLogger(__name__)

#: Environment variable naming the execution providers to try, comma-separated, best first
#: (``CUDAExecutionProvider,CPUExecutionProvider``); unset: the CPU provider.
PROVIDERS_VARIABLE = "VINPAINT_ONNX_PROVIDERS"

_INSTALL = "pip install 'vinpaint[onnx]'"
_sessions: dict[tuple, LoadedModel] = {}
_lock = threading.Lock()


def import_onnxruntime():
    """The ``onnxruntime`` module; :class:`MissingDependencyError` saying what to install if it is missing."""
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError(f"ONNX models need onnxruntime: {_INSTALL}") from None
    return onnxruntime


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of a model: its name, shape (``None`` or a name for a free dimension) and element type."""

    name: str
    shape: tuple[int | str | None, ...]
    dtype: str  # onnxruntime's type text: "tensor(float)", "tensor(uint8)"...

    @property
    def numpy_dtype(self) -> type:
        return {"tensor(float)": np.float32, "tensor(uint8)": np.uint8, "tensor(double)": np.float64,
                "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
                "tensor(float16)": np.float16}.get(self.dtype, np.float32)

    def fixed(self, axis: int) -> int | None:
        """The size of ``axis`` if the model fixes it, else None."""
        value = self.shape[axis] if -len(self.shape) <= axis < len(self.shape) else None
        return value if isinstance(value, int) and value > 0 else None

    def describe(self) -> str:
        dims = ",".join(str(d) if isinstance(d, int) and d > 0 else "?" for d in self.shape)
        return f"{self.name} ({dims})"


@dataclass(frozen=True)
class LoadedModel:
    """An ONNX Runtime session with its inputs, outputs and metadata."""

    path: Path
    session: Any
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    metadata: dict[str, str]

    def run(self, feeds: dict[str, np.ndarray], outputs: list[str] | None = None) -> dict[str, np.ndarray]:
        """Run the model on ``feeds`` (input name -> array); returns output name -> array."""
        names = outputs or [o.name for o in self.outputs]
        return dict(zip(names, self.session.run(names, feeds)))

    def input_named(self, name: str) -> TensorInfo:
        return next(i for i in self.inputs if i.name == name)

    def output_named(self, name: str) -> TensorInfo:
        return next(o for o in self.outputs if o.name == name)

    def signature(self) -> str:
        """``inputs a (1,3,?,?), b (...) -> outputs c (...)``, for error messages."""
        return (f"inputs {', '.join(i.describe() for i in self.inputs)} -> "
                f"outputs {', '.join(o.describe() for o in self.outputs)}")


def providers_wanted(providers: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """The providers asked for: ``providers``, else :data:`PROVIDERS_VARIABLE`, else the CPU provider."""
    if providers:
        return list(providers)
    text = os.environ.get(PROVIDERS_VARIABLE, "")
    return [name.strip() for name in text.split(",") if name.strip()] or ["CPUExecutionProvider"]


def load_model(path: str | Path, *, providers: list[str] | tuple[str, ...] | None = None) -> LoadedModel:
    """The ONNX model at ``path`` in a session (made once per file and provider list, then shared).

    Raises:
        InputNotFoundError: no file at ``path``.
        MissingDependencyError: onnxruntime is not installed.
        UnreadableInputError: the file is not an ONNX model onnxruntime can load.
        InvalidOptionError: a provider asked for is not available here.
    """
    ort = import_onnxruntime()  # first: without the extra, that is what to fix
    path = Path(path).expanduser()
    if not path.is_file():
        raise InputNotFoundError(f"model file not found: {path}; give the path of an .onnx file")
    wanted = providers_wanted(providers)
    available = ort.get_available_providers()
    missing = [name for name in wanted if name not in available]
    if missing:
        from ..errors import InvalidOptionError

        raise InvalidOptionError(f"ONNX Runtime provider(s) {', '.join(missing)} not available here; "
                                 f"available: {', '.join(available)}")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, tuple(wanted))
    with _lock:
        if key not in _sessions:
            options = ort.SessionOptions()
            options.log_severity_level = 3
            try:
                session = ort.InferenceSession(str(path), sess_options=options, providers=wanted)
            except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types
                first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise UnreadableInputError(f"cannot load ONNX model {path}: {first}") from None
            inputs = tuple(TensorInfo(i.name, tuple(i.shape), i.type) for i in session.get_inputs())
            outputs = tuple(TensorInfo(o.name, tuple(o.shape), o.type) for o in session.get_outputs())
            metadata = dict(session.get_modelmeta().custom_metadata_map or {})
            log.info("loaded %s on %s", path, ", ".join(session.get_providers()))
            _sessions[key] = LoadedModel(path, session, inputs, outputs, metadata)
        return _sessions[key]
