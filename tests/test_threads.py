"""vinpaint.threads: the one helper that spreads independent work over threads."""

import threading

import pytest

from vinpaint.threads import MOST_THREADS, map_threads, thread_count


@pytest.mark.parametrize("threads", [1, 3])
def test_results_come_in_the_items_order(threads):
    assert list(map_threads(lambda x: x * x, range(20), threads)) == [x * x for x in range(20)]


def test_one_thread_runs_in_the_callers_thread():
    caller = threading.get_ident()
    assert set(map_threads(lambda _: threading.get_ident(), range(5), 1)) == {caller}


def test_more_threads_run_off_the_callers_thread():
    caller = threading.get_ident()
    assert caller not in set(map_threads(lambda _: threading.get_ident(), range(5), 2))


def test_zero_means_the_machines_cores_up_to_a_cap(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert thread_count(0) == MOST_THREADS
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert thread_count(0) == 1
    assert thread_count(3) == 3
