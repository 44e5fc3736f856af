import numpy as np
import pytest
from PIL import Image

from vinpaint.errors import MaskMismatchError, UnreadableInputError
from vinpaint.io import open_masks, write_png


def save_palette(path, labels):
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    image.save(path)


def test_palette_ids_select_objects(tmp_path):
    labels = np.zeros((8, 10), np.uint8)
    labels[1:3, 1:3], labels[5:7, 5:7] = 1, 3
    save_palette(tmp_path / "m.png", labels)
    assert open_masks(tmp_path / "m.png", 2, 8, 10).read_all()[0].sum() == 8
    only_three = open_masks(tmp_path / "m.png", 2, 8, 10, ids=[3]).read_all()
    assert only_three.shape == (2, 8, 10) and only_three[1].sum() == 4 and only_three[1, 5, 5]


def test_unknown_id_is_an_error_listing_the_ids_present(tmp_path):
    save_palette(tmp_path / "m.png", np.eye(8, 10, dtype=np.uint8) * 2)
    with pytest.raises(MaskMismatchError, match=r"\[7\].*\[2\]"):
        open_masks(tmp_path / "m.png", 1, 8, 10, ids=[7])


def test_rgba_masks_use_the_alpha_channel(tmp_path):
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[..., :3] = 255  # white everywhere, but transparent
    rgba[2:4, 2:4, 3] = 255
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "m.png")
    assert open_masks(tmp_path / "m.png", 1, 8, 10).read_all()[0].sum() == 4


def test_mask_of_another_size_with_the_same_aspect_is_resized(tmp_path):
    small = np.zeros((4, 5), bool)
    small[1, 1] = True
    write_png(tmp_path / "m.png", small)
    mask = open_masks(tmp_path / "m.png", 1, 8, 10).read_all()[0]
    assert mask.shape == (8, 10) and mask[2:4, 2:4].all() and mask.sum() == 4


def test_mask_with_another_aspect_ratio_is_an_error(tmp_path):
    write_png(tmp_path / "m.png", np.zeros((8, 8), bool))
    with pytest.raises(MaskMismatchError, match="aspect"):
        open_masks(tmp_path / "m.png", 1, 8, 10).read_all()


def test_mask_count_must_match_the_frame_count(tmp_path):
    for index in range(3):
        write_png(tmp_path / f"{index}.png", np.zeros((8, 10), bool))
    with pytest.raises(MaskMismatchError, match="3 frames, the video has 5"):
        open_masks(tmp_path, 5, 8, 10)


def test_mask_folder_with_other_files_is_an_error(tmp_path):
    write_png(tmp_path / "0.png", np.zeros((8, 10), bool))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UnreadableInputError, match="notes.txt"):
        open_masks(tmp_path, 1, 8, 10)


def test_jpeg_masks_are_thresholded_not_taken_as_non_zero(tmp_path):
    mask = np.zeros((16, 16, 3), np.uint8)
    mask[4:12, 4:12] = 255
    Image.fromarray(mask).save(tmp_path / "m.jpg", quality=60)
    read = open_masks(tmp_path / "m.jpg", 1, 16, 16).read_all()[0]
    assert abs(int(read.sum()) - 64) <= 8


def test_a_range_of_a_mask_folder_equals_the_same_frames_of_the_whole(tmp_path):
    rng = np.random.default_rng(0)
    masks = rng.random((9, 12, 16)) > 0.5
    for index, mask in enumerate(masks):
        write_png(tmp_path / f"{index:05d}.png", mask)
    source = open_masks(tmp_path, 9, 12, 16)
    assert np.array_equal(np.stack(list(source.frames(3, 6))), masks[3:7])


def test_a_range_of_one_mask_image_repeats_it(tmp_path):
    mask = np.zeros((12, 16), bool)
    mask[2:5, 3:9] = True
    write_png(tmp_path / "logo.png", mask)
    ranged = list(open_masks(tmp_path / "logo.png", 9, 12, 16).frames(5, 8))
    assert len(ranged) == 4 and all(np.array_equal(m, mask) for m in ranged)


def test_a_mask_folder_holding_other_files_is_never_replaced(tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.io.masks import write_mask_folder

    folder = tmp_path / "masks"
    folder.mkdir()
    (folder / "drawn-by-hand.png").write_bytes(b"not vinpaint's")
    with pytest.raises(OutputError, match="not written by vinpaint"):
        write_mask_folder(np.zeros((2, 8, 8), bool), folder, overwrite=True)
    assert (folder / "drawn-by-hand.png").read_bytes() == b"not vinpaint's"


def test_a_folder_of_the_users_own_numbered_masks_is_never_replaced(tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.io.masks import write_mask_folder

    folder = tmp_path / "masks"
    folder.mkdir()
    (folder / "00000.png").write_bytes(b"drawn by hand")  # named as vinpaint names masks, not marked as its own
    with pytest.raises(OutputError, match="not written by vinpaint"):
        write_mask_folder(np.zeros((2, 8, 8), bool), folder, overwrite=True)
    assert (folder / "00000.png").read_bytes() == b"drawn by hand"


def test_a_mask_folder_vinpaint_wrote_is_replaced_only_with_overwrite(tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.io.masks import write_mask_folder

    folder = write_mask_folder(np.ones((3, 8, 8), bool), tmp_path / "masks")
    with pytest.raises(OutputError, match="--overwrite"):
        write_mask_folder(np.zeros((2, 8, 8), bool), folder)
    write_mask_folder(np.zeros((2, 8, 8), bool), folder, overwrite=True)
    assert sorted(p.name for p in folder.glob("*.png")) == ["00000.png", "00001.png"]
    assert not open_masks(folder, 2, 8, 8).read_all().any()


def test_a_file_where_the_mask_folder_should_be_is_refused(tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.io.masks import write_mask_folder

    (tmp_path / "poster.png").write_bytes(b"mine")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_mask_folder(np.zeros((2, 8, 8), bool), tmp_path / "poster.png", overwrite=True)
    assert (tmp_path / "poster.png").read_bytes() == b"mine"


def test_a_mask_folder_named_like_an_image_is_refused(tmp_path):
    from vinpaint.errors import OutputError
    from vinpaint.io.masks import write_mask_folder

    with pytest.raises(OutputError, match="folder name"):
        write_mask_folder(np.zeros((2, 8, 8), bool), tmp_path / "logo.png")
    assert not (tmp_path / "logo.png").exists()
