"""Workers sharing a machine share its cores: threads a task, the fill unchanged by them, resumes unaffected."""

from __future__ import annotations

import logging
import re

import cv2
import numpy as np
import pytest

from tests.distributed.conftest import decode, write_case
from tests.io.helpers import write_video
from vinpaint.distributed import remove_file_distributed
from vinpaint.distributed.job import job_folder, new_job
from vinpaint.distributed.plan import plan_chunks
from vinpaint.distributed.run import (
    _signature_of,
    machine_cores,
    task_options,
    worker_threads,
)
from vinpaint.distributed.segments import fill_chunk, frame_timestamps, opencv_threads
from vinpaint.engines import ENGINES, engine_parameters
from vinpaint.io.masks import write_mask_folder
from vinpaint.pipeline import RemoveOptions, options_from_preset, remove_stream
from vinpaint.testing.synthetic import make_panning_clip

OPTIONS = RemoveOptions(window=10, context=4, shots="none")


def test_a_task_of_a_two_worker_local_cluster_gets_half_the_cores(dask_client):
    assert worker_threads(dask_client) == max(1, machine_cores() // 2)


def test_a_cluster_elsewhere_leaves_the_threads_alone():
    class RemoteClient:  # a client of a scheduler given by address has no cluster object
        cluster = None

    assert worker_threads(RemoteClient()) is None


def test_the_fill_gets_the_threads_only_where_the_user_left_them_at_zero():
    assert task_options(OPTIONS, 3)["engine_options"]["threads"] == 3
    assert task_options(RemoveOptions(engine_options={"threads": 2}), 3)["engine_options"]["threads"] == 2
    assert "threads" not in task_options(OPTIONS, None)["engine_options"]
    assert "threads" not in task_options(RemoveOptions(engine="perframe"), 3)["engine_options"]  # it has none


@pytest.mark.parametrize("engine", list(ENGINES))
def test_the_fill_is_the_same_whatever_the_thread_counts(engine):
    clip = make_panning_clip(frames=12, height=48, width=64, object_size=10)
    results = []
    for threads in (1, 2):
        extra = {"threads": threads} if "threads" in engine_parameters(engine) else {}
        options = RemoveOptions(engine=engine, window=6, context=2, shots="none", engine_options=extra)
        with opencv_threads(threads):
            results.append(np.stack(list(remove_stream(clip.frames, clip.masks, options, total=12))))
    np.testing.assert_array_equal(results[0], results[1])


def test_opencv_threads_are_set_inside_the_block_and_restored_after():
    before = cv2.getNumThreads()
    with opencv_threads(1):
        assert cv2.getNumThreads() == 1
    assert cv2.getNumThreads() == before


def test_a_chunk_on_one_thread_encodes_on_one_and_writes_the_same_frames(tmp_path):
    clip = make_panning_clip(frames=6, height=240, width=432, object_size=40)  # x264 slices a frame this size
    video = write_video(tmp_path / "clip.mkv", clip.frames, codec="ffv1", pix_fmt="yuv444p")
    masks = write_mask_folder(clip.masks, tmp_path / "masks")
    stamps = frame_timestamps(video)
    [chunk] = plan_chunks(6, [], chunk_frames=6, window=6, context=0)
    options = task_options(options_from_preset("fast", window=6, context=0, shots="none"), None)
    lossless_h264 = {"crf": 18, "lossless": True, "preset": "medium", "stream_format": "nut"}
    for threads in (None, 1):
        fill_chunk(str(video), str(masks), str(tmp_path / f"segment-{threads}.mp4"), chunk.to_dict(), stamps, [],
                   options, lossless_h264, threads=threads)
    np.testing.assert_array_equal(decode(tmp_path / "segment-None.mp4")[0], decode(tmp_path / "segment-1.mp4")[0])
    settings = re.search(rb"threads=(\d+)", (tmp_path / "segment-1.mp4").read_bytes())  # x264 writes its settings
    assert settings and settings.group(1) == b"1"


def test_the_fill_threads_are_not_part_of_the_job():
    assert _signature_of("in.mkv", "masks", "out.mkv", OPTIONS) == \
        _signature_of("in.mkv", "masks", "out.mkv", RemoveOptions(window=10, context=4, shots="none",
                                                                     engine_options={"threads": 1}))


def test_a_run_started_on_one_thread_resumes_with_the_default_threads(tmp_path, dask_client, caplog):
    video, masks = write_case(tmp_path, frames=40)
    output = tmp_path / "out.mkv"
    one_thread = RemoveOptions(window=10, context=4, shots="none", engine_options={"threads": 1})
    signature = _signature_of(video, masks, output, one_thread, chunk_frames=10)
    chunks = plan_chunks(40, [], chunk_frames=10, window=10, context=4)
    stamps = frame_timestamps(video)
    job = new_job(job_folder(output), signature, chunks, {"cuts": [], "stamps": stamps})
    for chunk in chunks[:2]:  # what a killed run on one thread a task left
        fill_chunk(str(video), str(masks), str(job.segment(chunk, ".mkv")), chunk.to_dict(),
                   stamps[chunk.read_first:chunk.read_last + 1], [], task_options(one_thread, None),
                   signature["encode"], threads=1)
        job.mark_done(chunk)
    with caplog.at_level(logging.INFO, logger="vinpaint.distributed.run"):
        remove_file_distributed(video, masks, output, OPTIONS, client=dask_client, chunk_frames=10)
    assert "2 of 4 chunks are done and skipped" in caplog.text
    assert f"{max(1, machine_cores() // 2)} thread(s) a task" in caplog.text
    remove_file_distributed(video, masks, tmp_path / "whole.mkv", OPTIONS, client=dask_client, chunk_frames=10)
    np.testing.assert_array_equal(decode(output)[0], decode(tmp_path / "whole.mkv")[0])


def test_a_batch_item_runs_on_its_share_of_the_threads(monkeypatch):
    from dataclasses import asdict

    from vinpaint.distributed import BatchItem
    from vinpaint.distributed.batch import run_item

    seen = {}

    def remove_file(input_path, mask_path, output_path, options, *, overwrite):
        seen.update(fill=options.engine_options.get("threads"), opencv=cv2.getNumThreads())

    monkeypatch.setattr("vinpaint.pipeline.remove_file", remove_file)
    before = cv2.getNumThreads()
    outcome = run_item(asdict(BatchItem("in.mkv", "out.mkv", mask="masks")), threads=1)
    assert outcome["status"] == "done", outcome["error"]
    assert seen == {"fill": 1, "opencv": 1}
    assert cv2.getNumThreads() == before
