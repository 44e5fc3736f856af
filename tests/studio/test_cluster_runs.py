"""Full runs of the studio on a Dask cluster: one count of frames across the workers (service layer, no browser)."""

from __future__ import annotations

import numpy as np
import pytest

from vinpaint.io import EncodeOptions, open_video
from vinpaint.pipeline import RemoveOptions
from vinpaint.studio.security import scan_data_dir
from vinpaint.studio.service import ClusterRuns, Studio

distributed = pytest.importorskip("dask.distributed")


def test_a_full_run_on_a_local_cluster_counts_the_frames_of_every_worker(studio_data, studio_clip, tmp_path):
    studio = Studio(studio_data, tmp_path / "work", max_upload_bytes=10**6, workers=1, preview_frames=12,
                    jpeg_quality=90)
    reports = []
    report = studio.jobs._report
    studio.jobs._report = lambda job_id, done, total, phase, *, write: (reports.append((done, total, phase)),
                                                                        report(job_id, done, total, phase, write=write))
    [entry] = [key for key, entry in scan_data_dir(studio_data).items() if entry.name == "clip.mp4"]
    meta = studio.open_data(entry)
    studio._store_masks(meta, studio_clip.masks)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        studio.cluster = ClusterRuns(client=client, chunk_frames=4)
        job = studio.submit_remove(studio.meta(meta["id"]), RemoveOptions(window=4, context=2, shots="none"),
                                   EncodeOptions())
        final = studio.jobs.wait(job.id, 120)
        studio.close()
    assert final.state == "done", final.error
    filling = [(done, total) for done, total, phase in reports if phase == "filling on 2 Dask workers"]
    # 12 frames in 3 chunks of 4: the count starts at 0, never goes back and ends at every frame, whichever
    # worker filled them (a chunk's own count may show mid-chunk, every PROGRESS_INTERVAL)
    counts = [done for done, _ in filling]
    assert counts[0] == 0 and counts[-1] == 12 and counts == sorted(counts) and len(set(counts)) >= 3
    assert {total for _, total in filling} == {12}
    assert final.result["chunked"] == {"workers": "2 Dask workers", "chunk_frames": 4}
    result = open_video(studio.jobs.job_dir(job.id) / "result.mp4").read_all()
    assert result.shape == studio_clip.frames.shape
    square = studio_clip.masks[0]
    assert np.abs(result[0][square].astype(int) - studio_clip.frames[0][square]).mean() > 10  # it was filled


def test_serve_takes_a_local_cluster_or_a_scheduler_not_both(tmp_path):
    from click.testing import CliRunner

    from vinpaint.cli import main

    result = CliRunner().invoke(main, ["serve", "--port", "0", "--work", str(tmp_path / "w"), "--dask-workers", "2",
                                       "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_an_unreachable_scheduler_stops_the_studio_with_a_clear_error(studio_data, tmp_path):
    import dask

    from vinpaint.errors import InvalidOptionError
    from vinpaint.studio import create_app

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(InvalidOptionError, match="cannot reach a Dask scheduler at tcp://127.0.0.1:9"):
        create_app(studio_data, tmp_path / "work", scheduler="tcp://127.0.0.1:9")
