"""Batches: many videos, each one task on a Dask cluster; a failure is reported and the rest go on.

A batch is a folder of videos or a manifest (CSV or JSON) of items.  Each item names an ``input``, an
``output``, the ``job`` (``remove``, the default, or ``watermark``: find a static overlay and remove it),
a ``mask`` for ``remove``, and ``options``: :class:`~vinpaint.pipeline.RemoveOptions` fields (and a
``preset``), as a JSON object in a JSON manifest or as ``key=value;key=value`` in a CSV one.  Tasks
carry paths; every worker reads its input and writes its output itself.  Workers of a local cluster
share this machine's cores as chunked runs do (:func:`vinpaint.distributed.run.worker_threads`).
"""

from __future__ import annotations

import csv
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import InputNotFoundError, InvalidOptionError, VinpaintError
from ..options import parse_value

log = logging.getLogger(__name__)

#: what a batch item can do
BATCH_JOBS = ("remove", "watermark")
#: files a batch folder's videos are recognised by
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


@dataclass(frozen=True)
class BatchItem:
    """One video of a batch (see the module's docstring)."""

    input: str
    output: str
    job: str = "remove"
    mask: str | None = None
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.job not in BATCH_JOBS:
            raise InvalidOptionError(f"batch item {self.input}: unknown job {self.job!r}; use one of {', '.join(BATCH_JOBS)}")


@dataclass(frozen=True)
class BatchResult:
    """How one item went: ``status`` ``done`` or ``failed``, the ``error`` line, and seconds taken."""

    item: BatchItem
    status: str
    error: str = ""
    seconds: float = 0.0


def read_batch(path: str | Path, *, output_folder: str | Path | None = None, mask: str | Path | None = None,
               job: str = "remove", suffix: str = ".mp4") -> list[BatchItem]:
    """The items of a batch manifest (``.csv``/``.json``) or of a folder of videos.

    A folder gives one item per video (``VIDEO_SUFFIXES``, sorted by name), written to
    ``output_folder`` under the same stem with ``suffix``; each video's mask is ``mask`` if given,
    else ``STEM.mask.png`` or a folder ``STEM.masks/`` beside it (none for the ``watermark`` job).
    Relative paths in a manifest count from the manifest's folder.

    Raises:
        InputNotFoundError: no such folder or manifest.
        InvalidOptionError: a manifest row without input or output, an unknown job.  A remove item
            without a mask is read, and fails on its own when run (:func:`run_item`).
    """
    path = Path(path)
    if not path.exists():
        raise InputNotFoundError(f"batch not found: {path}; give a folder of videos or a .csv/.json manifest")
    if path.is_dir():
        if output_folder is None:
            raise InvalidOptionError("a batch folder needs an output folder (--output-folder)")
        out = Path(output_folder)
        videos = sorted(p for p in path.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and not p.name.startswith("."))
        # a batch written into its own folder finds its earlier outputs there: they are not inputs
        outputs = {(out / (video.stem + suffix)).resolve(): video for video in videos}
        items = []
        for video in videos:
            if outputs.get(video.resolve(), video) != video:
                log.info("batch: %s is the output of %s, not an input", video.name, outputs[video.resolve()].name)
                continue
            own = next((c for c in (video.with_name(video.stem + ".mask.png"), video.with_name(video.stem + ".masks"))
                        if c.exists()), None)
            chosen = mask or own
            items.append(BatchItem(str(video), str(out / (video.stem + suffix)), job=job,
                                   mask=str(chosen) if chosen and job == "remove" else None))
        if not items:
            raise InputNotFoundError(f"{path} holds no videos ({', '.join(VIDEO_SUFFIXES)})")
        return items
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise InvalidOptionError(f"{path} is not valid JSON: {error}") from None
        rows = rows.get("items", rows) if isinstance(rows, dict) else rows
    elif path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key} for row in csv.DictReader(handle)]
        for row in rows:
            row["options"] = _options_text(row.get("options", ""), path)
    else:
        raise InvalidOptionError(f"{path}: a batch manifest is .csv or .json")
    items = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row.get("input") or not row.get("output"):
            raise InvalidOptionError(f"{path}, item {number}: each item needs an input and an output")
        resolve = lambda value: str(value if Path(value).is_absolute() else path.parent / value) if value else None
        items.append(BatchItem(resolve(row["input"]), resolve(row["output"]), job=row.get("job") or "remove",
                               mask=resolve(row.get("mask")), options=dict(row.get("options") or {})))
    return items


def _options_text(text: str, path: Path) -> dict:
    options = {}
    for pair in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidOptionError(f"{path}: options {text!r} must be key=value;key=value")
        options[key.strip()] = parse_value(None, value)
    return options


def run_item(item: dict, *, overwrite: bool = False, threads: int | None = None) -> dict:
    """Run one batch item (on a worker); returns a :class:`BatchResult`'s fields, the error as a line.

    ``threads``: the item's share of a machine that several workers share
    (:func:`vinpaint.distributed.run.worker_threads`): the fill's threads where the item leaves them
    at 0, and OpenCV's while the item runs; None leaves both alone.
    """
    from ..pipeline import options_from_preset, remove_file
    from ..recipes.watermark import remove_watermark
    from .run import with_threads
    from .segments import opencv_threads

    item = BatchItem(**item)
    started = time.perf_counter()
    try:
        fields = dict(item.options)
        preset = fields.pop("preset", "default")
        options = with_threads(options_from_preset(preset, **fields), threads)
        with opencv_threads(threads):
            if item.job == "remove":
                if not item.mask:  # this item fails, the others go on
                    raise InvalidOptionError(
                        f"no mask for {Path(item.input).name}: the remove job needs one (beside a video of a batch "
                        f"folder, {Path(item.input).stem}.mask.png or a folder {Path(item.input).stem}.masks/, or "
                        "--mask for all; in a manifest, a mask column or key)")
                remove_file(item.input, item.mask, item.output, options, overwrite=overwrite)
            else:
                remove_watermark(item.input, item.output, options, overwrite=overwrite)
        status, error = "done", ""
    except VinpaintError as failure:
        status, error = "failed", str(failure)
    except Exception as failure:
        log.exception("batch item %s failed", item.input)
        status, error = "failed", f"{type(failure).__name__}: {failure}"
    return {"status": status, "error": error, "seconds": time.perf_counter() - started}


def run_batch(items: list[BatchItem], *, client=None, workers: int | None = None, scheduler: str | None = None,
              overwrite: bool = False, progress=None) -> list[BatchResult]:
    """Run every item as a task; returns one :class:`BatchResult` per item, in the items' order.

    ``progress(done, total)`` counts items.  ``client``: a ``dask.distributed.Client`` (not closed);
    otherwise one is made from ``workers`` / ``scheduler`` (:func:`vinpaint.distributed.dask_client`).
    On a local cluster each item gets its share of the cores (:func:`run_item`'s ``threads``).
    """
    from .run import close_client, dask_client, worker_threads

    own = client is None
    client = client or dask_client(workers=workers, scheduler=scheduler)
    results: dict[int, BatchResult] = {}
    try:
        from dask.distributed import as_completed

        threads = worker_threads(client)
        futures = {client.submit(run_item, asdict(item), overwrite=overwrite, threads=threads, pure=False): number
                   for number, item in enumerate(items)}
        if progress:
            progress(0, len(items))
        for future in as_completed(futures):
            number = futures[future]
            try:
                outcome = future.result()
            except Exception as failure:  # noqa: BLE001 - a worker that died: reported as the item's failure
                outcome = {"status": "failed", "error": f"{type(failure).__name__}: {failure}", "seconds": 0.0}
            results[number] = BatchResult(items[number], **outcome)
            if outcome["status"] == "failed":
                log.warning("%s failed: %s", items[number].input, outcome["error"])
            if progress:
                progress(len(results), len(items))
    finally:
        if own:
            close_client(client)
    return [results[number] for number in range(len(items))]
