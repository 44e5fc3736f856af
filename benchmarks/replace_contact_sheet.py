"""Contact sheet of ``vinpaint replace`` on a real clip: the ASVZ sign on the tennis clip's banner swapped for a picture.

The sign alone (45x24 px) is too small to track through the player passing in front of it and the fast pan
(its track is lost by frame 8); the banner around it is tracked instead (``--region``) and the picture goes on
the sign (``--target``).

Run: ``python benchmarks/replace_contact_sheet.py [../shared/data] [docs/img/replace-tennis.png]``.  Prints the
track's ECC scores, the measured gains and the share of changed pixels, and checks that every pixel outside the
changed region is the input's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from vinpaint.io import read_frames
from vinpaint.recipes import replace_with_details

#: on frame 0 (x, y), read off the frame: the banner's visible part (the plane tracked) and the ASVZ sign on it
BANNER = np.array([[0, 0], [138, 0], [138, 96], [0, 96]], float)
SIGN = np.array([[77, 63], [122, 63], [122, 87], [77, 87]], float)
SHOWN = (0, 9, 20, 40)


def make_sign(height: int = 96, width: int = 180) -> np.ndarray:
    """A white-on-orange sign reading "vinpaint", ``(h,w,3)`` uint8."""
    sign = np.zeros((height, width, 3), np.uint8)
    sign[:] = (235, 120, 20)
    cv2.rectangle(sign, (6, 6), (width - 7, height - 7), (255, 255, 255), 5)
    cv2.putText(sign, "vinpaint", (22, height // 2 + 12), cv2.FONT_HERSHEY_DUPLEX, 1.1, (255, 255, 255), 2, cv2.LINE_AA)
    return sign


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    output = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parents[1] / "docs" / "img" / "replace-tennis.png"
    frames = read_frames(data / "tennis" / "frames", 0, 69)
    start = time.perf_counter()
    result = replace_with_details(frames, BANNER, make_sign(), target=SIGN)
    seconds = time.perf_counter() - start
    outside = ~result.changed
    assert (result.frames[outside] == frames[outside]).all()
    scores = result.track.scores
    print(f"{len(frames)} frames in {seconds:.1f} s; ECC score min {np.nanmin(scores):.3f} mean {np.nanmean(scores):.3f}, "
          f"{int(np.isnan(scores).sum())} frames kept the prediction")
    print(f"gain (mean of channels) min {result.gains.mean(axis=1).min():.3f} max {result.gains.mean(axis=1).max():.3f}; "
          f"changed {100 * result.changed.mean():.2f}% of the pixels, occluders in frames {np.flatnonzero(result.occluders.any(axis=(1, 2))).tolist()}")
    rows = [np.concatenate([frames[t], result.frames[t]], axis=1) for t in SHOWN]
    sheet = np.concatenate(rows, axis=0)
    for row, t in enumerate(SHOWN):
        cv2.putText(sheet, f"frame {t}", (6, row * frames.shape[1] + 230), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                    cv2.LINE_AA)
    output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(output, optimize=True)
    print(output)


if __name__ == "__main__":
    main()
