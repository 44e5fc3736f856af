"""The studio's background jobs: a queue run by worker threads, its state kept in SQLite.

A job is a function ``run(job_dir, progress) -> dict`` (the dict is the job's result, JSON-encodable)
submitted under a kind ("masks", "preview", "remove").  ``progress(done, total)`` is the library's
progress callback; ``progress.phase("measuring")`` names what the job is doing now.

Jobs run one at a time by default: the fill uses every core it is given, and two fills at once on
a 2-core machine only make both slower.

Every state change is written to ``jobs.sqlite3`` in the work folder, so a restarted server still
lists every finished job with its result, and a job that was queued or running when the server
stopped is marked ``interrupted`` (its partial output is left alone; run it again).

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``; ``interrupted`` only
after a restart.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import VinpaintError

log = logging.getLogger(__name__)

JobFunction = Callable[[Path, "JobProgress"], dict]

FINAL_STATES = frozenset({"done", "failed", "cancelled", "interrupted"})
#: progress is written to the database at most this often (seconds); readers see it live in memory
_PROGRESS_WRITE_INTERVAL = 0.5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    clip_id TEXT,
    state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    phase TEXT,
    params TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL
)
"""


class JobCancelled(Exception):
    """Raised inside a job's progress callback when the job was cancelled."""


@dataclass
class Job:
    """One job's record, as stored."""

    id: str
    kind: str
    clip_id: str | None
    state: str
    done: int = 0
    total: int | None = None
    phase: str | None = None
    params: dict = field(default_factory=dict)
    result: dict | None = None
    error: str | None = None
    created: float = 0.0
    started: float | None = None
    finished: float | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "clip_id": self.clip_id, "state": self.state, "done": self.done,
            "total": self.total, "phase": self.phase, "params": self.params, "result": self.result, "error": self.error,
            "created": self.created, "started": self.started, "finished": self.finished,
        }


def _row_to_job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"], kind=row["kind"], clip_id=row["clip_id"], state=row["state"], done=row["done"],
        total=row["total"], phase=row["phase"], params=json.loads(row["params"] or "{}"),
        result=json.loads(row["result"]) if row["result"] else None, error=row["error"], created=row["created"],
        started=row["started"], finished=row["finished"],
    )


class JobQueue:
    """Background jobs run by ``workers`` threads, recorded in ``work_dir/jobs.sqlite3``.

    Args:
        work_dir: folder for the database and each job's folder ``jobs/<id>/``.
        workers: jobs that run at the same time (1: one fill at a time, the CPU budget of a laptop).

    Opening the queue marks every job the database holds as queued or running ``interrupted``: no
    thread of this process runs them.
    """

    def __init__(self, work_dir: str | Path, *, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.work_dir = Path(work_dir)
        self.jobs_dir = self.work_dir / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.work_dir / "jobs.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._functions: dict[str, JobFunction] = {}
        self._cancel: dict[str, threading.Event] = {}
        self._live: dict[str, tuple[int, int | None, str | None]] = {}  # progress not yet written
        self._queue: queue.Queue[str | None] = queue.Queue()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
            columns = {row["name"] for row in self._db.execute("PRAGMA table_info(jobs)")}
            if "phase" not in columns:  # a database of an earlier studio
                self._db.execute("ALTER TABLE jobs ADD COLUMN phase TEXT")
            stale = self._db.execute("SELECT id FROM jobs WHERE state IN ('queued', 'running')").fetchall()
            self._db.execute(
                "UPDATE jobs SET state='interrupted', finished=?, error=? WHERE state IN ('queued', 'running')",
                (time.time(), "the server stopped before this job finished; run it again"),
            )
        if stale:
            log.warning("%d job(s) were queued or running when the server stopped: marked interrupted", len(stale))
        self._threads = [
            threading.Thread(target=self._work, name=f"vinpaint-studio-job-{i}", daemon=True) for i in range(workers)
        ]
        self._closed = False
        for thread in self._threads:
            thread.start()

    # -- submitting and reading ------------------------------------------------------------------

    def submit(self, kind: str, function: JobFunction, *, clip_id: str | None = None, params: dict | None = None,
               total: int | None = None) -> Job:
        """Queue ``function`` as a new job and return its record (state ``queued``)."""
        if self._closed:
            raise RuntimeError("the job queue is closed")
        job = Job(id=uuid.uuid4().hex, kind=kind, clip_id=clip_id, state="queued", total=total,
                  params=dict(params or {}), created=time.time())
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, kind, clip_id, state, done, total, params, created)"
                " VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                (job.id, kind, clip_id, "queued", total, json.dumps(job.params), job.created),
            )
            self._functions[job.id] = function
            self._cancel[job.id] = threading.Event()
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        """The job ``job_id`` with its live progress, or None."""
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            live = self._live.get(job_id)
        if row is None:
            return None
        job = _row_to_job(row)
        if live is not None and job.state == "running":
            job.done, job.total, job.phase = live
        return job

    def list(self, *, clip_id: str | None = None, limit: int = 100) -> list[Job]:
        """Most recent jobs first (of one clip if ``clip_id``)."""
        with self._lock:
            if clip_id is None:
                rows = self._db.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM jobs WHERE clip_id=? ORDER BY created DESC LIMIT ?", (clip_id, limit)
                ).fetchall()
        return [self.get(row["id"]) or _row_to_job(row) for row in rows]

    def job_dir(self, job_id: str) -> Path:
        """The folder holding a job's files (created when the job starts)."""
        return self.jobs_dir / job_id

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job, or ask a running one to stop at its next progress report."""
        with self._lock:
            row = self._db.execute("SELECT state FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None:
                return None
            event = self._cancel.get(job_id)
            if row["state"] in ("queued", "running") and event is not None:
                event.set()
                if row["state"] == "queued":
                    self._finish(job_id, "cancelled", error="cancelled before it started")
        return self.get(job_id)

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """Block until the job reaches a final state or ``timeout`` seconds pass; return its record."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.state in FINAL_STATES or time.monotonic() >= deadline:
                return job
            time.sleep(0.05)

    def close(self, *, timeout: float = 5.0) -> None:
        """Stop the workers: queued jobs stay queued (and read ``interrupted`` after a restart),
        a running job is asked to stop and, if it does within ``timeout``, is marked interrupted."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            for event in self._cancel.values():
                event.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        with self._lock:
            self._db.execute(
                "UPDATE jobs SET state='interrupted', finished=?, error=? WHERE state IN ('queued', 'running')",
                (time.time(), "the server stopped before this job finished; run it again"),
            )
            self._db.close()

    # -- the workers -----------------------------------------------------------------------------

    def _report(self, job_id: str, done: int, total: int | None, phase: str | None, *, write: bool) -> None:
        with self._lock:
            self._live[job_id] = (done, total, phase)
            if write and not self._closed:
                self._db.execute("UPDATE jobs SET done=?, total=?, phase=? WHERE id=?", (done, total, phase, job_id))

    def _finish(self, job_id: str, state: str, *, result: dict | None = None, error: str | None = None) -> None:
        """Record a final state (the caller holds the lock)."""
        done, total, _ = self._live.pop(job_id, (None, None, None))
        self._db.execute(
            "UPDATE jobs SET state=?, result=?, error=?, finished=?, done=COALESCE(?, done), total=COALESCE(?, total),"
            " phase=NULL WHERE id=?",
            (state, json.dumps(result) if result is not None else None, error, time.time(), done, total, job_id),
        )
        self._functions.pop(job_id, None)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            with self._lock:
                function = self._functions.get(job_id)
                cancel = self._cancel.get(job_id)
                if function is None or cancel is None or cancel.is_set() or self._closed:
                    continue  # cancelled while queued, or shutting down
                self._db.execute("UPDATE jobs SET state='running', started=? WHERE id=?", (time.time(), job_id))
                self._live[job_id] = (0, None, None)
            self._run(job_id, function, cancel)

    def _run(self, job_id: str, function: JobFunction, cancel: threading.Event) -> None:
        progress = JobProgress(self, job_id, cancel)
        folder = self.job_dir(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            result = function(folder, progress)
        except JobCancelled:
            state, result, error = ("interrupted" if self._closed else "cancelled"), None, "cancelled"
        except VinpaintError as exc:
            log.warning("job %s failed: %s", job_id, exc)
            state, result, error = "failed", None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a job's failure is reported on the job, never kills the worker
            log.exception("job %s failed", job_id)
            state, result, error = "failed", None, f"{type(exc).__name__}: {exc}"
        else:
            state, error = "done", None
        with self._lock:
            if self._closed and state == "interrupted":
                self._functions.pop(job_id, None)
                return  # close() marks it
            try:
                self._finish(job_id, state, result=(result or {}) if state == "done" else None, error=error)
            except sqlite3.ProgrammingError:  # closed meanwhile
                pass
            self._cancel.pop(job_id, None)


class JobProgress:
    """The ``progress(done, total)`` callback handed to a job; raises :class:`JobCancelled` once cancelled.

    ``phase(name)`` names the job's current step ("tracking", "filling", "measuring"), shown with its
    progress.  Progress is kept in memory and written to the database at most every half second.
    """

    def __init__(self, queue: JobQueue, job_id: str, cancel: threading.Event) -> None:
        self._queue, self._job_id, self._cancel = queue, job_id, cancel
        self.done, self.total, self.name = 0, None, None
        self._last_write = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        if self._cancel.is_set():
            raise JobCancelled
        self.done, self.total = int(done), None if total is None else int(total)
        now = time.monotonic()
        write = now - self._last_write >= _PROGRESS_WRITE_INTERVAL
        if write:
            self._last_write = now
        self._queue._report(self._job_id, self.done, self.total, self.name, write=write)

    def phase(self, name: str, total: int | None = None) -> None:
        """Start a step called ``name``; with ``total``, progress restarts at 0 of ``total``."""
        self.name = name
        self._last_write = 0.0
        if total is None:
            self(self.done, self.total)
        else:
            self(0, total)
