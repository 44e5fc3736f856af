"""``vinpaint eval`` and ``vinpaint bench`` on small synthetic clips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import vinpaint
from vinpaint.bench import suite as bench
from vinpaint.cli import main
from vinpaint.io import write_png
from vinpaint.testing.synthetic import make_panning_clip

REQUIRED = ("psnr", "ssim", "psnr_hole", "ssim_hole", "ewarp", "ewarp_hole", "flicker_hole", "boundary", "sharpness",
            "changed_outside", "q", "frames", "per_frame")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_frames(folder: Path, images: np.ndarray) -> Path:
    folder.mkdir(parents=True)
    for index, image in enumerate(images):
        write_png(folder / f"{index:05d}.png", image)
    return folder


@pytest.fixture(scope="module")
def case_files(tmp_path_factory):
    """A completion case (a square's hole over a panning texture) as PNG folders."""
    root = tmp_path_factory.mktemp("case")
    clip = make_panning_clip(frames=12, height=64, width=96, object_size=16, seed=4)
    case = bench.make_completion_case("synthetic", clip.background, clip.masks)
    return case, write_frames(root / "input", case.frames), write_frames(root / "masks", case.masks), \
        write_frames(root / "truth", case.truth), root


def test_eval_of_remove_output_agrees_with_the_bench(case_files):
    case, inputs, masks, truth, root = case_files
    out = root / "out"
    removed = run("remove", inputs, "--mask", masks, "-o", out, "--dilate", 0, "-q")
    assert removed.exit_code == 0, removed.output
    result = run("eval", out, "--mask", masks, "--truth", truth, "--original", inputs, "--dilate", 0,
                 "--json", root / "eval.json")
    assert result.exit_code == 0, result.output
    data = json.loads((root / "eval.json").read_text())
    expected = bench.run_case(case, {"propagate": vinpaint.RemoveOptions()}, baseline=False)[0].report
    for key in ("psnr", "ssim", "psnr_hole", "ssim_hole", "ewarp", "ewarp_hole", "flicker_hole", "sharpness"):
        assert data[key] == pytest.approx(getattr(expected, key), rel=1e-9), key
    assert data["changed_outside"] == expected.changed_outside == 0


def test_eval_prints_a_table_and_writes_every_key(case_files):
    case, inputs, masks, truth, root = case_files
    result = run("eval", truth, "--mask", masks, "--truth", truth, "--dilate", 0, "--json", root / "same.json")
    assert result.exit_code == 0, result.output
    assert "PSNR inside the hole (dB) [psnr_hole]" in result.output and "inf" in result.output
    data = json.loads((root / "same.json").read_text())
    assert all(key in data for key in REQUIRED)
    assert data["psnr"] == "inf" and data["changed_outside"] == 0
    assert len(data["per_frame"]["ssim_hole"]) == 12 and len(data["per_frame"]["ewarp_hole"]) == 11


def test_eval_without_truth_reports_no_truth_metrics(case_files):
    _, inputs, masks, _, root = case_files
    result = run("eval", inputs, "--mask", masks, "--json", root / "notruth.json", "--plot", root / "curves.png")
    assert result.exit_code == 0, result.output
    data = json.loads((root / "notruth.json").read_text())
    assert data["psnr"] is None and data["changed_outside"] is None
    assert data["flicker_hole"] is not None and data["q"] is not None
    assert (root / "curves.png").stat().st_size > 1000


def test_eval_of_a_missing_result_is_one_error_line(tmp_path, case_files):
    _, _, masks, _, _ = case_files
    result = run("eval", tmp_path / "nope.mp4", "--mask", masks)
    assert result.exit_code == 2
    assert result.output.startswith("error:") and "Traceback" not in result.output


def test_eval_with_a_truth_of_other_length_says_both_counts(tmp_path, case_files):
    case, inputs, masks, _, _ = case_files
    short = write_frames(tmp_path / "short", case.truth[:5])
    result = run("eval", inputs, "--mask", masks, "--truth", short)
    assert result.exit_code == 2
    assert "5 frames" in result.output and "12" in result.output


def test_bench_command_on_a_tiny_folder_writes_its_table(tmp_path):
    data = tmp_path / "data"
    for name, seed, with_masks in (("one", 1, True), ("two", 2, False)):
        clip = make_panning_clip(frames=6, height=48, width=64, object_size=12, seed=seed)
        write_frames(data / name / "frames", clip.frames if with_masks else clip.background)
        if with_masks:
            write_frames(data / name / "masks", clip.masks)
    out = tmp_path / "out"
    result = run("bench", "--data", data, "--engines", "propagate", "--out", out, "--no-speed", "-q")
    assert result.exit_code == 0, result.output
    assert "| one>two |" in result.output and "| one (removal) |" in result.output
    assert (out / "bench.md").exists() and (out / "sheets" / "one_two.png").exists()


def test_bench_command_with_a_missing_data_folder_is_one_error_line(tmp_path):
    result = run("bench", "--data", tmp_path / "nope", "--no-speed", "-q")
    assert result.exit_code == 2 and "data folder not found" in result.output


@pytest.mark.parametrize("option, target, message", [
    ("--json", "mine.json", "not written by vinpaint"),
    ("--plot", "masks/00003.png", "input folder"),
    ("--plot", "plot.txt", "must be a .png"),
    ("--json", "nowhere/eval.json", "does not exist"),
])
def test_eval_refuses_a_report_path_it_may_not_write_before_measuring(case_files, monkeypatch, option, target,
                                                                      message):
    _, inputs, masks, truth, root = case_files
    (root / "mine.json").write_text('{"my": "notes"}')
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}

    def no_measuring(*args, **kwargs):
        raise AssertionError("measured before the report path was checked")

    monkeypatch.setattr(bench, "evaluate_files", no_measuring)
    result = run("eval", truth, "--mask", masks, "--truth", truth, option, root / target)
    assert result.exit_code == 2 and message in result.output, result.output
    assert {path: path.read_bytes() for path in root.rglob("*") if path.is_file()} == before


def test_eval_replaces_its_own_report_only_with_overwrite(case_files, tmp_path):
    _, inputs, masks, truth, _ = case_files
    args = ["eval", truth, "--mask", masks, "--truth", truth, "--json", tmp_path / "e.json", "--plot", tmp_path / "e.png"]
    assert run(*args).exit_code == 0
    again = run(*args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert run(*args, "--overwrite").exit_code == 0, "its own report and plot are replaced"
