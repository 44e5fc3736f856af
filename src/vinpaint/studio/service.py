"""The studio's state and work, without HTTP: clips of the work folder, keyframes, masks and jobs.

Every failure is a :class:`~vinpaint.errors.VinpaintError` subclass; :mod:`vinpaint.studio.app`
turns them into HTTP answers (one table, ``ERROR_STATUS``).  The image processing is the library's:
:func:`vinpaint.masks.make.make_masks`, :func:`vinpaint.pipeline.remove_range`,
:func:`vinpaint.pipeline.remove_file` and :func:`vinpaint.evaluate.report.measure_result`.  Frames are
read on demand (:func:`vinpaint.io.read_frames`): a click reads one frame, a preview its range.

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
from fractions import Fraction
from pathlib import Path

import numpy as np

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
from ..masks.click import segment_from_points
from ..masks.make import make_masks
from ..masks.postprocess import write_mask_folder
from ..pipeline import RemoveOptions, remove_file, remove_range
from .queue import Job, JobQueue
from .security import scan_data_dir

log = logging.getLogger(__name__)

ID_PATTERN = r"^[0-9a-f]{32}$"
#: ways to make a mask for every frame: track keyframes, repeat one, or load the data folder's
MASK_METHODS = ("track", "static", "data")
_OVERLAY_RGB = (255, 48, 48)


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


def _stamp(path: Path) -> list[int]:
    """Modification time and size of a file, or of a folder's images: changes when the source does."""
    files = [path] if path.is_file() else list_images(path)
    stats = [f.stat() for f in files]
    return [max(s.st_mtime_ns for s in stats), sum(s.st_size for s in stats), len(stats)]


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

    def _open_work_dir(self, workers: int) -> JobQueue:
        """Create the work folder's layout and open its job queue."""
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

    def open_data(self, entry_id: str) -> dict:
        """Open a data-folder entry by its listed key (the same entry opens as the same clip)."""
        entry = scan_data_dir(self.data_dir).get(entry_id)
        if entry is None:
            raise InputNotFoundError("no such entry in the data folder; pick one listed by GET /api/data")
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

    def segment(self, meta: dict, index: int, points: Sequence[tuple[float, float, bool]]) -> np.ndarray:
        """The object under positive clicks ``(x, y, True)`` and off negative ones on frame ``index``, ``(H,W)`` bool.

        Reads that frame alone from the source.

        Raises:
            InputNotFoundError: no such frame.  InvalidOptionError: a point outside the frame.
        """
        self._check_frame(meta, index)
        for x, y, _positive in points:
            if not (0 <= x < meta["width"] and 0 <= y < meta["height"]):
                raise InvalidOptionError(f"point ({x}, {y}) is outside the {meta['width']}x{meta['height']} frame")
        image = self.read_frames(meta, index, index)[0]
        return np.asarray(segment_from_points(image, list(points)), bool)

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
                frames = (self.read_frames(meta, first, last) if method == "track"
                          else np.broadcast_to(np.zeros(3, np.uint8), shape))
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
                       params: dict | None = None) -> Job:
        """Start a job that fills ``count`` frames from ``first`` (default: the server's preview length).

        Raises:
            ConflictError: the clip has no masks yet.  InvalidOptionError: ``first`` is past the clip.
        """
        self.require_masks(meta)
        t = meta["frame_count"]
        if first >= t:
            raise InvalidOptionError(f"preview start {first} is past the clip's last frame ({t - 1})")
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
            return {"first": first, "last": last, "seconds": round(seconds, 2), "metrics": metrics}

        return self.jobs.submit("preview", run, clip_id=meta["id"], total=count,
                                params={"first": first, "last": last, **(params or {})})

    def submit_remove(self, meta: dict, options: RemoveOptions, encode: EncodeOptions, *,
                      params: dict | None = None) -> Job:
        """Start a job that fills the whole clip, writes ``result.mp4`` and measures it.

        Raises:
            ConflictError: the clip has no masks yet.
        """
        self.require_masks(meta)
        t = meta["frame_count"]

        def run(job_dir: Path, progress) -> dict:
            masks_dir = job_dir / "masks"
            shutil.copytree(self.clip_dir(meta["id"]) / "masks", masks_dir, dirs_exist_ok=True)
            started = time.monotonic()
            progress.phase("filling", t)
            output = remove_file(Path(meta["source"]), masks_dir, job_dir / "result.mp4", options, encode=encode,
                                 fps=self._fps(meta), overwrite=True, progress=progress)
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
                    "fps": round(t / seconds, 2) if seconds > 0 else None, "metrics": metrics}

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
        """The JPEG of frame ``index`` of a finished preview's or run's result."""
        job = self.finished_job(job_id)
        file = self.jobs.job_dir(job_id) / "frames" / f"{index:05d}.jpg"
        if job.kind not in ("preview", "remove") or not file.is_file():
            raise InputNotFoundError(f"job {job_id} has no result frame {index}")
        return file
