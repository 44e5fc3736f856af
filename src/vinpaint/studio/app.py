"""The studio's web application: a JSON API over the library, and the page that drives it.

Flow: open a clip (an upload, or a video or frame folder of the data folder) -> draw or click a mask
on one or more keyframes -> make masks for every frame (track the keyframes, repeat one mask, or take
the data folder's masks) -> preview the fill on a short range -> run the whole clip -> compare, read
the metrics, download the video and the masks.  Masks, previews and runs are background jobs
(:mod:`vinpaint.studio.queue`); the page polls ``GET /api/jobs/{id}`` for progress.

Safety: the server binds to localhost by default and has no accounts.  A client never names a path
(:mod:`vinpaint.studio.security`); uploads are stored under a generated id with only their extension
kept, clip and job ids must be 32 hex digits, and uploads are size-limited, checked by extension and
then by decoding them.  Error texts sent to the page (HTTP answers and a job's error) go through
:func:`~vinpaint.studio.security.public_message`: no filesystem path or errno number reaches the page;
the server log keeps the full text.

This module is the HTTP layer alone: routes translate requests to calls of
:class:`vinpaint.studio.service.Studio` and its answers back, and :data:`ERROR_STATUS` maps the
package's errors to status codes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from contextlib import asynccontextmanager
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

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
from ..engines import ENGINES  # noqa: E402
from ..errors import (  # noqa: E402
    ConflictError,
    InputNotFoundError,
    InvalidOptionError,
    MaskMismatchError,
    MissingDependencyError,
    OutputError,
    UnknownPluginError,
    UnreadableInputError,
    VinpaintError,
)
from ..fill import SPATIAL_FILLERS  # noqa: E402
from ..flow import FLOW_ESTIMATORS  # noqa: E402
from ..io import EncodeOptions  # noqa: E402
from ..io.images import IMAGE_EXTENSIONS  # noqa: E402
from ..options import DEFAULT_PRESET, ENCODE_OPTIONS, PRESETS, REMOVE_OPTIONS, form_schema, spec_named  # noqa: E402
from ..options import engine_option_specs as table_engine_option_specs  # noqa: E402
from ..options import validate_engine_options  # noqa: E402
from ..pipeline import RemoveOptions, options_from_preset  # noqa: E402
from .security import VIDEO_EXTENSIONS, public_message, safe_display_name, scan_data_dir  # noqa: E402
from .service import (  # noqa: E402
    ID_PATTERN,
    ClusterRuns,
    Studio,
    binary_png,
    download_stem,
    grade_metrics,
    overlay_png,
    zip_folder,
)

from .service import save_replace_picture, submit_replace  # noqa: E402
from .service import delete_reference, reference_file, reference_frames, save_reference  # noqa: E402

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3
#: a keyframe mask is a PNG of the clip's size: far below this
_MAX_MASK_BYTES = 32 * 1024**2

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
    references: list[int] = Field(default_factory=list, description="frames with a painted clean version (their fill)")


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
    help: str = ""


class EngineInfo(BaseModel):
    name: str
    description: str
    options: list[EngineOption]


class StudioOptions(BaseModel):
    """What the page's form offers, read from the library's registries."""

    engines: list[EngineInfo]
    fillers: list[str]
    flows: list[str]
    blends: list[str]
    defaults: dict[str, Any]
    presets: list[str] = Field(description="preset names, for FillOptions.preset")
    form: dict[str, Any] = Field(description="vinpaint.options.form_schema(): every option's default, range, "
                                             "choices and help, each engine's options and each preset's settings")
    preview_frames: int
    max_upload_bytes: int
    segmenter: str | None = Field(default=None, description="the ONNX segmenter the click uses (its file name), if any")


class OpenDataRequest(BaseModel):
    entry: str = Field(max_length=1000, description="an id from GET /api/data")
    fps: float | None = Field(None, gt=0, le=1000, description="frame rate of a frame folder (default 25); "
                              "kept with the clip and in its result video; ignored for a video file")


class Point(BaseModel):
    x: float = Field(description="column, in pixels of the video")
    y: float = Field(description="row, in pixels of the video")
    positive: bool = Field(True, description="True: on the object; False: not on the object")


class SegmentRequest(BaseModel):
    frame: int = Field(ge=0)
    points: list[Point] = Field(default_factory=list, max_length=200)
    box: tuple[float, float, float, float] | None = Field(
        None, description="x0, y0, x1, y1 around the object, in pixels of the video: seeds the selection")


class MasksRequest(BaseModel):
    method: Literal["track", "static", "data"] = Field(
        description="track: follow the keyframe masks through the clip; static: the mask of `frame` on every "
        "frame (a logo); data: the masks of the data folder"
    )
    frame: int | None = Field(None, ge=0, description="keyframe for method=static (default: the first keyframe)")
    first: int | None = Field(None, ge=0, description="first frame to mask (default 0); frames outside stay unmasked")
    last: int | None = Field(None, ge=0, description="last frame to mask, inclusive (default: the last frame)")


def _table_default(name: str) -> Any:
    return spec_named(name, (*REMOVE_OPTIONS, *ENCODE_OPTIONS)).default


class FillOptions(BaseModel):
    """The fill's options (see :class:`vinpaint.pipeline.RemoveOptions`).

    Defaults come from :mod:`vinpaint.options`, and ranges and choices are checked there
    (:func:`remove_options`), not here: an invalid value is answered 422 with the library's message.
    """

    preset: str = Field(DEFAULT_PRESET, description="a name in vinpaint.options.PRESETS: the engine's settings")
    engine: str = _table_default("engine")
    dilate: int = _table_default("dilate")
    feather: float = _table_default("feather")
    blend: str = _table_default("blend")
    engine_options: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="engine options over the preset's")
    crf: int = Field(_table_default("crf"), description="H.264 quality of the result (lower = better)")


class PreviewRequest(BaseModel):
    options: FillOptions = Field(default_factory=FillOptions)
    first: int = Field(0, ge=0)
    count: int | None = Field(None, ge=1, le=1000, description="frames to preview (default: 12 for a quick "
                              "preview, the server's preview length, 30, at full quality)")
    quality: Literal["quick", "full"] = Field(
        "quick", description="quick: the fast preset at half size (a look in seconds); full: the options given")


class RemoveRequest(BaseModel):
    options: FillOptions = Field(default_factory=FillOptions)


class ReplaceRequest(BaseModel):
    """Put the clip's uploaded picture on the surface four corners mark (:func:`vinpaint.recipes.replace`)."""

    keyframe: int = Field(ge=0, description="the frame the corners are clicked on")
    corners: list[list[float]] = Field(max_length=16, description="four [x, y] corners of the surface on the keyframe, "
                                       "in pixels of the video, in any order")
    preview: bool = Field(True, description="True: a preview job on a few frames around the keyframe; "
                          "False: the whole clip, a run whose video can be downloaded")
    first: int | None = Field(None, ge=0, description="a preview's first frame (default: centred on the keyframe)")
    count: int | None = Field(None, ge=1, le=1000, description="a preview's frames (default 12)")


class PictureInfo(BaseModel):
    width: int
    height: int
    alpha: bool = Field(description="the picture has transparent pixels (a cut-out)")


class Message(BaseModel):
    detail: str


# -- options of the form -------------------------------------------------------------------------------------


def engine_option_specs(engine: str) -> list[EngineOption]:
    """The options of an engine for the form (:func:`vinpaint.options.engine_option_specs`)."""
    return [EngineOption(name=spec.name, default=spec.default, type=spec.type.__name__, choices=spec.choice_names(),
                         help=spec.help) for spec in table_engine_option_specs(engine)]


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request's body, refused with 413 as soon as it passes ``limit`` bytes (``what``: "a keyframe mask")."""
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise HTTPException(413, f"{what} is at most {limit} bytes")
    return bytes(data)


def remove_options(fill: FillOptions) -> RemoveOptions:
    """The page's options as :class:`RemoveOptions`: the preset's engine options, then the page's, all validated.

    The page names plug-ins only by their registered names: a ``onnx:PATH`` name would make the server
    open a file the page chose.
    """
    for key, value in fill.engine_options.items():
        if isinstance(value, str) and ":" in value:
            raise InvalidOptionError(f"{key}: the studio offers only the built-in choices; use the command line for model files")
    return options_from_preset(fill.preset, engine=fill.engine, dilate=fill.dilate, feather=fill.feather,
                               blend=fill.blend, engine_options=validate_engine_options(fill.engine, fill.engine_options))


def job_info(job) -> JobInfo:
    """A job's record as the page sees it: its error (and its metrics' error) through :func:`public_message`."""
    record = job.to_dict()
    if record["error"]:
        record["error"] = public_message(record["error"])
    metrics = (record["result"] or {}).get("metrics")
    if isinstance(metrics, dict) and isinstance(metrics.get("error"), str):
        record["result"] = {**record["result"], "metrics": {**metrics, "error": public_message(metrics["error"])}}
    if isinstance(metrics, dict) and record["kind"] in ("preview", "remove"):
        record["result"] = {**record["result"], "grades": grade_metrics(metrics)}
    return JobInfo(**record)


def clip_info(studio: Studio, meta: dict) -> ClipInfo:
    """A clip's record as the page sees it."""
    return ClipInfo(
        id=meta["id"], name=meta["name"], kind=meta["kind"], origin=meta["origin"], width=meta["width"],
        height=meta["height"], frame_count=meta["frame_count"], fps=float(Fraction(meta["fps"])),
        keyframes=studio.keyframes(meta["id"]), has_masks=studio.has_masks(meta),
        masks_version=meta.get("masks_version", 0), has_data_masks=bool(meta.get("data_masks")),
        created=meta["created"], references=reference_frames(studio, meta["id"]),
    )


#: the HTTP status of each package error (the first class in this order that the error is an instance of)
ERROR_STATUS: tuple[tuple[type[VinpaintError], int], ...] = (
    (InputNotFoundError, 404),
    (ConflictError, 409),
    (UnreadableInputError, 415),
    (MaskMismatchError, 422),
    (InvalidOptionError, 422),
    (UnknownPluginError, 422),
    (MissingDependencyError, 501),
    (OutputError, 500),
)


def error_status(error: VinpaintError) -> int:
    """The HTTP status answering ``error`` (:data:`ERROR_STATUS`; any other package error is 422)."""
    return next((status for kind, status in ERROR_STATUS if isinstance(error, kind)), 422)


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
    segmenter=None,
    dask_workers: int | None = None,
    scheduler: str | None = None,
    chunk_frames: int | None = None,
    dask_client=None,
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
        segmenter: an ONNX segmenter for the click: an :class:`~vinpaint.models.segment.OnnxSegmenter`,
            an encoder's path, or ``(encoder, decoder)`` paths (default: the classical click segmentation).
        dask_workers, scheduler, dask_client: full runs (not previews) are filled in chunks on a Dask
            cluster: a local one of ``dask_workers`` processes started now, the one at the address
            ``scheduler``, or the one of a ``dask.distributed.Client`` (:class:`~vinpaint.studio.service.ClusterRuns`);
            a run's progress then counts the frames finished on every worker.  None of them: one process.
        chunk_frames: frames a chunk produces (default 400).

    Raises:
        InputNotFoundError: ``data_dir`` is given but is not a folder.
        OutputError: ``work_dir`` is a file, or cannot be created or written.
        InvalidOptionError: both ``dask_workers`` and ``scheduler``, or a scheduler that cannot be reached.
        MissingDependencyError: a cluster asked for without Dask installed.
    """
    segmenter = load_segmenter(segmenter)  # before the work folder is made: a missing model leaves nothing behind
    studio = Studio(Path(data_dir) if data_dir is not None else None, Path(work_dir),
                    max_upload_bytes=int(max_upload_bytes), workers=workers, preview_frames=preview_frames,
                    jpeg_quality=jpeg_quality)
    try:
        studio.segmenter = segmenter
        if dask_workers or scheduler or dask_client is not None:
            studio.cluster = ClusterRuns(client=dask_client, workers=dask_workers, scheduler=scheduler,
                                         chunk_frames=chunk_frames)
    except BaseException:
        studio.close()
        raise

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        studio.close()

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
    _add_reference_routes(app, studio, errors)

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
        return error_answer(request, error_status(error), str(error))

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
            defaults=defaults, presets=list(PRESETS), form=form_schema(), preview_frames=studio.preview_frames, max_upload_bytes=studio.max_upload_bytes,
            segmenter=segmenter_name(studio.segmenter),
        )

    @app.get("/api/data", response_model=list[DataEntryInfo], summary="Videos and frame folders of the data folder")
    def data() -> list[DataEntryInfo]:
        return [DataEntryInfo(id=e.id, name=e.name, kind=e.kind, has_masks=e.masks is not None)
                for e in scan_data_dir(studio.data_dir).values()]

    # clips

    @app.get("/api/clips", response_model=list[ClipInfo], summary="Clips opened so far, newest first")
    def clips() -> list[ClipInfo]:
        return [clip_info(studio, meta) for meta in studio.list_clips()]

    @app.post("/api/clips", response_model=ClipInfo, status_code=201, responses=errors,
              summary="Open a video or frame folder of the data folder")
    def open_clip(request: OpenDataRequest) -> ClipInfo:
        return clip_info(studio, studio.open_data(request.entry, fps=request.fps))

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
            meta = await run_in_threadpool(lambda: studio.add_upload(target, name, image_extensions=IMAGE_EXTENSIONS))
        finally:
            target.unlink(missing_ok=True)
        return clip_info(studio, meta)

    @app.get("/api/clips/{clip_id}", response_model=ClipInfo, responses=errors, summary="One clip")
    def clip(clip_id: ClipId) -> ClipInfo:
        return clip_info(studio, studio.meta(clip_id))

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
        if not request.box and not any(p.positive for p in request.points):
            raise HTTPException(422, "click on the object (a positive point) or drag a box around it")
        mask = studio.segment(studio.meta(clip_id), request.frame, [(p.x, p.y, p.positive) for p in request.points],
                              box=request.box)
        return Response(overlay_png(mask), media_type="image/png")

    @app.put("/api/clips/{clip_id}/keyframes/{index}", response_model=ClipInfo, responses={
        413: {"model": Message}, 415: {"model": Message}, **errors},
        summary="Set the keyframe mask of frame N (a PNG of the clip's size; alpha or grey, non-zero = fill)",
        openapi_extra={"requestBody": {"required": True, "content": {"image/png": {"schema": {
            "type": "string", "format": "binary"}}}}})
    async def put_keyframe(clip_id: ClipId, index: FrameIndex, request: Request) -> ClipInfo:
        meta = studio.meta(clip_id)
        studio.frame_file(clip_id, index)  # 404 past the last frame, before the body is read
        data = await read_body(request, _MAX_MASK_BYTES, "a keyframe mask")
        mask = await run_in_threadpool(studio.read_mask_png, data, meta)
        await run_in_threadpool(studio.set_keyframe, meta, index, mask)
        return clip_info(studio, meta)

    @app.delete("/api/clips/{clip_id}/keyframes/{index}", response_model=ClipInfo, responses=errors,
                summary="Remove the keyframe mask of frame N")
    def delete_keyframe(clip_id: ClipId, index: FrameIndex) -> ClipInfo:
        meta = studio.meta(clip_id)
        studio.delete_keyframe(meta, index)
        return clip_info(studio, meta)

    @app.get("/api/clips/{clip_id}/keyframes/{index}.png", response_class=Response, responses={
        200: {"content": {"image/png": {}}}, **errors}, summary="The keyframe mask of frame N")
    def keyframe(clip_id: ClipId, index: FrameIndex,
                 style: MaskStyle = "overlay"):
        mask = studio.keyframe_mask(studio.meta(clip_id), index)
        return Response(overlay_png(mask) if style == "overlay" else binary_png(mask), media_type="image/png",
                        headers={"Cache-Control": "no-cache"})

    @app.post("/api/clips/{clip_id}/masks", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, 501: {"model": Message}, **errors},
        summary="Make a mask for every frame: track the keyframes, repeat one, or load the data folder's")
    def make_masks(clip_id: ClipId, request: MasksRequest) -> JobInfo:
        return job_info(studio.submit_masks(studio.meta(clip_id), request.method, frame=request.frame,
                                            first=request.first, last=request.last))

    @app.get("/api/clips/{clip_id}/masks/{index}.png", response_class=Response, responses={
        200: {"content": {"image/png": {}}}, **errors}, summary="The mask of frame N")
    def frame_mask(clip_id: ClipId, index: FrameIndex,
                   style: MaskStyle = "overlay"):
        mask = studio.frame_mask(studio.meta(clip_id), index)
        return Response(overlay_png(mask) if style == "overlay" else binary_png(mask), media_type="image/png",
                        headers={"Cache-Control": "max-age=60"})

    @app.get("/api/clips/{clip_id}/masks.zip", response_class=Response, responses={
        200: {"content": {"application/zip": {}}}, 409: {"model": Message}, **errors},
        summary="The clip's current masks, a zip of PNGs (255 = fill)")
    def clip_masks_zip(clip_id: ClipId) -> Response:
        meta = studio.meta(clip_id)
        studio.require_masks(meta)
        stem = download_stem(meta["name"])
        return Response(zip_folder(studio.clip_dir(clip_id) / "masks", f"{stem}-masks"), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-masks.zip"'})

    # fills

    @app.post("/api/clips/{clip_id}/preview", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, **errors}, summary="Fill a short range of frames (default: a quick preview of 12 frames at half size)")
    def preview(clip_id: ClipId, request: Annotated[PreviewRequest | None, Body()] = None) -> JobInfo:
        request = request or PreviewRequest()
        meta = studio.meta(clip_id)
        return job_info(studio.submit_preview(meta, remove_options(request.options), first=request.first,
                                              count=request.count, quality=request.quality,
                                              params={"options": request.options.model_dump()}))

    @app.post("/api/clips/{clip_id}/remove", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, **errors}, summary="Fill the whole clip and write the result video")
    def remove(clip_id: ClipId, request: Annotated[RemoveRequest | None, Body()] = None) -> JobInfo:
        request = request or RemoveRequest()
        meta = studio.meta(clip_id)
        return job_info(studio.submit_remove(meta, remove_options(request.options), EncodeOptions(crf=request.options.crf),
                                             params={"options": request.options.model_dump()}))

    # replace: a picture on a tracked surface

    @app.post("/api/clips/{clip_id}/replace/picture", response_model=PictureInfo, responses={
        413: {"model": Message}, 415: {"model": Message}, **errors},
        summary="Upload the picture to put on a surface (the raw PNG, JPEG or WebP as the body; alpha kept)",
        openapi_extra={"requestBody": {"required": True, "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
    async def replace_picture(clip_id: ClipId, request: Request) -> PictureInfo:
        meta = studio.meta(clip_id)
        data = await read_body(request, min(studio.max_upload_bytes, _MAX_MASK_BYTES), "the picture")
        if not data:
            raise HTTPException(422, "the upload is empty")
        return PictureInfo(**await run_in_threadpool(save_replace_picture, studio, meta, data))

    @app.post("/api/clips/{clip_id}/replace", response_model=JobInfo, status_code=202, responses={
        409: {"model": Message}, **errors},
        summary="Put the uploaded picture on the surface four corners mark: a preview, or the whole clip")
    def replace(clip_id: ClipId, request: ReplaceRequest) -> JobInfo:
        return job_info(submit_replace(studio, studio.meta(clip_id), request.corners, keyframe=request.keyframe,
                                       preview=request.preview, first=request.first, count=request.count))

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
        return FileResponse(studio.result_frame(job_id, index), media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})

    @app.get("/api/jobs/{job_id}/video", response_class=FileResponse, responses={
        200: {"content": {"video/mp4": {}}}, 409: {"model": Message}, **errors},
        summary="Download a run's result video (H.264 MP4; a PNG for an image clip)")
    def result_video(job_id: JobId) -> FileResponse:
        job = studio.finished_job(job_id, "remove")
        folder = studio.jobs.job_dir(job_id)
        meta = studio.meta(job.clip_id)
        stem = download_stem(meta["name"])
        if meta["kind"] == "image":
            return FileResponse(folder / "result.png", media_type="image/png", filename=f"{stem}-vinpaint.png")
        return FileResponse(folder / "result.mp4", media_type="video/mp4", filename=f"{stem}-vinpaint.mp4")

    @app.get("/api/jobs/{job_id}/masks.zip", response_class=Response, responses={
        200: {"content": {"application/zip": {}}}, 409: {"model": Message}, **errors},
        summary="Download the masks a run used, a zip of PNGs (255 = fill)")
    def result_masks(job_id: JobId) -> Response:
        job = studio.finished_job(job_id, "remove")
        stem = download_stem(studio.meta(job.clip_id)["name"])
        archive = zip_folder(studio.jobs.job_dir(job_id) / "masks", f"{stem}-masks")
        return Response(archive, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-masks.zip"'})

    return app


# -- painted reference frames and the ONNX segmenter ----------------------------------------------------------------


def load_segmenter(segmenter):
    """An :class:`~vinpaint.models.segment.OnnxSegmenter` from a path or ``(encoder, decoder)`` paths (None stays None)."""
    if segmenter is None or not isinstance(segmenter, (str, Path, tuple, list)):
        return segmenter
    from ..models.segment import OnnxSegmenter

    encoder, decoder = (segmenter, None) if isinstance(segmenter, (str, Path)) else tuple(segmenter)
    return OnnxSegmenter(encoder, decoder)


def segmenter_name(segmenter) -> str | None:
    """The file name of the segmenter's encoder, for the page (``model: NAME``)."""
    return None if segmenter is None else Path(segmenter.encoder.path).name


def _add_reference_routes(app: FastAPI, studio: Studio, errors: dict) -> None:
    """``/api/clips/{id}/references/{frame}``: a painted clean frame, the fill of that frame in previews and runs."""

    @app.put("/api/clips/{clip_id}/references/{index}", response_model=ClipInfo, responses={
        413: {"model": Message}, 415: {"model": Message}, **errors},
        summary="Set the painted clean version of frame N (a PNG or JPEG of the clip's size)",
        openapi_extra={"requestBody": {"required": True, "content": {"image/png": {"schema": {
            "type": "string", "format": "binary"}}, "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
    async def put_reference(clip_id: ClipId, index: FrameIndex, request: Request) -> ClipInfo:
        meta = studio.meta(clip_id)
        studio.frame_file(clip_id, index)  # 404 past the last frame, before the body is read
        data = await read_body(request, _MAX_MASK_BYTES, "a painted frame")
        await run_in_threadpool(save_reference, studio, meta, index, data)
        return clip_info(studio, meta)

    @app.delete("/api/clips/{clip_id}/references/{index}", response_model=ClipInfo, responses=errors,
                summary="Remove the painted clean version of frame N")
    def remove_reference(clip_id: ClipId, index: FrameIndex) -> ClipInfo:
        meta = studio.meta(clip_id)
        delete_reference(studio, meta, index)
        return clip_info(studio, meta)

    @app.get("/api/clips/{clip_id}/references/{index}.png", response_class=FileResponse, responses={
        200: {"content": {"image/png": {}}}, **errors}, summary="The painted clean version of frame N")
    def reference(clip_id: ClipId, index: FrameIndex) -> FileResponse:
        file = reference_file(studio, studio.meta(clip_id), index)
        if not file.is_file():
            raise InputNotFoundError(f"frame {index} has no painted reference")
        return FileResponse(file, media_type="image/png")


def _version() -> str:
    from .. import __version__

    return __version__
