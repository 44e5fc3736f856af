from fractions import Fraction

import numpy as np
import pytest

from tests.conftest import psnr
from tests.io.helpers import audio_packet_count, write_video
from vinpaint import remove_file
from vinpaint.errors import InputNotFoundError, OutputError, UnreadableInputError
from vinpaint.io import EncodeOptions, VideoInfo, check_output, encode_frames, open_video, open_writer, write_png
from vinpaint.io.readers import _apply_rotation
from vinpaint.io.writers import EXTENSIONS, written_by_vinpaint


def write_frames(path, frames, *, info=None, **options):
    info = info or VideoInfo(path, frames.shape[2], frames.shape[1], len(frames), Fraction(30), Fraction(1, 30))
    with open_writer(path, info, options=EncodeOptions(**options)) as writer:
        for index, frame in enumerate(frames):
            writer.write(frame, index)
    return path


@pytest.mark.parametrize("name", ["out.mkv", "frames", "out_lossless.mp4", "out_lossless.webm"])
def test_lossless_outputs_round_trip_bit_exact(tmp_path, small_clip, name):
    path = tmp_path / name
    write_frames(path, small_clip.frames, lossless=True)
    np.testing.assert_array_equal(open_video(path).read_all(), small_clip.frames)


@pytest.mark.parametrize("name", ["out.mp4", "out.webm", "out.mov"])
def test_lossy_outputs_keep_frame_count_and_quality(tmp_path, small_clip, name):
    path = write_frames(tmp_path / name, small_clip.frames)
    decoded = open_video(path).read_all()
    assert decoded.shape == small_clip.frames.shape
    assert psnr(decoded, small_clip.frames) > 24  # 4:2:0 chroma on a colourful noise texture costs the most


def test_odd_sized_video_is_written_and_read_at_its_size(tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (5, 25, 33, 3), dtype=np.uint8)
    source = open_video(write_frames(tmp_path / "odd.mp4", frames))
    assert (source.info.width, source.info.height, source.info.frame_count) == (33, 25, 5)


def test_ten_bit_source_is_read_as_eight_bit_rgb(tmp_path, small_clip):
    path = write_video(tmp_path / "ten.mkv", small_clip.frames, codec="ffv1", pix_fmt="yuv444p10le")
    decoded = open_video(path).read_all()
    assert decoded.dtype == np.uint8
    assert psnr(decoded, small_clip.frames) > 40


def test_folder_frames_are_read_in_natural_order(tmp_path):
    for index in (10, 2, 1):
        write_png(tmp_path / f"frame{index}.png", np.full((4, 6, 3), index, np.uint8))
    values = [frame.image[0, 0, 0] for frame in open_video(tmp_path)]
    assert values == [1, 2, 10]


def test_rotation_metadata_turns_frames_upright():
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = 255
    turned = _apply_rotation(image, 90)
    assert turned.shape == (3, 2, 3) and turned[2, 0, 0] == 255  # counter-clockwise quarter turn
    assert _apply_rotation(image, 0) is image


def test_missing_and_unreadable_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(InputNotFoundError):
        open_video(tmp_path / "missing.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(UnreadableInputError):
        open_video(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnreadableInputError, match="no images"):
        open_video(tmp_path / "empty")


def test_check_output_refuses_existing_input_unknown_and_unwritable(tmp_path):
    existing = encode_frames(np.zeros((2, 16, 16, 3), np.uint8), tmp_path / "a.mp4")
    with pytest.raises(OutputError, match="overwrite"):
        check_output(existing)
    assert check_output(existing, overwrite=True) == existing
    with pytest.raises(OutputError, match="is an input"):
        check_output(existing, inputs=(existing,), overwrite=True)
    with pytest.raises(OutputError, match="extension"):
        check_output(tmp_path / "a.xyz")
    with pytest.raises(OutputError, match="does not exist"):
        check_output(tmp_path / "nowhere" / "a.mp4")


def mask_folder(tmp_path, masks):
    folder = tmp_path / "masks"
    folder.mkdir()
    for index, mask in enumerate(masks):
        write_png(folder / f"{index:05d}.png", mask)
    return folder


def test_variable_frame_rate_timestamps_and_audio_are_kept(tmp_path, small_clip):
    pts = [0, 1, 2, 4, 5, 7, 8, 9, 12, 13, 14, 15, 17, 18, 19, 20]
    source = write_video(tmp_path / "vfr.mp4", small_clip.frames, pts=pts, time_base=Fraction(1, 30), audio=True)
    out = remove_file(source, mask_folder(tmp_path, small_clip.masks), tmp_path / "out.mp4")
    original = [f.pts for f in open_video(source)]
    written = [f.pts * open_video(out).info.time_base for f in open_video(out)]
    assert written == [p * open_video(source).info.time_base for p in original]
    assert audio_packet_count(out) == audio_packet_count(source) > 0


def test_audio_is_transcoded_where_the_container_cannot_hold_it(tmp_path, small_clip):
    source = write_video(tmp_path / "in.mp4", small_clip.frames, audio=True)
    out = remove_file(source, mask_folder(tmp_path, small_clip.masks), tmp_path / "out.webm")
    assert audio_packet_count(out) > 0
    assert open_video(out).info.frame_count == len(small_clip.frames)


def test_failed_run_leaves_no_output_or_temporary_file(tmp_path, small_clip):
    source = write_video(tmp_path / "in.mp4", small_clip.frames)
    masks = mask_folder(tmp_path, small_clip.masks)
    (masks / "00015.png").write_bytes(b"broken png")
    with pytest.raises(UnreadableInputError):
        remove_file(source, masks, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "masks"]


def test_overwrite_never_replaces_a_file_vinpaint_did_not_write(tmp_path):
    foreign = tmp_path / "theirs.mp4"
    foreign.write_bytes(b"someone's video")
    with pytest.raises(OutputError, match="not written by vinpaint"):
        check_output(foreign, overwrite=True)
    assert foreign.read_bytes() == b"someone's video"


def test_every_container_vinpaint_writes_carries_its_mark(tmp_path):
    frames = np.zeros((2, 16, 16, 3), np.uint8)
    for suffix in EXTENSIONS:
        assert written_by_vinpaint(encode_frames(frames, tmp_path / f"clip{suffix}")), suffix
