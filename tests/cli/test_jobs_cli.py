"""The detector and job commands: ``vinpaint mask watermark|faces|text|damage`` and
``vinpaint watermark|anonymize|restore|background``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.masks.detectors.test_damage import add_damage
from tests.masks.detectors.test_faces import face_clip
from tests.masks.detectors.test_text import add_subtitle
from vinpaint.cli import main
from vinpaint.io import open_video, read_label_image, write_png
from vinpaint.testing.overlays import watermarked_clip
from vinpaint.testing.synthetic import make_panning_clip


def write_clip(folder: Path, frames: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        write_png(folder / f"{index:05d}.png", frame)
    return folder


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def read_masks(folder: Path) -> np.ndarray:
    return np.stack([read_label_image(p) > 0 for p in sorted(folder.glob("*.png"))])


@pytest.fixture(scope="module")
def panning():
    return make_panning_clip(frames=16, height=96, width=160, object_size=20)


def test_mask_watermark(tmp_path, panning):
    marked, truth = watermarked_clip(panning.frames)
    result = run("mask", "watermark", write_clip(tmp_path / "in", marked), "-o", tmp_path / "m", "--dilate", 0)
    assert result.exit_code == 0, result.output
    masks = read_masks(tmp_path / "m")
    assert masks.shape == marked.shape[:3]
    assert (masks[0] & truth).sum() / (masks[0] | truth).sum() >= 0.8


def test_mask_faces(tmp_path):
    frames, _ = face_clip(make_panning_clip(frames=6, height=144, width=240, object_size=4).frames)
    result = run("mask", "faces", write_clip(tmp_path / "in", frames), "-o", tmp_path / "m", "--shape", "rect")
    assert result.exit_code == 0, result.output
    assert "covered in 6 of 6 frames" in result.output
    assert read_masks(tmp_path / "m").any(axis=(1, 2)).all()


def test_mask_text(tmp_path):
    background = make_panning_clip(frames=4, height=160, width=320, object_size=4).frames
    frames = np.stack([add_subtitle(f, y=140)[0] for f in background])
    result = run("mask", "text", write_clip(tmp_path / "in", frames), "-o", tmp_path / "m", "--no-plates")
    assert result.exit_code == 0, result.output
    masks = read_masks(tmp_path / "m")
    assert masks[:, 130:140, 100:220].all()


def test_mask_damage(tmp_path, panning):
    damaged, truth = add_damage(panning.frames[:6], dropout=None)
    result = run("mask", "damage", write_clip(tmp_path / "in", damaged), "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert (read_masks(tmp_path / "m") & truth).sum() / truth.sum() >= 0.9


def test_watermark_job(tmp_path, panning):
    marked, truth = watermarked_clip(panning.frames)
    result = run("watermark", write_clip(tmp_path / "in", marked), "-o", tmp_path / "out", "-q", "--save-mask", tmp_path / "logo.png")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("*.png"))) == len(marked)
    assert read_label_image(tmp_path / "logo.png").astype(bool)[truth].mean() > 0.9


def test_anonymize_job(tmp_path):
    frames, _ = face_clip(make_panning_clip(frames=4, height=144, width=240, object_size=4).frames)
    result = run("anonymize", write_clip(tmp_path / "in", frames), "-o", tmp_path / "out.mp4", "--faces",
                 "--method", "pixelate", "-q")
    assert result.exit_code == 0, result.output
    assert open_video(tmp_path / "out.mp4").info.frame_count == 4
    assert "masked 4 frames" in result.output


def test_restore_job(tmp_path, panning):
    damaged, _ = add_damage(panning.frames[:6], dropout=None)
    result = run("restore", write_clip(tmp_path / "in", damaged), "-o", tmp_path / "out", "-q", "--save-masks", tmp_path / "m")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "m").glob("*.png"))) == 6


def test_background_job(tmp_path, panning):
    source = write_clip(tmp_path / "in", panning.frames[:4])
    subject = write_clip(tmp_path / "s", panning.masks[:4].astype(np.uint8) * 255)
    result = run("background", source, "--subject", subject, "--with", "0,0,255", "-o", tmp_path / "out", "-q", "--feather", 0)
    assert result.exit_code == 0, result.output
    out = open_video(tmp_path / "out").read_all()
    assert (out[~panning.masks[:4]] == (0, 0, 255)).all()


@pytest.mark.parametrize("args, message", [
    (["background", "{in}", "--subject", "{s}", "--with", "not-a-colour", "-o", "{tmp}/o"], "not an existing image or video"),
    (["anonymize", "{tmp}/missing.mp4", "-o", "{tmp}/o.mp4"], "input not found"),
    (["watermark", "{in}", "-o", "{tmp}/o.xyz"], "unknown output extension"),
    (["mask", "faces", "{in}", "-o", "{tmp}/m", "--keep", "0.9"], "--keep (0.9) must not exceed --confidence"),
    (["mask", "text", "{in}", "-o", "{tmp}/m", "--no-plates", "--no-text"], "leave nothing to find"),
    (["mask", "damage", "{in}", "-o", "{tmp}/m", "--frames", "40-50"], "outside the clip"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, panning, args, message):
    source = write_clip(tmp_path / "in", panning.frames[:4])
    subject = write_clip(tmp_path / "s", panning.masks[:4].astype(np.uint8) * 255)
    filled = [a.format(**{"in": source, "s": subject, "tmp": tmp_path}) for a in args]
    result = run(*filled)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_choice_is_rejected_by_click(tmp_path, panning):
    result = run("anonymize", write_clip(tmp_path / "in", panning.frames[:2]), "-o", tmp_path / "o", "--method", "smudge")
    assert result.exit_code == 2
    assert "smudge" in result.output
