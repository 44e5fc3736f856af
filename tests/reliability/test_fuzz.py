"""Fuzzing ``vinpaint remove``: whatever the input, it exits 0 or 2, never with a traceback, and never
changes an input or leaves anything beside its output.

Three sources of garbage: random bytes as the video, random truncations of a real mp4 (index at the
end, and index first as ``-movflags faststart`` writes it), and random mask folders (any count, size,
image mode and format, with stray files).  Each example runs in a fresh temporary folder.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.reliability.media import (
    box_masks,
    sha256_tree,
    textured_frames,
    truncated_copy,
    write_clip,
    write_mask_folder,
)
from vinpaint.cli import main

FRAMES, HEIGHT, WIDTH = 6, 24, 32
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """A small clip with audio in two layouts (index last, index first) and its mask folder."""
    folder = tmp_path_factory.mktemp("fuzz-media")
    clip = write_clip(folder / "clip.mp4", textured_frames(FRAMES, HEIGHT, WIDTH), audio_tracks=1)
    return {
        "index-last": clip,
        "index-first": remux_faststart(clip, folder / "faststart.mp4"),
        "masks": write_mask_folder(folder / "masks", box_masks(FRAMES, HEIGHT, WIDTH, top=6, left=4, size=8)),
    }


def remux_faststart(source: Path, path: Path) -> Path:
    """Copy ``source``'s packets into an mp4 whose index (moov) comes before the media data."""
    with av.open(str(source)) as reader, av.open(str(path), "w", options={"movflags": "faststart"}) as writer:
        streams = {stream.index: writer.add_stream_from_template(stream) for stream in reader.streams}
        for packet in reader.demux():
            if packet.dts is None:  # the demuxer's end-of-stream marker
                continue
            packet.stream = streams[packet.stream.index]
            writer.mux(packet)
    return path


def check_remove(inputs: Path, video: Path, masks: Path, output: Path) -> None:
    """Run ``vinpaint remove`` and check the contract: exit 0 or 2, inputs unchanged, nothing left over."""
    before = sha256_tree(inputs)
    args = ["remove", str(video), "-m", str(masks), "-o", str(output), "-q", "--preset", "fast"]
    result = CliRunner().invoke(main, args)
    if result.exit_code not in (0, 2) or not (result.exception is None or isinstance(result.exception, SystemExit)):
        debug = CliRunner().invoke(main, [*args, "--debug"])
        trace = "".join(traceback.format_exception(*debug.exc_info)) if debug.exc_info else debug.output
        pytest.fail(f"exit {result.exit_code}: {result.output}\n{trace}")
    event(f"exit {result.exit_code}")  # shown by --hypothesis-show-statistics
    assert "Traceback" not in result.output, result.output
    assert sha256_tree(inputs) == before, "an input was changed"
    expected = [output.name] if result.exit_code == 0 else []
    assert sorted(os.listdir(output.parent)) == expected, f"exit {result.exit_code}: {result.output}"


@contextmanager
def workspace() -> Iterator[tuple[Path, Path]]:
    """Fresh ``inputs/`` and ``outputs/`` folders for one example (pytest's tmp_path is per test, not per example)."""
    with tempfile.TemporaryDirectory(prefix="vinpaint-fuzz-") as root:
        inputs, outputs = Path(root, "inputs"), Path(root, "outputs")
        inputs.mkdir()
        outputs.mkdir()
        yield inputs, outputs


def copy_masks(source: Path, folder: Path) -> Path:
    folder.mkdir()
    for file in source.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    return folder


@FUZZ
@given(data=st.binary(min_size=0, max_size=4096), suffix=st.sampled_from([".mp4", ".mkv", ".avi", ".png", ""]))
def test_random_bytes_as_the_video(media, data, suffix):
    with workspace() as (inputs, outputs):
        video = inputs / f"random{suffix}"
        video.write_bytes(data)
        check_remove(inputs, video, copy_masks(media["masks"], inputs / "masks"), outputs / "out.mp4")


@FUZZ
@given(layout=st.sampled_from(["index-last", "index-first"]), fraction=st.floats(0.0, 1.0))
def test_random_truncation_of_a_real_mp4(media, layout, fraction):
    source = media[layout]
    with workspace() as (inputs, outputs):
        video = truncated_copy(source, inputs / "cut.mp4", int(fraction * source.stat().st_size))
        check_remove(inputs, video, copy_masks(media["masks"], inputs / "masks"), outputs / "out.mp4")


# One mask image: (height, width), PIL mode, file format, content.  Sizes that fit (the video's, or twice
# it) come three times as often as any size, so that some folders get through to a fill.
fitting_sizes = st.sampled_from([(HEIGHT, WIDTH), (2 * HEIGHT, 2 * WIDTH)])
any_size = st.tuples(st.integers(1, 64), st.integers(1, 64))
mask_images = st.tuples(
    st.one_of(fitting_sizes, fitting_sizes, fitting_sizes, any_size),
    st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "I;16"]),
    st.sampled_from(["png", "png", "bmp", "tiff", "jpeg"]),
    st.sampled_from(["box", "box", "empty", "noise"]),
)
# Counts favour the ones that work (one mask for all frames, one per frame).
mask_counts = st.one_of(st.sampled_from([1, FRAMES]), st.integers(0, FRAMES + 2))
stray_files = st.one_of(
    st.just([]),
    st.lists(st.sampled_from(["notes.txt", "broken.png", ".DS_Store", "Thumbs.db", "subfolder"]), max_size=2, unique=True),
)


@st.composite
def mask_folders(draw) -> list:
    count = draw(mask_counts)
    if draw(st.booleans()):  # one kind of image for the whole folder, as a tool would write it
        return [draw(mask_images)] * count
    return draw(st.lists(mask_images, min_size=count, max_size=count))


@FUZZ
@given(images=mask_folders(), strays=stray_files, seed=st.integers(0, 2**32 - 1))
def test_random_mask_folder(media, images, strays, seed):
    rng = np.random.default_rng(seed)
    with workspace() as (inputs, outputs):
        video = inputs / "clip.mp4"
        video.write_bytes(media["index-last"].read_bytes())
        masks = inputs / "masks"
        masks.mkdir()
        for index, ((height, width), mode, file_format, content) in enumerate(images):
            image = random_image(rng, height, width, mode, file_format, content)
            image.save(masks / f"{index:03d}.{file_format}")
        for name in strays:
            if name == "subfolder":
                (masks / name).mkdir()
                (masks / name / "000.png").write_bytes(b"")
            else:
                (masks / name).write_bytes(rng.bytes(int(rng.integers(0, 64))))
        check_remove(inputs, video, masks, outputs / "out.mp4")


def random_image(rng: np.random.Generator, height: int, width: int, mode: str, file_format: str,
                 content: str) -> Image.Image:
    """An image in ``mode`` (or one ``file_format`` can hold): all zero, random noise, or a random box."""
    values = np.zeros((height, width), np.uint16)
    if content == "noise":
        values = rng.integers(0, 65536, (height, width), dtype=np.uint16)
    elif content == "box":
        top, left = rng.integers(0, height), rng.integers(0, width)
        values[top : top + max(1, height // 3), left : left + max(1, width // 3)] = rng.integers(1, 65536)
    if mode == "I;16":
        image = Image.fromarray(values)
    else:
        grey = (values >> 8).astype(np.uint8) | (values > 0).astype(np.uint8)  # non-zero stays non-zero
        image = Image.fromarray(grey).convert(mode)
    if file_format == "jpeg" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    if file_format == "bmp" and image.mode not in ("1", "L", "P", "RGB"):
        image = image.convert("RGB")
    return image
