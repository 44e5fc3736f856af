"""Progress bars for the CLI (the library only calls a callback)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(description: str, *, quiet: bool) -> Iterator:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr (frames, fps, ETA)."""
    if quiet:
        yield None
        return
    bar = tqdm(desc=description, unit="frame", dynamic_ncols=True, leave=True)

    def update(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()
