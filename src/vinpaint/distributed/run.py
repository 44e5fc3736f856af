"""``remove_file`` on a Dask cluster: chunks filled by workers, segments joined, resumable.

The client plans the chunks (shot-aware, :mod:`.plan`), writes the job folder's manifest (:mod:`.job`),
submits one task per pending chunk and records each chunk done as its segment arrives.  Tasks carry
paths, frame numbers and options only: every worker decodes its own frames from the source and writes
its own segment, so frames never travel through the scheduler (all workers must see the same files).
When every chunk is done, the segments are joined without re-encoding (:func:`.segments.join_segments`)
and the job folder is removed.

Workers that share this machine (a ``LocalCluster``: ``--workers N``, or a client of one) share its
cores: each task gets ``max(1, cores // slots)`` threads (:func:`worker_threads`; ``slots``: the
workers' threads together) for the fill (the engine's ``threads`` option, when the user left it at 0),
OpenCV and the segment's decoder and encoder.  The fill's result does not depend on its thread count,
so neither does the job's signature: a run resumed with another number of workers or threads goes on
with the same job.  On a cluster elsewhere the workers' machines are not known here, and every option
stays as the user gave it (``--option threads=K`` sets the fill's threads, see docs/scale.md).

Dask: M. Rocklin, "Dask: Parallel Computation with Blocked algorithms and Task Scheduling", SciPy 2015.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, replace
from pathlib import Path

from ..engines import engine_parameters
from ..errors import InvalidOptionError, MissingDependencyError
from ..io import EncodeOptions, check_output, open_masks, open_video
from ..io.shots import cuts_for_option, detect_cuts
from ..io.writers import is_folder_output
from ..pipeline import Progress, RemoveOptions, check_frame_range
from .job import job_folder, load_job, new_job, recorded_signature, remove_job
from .plan import plan_chunks
from .segments import fill_chunk, frame_timestamps, frames_done, join_segments, progress_path

log = logging.getLogger(__name__)

#: seconds between two progress counts while chunks run
PROGRESS_POLL = 1.0
#: frames a chunk produces by default: 400 frames of 432x240 take about a minute on one core
DEFAULT_CHUNK_FRAMES = 400


def dask_client(*, workers: int | None = None, scheduler: str | None = None):
    """A ``dask.distributed.Client``: of the cluster at ``scheduler``, or of a new local cluster of
    ``workers`` single-threaded processes.  Close it (and its cluster) when done.

    Raises:
        MissingDependencyError: dask.distributed is not installed.
        InvalidOptionError: no scheduler answers at ``scheduler`` (within Dask's connect timeout).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError("running on several workers needs Dask: pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            return Client(scheduler)
        except (OSError, TimeoutError, ValueError) as error:
            raise InvalidOptionError(f"cannot reach a Dask scheduler at {scheduler} ({error}); start one "
                                     "(dask scheduler) and give its address, e.g. tcp://host:8786") from None
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    return Client(cluster)


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_threads(client) -> int | None:
    """Threads one task may use so that the workers of ``client``'s cluster do not oversubscribe this machine.

    For a ``LocalCluster`` (its workers all run here), ``max(1, machine_cores() // slots)`` where
    ``slots`` counts the tasks that run at once (the workers' threads together); None for any other
    cluster, whose workers' machines are not known here (the user's options are then left alone).
    """
    try:
        from dask.distributed import LocalCluster
    except ImportError:
        return None
    if not isinstance(getattr(client, "cluster", None), LocalCluster):
        return None
    slots = sum(client.nthreads().values()) or len(client.cluster.workers) or 1
    return max(1, machine_cores() // slots)


def with_threads(options: RemoveOptions, threads: int | None) -> RemoveOptions:
    """``options`` with the fill's threads set to ``threads`` where the user left them at 0 (the engine's
    default, one a core) and the engine has a ``threads`` option; otherwise ``options`` unchanged."""
    if threads and "threads" in engine_parameters(options.engine) and not options.engine_options.get("threads"):
        return replace(options, engine_options={**options.engine_options, "threads": threads})
    return options


def task_options(options: RemoveOptions, threads: int | None) -> dict:
    """:func:`with_threads`'s options as the plain dict a chunk's task takes."""
    return _plain(asdict(with_threads(options, threads)))


def default_chunk_frames(frame_count: int, workers: int | None, window: int) -> int:
    """:data:`DEFAULT_CHUNK_FRAMES`, or fewer (at least one window) so that ``workers`` chunks cover
    ``frame_count`` frames: a clip shorter than ``workers`` default chunks would leave workers idle."""
    if not workers or workers < 2:
        return DEFAULT_CHUNK_FRAMES
    return max(window, min(DEFAULT_CHUNK_FRAMES, -(-frame_count // workers)))


def close_client(client) -> None:
    """Close a client made by :func:`dask_client`, and its local cluster if it has one."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


def remove_file_distributed(
    input_path: str | Path,
    mask_path: str | Path,
    output_path: str | Path,
    options: RemoveOptions | None = None,
    *,
    encode: EncodeOptions | None = None,
    mask_ids: list[int] | None = None,
    fps: float | None = None,
    overwrite: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    chunk_frames: int | None = None,
    lead: int | None = None,
) -> Path:
    """:func:`vinpaint.pipeline.remove_file` in chunks on a Dask cluster; rerunning resumes a killed run.

    Args:
        workers: processes of a local cluster (when neither ``scheduler`` nor ``client`` is given).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        client: a ``dask.distributed.Client`` to use (it is not closed).
        chunk_frames: frames a chunk produces (rounded to whole windows); None: :data:`DEFAULT_CHUNK_FRAMES`,
            or fewer so that a local cluster's ``workers`` each get a chunk (:func:`default_chunk_frames`);
            lead: frames filled before
            each chunk and dropped (:func:`vinpaint.distributed.plan.plan_chunks`).
        The rest: as :func:`~vinpaint.pipeline.remove_file`.

    The job folder ``OUTPUT.vinpaint-job/`` holds the manifest and segments until the output is written.

    Raises:
        InvalidOptionError: a folder of PNG frames as output (segments are joined as a container).
        ConflictError: the job folder holds another run's job.
        The errors of :func:`~vinpaint.pipeline.remove_file`.
    """
    options = options or RemoveOptions()
    encode = encode or EncodeOptions()
    output = Path(output_path)
    if is_folder_output(output):
        raise InvalidOptionError("several workers write a video file (.mkv, .mp4...); for a folder of frames run one "
                                 "process (no --workers)")
    if getattr(options, "references", None):
        raise InvalidOptionError("reference frames are not yet taken by chunked runs; run one process (no --workers)")
    source = open_video(input_path, fps=fps)
    info = source.info
    check_output(output, inputs=(input_path, mask_path), overwrite=overwrite)
    open_masks(mask_path, info.frame_count, info.height, info.width, ids=mask_ids)  # fails now, not on a worker
    check_frame_range(options.frame_range, info.frame_count)
    folder = job_folder(output)
    if chunk_frames is None:  # a job begun with other workers keeps its chunks, so it resumes
        recorded = recorded_signature(folder) or {}
        chunk_frames = recorded.get("chunk_frames") or default_chunk_frames(
            info.frame_count, workers if client is None and not scheduler else None, options.window)
    signature = _signature_of(input_path, mask_path, output, options, encode=encode, mask_ids=mask_ids, fps=fps,
                              chunk_frames=chunk_frames, lead=lead)
    suffix = output.suffix.lower()
    job = load_job(folder, signature, suffix)
    if job is None:
        cuts = cuts_for_option(options.shots, frame_count=info.frame_count)
        if cuts is None:
            cuts = detect_cuts(source.images())
        log.info("%d shot cut(s) found: %s", len(cuts), cuts)
        chunks = plan_chunks(info.frame_count, cuts, chunk_frames=chunk_frames, window=options.window,
                             context=options.context, lead=lead)
        job = new_job(folder, signature, chunks, {"cuts": cuts, "stamps": frame_timestamps(input_path, fps=fps)})
    else:
        log.warning("resuming the job in %s: %d of %d chunks are done and skipped; doing the other %d",
                    folder, len(job.done), len(job.chunks), len(job.pending()))
    stamps, cuts = job.extra["stamps"], job.extra["cuts"]
    done_frames = sum(chunk.last - chunk.first + 1 for chunk in job.chunks if chunk.index in job.done)
    if progress:
        progress(done_frames, info.frame_count)
    pending = job.pending()
    if pending:
        own_client = client is None
        client = client or dask_client(workers=workers, scheduler=scheduler)
        futures = {}
        try:
            from dask.distributed import wait

            threads = worker_threads(client)
            plain = task_options(options, threads)
            if threads:
                log.info("workers share this machine's %d cores: %d thread(s) a task (fill: %s)", machine_cores(),
                         threads, plain["engine_options"].get("threads", "no threads option"))
            for chunk in pending:  # a killed run's counts: these chunks start again from their first frame
                progress_path(job.segment(chunk, suffix)).unlink(missing_ok=True)
            futures = {client.submit(fill_chunk, str(Path(input_path).resolve()), str(Path(mask_path).resolve()),
                                     str(job.segment(chunk, suffix)), chunk.to_dict(),
                                     stamps[chunk.read_first:chunk.read_last + 1], cuts, plain, _plain(asdict(encode)),
                                     mask_ids=list(mask_ids) if mask_ids else None, fps=fps, threads=threads,
                                     pure=False): chunk
                       for chunk in pending}
            running = set(futures)
            shown = done_frames
            while running:
                try:  # each second: the chunks finished, and the frames the running ones wrote so far
                    finished, running = wait(running, timeout=PROGRESS_POLL, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    finished = set()
                for future in finished:
                    future.result()  # a chunk's error stops the run; the chunks done so far stay done
                    chunk = futures[future]
                    job.mark_done(chunk)
                    done_frames += chunk.last - chunk.first + 1
                    log.info("chunk %d of %d done (frames %d-%d)", chunk.index + 1, len(job.chunks), chunk.first,
                             chunk.last)
                partial = sum(min(frames_done(job.segment(futures[f], suffix)), futures[f].last - futures[f].first + 1)
                              for f in running)
                if progress and done_frames + partial > shown:
                    shown = done_frames + partial
                    progress(shown, info.frame_count)
        except BaseException:
            # a failed chunk, or a stop raised by ``progress``: release the other chunks (queued ones never start)
            if futures:
                client.cancel(list(futures))
            raise
        finally:
            if own_client:
                close_client(client)
    check_output(output, inputs=(input_path, mask_path), overwrite=overwrite)
    join_segments([job.segment(chunk, suffix) for chunk in job.chunks], [stamps[chunk.first] for chunk in job.chunks],
                  Path(input_path), info.time_base, output,
                  copy_streams=info.kind == "video" and bool(info.audio_streams or info.other_streams))
    remove_job(folder)
    return output


def _signature_of(input_path, mask_path, output: Path, options: RemoveOptions, *, encode: EncodeOptions | None = None,
                  mask_ids=None, fps=None, chunk_frames: int = DEFAULT_CHUNK_FRAMES, lead: int | None = None) -> dict:
    """What makes two runs the same job: a job folder is resumed only by a run of equal signature.

    The fill's ``threads`` are left out: they change the speed, not the result
    (``tests/engines/test_propagate.py``), so a run resumed with other threads or workers is the same job.
    """
    plain = _plain(asdict(options))
    plain["engine_options"].pop("threads", None)
    return {"input": str(Path(input_path).resolve()), "input_size": _size(input_path),
            "mask": str(Path(mask_path).resolve()), "output": str(Path(output).resolve()),
            "options": plain, "encode": _plain(asdict(encode or EncodeOptions())),
            "mask_ids": list(mask_ids) if mask_ids else None, "fps": fps, "chunk_frames": chunk_frames, "lead": lead}


def _size(path: str | Path) -> int | None:
    path = Path(path)
    return path.stat().st_size if path.is_file() else None


def _plain(value):
    """JSON-safe: tuples as lists (a manifest read back compares equal)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
