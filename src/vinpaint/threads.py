"""Work spread over threads: the kernels vinpaint runs (OpenCV, NumPy, SciPy's solvers, its numba
kernels compiled with ``nogil``) release the GIL, so threads use every core without copying arrays
to other processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

#: threads used when asked for "as many as the machine has": beyond this the memory bandwidth, not the
#: cores, sets the pace of the array work
MOST_THREADS = 4


def thread_count(threads: int = 0) -> int:
    """``threads``, or for 0 the machine's cores up to :data:`MOST_THREADS`."""
    return threads if threads > 0 else min(os.cpu_count() or 1, MOST_THREADS)


def map_threads(function: Callable, items: Iterable, threads: int = 0) -> Iterator:
    """``map(function, items)`` on ``threads`` threads (0 = :func:`thread_count`), results in order; in
    this thread if one."""
    threads = thread_count(threads)
    if threads == 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(threads) as pool:
        yield from pool.map(function, items)
