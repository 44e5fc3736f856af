"""The studio's web application: a JSON API over the library, and the page that drives it.

Flow: open a clip (an upload, or a video or frame folder of the data folder) -> draw or click a mask
on one or more keyframes -> make masks for every frame (track the keyframes, repeat one mask, or take
the data folder's masks) -> preview the fill on a short range -> run the whole clip -> compare, read
the metrics, download the video and the masks.  Masks, previews and runs are background jobs
(:mod:`vinpaint.studio.queue`); the page polls ``GET /api/jobs/{id}`` for progress.

Safety: the server binds to localhost by default and has no accounts.  A client never names a path:
data-folder entries are looked up in a listing the server made (and every listed path is resolved and
checked to lie inside the data folder), uploads are stored under a generated id with only their
extension kept, clip and job ids must be 32 hex digits, and uploads are size-limited, checked by
extension and then by decoding them with :func:`vinpaint.io.open_video`.  Error texts sent to the
page (HTTP answers and a job's error) go through :func:`public_message`: no filesystem path or errno
number reaches the page; the server log keeps the full text.

Files (under the work folder)::

    jobs.sqlite3                 job states and results (survive a restart)
    clips/<id>/clip.json         what the clip is and where its source lies
    clips/<id>/input.<ext>       an uploaded source
    clips/<id>/frames/00000.jpg  display copies of the frames (the fill reads the source itself)
    clips/<id>/keys/00000.png    keyframe masks drawn on the page (255 = fill)
    clips/<id>/masks/00000.png   a mask for every frame (what preview and run use)
    jobs/<id>/...                a job's output: frames/, result.mp4, masks/
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import re
import shutil
import sqlite3
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import numpy as np

from . import require_web

require_web()

from fastapi import Body, FastAPI, HTTPException, Query, Request  # noqa: E402
from fastapi import Path as PathParam  # noqa: E402
from fastapi.concurrency import run_in_threadpool  # noqa: E402
from fastapi.responses import FileResponse, JSONResponse, Response  # noqa: E402
from fastapi.staticfiles import StaticFiles  # noqa: E402
from pydantic import BaseModel, Field  # noqa: E402
from starlette.exceptions import HTTPException as StarletteHTTPException  # noqa: E402
from starlette.middleware.trustedhost import TrustedHostMiddleware  # noqa: E402

from ..composite import BLEND_MODES  # noqa: E402
from ..engines import ENGINES, engine_parameters  # noqa: E402
from ..errors import (  # noqa: E402
    InputNotFoundError,
    InvalidOptionError,
    OutputError,
    UnreadableInputError,
    VinpaintError,
)
from ..flow import FLOW_ESTIMATORS  # noqa: E402
from ..io import EncodeOptions, open_masks, open_video, read_label_image, write_png  # noqa: E402
from ..io.images import IMAGE_EXTENSIONS  # noqa: E402
from ..io.readers import list_images  # noqa: E402
from ..masks.postprocess import write_mask_folder  # noqa: E402
from ..pipeline import RemoveOptions, remove_file, remove_stream  # noqa: E402
from ..fill import SPATIAL_FILLERS  # noqa: E402
from .queue import JobQueue  # noqa: E402

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
#: containers accepted as uploads and listed in the data folder (each is then decoded to be sure)
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv",
                              ".3gp", ".ogv"})
UPLOAD_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS
ID_PATTERN = r"^[0-9a-f]{32}$"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
#: a keyframe mask is a PNG of the clip's size: far below this
_MAX_MASK_BYTES = 32 * 1024**2
_DATA_SCAN_DEPTH = 4
_DATA_SCAN_LIMIT = 500
_OVERLAY_RGB = (255, 48, 48)

ClipId = Annotated[str, PathParam(pattern=ID_PATTERN, description="a clip id (32 hex digits)")]
JobId = Annotated[str, PathParam(pattern=ID_PATTERN, description="a job id (32 hex digits)")]
FrameIndex = Annotated[int, PathParam(ge=0, description="0-based frame number")]
MaskStyle = Annotated[Literal["overlay", "binary"],
                      Query(description="overlay: red RGBA PNG; binary: grey PNG, 255 = fill")]


# -- response and request models ---------------------------------------------------------------------------


class DataEntryInfo(BaseModel):
    """A video or a folder of frames found in the data folder."""

    id: str = Field(description="the entry's key (its path relative to the data folder); pass it to POST /api/clips")
    name: str
    kind: Literal["video", "folder"]
    has_masks: bool = Field(description="a sibling masks/ folder exists; the page can load it as the clip's masks")


class ClipInfo(BaseModel):
    """A clip opened in the studio."""

    id: str
    name: str
    kind: Literal["video", "folder", "image"]
    origin: Literal["data", "upload"]
    width: int
    height: int
    frame_count: int
    fps: float
    keyframes: list[int] = Field(description="frames with a drawn keyframe mask")
    has_masks: bool = Field(description="a mask exists for every frame (preview and run need it)")
    masks_version: int = Field(description="increases whenever the masks change (for cache busting)")
    has_data_masks: bool = Field(description="the data folder has masks for this clip")
    created: float


class JobInfo(BaseModel):
    """A background job: making masks, a preview, or a full run."""

    id: str
    kind: str
    clip_id: str | None
    state: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    done: int
    total: int | None
    phase: str | None = Field(None, description="the running job's current step")
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created: float
    started: float | None
    finished: float | None


class EngineOption(BaseModel):
    name: str
    default: Any
    type: str
    choices: list[str] | None = None


class EngineInfo(BaseModel):
    name: str
    description: str
    options: list[EngineOption]


class Features(BaseModel):
    click: bool = Field(description="click-to-select (vinpaint.masks.click) is available")
    track: bool = Field(description="mask tracking (vinpaint.masks.track) is available")
    metrics: bool = Field(description="result metrics (vinpaint.evaluate.metrics) are available")


class StudioOptions(BaseModel):
    """What the page's form offers, read from the library's registries."""

    engines: list[EngineInfo]
    fillers: list[str]
    flows: list[str]
    blends: list[str]
    defaults: dict[str, Any]
    preview_frames: int
    max_upload_bytes: int
    features: Features


class OpenDataRequest(BaseModel):
    entry: str = Field(max_length=1000, description="an id from GET /api/data")


class Point(BaseModel):
    x: float = Field(description="column, in pixels of the video")
    y: float = Field(description="row, in pixels of the video")
    positive: bool = Field(True, description="True: on the object; False: not on the object")


class SegmentRequest(BaseModel):
    frame: int = Field(ge=0)
    points: list[Point] = Field(min_length=1, max_length=200)


class MasksRequest(BaseModel):
    method: Literal["track", "static", "data"] = Field(
        description="track: follow the keyframe masks through the clip; static: the mask of `frame` on every "
        "frame (a logo); data: the masks of the data folder"
    )
    frame: int | None = Field(None, ge=0, description="keyframe for method=static (default: the first keyframe)")
    first: int | None = Field(None, ge=0, description="first frame to mask (default 0); frames outside stay unmasked")
    last: int | None = Field(None, ge=0, description="last frame to mask, inclusive (default: the last frame)")


class FillOptions(BaseModel):
    """The fill's options; see :class:`vinpaint.pipeline.RemoveOptions`."""

    engine: str = "propagate"
    dilate: int = Field(4, ge=0, le=200)
    feather: float = Field(0.0, ge=0, le=200)
    blend: str = "none"
    engine_options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    crf: int = Field(18, ge=0, le=51, description="H.264 quality of the result (lower = better)")


class PreviewRequest(BaseModel):
    options: FillOptions = Field(default_factory=FillOptions)
    first: int = Field(0, ge=0)
    count: int | None = Field(None, ge=1, le=1000, description="frames to preview (default: the server's, 30)")


class RemoveRequest(BaseModel):
    options: FillOptions = Field(default_factory=FillOptions)


class Message(BaseModel):
    detail: str


# -- the data folder ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataEntry:
    id: str
    name: str
    kind: str
    path: Path
    masks: Path | None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def scan_data_dir(data_dir: Path | None) -> dict[str, DataEntry]:
    """Videos and frame folders under ``data_dir`` (depth 4, hidden files and outside links skipped).

    A folder named ``frames`` is shown under its parent's name; a sibling ``masks`` folder becomes
    the entry's masks (and is not listed as a clip of its own).
    """
    entries: dict[str, DataEntry] = {}
    if data_dir is None or not data_dir.is_dir():
        return entries
    root = data_dir.resolve()

    def visit(folder: Path, depth: int) -> None:
        if depth > _DATA_SCAN_DEPTH or len(entries) >= _DATA_SCAN_LIMIT:
            return
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name.lower())
        except OSError:
            return
        masks = folder / "masks"
        masks = masks if masks.is_dir() and _inside(masks, root) else None
        for child in children:
            if child.name.startswith(".") or not _inside(child, root) or len(entries) >= _DATA_SCAN_LIMIT:
                continue
            key = child.relative_to(data_dir).as_posix()
            if child.is_file() and child.suffix.lower() in VIDEO_EXTENSIONS:
                entries[key] = DataEntry(key, child.name, "video", child.resolve(), masks)
            elif child.is_dir():
                if child.name == "masks" and (folder / "frames").is_dir():
                    continue
                images = list_images(child)
                if len(images) >= 2:
                    name = folder.name if child.name == "frames" and folder != data_dir else child.name
                    entries[key] = DataEntry(key, name, "folder", child.resolve(), masks)
                else:
                    visit(child, depth + 1)

    visit(data_dir, 0)
    return entries


# -- helpers ------------------------------------------------------------------------------------------------


def safe_display_name(filename: str) -> str:
    """The last component of a client-supplied file name, without control or path characters."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:120] or "upload"


#: FFmpeg's AVERROR_INVALIDDATA, which PyAV reports as "[Errno 1094995529] Invalid data found when
#: processing input: '<path>'" (negative on some platforms)
_INVALID_DATA = re.compile(r"\[Errno -?1094995529\][^;()]*?(?:: '[^']*')?(?=$|[;()]|, )")
_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")
_QUOTED_PATH = re.compile(r"""(['"])([^'"\n]*[/\\][^'"\n]*)\1""")
#: an absolute POSIX path, a home-relative one, or a Windows one (the page's own API routes are not paths)
_BARE_PATH = re.compile(r"""(?<![\w/.~:-])(?:~|[A-Za-z]:)?[/\\](?!api/|static/)[^\s'"<>|,;()]+""")


def _last_part(path: str) -> str:
    """The file or folder name at the end of ``path``, keeping punctuation that followed it."""
    stripped = path.rstrip(":.")
    name = PurePosixPath(stripped.replace("\\", "/").rstrip("/")).name or "a file"
    return name + path[len(stripped):]


def public_message(text: str) -> str:
    """``text`` fit for the page: file paths cut to their last part, errno numbers dropped.

    FFmpeg's "invalid data" error (``[Errno 1094995529] ...``) becomes "the file could not be read
    as a video or image".  The page never learns where the server keeps its files.
    """
    text = _INVALID_DATA.sub("the file could not be read as a video or image", text)
    text = _ERRNO.sub("", text)
    text = _QUOTED_PATH.sub(lambda m: f"{m[1]}{_last_part(m[2])}{m[1]}", text)
    text = _BARE_PATH.sub(lambda m: _last_part(m[0]), text)
    return " ".join(text.split())


def _stamp(path: Path) -> list[int]:
    """Modification time and size of a file, or of a folder's images: changes when the source does."""
    files = [path] if path.is_file() else list_images(path)
    stats = [f.stat() for f in files]
    return [max(s.st_mtime_ns for s in stats), sum(s.st_size for s in stats), len(stats)]


def _download_stem(name: str) -> str:
    stem = Path(name).stem if Path(name).suffix else name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:60] or "clip"


def _save_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    from PIL import Image

    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(image).save(tmp, format="JPEG", quality=quality)
    tmp.replace(path)


def _overlay_png(mask: np.ndarray) -> bytes:
    """A bool mask as an RGBA PNG: red where True, transparent elsewhere."""
    from PIL import Image

    rgba = np.zeros((*mask.shape, 4), np.uint8)
    rgba[..., :3] = _OVERLAY_RGB
    rgba[..., 3] = mask.astype(np.uint8) * 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _binary_png(mask: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _zip_folder(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for file in sorted(folder.glob("*.png")):
            archive.write(file, f"{prefix}/{file.name}")
    return buffer.getvalue()


def _json_safe(value: Any) -> Any:
    """Infinite floats as the string "inf" (JSON has no infinity), NaN as None, NumPy scalars as Python's."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _optional(module: str, name: str) -> Callable | None:
    """A library function that may not exist in this version of vinpaint, or None."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def engine_option_specs(engine: str) -> list[EngineOption]:
    """The keyword options of an engine, with defaults and choices, read from its signature."""
    specs = []
    for name, parameter in engine_parameters(engine).items():
        default = parameter.default if parameter.default is not inspect.Parameter.empty else None
        choices = {"fill": SPATIAL_FILLERS.names(), "flow": FLOW_ESTIMATORS.names()}.get(name)
        specs.append(EngineOption(name=name, default=default, type=type(default).__name__, choices=choices))
    return specs


def remove_options(fill: FillOptions) -> RemoveOptions:
    """Validate the page's options into :class:`RemoveOptions` (engine options cast to their defaults' types)."""
    specs = {spec.name: spec for spec in engine_option_specs(fill.engine)}
    engine_options: dict[str, Any] = {}
    for key, value in fill.engine_options.items():
        spec = specs.get(key)
        if spec is None:
            raise InvalidOptionError(f"engine {fill.engine!r} has no option {key!r}; its options: {', '.join(specs)}")
        try:
            if spec.type == "bool":
                value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
            elif spec.type == "int":
                value = int(value)
            elif spec.type == "float":
                value = float(value)
            elif spec.type == "str":
                value = str(value)
        except (TypeError, ValueError):
            raise InvalidOptionError(f"engine option {key} must be a {spec.type}, got {value!r}") from None
        if spec.choices is not None and value not in spec.choices:
            raise InvalidOptionError(f"{key} must be one of: {', '.join(spec.choices)}; got {value!r}")
        engine_options[key] = value
    return RemoveOptions(engine=fill.engine, dilate=fill.dilate, feather=fill.feather, blend=fill.blend,
                         engine_options=engine_options)


def job_info(job) -> JobInfo:
    """A job's record as the page sees it: its error (and its metrics' error) through :func:`public_message`."""
    record = job.to_dict()
    if record["error"]:
        record["error"] = public_message(record["error"])
    metrics = (record["result"] or {}).get("metrics")
    if isinstance(metrics, dict) and isinstance(metrics.get("error"), str):
        record["result"] = {**record["result"], "metrics": {**metrics, "error": public_message(metrics["error"])}}
    return JobInfo(**record)


# -- the studio: clips, masks and jobs ----------------------------------------------------------------------


class Studio:
    """State behind the API: the clips of the work folder and the job queue."""

    def __init__(self, data_dir: Path | None, work_dir: Path, *, max_upload_bytes: int, workers: int,
                 preview_frames: int, jpeg_quality: int) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        if self.data_dir is not None and not self.data_dir.is_dir():
            if self.data_dir.exists():
                raise InputNotFoundError(f"the data folder {self.data_dir} is a file: give a folder of videos")
            raise InputNotFoundError(f"data folder not found: {self.data_dir}")
        self.work_dir = Path(work_dir)
        self.clips_dir = self.work_dir / "clips"
        self.uploads_dir = self.work_dir / "uploads"
        self.max_upload_bytes = max_upload_bytes
        self.preview_frames = preview_frames
        self.jpeg_quality = jpeg_quality
        self.jobs = self._open_work_dir(workers)
        self._lock = threading.RLock()
        self._cache_lock = threading.Lock()
        self._cache: tuple[str, np.ndarray] | None = None

    def _open_work_dir(self, workers: int) -> JobQueue:
        """Create the work folder's layout and open its job queue.

        Raises:
            OutputError: the work folder is a file, or cannot be created, written or hold the database.
        """
        if self.work_dir.exists() and not self.work_dir.is_dir():
            raise OutputError(f"the work folder {self.work_dir} is a file: give a folder (it is created if missing)")
        try:
            self.clips_dir.mkdir(parents=True, exist_ok=True)
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            return JobQueue(self.work_dir, workers=workers)
        except OSError as error:
            where = error.filename or self.work_dir
            raise OutputError(f"cannot use the work folder {self.work_dir}: {error.strerror or error} ({where}); "
                              "give a folder this user can create and write") from None
        except sqlite3.Error as error:
            raise OutputError(f"cannot keep the job database in the work folder {self.work_dir}: {error}; "
                              "give a folder this user can write") from None

    # clips

    def clip_dir(self, clip_id: str) -> Path:
        return self.clips_dir / clip_id

    def meta(self, clip_id: str) -> dict:
        """The clip's record; 404 when unknown."""
        file = self.clip_dir(clip_id) / "clip.json"
        if not re.fullmatch(ID_PATTERN[1:-1], clip_id) or not file.is_file():
            raise HTTPException(404, f"unknown clip {clip_id}")
        return json.loads(file.read_text())

    def _write_meta(self, meta: dict) -> None:
        file = self.clip_dir(meta["id"]) / "clip.json"
        tmp = file.with_name(".clip.json.tmp")
        tmp.write_text(json.dumps(meta, indent=1))
        tmp.replace(file)

    def keyframes(self, clip_id: str) -> list[int]:
        folder = self.clip_dir(clip_id) / "keys"
        return sorted(int(p.stem) for p in folder.glob("*.png") if p.stem.isdigit()) if folder.is_dir() else []

    def has_masks(self, meta: dict) -> bool:
        folder = self.clip_dir(meta["id"]) / "masks"
        return folder.is_dir() and len(list(folder.glob("*.png"))) == meta["frame_count"]

    def info(self, meta: dict) -> ClipInfo:
        return ClipInfo(
            id=meta["id"], name=meta["name"], kind=meta["kind"], origin=meta["origin"], width=meta["width"],
            height=meta["height"], frame_count=meta["frame_count"], fps=float(Fraction(meta["fps"])),
            keyframes=self.keyframes(meta["id"]), has_masks=self.has_masks(meta),
            masks_version=meta.get("masks_version", 0), has_data_masks=bool(meta.get("data_masks")),
            created=meta["created"],
        )

    def list_clips(self) -> list[dict]:
        metas = []
        for file in self.clips_dir.glob("*/clip.json"):
            try:
                metas.append(json.loads(file.read_text()))
            except (OSError, ValueError):
                log.warning("skipping unreadable clip record %s", file)
        return sorted(metas, key=lambda m: m["created"], reverse=True)

    def _ingest(self, source: Path, *, name: str, kind: str, origin: str, clip_id: str | None = None,
                extra: dict | None = None) -> dict:
        """Probe ``source`` with :func:`open_video`, write display frames, and record the clip."""
        clip_id = clip_id or uuid.uuid4().hex
        folder = self.clip_dir(clip_id)
        frames_dir = folder / "frames"
        frames_dir.mkdir(parents=True, exist_ok=True)
        video = open_video(source)
        info = video.info
        count = 0
        for index, image in enumerate(video.images()):
            _save_jpeg(frames_dir / f"{index:05d}.jpg", image, self.jpeg_quality)
            count = index + 1
        if count == 0:
            raise UnreadableInputError(f"{name} has no frames")
        meta = {
            "id": clip_id, "name": name, "kind": kind, "origin": origin, "source": str(source),
            "width": info.width, "height": info.height, "frame_count": count, "fps": str(info.fps),
            "created": time.time(), "masks_version": 0, **(extra or {}),
        }
        self._write_meta(meta)
        log.info("opened %s as clip %s (%d frames of %dx%d)", name, clip_id, count, info.width, info.height)
        return meta

    def open_data(self, entry_id: str) -> dict:
        """Open a data-folder entry by its listed key (the same entry opens as the same clip)."""
        entry = scan_data_dir(self.data_dir).get(entry_id)
        if entry is None:
            raise HTTPException(404, "no such entry in the data folder; pick one listed by GET /api/data")
        with self._lock:
            stamp = _stamp(entry.path)
            for meta in self.list_clips():
                if meta.get("data_entry") == entry.id and Path(meta["source"]) == entry.path \
                        and meta.get("source_stamp") == stamp:
                    return meta
            extra = {"data_entry": entry.id, "data_masks": str(entry.masks) if entry.masks else None,
                     "source_stamp": stamp}
            clip_id = uuid.uuid4().hex
            try:
                return self._ingest(entry.path, name=entry.name, kind=entry.kind, origin="data", clip_id=clip_id,
                                    extra=extra)
            except VinpaintError:
                shutil.rmtree(self.clip_dir(clip_id), ignore_errors=True)
                raise

    def add_upload(self, upload: Path, display_name: str) -> dict:
        """Move a received upload into a new clip after decoding it; 415 when it is not a video or image."""
        clip_id = uuid.uuid4().hex
        folder = self.clip_dir(clip_id)
        folder.mkdir(parents=True)
        suffix = Path(display_name).suffix.lower()
        source = folder / f"input{suffix}"
        shutil.move(upload, source)
        kind = "image" if suffix in IMAGE_EXTENSIONS else "video"
        try:
            return self._ingest(source, name=display_name, kind=kind, origin="upload", clip_id=clip_id)
        except VinpaintError as error:
            shutil.rmtree(folder, ignore_errors=True)
            log.info("upload %s does not decode: %s", display_name, error)
            reason = str(error).replace(str(source), display_name)  # the user knows the file by its own name
            raise HTTPException(415, f"{display_name} is not a video or image vinpaint can read ({reason})") from None

    def frame_file(self, clip_id: str, index: int) -> Path:
        meta = self.meta(clip_id)
        if index >= meta["frame_count"]:
            raise HTTPException(404, f"frame {index} is past the clip's last frame ({meta['frame_count'] - 1})")
        return self.clip_dir(clip_id) / "frames" / f"{index:05d}.jpg"

    def frames(self, meta: dict) -> np.ndarray:
        """The clip's frames ``(T,H,W,3)`` uint8, decoded from the source (the last clip is kept)."""
        with self._cache_lock:
            if self._cache is not None and self._cache[0] == meta["id"]:
                return self._cache[1]
            self._cache = None
            frames = open_video(meta["source"]).read_all()
            self._cache = (meta["id"], frames)
            return frames

    # masks

    def read_mask_png(self, data: bytes, meta: dict) -> np.ndarray:
        """A mask PNG sent by the page (alpha or grey, non-zero = fill) as ``(H,W)`` bool."""
        folder = self.clip_dir(meta["id"])
        tmp = folder / f".mask-{uuid.uuid4().hex}.png"
        tmp.write_bytes(data)
        try:
            labels = read_label_image(tmp)
        except UnreadableInputError:
            raise HTTPException(415, "the keyframe mask must be a PNG image") from None
        finally:
            tmp.unlink(missing_ok=True)
        if labels.shape != (meta["height"], meta["width"]):
            raise HTTPException(422, f"the mask is {labels.shape[1]}x{labels.shape[0]}, the clip is "
                                     f"{meta['width']}x{meta['height']}")
        return labels != 0

    def set_keyframe(self, meta: dict, index: int, mask: np.ndarray) -> None:
        folder = self.clip_dir(meta["id"]) / "keys"
        folder.mkdir(exist_ok=True)
        file = folder / f"{index:05d}.png"
        if not mask.any():
            file.unlink(missing_ok=True)
            return
        tmp = folder / f".{index:05d}.tmp.png"
        write_png(tmp, mask)
        tmp.replace(file)

    def keyframe_mask(self, meta: dict, index: int) -> np.ndarray:
        file = self.clip_dir(meta["id"]) / "keys" / f"{index:05d}.png"
        if not file.is_file():
            raise HTTPException(404, f"frame {index} has no keyframe mask")
        return read_label_image(file) != 0

    def frame_mask(self, meta: dict, index: int) -> np.ndarray:
        if index >= meta["frame_count"]:
            raise HTTPException(404, f"frame {index} is past the clip's last frame ({meta['frame_count'] - 1})")
        file = self.clip_dir(meta["id"]) / "masks" / f"{index:05d}.png"
        if not file.is_file():
            raise HTTPException(404, "this clip has no masks yet: track the keyframes first")
        return read_label_image(file) != 0

    def _store_masks(self, meta: dict, masks: np.ndarray) -> None:
        """Replace the clip's masks folder (written aside, then swapped in)."""
        folder = self.clip_dir(meta["id"])
        fresh = folder / f".masks-{uuid.uuid4().hex}"
        write_mask_folder(masks, fresh)
        with self._lock:
            old = folder / "masks"
            if old.exists():
                old.rename(folder / f".masks-old-{uuid.uuid4().hex}")
            fresh.rename(old)
            for stale in folder.glob(".masks-old-*"):
                shutil.rmtree(stale, ignore_errors=True)
            current = self.meta(meta["id"])
            current["masks_version"] = current.get("masks_version", 0) + 1
            self._write_meta(current)

    def submit_masks(self, meta: dict, request: MasksRequest):
        t = meta["frame_count"]
        first = request.first or 0
        last = t - 1 if request.last is None else request.last
        if not first <= last < t:
            raise HTTPException(422, f"frame range {first}-{last} is outside the clip's frames 0-{t - 1}")
        keys = [k for k in self.keyframes(meta["id"]) if first <= k <= last]
        if request.method == "data" and not meta.get("data_masks"):
            raise HTTPException(409, "this clip has no masks in the data folder")
        if request.method == "static":
            frame = request.frame if request.frame is not None else (keys[0] if keys else None)
            if frame is None or frame not in self.keyframes(meta["id"]):
                raise HTTPException(409, "draw a mask on a keyframe first (brush, box or clicks), then repeat it")
        if request.method == "track":
            if not keys:
                raise HTTPException(409, f"draw a mask on at least one keyframe in frames {first}-{last} first")
            if _optional("vinpaint.masks.track", "track_masks") is None:
                raise HTTPException(501, "mask tracking is not available in this version of vinpaint")

        def run(job_dir: Path, progress) -> dict:
            masks = np.zeros((t, meta["height"], meta["width"]), bool)
            steps = {"track": "tracking", "static": "repeating the mask", "data": "loading masks"}
            progress.phase(steps[request.method])
            if request.method == "track":
                track_masks = _optional("vinpaint.masks.track", "track_masks")
                frames = self.frames(meta)[first : last + 1]
                init = {k - first: self.keyframe_mask(meta, k) for k in keys}
                masks[first : last + 1] = track_masks(frames, init, progress=progress)
            elif request.method == "static":
                masks[first : last + 1] = self.keyframe_mask(meta, frame)
            else:
                source = open_masks(meta["data_masks"], t, meta["height"], meta["width"])
                for index, mask in enumerate(source):
                    if first <= index <= last:
                        masks[index] = mask
                    progress(index + 1, t)
            self._store_masks(meta, masks)
            coverage = float(masks[first : last + 1].mean()) * 100
            return {"method": request.method, "first": first, "last": last, "keyframes": keys,
                    "coverage_percent": round(coverage, 3)}

        return self.jobs.submit("masks", run, clip_id=meta["id"], total=t,
                                params={"method": request.method, "first": first, "last": last})

    # fills

    def _require_masks(self, meta: dict) -> None:
        if not self.has_masks(meta):
            raise HTTPException(409, "this clip has no masks yet: draw a keyframe mask and track it "
                                     "(or repeat it) first")

    def _metrics(self, result: np.ndarray, masks: np.ndarray, *, dilate: int,
                 original: np.ndarray | None) -> dict | None:
        """:func:`vinpaint.evaluate.metrics.evaluate` of a result, as JSON-safe values (None: not available)."""
        evaluate = _optional("vinpaint.evaluate.metrics", "evaluate")
        if evaluate is None:
            return None
        try:
            report = evaluate(result, masks, original=original, dilate=dilate)
        except VinpaintError as error:
            log.warning("metrics failed: %s", error)
            return {"error": str(error)}
        return _json_safe(report.to_dict() if hasattr(report, "to_dict") else dict(report))

    def submit_preview(self, meta: dict, request: PreviewRequest):
        self._require_masks(meta)
        options = remove_options(request.options)
        t = meta["frame_count"]
        first = request.first
        if first >= t:
            raise HTTPException(422, f"preview start {first} is past the clip's last frame ({t - 1})")
        count = min(request.count or self.preview_frames, t - first)
        last = first + count - 1

        def run(job_dir: Path, progress) -> dict:
            frames = self.frames(meta)[first : last + 1]
            masks = open_masks(self.clip_dir(meta["id"]) / "masks", t, meta["height"], meta["width"]).read_all()
            masks = masks[first : last + 1]
            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            progress.phase("filling", count)
            started = time.monotonic()
            results = []
            for offset, image in enumerate(remove_stream(frames, masks, options, total=count, progress=progress)):
                _save_jpeg(out_dir / f"{first + offset:05d}.jpg", image, self.jpeg_quality)
                results.append(image)
            seconds = time.monotonic() - started
            progress.phase("measuring")
            metrics = self._metrics(np.stack(results), masks, dilate=options.dilate, original=frames)
            return {"first": first, "last": last, "seconds": round(seconds, 2), "metrics": metrics}

        return self.jobs.submit("preview", run, clip_id=meta["id"], total=count,
                                params={"first": first, "last": last, "options": request.options.model_dump()})

    def submit_remove(self, meta: dict, request: RemoveRequest):
        self._require_masks(meta)
        options = remove_options(request.options)
        encode = EncodeOptions(crf=request.options.crf)
        t = meta["frame_count"]

        def run(job_dir: Path, progress) -> dict:
            masks_dir = job_dir / "masks"
            shutil.copytree(self.clip_dir(meta["id"]) / "masks", masks_dir, dirs_exist_ok=True)
            started = time.monotonic()
            source = Path(meta["source"])
            fps = float(Fraction(meta["fps"])) if meta["kind"] == "folder" else None
            progress.phase("filling", t)
            output = remove_file(source, masks_dir, job_dir / "result.mp4", options, encode=encode, fps=fps,
                                 overwrite=True, progress=progress)
            seconds = time.monotonic() - started
            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            results = []
            progress.phase("reading the result back", t)
            for index, image in enumerate(open_video(output).images()):
                _save_jpeg(out_dir / f"{index:05d}.jpg", image, self.jpeg_quality)
                results.append(image)
                progress(index + 1, t)
            if meta["kind"] == "image":
                write_png(job_dir / "result.png", results[0])
            masks = open_masks(masks_dir, t, meta["height"], meta["width"]).read_all()
            # the H.264 result differs from the source outside the hole by compression alone: no `original`
            progress.phase("measuring")
            metrics = self._metrics(np.stack(results), masks, dilate=options.dilate, original=None)
            return {"first": 0, "last": len(results) - 1, "frame_count": len(results), "seconds": round(seconds, 2),
                    "fps": round(t / seconds, 2) if seconds > 0 else None, "metrics": metrics}

        return self.jobs.submit("remove", run, clip_id=meta["id"], total=t,
                                params={"options": request.options.model_dump()})

    def job(self, job_id: str):
        job = self.jobs.get(job_id) if re.fullmatch(ID_PATTERN[1:-1], job_id) else None
        if job is None:
            raise HTTPException(404, f"unknown job {job_id}")
        return job

    def finished_job(self, job_id: str, kind: str | None = None):
        job = self.job(job_id)
        if kind is not None and job.kind != kind:
            raise HTTPException(404, f"job {job_id} is a {job.kind} job, not a {kind} job")
        if job.state != "done":
            raise HTTPException(409, f"job {job_id} is {job.state}, not done")
        return job


# -- the application ------------------------------------------------------------------------------------------


def create_app(
    data_dir: str | Path | None = None,
    work_dir: str | Path = "vinpaint-studio",
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    workers: int = 1,
    preview_frames: int = 30,
    jpeg_quality: int = 90,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """Build the studio's FastAPI application.

    Args:
        data_dir: a folder whose videos and frame folders the page lists (None: uploads only).
        work_dir: where clips, masks, jobs and their results are kept (created; survives restarts).
        max_upload_bytes: the largest upload accepted (413 beyond).
        workers: jobs run at the same time (1: one fill at a time, which is what a 2-core CPU affords).
        preview_frames: frames a preview fills by default.
        jpeg_quality: quality of the frames shown on the page (the fill itself reads the source).
        allowed_hosts: host names the server answers to (default: ``127.0.0.1``, ``localhost``,
            ``::1``; ``["*"]`` for any).  Other ``Host`` headers get 400, which stops DNS-rebinding
            pages from reading the API, and a change (POST, PUT, DELETE) sent from a page of another
            origin gets 403.

    Raises:
        InputNotFoundError: ``data_dir`` is given but is not a folder.
        OutputError: ``work_dir`` is a file, or cannot be created or written.
    """
    studio = Studio(Path(data_dir) if data_dir is not None else None, Path(work_dir),
                    max_upload_bytes=int(max_upload_bytes), workers=workers, preview_frames=preview_frames,
                    jpeg_quality=jpeg_quality)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        studio.jobs.close()

    app = FastAPI(
        title="vinpaint studio",
        version=_version(),
        description="Mask an object in a video, preview its removal and run it, on this computer. "
        "Every route returns JSON errors as {\"detail\": message}.",
        lifespan=lifespan,
    )
    app.state.studio = studio
    hosts = list(allowed_hosts) if allowed_hosts is not None else list(LOOPBACK_HOSTS)
    if "*" not in hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)

    @app.middleware("http")
    async def same_origin_changes(request: Request, call_next):
        origin = request.headers.get("origin")
        if request.method not in ("GET", "HEAD", "OPTIONS") and origin is not None:
            host = request.headers.get("host", "")
            if urlsplit(origin).netloc != host:
                return JSONResponse({"detail": f"changes from another origin ({origin}) are refused"}, status_code=403)
        return await call_next(request)

    errors = {404: {"model": Message}, 422: {"model": Message}}

    # Every error the page reads passes here (and through job_info for a job's error): the answer
    # carries public_message(text), the server log the full text.

    def error_answer(request: Request, status: int, text: str, headers: dict | None = None) -> JSONResponse:
        shown = public_message(text)
        if shown != text:
            log.warning("%s %s -> %d: %s", request.method, request.url.path, status, text)
        return JSONResponse({"detail": shown}, status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if not isinstance(error.detail, str):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=error.headers)
        return error_answer(request, error.status_code, error.detail, error.headers)

    @app.exception_handler(VinpaintError)
    async def vinpaint_error(request: Request, error: VinpaintError) -> JSONResponse:
        status = 404 if isinstance(error, InputNotFoundError) else 422  # bad options, unknown engine, bad mask
        return error_answer(request, status, str(error))

    @app.exception_handler(Exception)
    async def unexpected_error(_request: Request, _error: Exception) -> JSONResponse:
        # the server logs the traceback itself; the page learns only that something broke
        return JSONResponse({"detail": "internal error in the studio; the server's log has the details"},
                            status_code=500)

    # page

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # catalogue

    @app.get("/api/options", response_model=StudioOptions, summary="Engines, fillers and defaults for the form")
    def options() -> StudioOptions:
        engines = [EngineInfo(name=n, description=ENGINES.describe(n), options=engine_option_specs(n))
                   for n in ENGINES.names()]
        defaults = FillOptions().model_dump()
        return StudioOptions(
            engines=engines, fillers=SPATIAL_FILLERS.names(), flows=FLOW_ESTIMATORS.names(), blends=list(BLEND_MODES),
            defaults=defaults, preview_frames=studio.preview_frames, max_upload_bytes=studio.max_upload_bytes,
            features=Features(click=_optional("vinpaint.masks.click", "segment_from_points") is not None,
                              track=_optional("vinpaint.masks.track", "track_masks") is not None,
                              metrics=_optional("vinpaint.evaluate.metrics", "evaluate") is not None),
        )

    @app.get("/api/data", response_model=list[DataEntryInfo], summary="Videos and frame folders of the data folder")
    def data() -> list[DataEntryInfo]:
        return [DataEntryInfo(id=e.id, name=e.name, kind=e.kind, has_masks=e.masks is not None)
                for e in scan_data_dir(studio.data_dir).values()]

    # clips

    @app.get("/api/clips", response_model=list[ClipInfo], summary="Clips opened so far, newest first")
    def clips() -> list[ClipInfo]:
        return [studio.info(meta) for meta in studio.list_clips()]

    @app.post("/api/clips", response_model=ClipInfo, status_code=201, responses=errors,
              summary="Open a video or frame folder of the data folder")
    def open_clip(request: OpenDataRequest) -> ClipInfo:
        return studio.info(studio.open_data(request.entry))

    @app.post(
        "/api/clips/upload", response_model=ClipInfo, status_code=201,
        responses={413: {"model": Message}, 415: {"model": Message}, 422: {"model": Message}},
        summary="Upload a video or an image (the raw file as the request body)",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    )
    async def upload(request: Request, filename: Annotated[str, Query(min_length=1, max_length=255, description=(
            "the file's name; only its extension is used (and its last part shown)"))]) -> ClipInfo:
        name = safe_display_name(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_EXTENSIONS:
            raise HTTPException(415, f"{suffix or 'no extension'}: not a video or image type; "
                                     f"accepted: {', '.join(sorted(UPLOAD_EXTENSIONS))}")
        limit = studio.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise HTTPException(413, f"the upload is {int(declared)} bytes, the limit is {limit} bytes")
        target = studio.uploads_dir / f"{uuid.uuid4().hex}{suffix}"
        size = 0
        try:
            with open(target, "wb") as file:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise HTTPException(413, f"the upload is over the limit of {limit} bytes")
                    file.write(chunk)
            if size == 0:
                raise HTTPException(422, "the upload is empty")
            meta = await run_in_threadpool(studio.add_upload, target, name)
        finally:
            target.unlink(missing_ok=True)
        return studio.info(meta)

    @app.get("/api/clips/{clip_id}", response_model=ClipInfo, responses=errors, summary="One clip")
    def clip(clip_id: ClipId) -> ClipInfo:
        return studio.info(studio.meta(clip_id))

    @app.get("/api/clips/{clip_id}/frames/{index}.jpg", response_class=FileResponse, responses=errors,
             summary="Frame N of the clip, as JPEG")
    def frame(clip_id: ClipId, index: FrameIndex) -> FileResponse:
        return FileResponse(studio.frame_file(clip_id, index), media_type="image/jpeg",
                            headers={"Cache-Control": "max-age=3600"})

    # masks

    @app.post("/api/clips/{clip_id}/segment", response_class=Response, responses={
        200: {"content": {"image/png": {}}, "description": "the object's mask, red on transparent (RGBA PNG)"},
        501: {"model": Message}, **errors}, summary="Select an object by positive and negative clicks")
    def segment(clip_id: ClipId, request: SegmentRequest) -> Response:
        meta = studio.meta(clip_id)
        segment_from_points = _optional("vinpaint.masks.click", "segment_from_points")
        if segment_from_points is None:
            raise HTTPException(501, "click-to-select is not available in this version of vinpaint; "
                                     "use the brush or box")
        if request.frame >= meta["frame_count"]:
            raise HTTPException(404, f"frame {request.frame} is past the clip's last frame ({meta['frame_count'] - 1})")
        for point in request.points:
            if not (0 <= point.x < meta["width"] and 0 <= point.y < meta["height"]):
                raise HTTPException(422, f"point ({point.x}, {point.y}) is outside the "
                                         f"{meta['width']}x{meta['height']} frame")
        image = studio.frames(meta)[request.frame]
        points = [(p.x, p.y, p.positive) for p in request.points]
        mask = np.asarray(segment_from_points(image, points), bool)
        return Response(_overlay_png(mask), media_type="image/png")

    @app.put("/api/clips/{clip_id}/keyframes/{index}", response_model=ClipInfo, responses={
        413: {"model": Message}, 415: {"model": Message}, **errors},
        summary="Set the keyframe mask of frame N (a PNG of the clip's size; alpha or grey, non-zero = fill)",
        openapi_extra={"requestBody": {"required": True, "content": {"image/png": {"schema": {
            "type": "string", "format": "binary"}}}}})
    async def put_keyframe(clip_id: ClipId, index: FrameIndex, request: Request) -> ClipInfo:
        meta = studio.meta(clip_id)
        if index >= meta["frame_count"]:
            raise HTTPException(404, f"frame {index} is past the clip's last frame ({meta['frame_count'] - 1})")
        data = bytearray()
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > _MAX_MASK_BYTES:
                raise HTTPException(413, f"a keyframe mask is at most {_MAX_MASK_BYTES} bytes")
        mask = await run_in_threadpool(studio.read_mask_png, bytes(data), meta)
        await run_in_threadpool(studio.set_keyframe, meta, index, mask)
        return studio.info(meta)

    @app.delete("/api/clips/{clip_id}/keyframes/{index}", response_model=ClipInfo, responses=errors,
                summary="Remove the keyframe mask of frame N")
    def delete_keyframe(clip_id: ClipId, index: FrameIndex) -> ClipInfo:
        meta = studio.meta(clip_id)
        (studio.clip_dir(clip_id) / "keys" / f"{index:05d}.png").unlink(missing_ok=True)
        return studio.info(meta)

    @app.get("/api/clips/{clip_id}/keyframes/{index}.png", response_class=Response, responses={
        200: {"content": {"image/png": {}}}, **errors}, summary="The keyframe mask of frame N")
    def keyframe(clip_id: ClipId, index: FrameIndex,
                 style: MaskStyle = "overlay"):
        mask = studio.keyframe_mask(studio.meta(clip_id), index)
        return Response(_overlay_png(mask) if style == "overlay" else _binary_png(mask), media_type="image/png",
                        headers={"Cache-Control": "no-cache"})

    @app.post("/api/clips/{clip_id}/masks", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, 501: {"model": Message}, **errors},
        summary="Make a mask for every frame: track the keyframes, repeat one, or load the data folder's")
    def make_masks(clip_id: ClipId, request: MasksRequest) -> JobInfo:
        return job_info(studio.submit_masks(studio.meta(clip_id), request))

    @app.get("/api/clips/{clip_id}/masks/{index}.png", response_class=Response, responses={
        200: {"content": {"image/png": {}}}, **errors}, summary="The mask of frame N")
    def frame_mask(clip_id: ClipId, index: FrameIndex,
                   style: MaskStyle = "overlay"):
        mask = studio.frame_mask(studio.meta(clip_id), index)
        return Response(_overlay_png(mask) if style == "overlay" else _binary_png(mask), media_type="image/png",
                        headers={"Cache-Control": "max-age=60"})

    @app.get("/api/clips/{clip_id}/masks.zip", response_class=Response, responses={
        200: {"content": {"application/zip": {}}}, 409: {"model": Message}, **errors},
        summary="The clip's current masks, a zip of PNGs (255 = fill)")
    def clip_masks_zip(clip_id: ClipId) -> Response:
        meta = studio.meta(clip_id)
        studio._require_masks(meta)
        stem = _download_stem(meta["name"])
        return Response(_zip_folder(studio.clip_dir(clip_id) / "masks", f"{stem}-masks"), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-masks.zip"'})

    # fills

    @app.post("/api/clips/{clip_id}/preview", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, **errors}, summary="Fill a short range of frames (default: the first 30)")
    def preview(clip_id: ClipId, request: Annotated[PreviewRequest | None, Body()] = None) -> JobInfo:
        return job_info(studio.submit_preview(studio.meta(clip_id), request or PreviewRequest()))

    @app.post("/api/clips/{clip_id}/remove", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, **errors}, summary="Fill the whole clip and write the result video")
    def remove(clip_id: ClipId, request: Annotated[RemoveRequest | None, Body()] = None) -> JobInfo:
        return job_info(studio.submit_remove(studio.meta(clip_id), request or RemoveRequest()))

    # jobs

    @app.get("/api/jobs", response_model=list[JobInfo], summary="Recent jobs, newest first")
    def jobs(clip_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None) -> list[JobInfo]:
        return [job_info(job) for job in studio.jobs.list(clip_id=clip_id)]

    @app.get("/api/jobs/{job_id}", response_model=JobInfo, responses=errors, summary="A job's state and progress")
    def job(job_id: JobId) -> JobInfo:
        return job_info(studio.job(job_id))

    @app.post("/api/jobs/{job_id}/cancel", response_model=JobInfo, responses=errors, summary="Cancel a job")
    def cancel(job_id: JobId) -> JobInfo:
        studio.job(job_id)
        return job_info(studio.jobs.cancel(job_id))

    @app.get("/api/jobs/{job_id}/frames/{index}.jpg", response_class=FileResponse, responses={
        409: {"model": Message}, **errors}, summary="Frame N of a preview's or run's result, as JPEG")
    def result_frame(job_id: JobId, index: FrameIndex) -> FileResponse:
        job = studio.finished_job(job_id)
        file = studio.jobs.job_dir(job_id) / "frames" / f"{index:05d}.jpg"
        if job.kind not in ("preview", "remove") or not file.is_file():
            raise HTTPException(404, f"job {job_id} has no result frame {index}")
        return FileResponse(file, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @app.get("/api/jobs/{job_id}/video", response_class=FileResponse, responses={
        200: {"content": {"video/mp4": {}}}, 409: {"model": Message}, **errors},
        summary="Download a run's result video (H.264 MP4; a PNG for an image clip)")
    def result_video(job_id: JobId) -> FileResponse:
        job = studio.finished_job(job_id, "remove")
        folder = studio.jobs.job_dir(job_id)
        meta = studio.meta(job.clip_id)
        stem = _download_stem(meta["name"])
        if meta["kind"] == "image":
            return FileResponse(folder / "result.png", media_type="image/png", filename=f"{stem}-vinpaint.png")
        return FileResponse(folder / "result.mp4", media_type="video/mp4", filename=f"{stem}-vinpaint.mp4")

    @app.get("/api/jobs/{job_id}/masks.zip", response_class=Response, responses={
        200: {"content": {"application/zip": {}}}, 409: {"model": Message}, **errors},
        summary="Download the masks a run used, a zip of PNGs (255 = fill)")
    def result_masks(job_id: JobId) -> Response:
        job = studio.finished_job(job_id, "remove")
        stem = _download_stem(studio.meta(job.clip_id)["name"])
        archive = _zip_folder(studio.jobs.job_dir(job_id) / "masks", f"{stem}-masks")
        return Response(archive, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-masks.zip"'})

    return app


def _version() -> str:
    from .. import __version__

    return __version__
