"""The studio's state and work, without HTTP: clips of the work folder, keyframes, masks and jobs.

Every failure is a :class:`~vinpaint.errors.VinpaintError` subclass; :mod:`vinpaint.studio.app`
turns them into HTTP answers (one table, ``ERROR_STATUS``).  The image processing is the library's:
:func:`vinpaint.masks.make.make_masks`, :func:`vinpaint.pipeline.remove_range`,
:func:`vinpaint.pipeline.remove_file` and :func:`vinpaint.evaluate.report.measure_result`.  Frames are
read on demand (:func:`vinpaint.io.read_frames`): a click reads one frame, a preview its range.
With a Dask cluster (:class:`ClusterRuns`, ``vinpaint serve --dask-workers N`` or ``--scheduler``), full
runs go through :func:`vinpaint.distributed.remove_file_distributed` instead, in chunks, and the job's
progress is its count of finished frames over every worker; previews stay in this process.

Files (under the work folder)::

    jobs.sqlite3                 job states and results (survive a restart)
    clips/<id>/clip.json         what the clip is and where its source lies
    clips/<id>/input.<ext>       an uploaded source
    clips/<id>/frames/00000.jpg  display copies of the frames (the fill reads the source itself)
    clips/<id>/keys/00000.png    keyframe masks drawn on the page (255 = fill)
    clips/<id>/masks/00000.png   a mask for every frame (what preview and run use)
    clips/<id>/references/00000.png  painted clean frames (RemoveOptions.references of previews and runs)
    jobs/<id>/...                a job's output: frames/, result.mp4, masks/
"""

from __future__ import annotations

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
from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..arrays import resize_clip
from ..distributed import dask_client, remove_file_distributed
from ..distributed.run import DEFAULT_CHUNK_FRAMES, close_client
from ..errors import (
    ConflictError,
    InputNotFoundError,
    InvalidOptionError,
    MaskMismatchError,
    OutputError,
    UnreadableInputError,
    VinpaintError,
)
from ..evaluate.report import measure_result
from ..io import (
    EncodeOptions,
    open_masks,
    open_video,
    read_frames,
    read_label_image,
    write_png,
)
from ..io.readers import list_images
from ..io.writers import FOLDER_MARK, mark_folder
from ..masks.click import NEIGHBOUR_OFFSETS, neighbouring_frames, segment_from_points
from ..masks.make import make_masks
from ..masks.postprocess import write_mask_folder
from ..pipeline import (
    RemoveOptions,
    options_from_preset,
    remove_file,
    remove_range,
    remove_stream,
)
from ..wording import first_names
from .queue import Job, JobQueue
from .security import scan_data_dir

log = logging.getLogger(__name__)

ID_PATTERN = r"^[0-9a-f]{32}$"
#: ways to make a mask for every frame: track keyframes, repeat one, or load the data folder's
MASK_METHODS = ("track", "static", "data")
_OVERLAY_RGB = (255, 48, 48)
#: kinds of preview: ``quick`` (the fast preset at reduced size, a few frames) or ``full`` (the page's options)
PREVIEW_QUALITIES = ("quick", "full")
#: what the studio keeps in its work folder (the job database with SQLite's side files)
_WORK_ENTRIES = frozenset({"clips", "uploads", "jobs", "jobs.sqlite3", "jobs.sqlite3-journal", "jobs.sqlite3-wal",
                           "jobs.sqlite3-shm", FOLDER_MARK})
#: frames a quick preview fills: 12 at 427x240 take a few seconds on a 2-core machine
QUICK_PREVIEW_FRAMES = 12
#: a quick preview works at this fraction of the size on clips at least QUICK_MIN_WIDTH pixels wide
QUICK_PREVIEW_SCALE = 0.5
QUICK_MIN_WIDTH = 256
#: grades of the metrics the page shows (flicker_hole 0-255, sharpness ~0-1, boundary ~1 = no seam).
#: Read off the metrics' definitions (vinpaint.evaluate.metrics): flicker_hole 3 leaves q's temporal
#: term at 0.74, 8 at 0.45; a diffusion fill's sharpness is 0.1-0.4; a boundary of 1 is no seam.
FLICKER_GRADES = ((3.0, "steady"), (8.0, "some flicker"), (float("inf"), "flickers"))
SHARPNESS_GRADES = ((0.7, "sharp"), (0.4, "a little soft"), (float("-inf"), "soft"))
SEAM_LIMIT = 1.5


# -- encoding for the page ----------------------------------------------------------------------------------


def save_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    """Write ``(H,W,3)`` uint8 RGB as JPEG, atomically (written aside, then renamed)."""
    from PIL import Image

    tmp = path.with_name(f".{path.name}.tmp")
    Image.fromarray(image).save(tmp, format="JPEG", quality=quality)
    tmp.replace(path)


def overlay_png(mask: np.ndarray) -> bytes:
    """A ``(H,W)`` bool mask as an RGBA PNG: red where True, transparent elsewhere."""
    from PIL import Image

    rgba = np.zeros((*mask.shape, 4), np.uint8)
    rgba[..., :3] = _OVERLAY_RGB
    rgba[..., 3] = mask.astype(np.uint8) * 255
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def binary_png(mask: np.ndarray) -> bytes:
    """A ``(H,W)`` bool mask as a grey PNG, 255 = fill."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(mask.astype(np.uint8) * 255).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def zip_folder(folder: Path, prefix: str) -> bytes:
    """The PNGs of ``folder`` as a zip, under ``prefix/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # PNGs are compressed already
        for file in sorted(folder.glob("*.png")):
            archive.write(file, f"{prefix}/{file.name}")
    return buffer.getvalue()


def download_stem(name: str) -> str:
    """A clip's name fit for a download's file name."""
    stem = Path(name).stem if Path(name).suffix else name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:60] or "clip"


def grade_metrics(metrics: dict | None) -> dict:
    """Plain-word grades of a result's metrics (:func:`vinpaint.evaluate.report.measure_result`) for the page.

    Returns ``{"steadiness": ..., "sharpness": ..., "seam": ..., "hint": ...}``; a grade whose metric is
    missing is left out.  ``hint`` (or None) says what to try when the fill shows a seam or a ghost:
    a visible edge around the hole most often means the mask missed the object's outline or shadow.
    """
    metrics = metrics or {}
    grades: dict = {"hint": None}
    flicker = metrics.get("flicker_hole")
    if isinstance(flicker, (int, float)):
        grades["steadiness"] = next(word for limit, word in FLICKER_GRADES if flicker < limit)
    sharpness = metrics.get("sharpness")
    if isinstance(sharpness, (int, float)):
        grades["sharpness"] = next(word for limit, word in SHARPNESS_GRADES if sharpness >= limit)
    boundary = metrics.get("boundary")
    if isinstance(boundary, (int, float)):
        grades["seam"] = "visible edge" if boundary > SEAM_LIMIT else "no visible edge"
        if boundary > SEAM_LIMIT:
            grades["hint"] = ("an edge or ghost shows around the filled area: grow the mask (Dilate +4 px) "
                              "so that it covers the object's outline and shadow, then preview again")
    return grades


def _stamp(path: Path) -> list[int]:
    """Modification time and size of a file, or of a folder's images: changes when the source does."""
    files = [path] if path.is_file() else list_images(path)
    stats = [f.stat() for f in files]
    return [max(s.st_mtime_ns for s in stats), sum(s.st_size for s in stats), len(stats)]


# -- full runs on a Dask cluster ---------------------------------------------------------------------------------


class ClusterRuns:
    """Where the studio sends full runs when they are chunked: a Dask cluster.

    Args:
        client: a ``dask.distributed.Client`` (not closed by :meth:`close`); else one is made of a new
            local cluster of ``workers`` processes, or of the scheduler at ``scheduler``
            (:func:`vinpaint.distributed.dask_client`), and closed by :meth:`close`.
        chunk_frames: frames a chunk produces (None: :data:`vinpaint.distributed.run.DEFAULT_CHUNK_FRAMES`).

    Raises:
        MissingDependencyError: Dask is not installed.  InvalidOptionError: both ``workers`` and
        ``scheduler``, or a scheduler that cannot be reached.
    """

    def __init__(self, *, client=None, workers: int | None = None, scheduler: str | None = None,
                 chunk_frames: int | None = None) -> None:
        if workers and scheduler:
            raise InvalidOptionError("give either a number of local Dask workers or a scheduler's address, not both")
        if chunk_frames is not None and chunk_frames < 1:
            raise InvalidOptionError(f"chunk_frames must be >= 1, got {chunk_frames}")
        self.own = client is None
        self.client = client if client is not None else dask_client(workers=workers, scheduler=scheduler)
        self.chunk_frames = chunk_frames or DEFAULT_CHUNK_FRAMES

    def describe(self) -> str:
        """``"2 Dask workers"``: the cluster's workers now (a cluster may grow or shrink)."""
        count = len(self.client.nthreads())
        return f"{count} Dask worker{'s' if count != 1 else ''}"

    def close(self) -> None:
        """Close the client and its local cluster, if this object made them."""
        if self.own:
            close_client(self.client)


# -- the studio ---------------------------------------------------------------------------------------------


class Studio:
    """State behind the API: the clips of the work folder and the job queue.

    Raises:
        InputNotFoundError: ``data_dir`` is given but is not a folder.
        OutputError: ``work_dir`` is a file, or cannot be created, written or hold the database.
    """

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
        #: an ONNX segmenter (vinpaint.models.segment.OnnxSegmenter) the click uses instead of the classical one
        self.segmenter = None
        #: a Dask cluster full runs are chunked on (:class:`ClusterRuns`); None: one process
        self.cluster: ClusterRuns | None = None

    def close(self) -> None:
        """Stop the job queue, then close the Dask cluster the studio made (if any)."""
        self.jobs.close()
        if self.cluster is not None:
            self.cluster.close()

    def _open_work_dir(self, workers: int) -> JobQueue:
        """Create the work folder's layout, marked as vinpaint's, and open its job queue.  An existing
        folder must be empty, marked, or hold nothing but the studio's own entries (one made before
        folders were marked): the studio never fills a folder of the user's."""
        if self.work_dir.exists() and not self.work_dir.is_dir():
            raise OutputError(f"the work folder {self.work_dir} is a file: give a folder (it is created if missing)")
        if self.work_dir.is_dir() and not (self.work_dir / FOLDER_MARK).is_file():
            strangers = sorted(path.name for path in self.work_dir.iterdir() if path.name not in _WORK_ENTRIES)
            if strangers:
                raise OutputError(f"the work folder {self.work_dir} holds files the studio did not write "
                                  f"({first_names(strangers)}); give a new or empty folder, or one the studio made")
        try:
            self.clips_dir.mkdir(parents=True, exist_ok=True)
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            mark_folder(self.work_dir)
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
        """The clip's record.  Raises InputNotFoundError when unknown."""
        file = self.clip_dir(clip_id) / "clip.json"
        if not re.fullmatch(ID_PATTERN[1:-1], clip_id) or not file.is_file():
            raise InputNotFoundError(f"unknown clip {clip_id}")
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

    def list_clips(self) -> list[dict]:
        metas = []
        for file in self.clips_dir.glob("*/clip.json"):
            try:
                metas.append(json.loads(file.read_text()))
            except (OSError, ValueError):
                log.warning("skipping unreadable clip record %s", file)
        return sorted(metas, key=lambda m: m["created"], reverse=True)

    def _ingest(self, source: Path, *, name: str, kind: str, origin: str, clip_id: str | None = None,
                extra: dict | None = None, fps: float | None = None) -> dict:
        """Probe ``source`` with :func:`open_video` (``fps``: a frame folder's rate), write display frames,
        and record the clip."""
        clip_id = clip_id or uuid.uuid4().hex
        folder = self.clip_dir(clip_id)
        frames_dir = folder / "frames"
        frames_dir.mkdir(parents=True, exist_ok=True)
        video = open_video(source, fps=fps if kind == "folder" else None)
        info = video.info
        count = 0
        for index, image in enumerate(video.images()):
            save_jpeg(frames_dir / f"{index:05d}.jpg", image, self.jpeg_quality)
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

    def open_data(self, entry_id: str, *, fps: float | None = None) -> dict:
        """Open a data-folder entry by its listed key (the same entry opens as the same clip).

        ``fps``: the frame rate of a frame folder (default 25, :func:`vinpaint.io.open_video`'s);
        kept with the clip, so previews and the result video play at it.  Ignored for a video file.

        Raises:
            InputNotFoundError: no such entry.  InvalidOptionError: ``fps`` not positive.
        """
        entry = scan_data_dir(self.data_dir).get(entry_id)
        if entry is None:
            raise InputNotFoundError("no such entry in the data folder; pick one listed by GET /api/data")
        if fps is not None and not 0 < fps <= 1000:
            raise InvalidOptionError(f"fps must be between 0 and 1000, got {fps:g}")
        fps = fps if entry.kind == "folder" else None
        with self._lock:
            stamp = _stamp(entry.path)
            for meta in self.list_clips():
                same_rate = fps is None or abs(float(Fraction(meta["fps"])) - fps) < 1e-6
                if meta.get("data_entry") == entry.id and Path(meta["source"]) == entry.path \
                        and meta.get("source_stamp") == stamp and same_rate:
                    return meta
            extra = {"data_entry": entry.id, "data_masks": str(entry.masks) if entry.masks else None,
                     "source_stamp": stamp}
            clip_id = uuid.uuid4().hex
            try:
                return self._ingest(entry.path, name=entry.name, kind=entry.kind, origin="data", clip_id=clip_id,
                                    extra=extra, fps=fps)
            except VinpaintError:
                shutil.rmtree(self.clip_dir(clip_id), ignore_errors=True)
                raise

    def add_upload(self, upload: Path, display_name: str, *, image_extensions: Sequence[str]) -> dict:
        """Move a received upload into a new clip after decoding it.

        Raises:
            UnreadableInputError: it does not decode as a video or image.
        """
        clip_id = uuid.uuid4().hex
        folder = self.clip_dir(clip_id)
        folder.mkdir(parents=True)
        suffix = Path(display_name).suffix.lower()
        source = folder / f"input{suffix}"
        shutil.move(upload, source)
        kind = "image" if suffix in image_extensions else "video"
        try:
            return self._ingest(source, name=display_name, kind=kind, origin="upload", clip_id=clip_id)
        except VinpaintError as error:
            shutil.rmtree(folder, ignore_errors=True)
            log.info("upload %s does not decode: %s", display_name, error)
            reason = str(error).replace(str(source), display_name)  # the user knows the file by its own name
            raise UnreadableInputError(f"{display_name} is not a video or image vinpaint can read ({reason})") from None

    def _check_frame(self, meta: dict, index: int) -> None:
        if index >= meta["frame_count"]:
            raise InputNotFoundError(f"frame {index} is past the clip's last frame ({meta['frame_count'] - 1})")

    def frame_file(self, clip_id: str, index: int) -> Path:
        meta = self.meta(clip_id)
        self._check_frame(meta, index)
        return self.clip_dir(clip_id) / "frames" / f"{index:05d}.jpg"

    def _fps(self, meta: dict) -> float | None:
        """The frame rate a frame folder was opened with (None for containers, which keep their own)."""
        return float(Fraction(meta["fps"])) if meta["kind"] == "folder" else None

    def read_frames(self, meta: dict, first: int, last: int) -> np.ndarray:
        """Frames ``first``..``last`` of the clip's source, ``(N,H,W,3)`` uint8 (decoded on demand, not kept)."""
        return read_frames(meta["source"], first, last, fps=self._fps(meta))

    def segment(self, meta: dict, index: int, points: Sequence[tuple[float, float, bool]],
                box: Sequence[float] | None = None) -> np.ndarray:
        """The object under positive clicks ``(x, y, True)`` and off negative ones on frame ``index``, ``(H,W)`` bool.

        ``box``: ``(x0, y0, x1, y1)`` around the object: its centre becomes a positive click, the object
        may reach the box's corners (:func:`segment_from_points`'s ``radius``) and nothing outside the
        box is selected.  Reads that frame and its neighbours (:data:`vinpaint.masks.click.NEIGHBOUR_OFFSETS`)
        from the source: the motion around the click is a cue.

        Raises:
            InputNotFoundError: no such frame.  InvalidOptionError: a point or box outside the frame,
            a box under 2 pixels, or neither a positive point nor a box.
        """
        self._check_frame(meta, index)
        width, height = meta["width"], meta["height"]
        for x, y, _positive in points:
            if not (0 <= x < width and 0 <= y < height):
                raise InvalidOptionError(f"point ({x}, {y}) is outside the {width}x{height} frame")
        points, radius, inside_box = list(points), None, None
        if box is not None:
            x0, y0, x1, y1 = (float(v) for v in box)
            x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
            if not (0 <= x0 and 0 <= y0 and x1 <= width and y1 <= height):
                raise InvalidOptionError(f"box ({x0:g}, {y0:g})-({x1:g}, {y1:g}) is outside the {width}x{height} frame")
            if x1 - x0 < 2 or y1 - y0 < 2:
                raise InvalidOptionError("the box is under 2 pixels wide or high: drag a rectangle around the object")
            points.append(((x0 + x1) / 2, (y0 + y1) / 2, True))
            radius = float(np.hypot(x1 - x0, y1 - y0)) / 2
            inside_box = np.zeros((height, width), bool)
            inside_box[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))] = True
        if self.segmenter is not None:
            image = self.read_frames(meta, index, index)[0]
            return model_segment(self.segmenter, image, points[:len(points) - (box is not None)], box)
        # the frames around it too: what moves with the clicked pixel belongs to the object
        reach = max(abs(offset) for offset in NEIGHBOUR_OFFSETS)
        first, last = max(index - reach, 0), min(index + reach, meta["frame_count"] - 1)
        frames = self.read_frames(meta, first, last)
        mask = np.asarray(segment_from_points(frames[index - first], points, radius=radius,
                                              neighbours=neighbouring_frames(frames, index - first)), bool)
        return mask & inside_box if inside_box is not None else mask

    # masks

    def read_mask_png(self, data: bytes, meta: dict) -> np.ndarray:
        """A mask PNG sent by the page (alpha or grey, non-zero = fill) as ``(H,W)`` bool.

        Raises:
            UnreadableInputError: not an image.  MaskMismatchError: not the clip's size.
        """
        folder = self.clip_dir(meta["id"])
        tmp = folder / f".mask-{uuid.uuid4().hex}.png"
        tmp.write_bytes(data)
        try:
            labels = read_label_image(tmp)
        except UnreadableInputError:
            raise UnreadableInputError("the keyframe mask must be a PNG image") from None
        finally:
            tmp.unlink(missing_ok=True)
        if labels.shape != (meta["height"], meta["width"]):
            raise MaskMismatchError(f"the mask is {labels.shape[1]}x{labels.shape[0]}, the clip is "
                                    f"{meta['width']}x{meta['height']}")
        return labels != 0

    def set_keyframe(self, meta: dict, index: int, mask: np.ndarray) -> None:
        """Store the keyframe mask of frame ``index`` (an empty mask removes it)."""
        self._check_frame(meta, index)
        folder = self.clip_dir(meta["id"]) / "keys"
        folder.mkdir(exist_ok=True)
        file = folder / f"{index:05d}.png"
        if not mask.any():
            file.unlink(missing_ok=True)
            return
        tmp = folder / f".{index:05d}.tmp.png"
        write_png(tmp, mask)
        tmp.replace(file)

    def delete_keyframe(self, meta: dict, index: int) -> None:
        (self.clip_dir(meta["id"]) / "keys" / f"{index:05d}.png").unlink(missing_ok=True)

    def keyframe_mask(self, meta: dict, index: int) -> np.ndarray:
        file = self.clip_dir(meta["id"]) / "keys" / f"{index:05d}.png"
        if not file.is_file():
            raise InputNotFoundError(f"frame {index} has no keyframe mask")
        return read_label_image(file) != 0

    def frame_mask(self, meta: dict, index: int) -> np.ndarray:
        self._check_frame(meta, index)
        file = self.clip_dir(meta["id"]) / "masks" / f"{index:05d}.png"
        if not file.is_file():
            raise InputNotFoundError("this clip has no masks yet: track the keyframes first")
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

    def submit_masks(self, meta: dict, method: str, *, frame: int | None = None, first: int | None = None,
                     last: int | None = None) -> Job:
        """Start a job that makes a mask for every frame (``method`` one of :data:`MASK_METHODS`).

        Raises:
            InvalidOptionError: the range lies outside the clip.
            ConflictError: nothing to make them from (no keyframe in the range, no data-folder masks).
        """
        t = meta["frame_count"]
        first = first or 0
        last = t - 1 if last is None else last
        if not first <= last < t:
            raise InvalidOptionError(f"frame range {first}-{last} is outside the clip's frames 0-{t - 1}")
        all_keys = self.keyframes(meta["id"])
        keys = [k for k in all_keys if first <= k <= last]
        if method == "data" and not meta.get("data_masks"):
            raise ConflictError("this clip has no masks in the data folder")
        if method == "static":
            frame = frame if frame is not None else (keys[0] if keys else None)
            if frame is None or frame not in all_keys:
                raise ConflictError("draw a mask on a keyframe first (brush, box or clicks), then repeat it")
        if method == "track" and not keys:
            raise ConflictError(f"draw a mask on at least one keyframe in frames {first}-{last} first")

        def run(job_dir: Path, progress) -> dict:
            steps = {"track": "tracking", "static": "repeating the mask", "data": "loading masks"}
            progress.phase(steps[method])
            if method == "data":
                masks = np.zeros((t, meta["height"], meta["width"]), bool)
                source = open_masks(meta["data_masks"], t, meta["height"], meta["width"])
                for index, mask in enumerate(source):
                    if first <= index <= last:
                        masks[index] = mask
                    progress(index + 1, t)
            else:
                used = keys if method == "track" else [frame]
                keyframes = {k: self.keyframe_mask(meta, k) for k in used}
                # make_masks indexes from the range's first frame; tracking decodes the range alone, and
                # repeating a mask needs the frames' shape only
                shape = (last - first + 1, meta["height"], meta["width"], 3)
                if method == "track":
                    frames = self.read_frames(meta, first, last)  # the tracker reports each frame pair's flow
                else:
                    frames = np.broadcast_to(np.zeros(3, np.uint8), shape)
                ranged = make_masks(frames, {k - first: m for k, m in keyframes.items()}, method=method,
                                    static_frame=None if method == "track" else frame - first, progress=progress)
                masks = np.zeros((t, meta["height"], meta["width"]), bool)
                masks[first : last + 1] = ranged
            self._store_masks(meta, masks)
            coverage = float(masks[first : last + 1].mean()) * 100
            return {"method": method, "first": first, "last": last, "keyframes": keys,
                    "coverage_percent": round(coverage, 3)}

        return self.jobs.submit("masks", run, clip_id=meta["id"], total=t,
                                params={"method": method, "first": first, "last": last})

    # fills

    def require_masks(self, meta: dict) -> None:
        """Raise :class:`ConflictError` unless the clip has a mask for every frame."""
        if not self.has_masks(meta):
            raise ConflictError("this clip has no masks yet: draw a keyframe mask and track it (or repeat it) first")

    def submit_preview(self, meta: dict, options: RemoveOptions, *, first: int = 0, count: int | None = None,
                       quality: str = "full", params: dict | None = None) -> Job:
        """Start a job that fills ``count`` frames from ``first``.

        ``quality="full"`` fills them with ``options`` at full size (:func:`remove_range`; default
        ``count``: the server's preview length); ``"quick"`` with the ``fast`` preset at half size
        (clips under 256 pixels wide at full size), on :data:`QUICK_PREVIEW_FRAMES` frames by
        default, without context frames: a look in seconds, not the final quality.  A quick
        preview's frames are written as they are filled.

        Raises:
            ConflictError: the clip has no masks yet.  InvalidOptionError: ``first`` is past the clip,
            or an unknown ``quality``.
        """
        self.require_masks(meta)
        options = with_references(self, meta, options)
        if quality not in PREVIEW_QUALITIES:
            raise InvalidOptionError(f"unknown preview quality {quality!r}; choose one of: {', '.join(PREVIEW_QUALITIES)}")
        t = meta["frame_count"]
        if first >= t:
            raise InvalidOptionError(f"preview start {first} is past the clip's last frame ({t - 1})")
        if quality == "quick":
            count = min(count or QUICK_PREVIEW_FRAMES, t - first)
            return self.jobs.submit("preview", self._quick_preview(meta, options, first, first + count - 1),
                                    clip_id=meta["id"], total=count,
                                    params={"first": first, "last": first + count - 1, "quality": quality,
                                            **(params or {})})
        count = min(count or self.preview_frames, t - first)
        last = first + count - 1

        def run(job_dir: Path, progress) -> dict:
            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            progress.phase("filling", count)
            started = time.monotonic()

            def fill_progress(done: int, total: int | None) -> None:
                # remove_range counts the context frames it fills too; the page counts the range
                progress(done * count // total if total else done, count)

            filled = remove_range(meta["source"], self.clip_dir(meta["id"]) / "masks", first, last, options,
                                  fps=self._fps(meta), progress=fill_progress)
            for offset, image in enumerate(filled.result):
                save_jpeg(out_dir / f"{first + offset:05d}.jpg", image, self.jpeg_quality)
            seconds = time.monotonic() - started
            progress.phase("measuring")
            metrics = measure_result(filled.original, filled.result, filled.masks, dilate=options.dilate)
            return {"first": first, "last": last, "seconds": round(seconds, 2), "metrics": metrics,
                    "quality": "full", "scale": 1.0}

        return self.jobs.submit("preview", run, clip_id=meta["id"], total=count,
                                params={"first": first, "last": last, "quality": quality, **(params or {})})

    def _quick_preview(self, meta: dict, options: RemoveOptions, first: int, last: int):
        """The job of a quick preview of frames ``first``..``last`` (see :meth:`submit_preview`)."""
        scale = QUICK_PREVIEW_SCALE if meta["width"] >= QUICK_MIN_WIDTH else 1.0
        count = last - first + 1
        quick = options_from_preset("fast", engine=options.engine, dilate=max(1, round(options.dilate * scale)),
                                    fringe=round(options.fringe * scale), feather=options.feather * scale,
                                    blend=options.blend, shots=options.shots)

        def run(job_dir: Path, progress) -> dict:
            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            progress.phase("reading", count)
            started = time.monotonic()
            frames = self.read_frames(meta, first, last)
            progress(0, count)
            source = open_masks(self.clip_dir(meta["id"]) / "masks", meta["frame_count"], meta["height"], meta["width"])
            masks = np.stack(list(source.frames(first, last)))
            frames, masks = resize_clip(frames, masks, scale)
            painted = replace(quick, references=scaled_references(options.references, first, last, frames.shape[1:3]))
            progress.phase("filling", count)
            results = []
            for offset, image in enumerate(remove_stream(frames, masks, painted, total=count, progress=progress)):
                save_jpeg(out_dir / f"{first + offset:05d}.jpg", image, self.jpeg_quality)
                results.append(image)
            seconds = time.monotonic() - started
            progress.phase("measuring")
            metrics = measure_result(frames, np.stack(results), masks, dilate=quick.dilate)
            return {"first": first, "last": last, "seconds": round(seconds, 2), "metrics": metrics,
                    "quality": "quick", "scale": scale}

        return run

    def submit_remove(self, meta: dict, options: RemoveOptions, encode: EncodeOptions, *,
                      params: dict | None = None) -> Job:
        """Start a job that fills the whole clip, writes ``result.mp4`` and measures it.

        With :attr:`cluster`, a video or frame folder is filled in chunks on it
        (:func:`~vinpaint.distributed.remove_file_distributed`): the job's progress counts the frames
        of the finished chunks, whichever worker filled them, and its result says ``"chunked"``.  A
        still image, or a clip with painted reference frames (which chunks do not take yet), is
        filled in this process.

        Raises:
            ConflictError: the clip has no masks yet.
        """
        self.require_masks(meta)
        options = with_references(self, meta, options)
        t = meta["frame_count"]
        cluster = self.cluster
        if cluster is not None and (meta["kind"] == "image" or options.references):
            log.info("clip %s is filled in this process, not on the cluster: chunked runs take no %s", meta["id"],
                     "still image" if meta["kind"] == "image" else "painted reference frames")
            cluster = None

        def run(job_dir: Path, progress) -> dict:
            masks_dir = job_dir / "masks"
            shutil.copytree(self.clip_dir(meta["id"]) / "masks", masks_dir, dirs_exist_ok=True)
            started = time.monotonic()
            chunked = None
            if cluster is None:
                progress.phase("filling", t)
                output = remove_file(Path(meta["source"]), masks_dir, job_dir / "result.mp4", options, encode=encode,
                                     fps=self._fps(meta), overwrite=True, progress=progress)
            else:
                workers = cluster.describe()
                progress.phase(f"filling on {workers}", t)
                output = remove_file_distributed(Path(meta["source"]), masks_dir, job_dir / "result.mp4", options,
                                                 encode=encode, fps=self._fps(meta), overwrite=True, progress=progress,
                                                 client=cluster.client, chunk_frames=cluster.chunk_frames)
                chunked = {"workers": workers, "chunk_frames": cluster.chunk_frames}
            seconds = time.monotonic() - started
            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            results = []
            progress.phase("reading the result back", t)
            for index, image in enumerate(open_video(output).images()):
                save_jpeg(out_dir / f"{index:05d}.jpg", image, self.jpeg_quality)
                results.append(image)
                progress(index + 1, t)
            if meta["kind"] == "image":
                write_png(job_dir / "result.png", results[0])
            masks = open_masks(masks_dir, t, meta["height"], meta["width"]).read_all()
            progress.phase("measuring")
            # the H.264 result differs from the source outside the hole by compression alone: no original
            metrics = measure_result(None, np.stack(results), masks, dilate=options.dilate)
            return {"first": 0, "last": len(results) - 1, "frame_count": len(results), "seconds": round(seconds, 2),
                    "fps": round(t / seconds, 2) if seconds > 0 else None, "metrics": metrics,
                    **({"chunked": chunked} if chunked else {})}

        return self.jobs.submit("remove", run, clip_id=meta["id"], total=t, params=params or {})

    # jobs

    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id) if re.fullmatch(ID_PATTERN[1:-1], job_id) else None
        if job is None:
            raise InputNotFoundError(f"unknown job {job_id}")
        return job

    def finished_job(self, job_id: str, kind: str | None = None) -> Job:
        """The job ``job_id``, done.

        Raises:
            InputNotFoundError: no such job, or one of another kind.  ConflictError: not done.
        """
        job = self.job(job_id)
        if kind is not None and job.kind != kind:
            raise InputNotFoundError(f"job {job_id} is a {job.kind} job, not a {kind} job")
        if job.state != "done":
            raise ConflictError(f"job {job_id} is {job.state}, not done")
        return job

    def result_frame(self, job_id: str, index: int) -> Path:
        """The JPEG of frame ``index`` of a preview's or run's result (a running preview's once written)."""
        job = self.job(job_id)
        if not (job.kind == "preview" and job.state == "running"):
            job = self.finished_job(job_id)
        file = self.jobs.job_dir(job_id) / "frames" / f"{index:05d}.jpg"
        if job.kind not in ("preview", "remove") or not file.is_file():
            raise InputNotFoundError(f"job {job_id} has no result frame {index}")
        return file


# -- replace: a picture on a tracked surface (vinpaint.recipes.replace) --------------------------------------

#: frames a replace preview inserts the picture on, around the keyframe
REPLACE_PREVIEW_FRAMES = 12
#: a quad under this many square pixels cannot carry a picture (four clicks on nearly one spot)
_MIN_QUAD_AREA = 16.0


def replace_picture_file(studio: Studio, meta: dict) -> Path:
    """Where the clip's replacement picture is kept (an RGBA PNG written by :func:`save_replace_picture`)."""
    return studio.clip_dir(meta["id"]) / "replace" / "picture.png"


def save_replace_picture(studio: Studio, meta: dict, data: bytes) -> dict:
    """Decode an uploaded picture and keep it as the clip's replacement (RGBA PNG; alpha kept).

    Returns ``{"width": w, "height": h, "alpha": bool}`` (``alpha``: some pixel is not opaque).

    Raises:
        UnreadableInputError: the bytes are not an image.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            picture = np.asarray(image.convert("RGBA"), np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise UnreadableInputError(f"the picture is not an image vinpaint can read ({error}); "
                                   "upload a PNG, JPEG or WebP") from None
    file = replace_picture_file(studio, meta)
    file.parent.mkdir(exist_ok=True)
    tmp = file.with_name(f".{file.name}.tmp.png")
    Image.fromarray(picture, "RGBA").save(tmp, format="PNG", compress_level=1)
    tmp.replace(file)
    return {"width": int(picture.shape[1]), "height": int(picture.shape[0]), "alpha": bool((picture[..., 3] < 255).any())}


def check_replace_corners(meta: dict, corners: Sequence[Sequence[float]]) -> np.ndarray:
    """Four ``(x, y)`` corners clicked on the clip's frame, checked: ``(4,2)`` float64 in the order given.

    Raises:
        InvalidOptionError: not four ``(x, y)`` pairs, a corner outside the frame, or a quad too small
        or folded (its edges cross).
    """
    from ..masks.track.plane import order_corners

    if len(corners) != 4 or any(len(point) != 2 for point in corners):
        raise InvalidOptionError(f"give four corners [[x, y], ...] of the surface, got {len(corners)} points")
    quad = np.asarray(corners, np.float64)
    width, height = meta["width"], meta["height"]
    for x, y in quad:
        if not (0 <= x <= width and 0 <= y <= height):
            raise InvalidOptionError(f"corner ({x:g}, {y:g}) is outside the {width}x{height} frame; "
                                     "click the four corners on the frame")
    ordered = order_corners(quad)
    x, y = ordered[:, 0], ordered[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    edges = np.roll(ordered, -1, axis=0) - ordered
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    if area < _MIN_QUAD_AREA or not ((turns > 0).all() or (turns < 0).all()):
        raise InvalidOptionError(f"the four corners make a quad of {area:.0f} square pixels that is not convex or "
                                 "too small; click the surface's four corners, spread apart")
    return quad


def submit_replace(studio: Studio, meta: dict, corners: Sequence[Sequence[float]], *, keyframe: int,
                   preview: bool = True, first: int | None = None, count: int | None = None,
                   params: dict | None = None) -> Job:
    """Start a job that puts the clip's picture on the surface ``corners`` mark on frame ``keyframe``.

    ``preview=True``: a ``preview`` job over ``count`` frames (default :data:`REPLACE_PREVIEW_FRAMES`)
    from ``first`` (default: centred on the keyframe), with :func:`vinpaint.recipes.replace.replace_with_details`
    on those frames; its frames are written as JPEG.  ``preview=False``: a ``remove`` job (the page's
    run: its video is downloaded like a fill's) over the whole clip with
    :func:`vinpaint.recipes.replace.replace_file`.  Both record ``params["recipe"] = "replace"``.

    Raises:
        ConflictError: no picture uploaded yet.  InputNotFoundError: ``keyframe`` past the clip.
        InvalidOptionError: bad corners (:func:`check_replace_corners`), or a range that leaves out the keyframe.
    """
    from ..recipes.replace import replace_file, replace_with_details

    studio._check_frame(meta, keyframe)
    quad = check_replace_corners(meta, corners)
    picture_file = replace_picture_file(studio, meta)
    if not picture_file.is_file():
        raise ConflictError("upload the picture to put on the surface first")
    t = meta["frame_count"]
    recorded = {"recipe": "replace", "keyframe": keyframe, "corners": quad.tolist(), **(params or {})}
    if preview:
        count = min(count or REPLACE_PREVIEW_FRAMES, t)
        first = max(0, min(keyframe - count // 2, t - count)) if first is None else first
        last = min(first + count - 1, t - 1)
        if not first <= keyframe <= last:
            raise InvalidOptionError(f"the preview's frames {first}-{last} must include the keyframe {keyframe}")
        count = last - first + 1

        def run_preview(job_dir: Path, progress) -> dict:
            from PIL import Image

            out_dir = job_dir / "frames"
            out_dir.mkdir(exist_ok=True)
            progress.phase("reading", count)
            started = time.monotonic()
            frames = studio.read_frames(meta, first, last)
            with Image.open(picture_file) as image:
                picture = np.asarray(image.convert("RGBA"), np.uint8)
            progress.phase("tracking and inserting", count)
            done = replace_with_details(frames, quad, picture, keyframe=keyframe - first)
            for offset, image in enumerate(done.frames):
                save_jpeg(out_dir / f"{first + offset:05d}.jpg", image, studio.jpeg_quality)
                progress(offset + 1, count)
            return {"first": first, "last": last, "seconds": round(time.monotonic() - started, 2),
                    "quality": "full", "scale": 1.0, "recipe": "replace",
                    "changed_fraction": round(float(done.changed.mean()), 5),
                    "occluded_fraction": round(float(done.occluders.mean()), 5)}

        return studio.jobs.submit("preview", run_preview, clip_id=meta["id"], total=count,
                                  params={"first": first, "last": last, "quality": "full", **recorded})

    region = f"{keyframe}:" + ",".join(f"{v:.3f}" for v in quad.ravel())

    def run_whole(job_dir: Path, progress) -> dict:
        started = time.monotonic()
        progress.phase("tracking and inserting", t)
        result = replace_file(Path(meta["source"]), job_dir / "result.mp4", region=region, replacement=picture_file,
                              fps=studio._fps(meta), overwrite=True, progress=progress)
        seconds = time.monotonic() - started
        out_dir = job_dir / "frames"
        out_dir.mkdir(exist_ok=True)
        (job_dir / "masks").mkdir(exist_ok=True)  # no masks: the download of a run's masks is an empty zip
        images = []
        progress.phase("reading the result back", t)
        for index, image in enumerate(open_video(result.output).images()):
            save_jpeg(out_dir / f"{index:05d}.jpg", image, studio.jpeg_quality)
            images.append(index)
            progress(index + 1, t)
            if meta["kind"] == "image":
                write_png(job_dir / "result.png", image)
        return {"first": 0, "last": len(images) - 1, "frame_count": len(images), "seconds": round(seconds, 2),
                "fps": round(t / seconds, 2) if seconds > 0 else None, "recipe": "replace"}

    return studio.jobs.submit("remove", run_whole, clip_id=meta["id"], total=t, params=recorded)


# -- painted reference frames and the ONNX segmenter ----------------------------------------------------------------


def reference_file(studio: Studio, meta: dict, index: int) -> Path:
    """Where the painted reference of frame ``index`` is kept (a PNG, RGB)."""
    return studio.clip_dir(meta["id"]) / "references" / f"{index:05d}.png"


def reference_frames(studio: Studio, clip_id: str) -> list[int]:
    """The frames of the clip that have a painted reference, in order."""
    folder = studio.clip_dir(clip_id) / "references"
    return sorted(int(p.stem) for p in folder.glob("*.png") if p.stem.isdigit()) if folder.is_dir() else []


def save_reference(studio: Studio, meta: dict, index: int, data: bytes) -> None:
    """Store ``data`` (a PNG or JPEG of the clip's size) as the painted clean version of frame ``index``.

    Raises:
        InputNotFoundError: no such frame.  UnreadableInputError: not an image.
        InvalidOptionError: not the clip's size.
    """
    from PIL import Image, UnidentifiedImageError

    studio._check_frame(meta, index)
    try:
        with Image.open(io.BytesIO(data)) as picture:
            if picture.format not in ("PNG", "JPEG"):
                raise UnreadableInputError(f"the painted frame must be a PNG or JPEG image, got {picture.format}")
            image = np.asarray(picture.convert("RGB"))
    except (UnidentifiedImageError, OSError):
        raise UnreadableInputError("the painted frame must be a PNG or JPEG image") from None
    if image.shape[:2] != (meta["height"], meta["width"]):
        raise InvalidOptionError(f"the painted frame is {image.shape[1]}x{image.shape[0]}, the clip is "
                                 f"{meta['width']}x{meta['height']}: export the whole frame at the clip's size")
    file = reference_file(studio, meta, index)
    file.parent.mkdir(exist_ok=True)
    tmp = file.with_name(f".{file.stem}.tmp.png")
    write_png(tmp, image)
    tmp.replace(file)


def delete_reference(studio: Studio, meta: dict, index: int) -> None:
    """Remove the painted reference of frame ``index`` (nothing happens when it has none)."""
    reference_file(studio, meta, index).unlink(missing_ok=True)


def with_references(studio: Studio, meta: dict, options: RemoveOptions) -> RemoveOptions:
    """``options`` with the clip's painted frames as ``references`` (frame indices of the whole clip)."""
    references = {index: reference_file(studio, meta, index) for index in reference_frames(studio, meta["id"])}
    return replace(options, references={**references, **options.references}) if references else options


def scaled_references(references: dict, first: int, last: int, size: tuple[int, int]) -> dict:
    """References of frames ``first``..``last``, counted from ``first`` and resized to ``size`` ``(H, W)`` (quick previews)."""
    import cv2

    from ..io import read_image

    scaled = {}
    for frame, image in references.items():
        if first <= frame <= last:
            image = image if isinstance(image, np.ndarray) else read_image(image)
            if image.shape[:2] != tuple(size):
                image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            scaled[frame - first] = image
    return scaled


def model_segment(segmenter, image: np.ndarray, points: Sequence[tuple[float, float, bool]],
                  box: Sequence[float] | None) -> np.ndarray:
    """The object the clicks and the ``(x0, y0, x1, y1)`` box select on ``image``, by an ONNX segmenter; ``(H,W)`` bool."""
    boxes = []
    if box is not None:
        x0, y0, x1, y1 = (float(v) for v in box)
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        boxes.append((x0, y0, x1 - x0, y1 - y0))
    return np.asarray(segmenter(image, [(x, y, positive) for x, y, positive in points], boxes), bool)
