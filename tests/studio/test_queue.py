"""The studio's job queue: order, results, failures, cancelling, and what a restart keeps."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from vinpaint.errors import InvalidOptionError
from vinpaint.studio.queue import JobQueue


@pytest.fixture()
def jobs(tmp_path):
    queue = JobQueue(tmp_path)
    yield queue
    queue.close()


def test_job_runs_and_keeps_its_result_and_progress(jobs):
    def run(folder, progress):
        (folder / "out.txt").write_text("hi")
        for done in range(1, 5):
            progress(done, 4)
        return {"answer": 42}

    job = jobs.wait(jobs.submit("test", run, clip_id="c", params={"a": 1}).id, timeout=10)
    assert (job.state, job.result, job.done, job.total, job.params) == ("done", {"answer": 42}, 4, 4, {"a": 1})
    assert (jobs.job_dir(job.id) / "out.txt").read_text() == "hi"


def test_jobs_run_one_at_a_time_in_order(jobs):
    log = []
    running = []

    def make(name):
        def run(folder, progress):
            running.append(name)
            assert len(running) == 1, "two jobs ran at once"
            time.sleep(0.05)
            log.append(name)
            running.remove(name)
            return {}
        return run

    ids = [jobs.submit("test", make(name)).id for name in "abc"]
    assert [jobs.wait(i, timeout=10).state for i in ids] == ["done"] * 3
    assert log == ["a", "b", "c"]


def test_library_error_fails_the_job_with_its_message(jobs):
    def run(folder, progress):
        raise InvalidOptionError("dilate must be >= 0 pixels, got -1")

    job = jobs.wait(jobs.submit("test", run).id, timeout=10)
    assert (job.state, job.error) == ("failed", "dilate must be >= 0 pixels, got -1")


def test_cancel_stops_a_running_job_and_skips_a_queued_one(jobs):
    started = threading.Event()

    def slow(folder, progress):
        started.set()
        for done in range(1000):
            progress(done, 1000)
            time.sleep(0.01)
        return {}

    ran = []
    running = jobs.submit("test", slow)
    queued = jobs.submit("test", lambda folder, progress: ran.append(1) or {})
    assert started.wait(10)
    assert jobs.cancel(queued.id).state == "cancelled"
    jobs.cancel(running.id)
    assert jobs.wait(running.id, timeout=10).state == "cancelled"
    time.sleep(0.1)
    assert ran == [] and jobs.get(queued.id).state == "cancelled"


def test_restart_keeps_finished_jobs_and_marks_unfinished_interrupted(tmp_path):
    first = JobQueue(tmp_path)
    done = first.wait(first.submit("remove", lambda folder, progress: {"video": "result.mp4"}).id, timeout=10)
    first.close()
    # a server killed mid-job leaves rows that say running and queued
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
        db.execute("INSERT INTO jobs (id, kind, state, created) VALUES ('r', 'remove', 'running', 1)")
        db.execute("INSERT INTO jobs (id, kind, state, created) VALUES ('q', 'preview', 'queued', 2)")
    second = JobQueue(tmp_path)
    try:
        assert second.get(done.id).state == "done" and second.get(done.id).result == {"video": "result.mp4"}
        for job_id in ("r", "q"):
            job = second.get(job_id)
            assert job.state == "interrupted" and "run it again" in job.error
    finally:
        second.close()


def test_closing_interrupts_the_running_job(tmp_path):
    queue = JobQueue(tmp_path)
    started = threading.Event()

    def slow(folder, progress):
        started.set()
        while True:
            progress(0, 1)
            time.sleep(0.01)

    job = queue.submit("test", slow)
    assert started.wait(10)
    queue.close()
    reopened = JobQueue(tmp_path)
    try:
        assert reopened.get(job.id).state == "interrupted"
    finally:
        reopened.close()


def test_phase_is_shown_while_running_and_cleared_when_done(jobs):
    seen = threading.Event()
    release = threading.Event()

    def run(folder, progress):
        progress.phase("filling", 3)
        progress(1, 3)
        progress.phase("measuring")
        seen.set()
        release.wait(10)
        return {}

    job = jobs.submit("test", run)
    assert seen.wait(10)
    running = jobs.get(job.id)
    assert (running.phase, running.done, running.total) == ("measuring", 1, 3)
    release.set()
    assert jobs.wait(job.id, timeout=10).phase is None
