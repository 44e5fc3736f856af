"""A two-process Dask cluster shared by the distributed tests, and small clips on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.io.helpers import write_video
from vinpaint.io import write_png
from vinpaint.testing.synthetic import make_panning_clip

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="session")
def dask_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def write_case(folder: Path, *, frames: int = 60, audio: bool = False, codec: str = "ffv1", suffix: str = ".mkv",
               seed: int = 0) -> tuple[Path, Path]:
    """A panning clip with a moving square, written losslessly, and its mask folder."""
    clip = make_panning_clip(frames=frames, height=48, width=64, object_size=10, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    video = write_video(folder / f"clip{suffix}", clip.frames, codec=codec, pix_fmt="yuv444p" if codec == "ffv1" else "yuv420p",
                        audio=audio)
    masks = folder / "masks"
    masks.mkdir(exist_ok=True)
    for index, mask in enumerate(clip.masks):
        write_png(masks / f"{index:05d}.png", mask)
    return video, masks


def decode(path: Path) -> tuple[np.ndarray, list[int]]:
    import av

    with av.open(str(path)) as container:
        frames = [(frame.to_ndarray(format="rgb24"), frame.pts) for frame in container.decode(video=0)]
    return np.stack([image for image, _ in frames]), [pts for _, pts in frames]
