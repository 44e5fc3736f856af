"""The bench on a tiny synthetic data folder (and, marked slow, the case list over ../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import vinpaint
from vinpaint.bench import suite as bench
from vinpaint.errors import InputNotFoundError, InvalidOptionError
from vinpaint.io import write_png
from vinpaint.testing.synthetic import make_panning_clip


def write_clip(folder: Path, frames: np.ndarray, masks: np.ndarray | None) -> None:
    (folder / "frames").mkdir(parents=True)
    for t, frame in enumerate(frames):
        write_png(folder / "frames" / f"{t:05d}.png", frame)
    if masks is not None:
        (folder / "masks").mkdir()
        for t, mask in enumerate(masks):
            cv2.imwrite(str(folder / "masks" / f"{t:05d}.png"), mask.astype(np.uint8) * 255)


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory) -> Path:
    """Three clips: two with object masks (different sizes), one clean; 10-12 frames each."""
    root = tmp_path_factory.mktemp("data")
    a = make_panning_clip(frames=12, height=48, width=64, object_size=12, seed=1)
    b = make_panning_clip(frames=10, height=60, width=80, object_size=14, seed=2)
    c = make_panning_clip(frames=12, height=48, width=64, object_size=12, seed=3)
    write_clip(root / "alpha", a.frames, a.masks)
    write_clip(root / "beta", b.frames, b.masks)
    write_clip(root / "clean", c.background, None)
    return root


def test_discover_clips_finds_frames_and_masks(data_folder):
    clips = bench.discover_clips(data_folder)
    assert [c.name for c in clips] == ["alpha", "beta", "clean"]
    assert clips[2].masks is None and clips[0].masks is not None


def test_a_missing_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InputNotFoundError, match="data folder not found"):
        bench.discover_clips(tmp_path / "nope")


def test_every_donor_lends_its_masks_to_another_clip(data_folder):
    pairs = bench.completion_pairs(bench.discover_clips(data_folder), ["alpha", "beta"], max_cases=2)
    assert {donor for donor, _ in pairs} == {"alpha", "beta"}
    assert all(donor != target for donor, target in pairs)
    assert pairs[0] == ("alpha", "clean")  # clean footage is the first target


def test_completion_case_is_grey_inside_the_hole_and_the_truth_outside(data_folder):
    cases = bench.build_cases(data_folder, max_cases=2, removal=False, paste=False)
    case = next(c for c in cases if c.name == "beta>alpha")
    assert case.kind == "completion" and len(case.frames) == 10  # trimmed to the donor's 10 masks
    assert case.frames.shape == case.truth.shape == (10, 48, 64, 3)
    assert (case.frames[case.masks] == bench.GREY).all()
    np.testing.assert_array_equal(case.frames[~case.masks], case.truth[~case.masks])


def test_completion_hole_is_the_donor_mask_resized_and_dilated():
    frames = np.zeros((3, 40, 40, 3), np.uint8)
    donor = np.zeros((3, 20, 20), bool)
    donor[:, 10, 10] = True
    case = bench.make_completion_case("x", frames, donor, hole_dilate=3)
    # the pixel becomes the 2x2 block at rows/cols 20-21, grown by 3 px
    assert case.masks[0, 20, 20] and case.masks[0, 24, 21] and case.masks[0, 21, 17]
    assert not case.masks[0, 25, 21] and not case.masks[0, 21, 16] and not case.masks[0, 10, 10]


def test_removal_cases_are_the_clips_with_their_own_masks(data_folder):
    cases = bench.build_cases(data_folder, max_cases=2, paste=False)
    removal = [c for c in cases if c.kind == "removal"]
    assert [c.clip for c in removal] == ["alpha", "beta"]
    assert all(c.truth is None for c in removal)


def test_telea_baseline_equals_the_perframe_engine(data_folder):
    case = bench.build_cases(data_folder, max_cases=1, removal=False, paste=False)[0]
    expected = vinpaint.remove(case.frames, case.masks, engine="perframe", dilate=0)
    np.testing.assert_array_equal(bench.telea_baseline(case.frames, case.masks), expected)


@pytest.fixture(scope="module")
def bench_run(data_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-out")
    cases = bench.build_cases(data_folder, max_cases=2, max_frames=8, paste=False)
    variants = {"propagate": vinpaint.RemoveOptions(engine="propagate"), "ns": bench.parse_variant("perframe:fill=ns")[1]}
    return bench.run_bench(cases, variants, out=out), out


def test_bench_runs_every_variant_and_the_baseline_on_every_case(bench_run):
    result, _ = bench_run
    assert len(result.cases) == 4
    assert result.engines() == ["telea", "propagate", "ns"]
    assert len(result.runs) == 4 * 3
    for run in result.runs:
        assert run.seconds > 0 and run.frames == 8
        assert run.report.changed_outside == 0  # every engine keeps the pixels outside the hole


def test_bench_comparison_is_the_difference_of_the_reports(bench_run):
    result, _ = bench_run
    comparison = result.comparisons()["propagate"]
    name = "alpha>clean"
    gain = result.get(name, "propagate").report.psnr - result.get(name, "telea").report.psnr
    assert comparison["completion"][name]["psnr_gain"] == pytest.approx(gain)
    assert "issue2: PSNR gain >= 2 dB on average" in comparison["checks"]


def test_propagate_beats_telea_on_synthetic_pans(bench_run):
    result, _ = bench_run
    gains = result.comparisons()["propagate"]["summary"]
    assert gains["psnr_gain_mean"] > 1.0
    assert gains["ewarp_hole_ratio_mean"] < 1.0


def test_bench_writes_table_json_plots_and_sheets(bench_run):
    result, out = bench_run
    table = (out / "bench.md").read_text()
    assert "| alpha>clean |" in table and "propagate against telea" in table
    data = json.loads((out / "bench.json").read_text())
    assert {run["engine"] for run in data["runs"]} == {"telea", "propagate", "ns"}
    assert "per_frame" in data["runs"][0]["metrics"]
    for case in result.cases:
        slug = bench._slug(case["name"])
        assert (out / "plots" / f"{slug}.png").stat().st_size > 1000
        sheet = vinpaint.io.read_image(out / "sheets" / f"{slug}.png")
        columns = 5 if case["kind"] == "completion" else 4  # input, telea, propagate, ns (, truth)
        assert sheet.shape[1] == columns * (288 + 2)


def test_parse_variant_splits_pipeline_and_engine_options():
    name, options = bench.parse_variant("pb=propagate:fill=fsr,blend=poisson,max_keyframes=3")
    assert name == "pb" and options.engine == "propagate"
    assert options.blend == "poisson" and options.dilate == 0
    assert options.engine_options == {"fill": "fsr", "max_keyframes": 3}
    assert list(bench.parse_variants(["propagate;perframe"])) == ["propagate", "perframe"]


@pytest.mark.parametrize("spec", ["x=propagate:fill", "x=propagate:nope=1", "x=noengine"])
def test_bad_variants_are_option_errors(spec):
    with pytest.raises((InvalidOptionError, vinpaint.UnknownPluginError)):
        bench.parse_variant(spec)


def test_measure_speed_times_remove_file_on_an_mp4(tmp_path):
    clip = make_panning_clip(frames=6, height=48, width=64, object_size=12)
    rows = bench.measure_speed(clip.frames, clip.masks, {"propagate": vinpaint.RemoveOptions()}, tmp_path)
    assert [r["engine"] for r in rows] == ["telea", "propagate"]
    assert all(r["frames"] == 6 and r["fps"] > 0 for r in rows)
    assert len(vinpaint.open_video(tmp_path / "propagate-64x48.mp4").read_all()) == 6


def test_json_is_strict_with_infinite_psnr():
    assert json.loads(bench.to_json({"psnr": float("inf"), "x": float("nan")})) == {"psnr": "inf", "x": None}


@pytest.mark.slow
def test_shared_data_cases_lend_every_full_mask_set(shared_data):
    cases = bench.build_cases(shared_data, quick=True)
    completion = [c for c in cases if c.kind == "completion"]
    assert {c.mask_clip for c in completion} == {"bmx-trees", "schoolgirls", "tennis"}
    assert all(c.clip != c.mask_clip for c in completion)
    assert all(len(c.frames) <= bench.QUICK_MAX_FRAMES for c in cases)


def test_paste_keeps_the_background_where_alpha_is_zero_and_the_object_inside_its_mask():
    background = np.full((2, 40, 60, 3), 200, np.uint8)
    objects = np.zeros((2, 20, 30, 3), np.uint8)
    masks = np.zeros((2, 20, 30), bool)
    masks[:, 5:10, 5:10] = True  # resized x2: rows/cols 10-19 of the 40x60 frame
    pasted, mask, affected = bench.paste_object(background, objects, masks, fringe=3)
    assert mask[0, 10, 10] and mask[0, 19, 19] and not mask[0, 20, 20]
    assert (pasted[mask] == 0).all()  # alpha 1 inside the binary mask
    assert 0 < pasted[0, 21, 15, 0] < 200  # the fringe: object colour past the mask
    assert (pasted[0, 30:] == 200).all() and not affected[0, 30:].any()
    np.testing.assert_array_equal(affected, (pasted != background).any(-1))


def test_a_paste_shadow_darkens_the_background_below_and_right_of_the_object():
    background = np.full((1, 100, 100, 3), 200, np.uint8)
    masks = np.zeros((1, 100, 100), bool)
    masks[0, 30:50, 30:50] = True
    plain = bench.paste_object(background, np.zeros_like(background), masks)[0]
    shadowed = bench.paste_object(background, np.zeros_like(background), masks, shadow=True)[0]
    assert shadowed[0, 54, 54, 0] < plain[0, 54, 54, 0] - 40  # 6 px down and right, under the shadow
    assert shadowed[0, 20, 20, 0] == plain[0, 20, 20, 0] == 200  # above and left: untouched


def test_paste_pairs_use_every_object_and_background_without_repeats():
    pairs = bench.paste_pairs(["a", "b", "c"], ["x", "y"], max_cases=4)
    assert pairs == [("a", "x"), ("b", "y"), ("c", "x"), ("a", "y")]


def test_paste_cases_put_objects_over_clean_clips_with_the_truth_and_default_growth(data_folder):
    cases = bench.build_cases(data_folder, completion=False, removal=False)
    assert [c.name for c in cases] == ["paste alpha>clean 64x48", "paste alpha>clean 64x48 +shadow",
                                       "paste beta>clean 80x60"]
    case = cases[2]
    assert case.kind == "paste" and case.frames.shape == case.truth.shape == (10, 60, 80, 3)  # object's size
    assert case.dilate == vinpaint.RemoveOptions().dilate
    np.testing.assert_array_equal(case.frames[~case.affected], case.truth[~case.affected])
    assert case.masks.any() and (case.affected | ~case.masks).all()


def test_paste_runs_score_the_affected_region_against_telea(data_folder):
    cases = bench.build_cases(data_folder, completion=False, removal=False, max_frames=8)[:1]
    result = bench.run_bench(cases, {"propagate": vinpaint.RemoveOptions()})
    telea, mine = (result.get(cases[0].name, e) for e in ("telea", "propagate"))
    assert telea.extra["psnr_affected"] == pytest.approx(
        bench.psnr(bench.telea_baseline(cases[0].frames, bench.dilate_mask(cases[0].masks, 4)),
                   cases[0].truth, cases[0].affected))
    comparison = result.comparisons()["propagate"]["paste"][cases[0].name]
    assert comparison["psnr_affected_gain"] == pytest.approx(mine.extra["psnr_affected"] - telea.extra["psnr_affected"])
    assert comparison["psnr_affected_gain"] > 1.0  # a panning texture: propagation finds the truth
    assert "| paste alpha>clean 64x48 |" in bench.markdown_table(result)


@pytest.mark.slow
def test_shared_data_paste_cases_cover_both_sizes_and_every_object(shared_data):
    cases = bench.build_cases(shared_data, completion=False, removal=False, max_frames=4)
    plain = [c for c in cases if not c.name.endswith("+shadow")]
    assert len(plain) >= 4 and len(cases) == len(plain) + 1
    assert {c.size for c in plain} == {"432x240", "854x480"}
    assert {c.mask_clip for c in plain} == {"bmx-trees", "schoolgirls", "tennis"}
    assert {c.clip for c in plain} == {"bear", "paragliding"}
