"""Progress bars for the CLI (the library only calls a callback)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(description: str, *, quiet: bool, unit: str = "frame") -> Iterator:
    """A ``progress(done, total)`` callback drawing a tqdm bar on stderr (units done, their rate, ETA).

    The bar is created at the first call, not before: the library calls back only once its input,
    options and output have been checked, so an error is never preceded by an empty bar.  The total
    comes with that first call; a stream of unknown length says so in the bar's description.
    """
    if quiet:
        yield None
        return
    bar = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            label = description if total is not None else f"{description} (frame count unknown)"
            bar = tqdm(desc=label, total=total, unit=unit, dynamic_ncols=True, leave=True)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
