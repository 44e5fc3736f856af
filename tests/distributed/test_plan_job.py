"""Chunk planning and the job manifest (no cluster needed)."""

from __future__ import annotations

import pytest

from vinpaint.distributed.job import job_folder, load_job, new_job, remove_job
from vinpaint.distributed.plan import Chunk, plan_chunks
from vinpaint.errors import ConflictError, InvalidOptionError


def test_chunks_cover_every_frame_once_and_never_span_a_cut():
    cuts = [130, 500]
    chunks = plan_chunks(1000, cuts, chunk_frames=400, window=40, context=8)
    produced = [frame for chunk in chunks for frame in range(chunk.first, chunk.last + 1)]
    assert produced == list(range(1000))
    for chunk in chunks:
        for cut in cuts:
            assert not chunk.read_first < cut <= chunk.read_last


def test_chunks_start_on_whole_windows_of_their_shot_with_a_lead_and_look_ahead():
    chunks = plan_chunks(1000, [130], chunk_frames=100, window=40, context=8)
    inner = [chunk for chunk in chunks if chunk.first > 130]
    assert inner and all((chunk.first - 130) % 80 == 0 for chunk in inner)  # 100 frames round down to 2 windows
    assert all(chunk.first - chunk.read_first == 40 for chunk in inner)
    assert all(chunk.read_last - chunk.last == 8 for chunk in inner if chunk.last < 999)


def test_chunk_planning_rejects_bad_counts():
    with pytest.raises(InvalidOptionError):
        plan_chunks(0, [], chunk_frames=10, window=5, context=1)


def test_manifest_round_trip_and_done_chunks(tmp_path):
    folder = job_folder(tmp_path / "out.mkv")
    assert folder.name == "out.mkv.vinpaint-job"
    chunks = [Chunk(0, 0, 9, 0, 11), Chunk(1, 10, 19, 5, 19)]
    job = new_job(folder, {"input": "a"}, chunks, {"cuts": []})
    job.segment(chunks[0], ".mkv").write_bytes(b"segment")
    job.mark_done(chunks[0])
    job.mark_done(chunks[1])  # done, but its segment is missing: pending again when loaded
    loaded = load_job(folder, {"input": "a"}, ".mkv")
    assert loaded.chunks == chunks
    assert loaded.done == {0}
    assert [chunk.index for chunk in loaded.pending()] == [1]


def test_manifest_of_another_run_is_refused(tmp_path):
    folder = tmp_path / "job"
    new_job(folder, {"input": "a"}, [Chunk(0, 0, 9, 0, 9)], {})
    with pytest.raises(ConflictError, match="another run"):
        load_job(folder, {"input": "b"}, ".mkv")


def test_removing_a_job_keeps_files_vinpaint_did_not_write(tmp_path):
    folder = tmp_path / "job"
    job = new_job(folder, {}, [Chunk(0, 0, 9, 0, 9)], {})
    job.segment(job.chunks[0], ".mkv").write_bytes(b"x")
    (folder / "notes.txt").write_text("mine")
    remove_job(folder)
    assert (folder / "notes.txt").exists()
    assert not (folder / "manifest.json").exists()


def test_default_chunks_give_each_local_worker_one_on_a_short_clip():
    from vinpaint.distributed.run import DEFAULT_CHUNK_FRAMES, default_chunk_frames

    assert default_chunk_frames(200, 2, 40) == 100
    assert default_chunk_frames(200, 8, 40) == 40  # never under a window
    assert default_chunk_frames(10_000, 2, 40) == DEFAULT_CHUNK_FRAMES
    assert default_chunk_frames(200, None, 40) == DEFAULT_CHUNK_FRAMES  # a cluster elsewhere: its size is not known
