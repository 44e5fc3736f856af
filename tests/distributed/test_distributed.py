"""Chunks on a two-process LocalCluster: equal to one process, joined without re-encoding, resumable; batches."""

from __future__ import annotations

import json
from dataclasses import asdict
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from tests.distributed.conftest import decode, write_case
from vinpaint.distributed import BatchItem, read_batch, remove_file_distributed, run_batch
from vinpaint.distributed.batch import run_item
from vinpaint.distributed.job import job_folder, new_job
from vinpaint.distributed.plan import plan_chunks
from vinpaint.distributed.segments import fill_chunk, frame_timestamps
from vinpaint.distributed.run import task_options
from vinpaint.errors import InvalidOptionError
from vinpaint.io import EncodeOptions
from vinpaint.io.writers import written_by_vinpaint
from vinpaint.pipeline import RemoveOptions, remove_file

OPTIONS = RemoveOptions(window=10, context=4, shots="none")


def test_chunked_run_equals_one_process_outside_each_chunks_first_window(tmp_path, dask_client):
    video, masks = write_case(tmp_path, frames=60, audio=True)
    remove_file(video, masks, tmp_path / "single.mkv", OPTIONS)
    remove_file_distributed(video, masks, tmp_path / "chunked.mkv", OPTIONS, client=dask_client, chunk_frames=20)
    single, single_pts = decode(tmp_path / "single.mkv")
    chunked, chunked_pts = decode(tmp_path / "chunked.mkv")
    _, source_pts = decode(video)
    assert chunked_pts == source_pts == single_pts
    first_windows = [frame for start in (20, 40) for frame in range(start, start + 10)]
    others = [frame for frame in range(60) if frame not in first_windows]
    assert np.array_equal(chunked[others], single[others])
    assert np.abs(chunked.astype(int) - single).max() <= 3  # within a chunk's first window: a context of its own
    assert not job_folder(tmp_path / "chunked.mkv").exists()


def test_joined_h264_keeps_count_timestamps_rate_and_audio_and_is_marked_as_vinpaints(tmp_path, dask_client):
    video, masks = write_case(tmp_path, frames=45, audio=True, codec="libx264", suffix=".mp4")
    out = remove_file_distributed(video, masks, tmp_path / "out.mp4", OPTIONS, client=dask_client, chunk_frames=10)
    _, source_pts = decode(video)
    _, output_pts = decode(out)
    assert output_pts == source_pts
    assert written_by_vinpaint(out)  # so that --overwrite may replace it
    with av.open(str(video)) as source, av.open(str(out)) as result:
        assert result.streams.video[0].average_rate == source.streams.video[0].average_rate
        assert len(result.streams.audio) == 1
        assert sum(1 for packet in result.demux(result.streams.audio[0]) if packet.size) == \
            sum(1 for packet in source.demux(source.streams.audio[0]) if packet.size)


def test_chunks_follow_shot_cuts_from_a_file(tmp_path, dask_client):
    video, masks = write_case(tmp_path, frames=30)
    cuts = tmp_path / "cuts.txt"
    cuts.write_text("13\n")
    options = RemoveOptions(window=10, context=4, shots=str(cuts))
    remove_file(video, masks, tmp_path / "single.mkv", options)
    remove_file_distributed(video, masks, tmp_path / "chunked.mkv", options, client=dask_client, chunk_frames=10)
    single, _ = decode(tmp_path / "single.mkv")
    chunked, _ = decode(tmp_path / "chunked.mkv")
    assert np.array_equal(chunked[:13], single[:13])  # shot 0 is chunks 0-9, 10-12: the second reads from 0


def test_folder_output_is_refused(tmp_path):
    video, masks = write_case(tmp_path, frames=10)
    with pytest.raises(InvalidOptionError, match="video file"):
        remove_file_distributed(video, masks, tmp_path / "frames", OPTIONS, workers=1)


def test_rerun_does_only_the_chunks_left_and_equals_an_uninterrupted_run(tmp_path, dask_client, caplog):
    video, masks = write_case(tmp_path, frames=60)
    remove_file_distributed(video, masks, tmp_path / "whole.mkv", OPTIONS, client=dask_client, chunk_frames=10)
    # a run stopped after half of its chunks: the same job folder with chunks 0-2 done
    output = tmp_path / "resumed.mkv"
    from vinpaint.distributed.run import _plain, _signature_of

    signature = _signature_of(video, masks, output, OPTIONS, chunk_frames=10)
    chunks = plan_chunks(60, [], chunk_frames=10, window=10, context=4)
    stamps = frame_timestamps(video)
    job = new_job(job_folder(output), signature, chunks, {"cuts": [], "stamps": stamps})
    for chunk in chunks[:3]:
        fill_chunk(str(video), str(masks), str(job.segment(chunk, ".mkv")), chunk.to_dict(),
                   stamps[chunk.read_first:chunk.read_last + 1], [], _plain(signature["options"]), signature["encode"])
        job.mark_done(chunk)
    with caplog.at_level(logging.WARNING, logger="vinpaint.distributed.run"):
        remove_file_distributed(video, masks, output, OPTIONS, client=dask_client, chunk_frames=10)
    assert "3 of 6 chunks are done and skipped; doing the other 3" in caplog.text
    assert np.array_equal(decode(output)[0], decode(tmp_path / "whole.mkv")[0])


@pytest.mark.slow
def test_sigkilled_cli_run_leaves_no_output_and_resumes(tmp_path):
    video, masks = write_case(tmp_path, frames=160)
    output = tmp_path / "out.mkv"
    command = [str(Path(sys.executable).with_name("vinpaint")), "remove", str(video), "--mask", str(masks), "-o", str(output),
               "--workers", "2", "--chunk-frames", "10", "--window", "10", "--context", "4", "--shots", "none", "-q"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    manifest = job_folder(output) / "manifest.json"
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        if manifest.is_file():
            try:
                done = sum(chunk["state"] == "done" for chunk in json.loads(manifest.read_text())["chunks"])
            except ValueError:
                done = 0
            if done >= 8:
                break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not output.exists()
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "chunks are done and skipped" in rerun.stderr
    whole = tmp_path / "whole.mkv"
    subprocess.run(command[:6] + [str(whole)] + command[7:], check=True, capture_output=True, timeout=300)
    assert np.array_equal(decode(output)[0], decode(whole)[0])


def test_batch_reports_a_broken_input_and_does_the_others(tmp_path, dask_client):
    items = []
    for number in range(20):
        video, masks = write_case(tmp_path / f"clip{number}", frames=8, seed=number)
        items.append(BatchItem(str(video), str(tmp_path / f"out{number}.mkv"), mask=str(masks),
                               options={"engine": "perframe"}))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    items.insert(7, BatchItem(str(broken), str(tmp_path / "broken-out.mkv"), mask=items[0].mask))
    results = run_batch(items, client=dask_client)
    assert [result.status for result in results] == ["done"] * 7 + ["failed"] + ["done"] * 13
    assert "cannot read" in results[7].error
    for result in results[:7] + results[8:]:
        output, _ = decode(Path(result.item.output))
        source, _ = decode(Path(result.item.input))
        assert output.shape == source.shape


def test_batch_manifests_read_csv_and_json(tmp_path):
    (tmp_path / "a.csv").write_text("input,mask,output,options\nclip.mp4,masks,out.mp4,dilate=6;engine=perframe\n")
    (tmp_path / "b.json").write_text(json.dumps([{"input": "clip.mp4", "job": "watermark", "output": "/x/out.mp4"}]))
    [from_csv] = read_batch(tmp_path / "a.csv")
    [from_json] = read_batch(tmp_path / "b.json")
    assert (from_csv.input, from_csv.mask, from_csv.options) == (str(tmp_path / "clip.mp4"), str(tmp_path / "masks"),
                                                                 {"dilate": 6, "engine": "perframe"})
    assert (from_json.job, from_json.output, from_json.mask) == ("watermark", "/x/out.mp4", None)


def test_batch_item_without_a_mask_fails_alone_saying_where_the_mask_goes(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"input": "clip.mp4", "output": "out.mp4"}]))
    item = read_batch(tmp_path / "a.json")[0]
    outcome = run_item(asdict(item))
    assert outcome["status"] == "failed" and "clip.mask.png" in outcome["error"]


def test_progress_counts_the_frames_running_chunks_have_written(tmp_path, dask_client, monkeypatch):
    from vinpaint.distributed import run

    monkeypatch.setattr(run, "PROGRESS_POLL", 0.02)
    monkeypatch.setattr(run, "frames_done", lambda segment: 7)  # what a worker's progress file would say
    video, masks = write_case(tmp_path, frames=30)
    seen = []
    remove_file_distributed(video, masks, tmp_path / "out.mkv", OPTIONS, client=dask_client, chunk_frames=30,
                            progress=lambda done, total: seen.append(done))
    assert seen == [0, 7, 30]


def test_a_chunk_writes_how_many_of_its_frames_are_done(tmp_path, monkeypatch):
    from vinpaint.distributed import segments

    monkeypatch.setattr(segments, "PROGRESS_INTERVAL", 0.0)
    video, masks = write_case(tmp_path, frames=20)
    chunk = plan_chunks(20, [], chunk_frames=10, window=10, context=4)[1]
    segment = tmp_path / "00001.mkv"
    stamps = frame_timestamps(video)[chunk.read_first:chunk.read_last + 1]
    fill_chunk(str(video), str(masks), str(segment), chunk.to_dict(), stamps, [], task_options(OPTIONS, None),
               asdict(EncodeOptions()))
    assert segments.frames_done(segment) == chunk.last - chunk.first + 1


def test_a_folder_batch_written_into_its_own_folder_skips_its_earlier_outputs(tmp_path):
    for name in ("a.mp4", "a.mkv", "b.mp4"):  # a.mkv: the output of a.mp4 from an earlier run
        (tmp_path / name).write_bytes(b"")
    items = read_batch(tmp_path, output_folder=tmp_path, suffix=".mkv", job="watermark")
    assert [Path(item.input).name for item in items] == ["a.mp4", "b.mp4"]
    assert [Path(item.output).name for item in items] == ["a.mkv", "b.mkv"]
