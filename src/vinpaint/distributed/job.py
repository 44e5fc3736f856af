"""The job folder: ``OUTPUT.vinpaint-job/`` holds a manifest of chunks and their states, and the segments.

``manifest.json`` names the run (input, mask, output, options: its *signature*) and lists the chunks
(:class:`vinpaint.distributed.plan.Chunk`) with a state each, ``pending`` or ``done``.  Only the process
that runs the job writes it, by writing a temporary file and renaming it, so a run killed at any moment
(SIGKILL included) leaves either the old manifest or the new one.  Segments are written the same way
by the workers (:mod:`vinpaint.io.writers` writes a temporary file and renames it), so a segment the
manifest calls done is whole.  Rerunning the same command finds the manifest and does only the chunks
that are not done; a manifest of another run (other input, mask or options) is an error, not reused.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConflictError, OutputError
from .plan import Chunk

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SEGMENTS = "segments"
FORMAT_VERSION = 1


def job_folder(output: str | Path) -> Path:
    """``OUTPUT.vinpaint-job`` beside the output."""
    output = Path(output)
    return output.with_name(output.name + ".vinpaint-job")


@dataclass
class Job:
    """A job folder's manifest in memory: the run's ``signature``, its chunks, which are done, and extras
    (``cuts``, frame timestamps) that the planning found."""

    folder: Path
    signature: dict
    chunks: list[Chunk]
    done: set[int] = field(default_factory=set)
    extra: dict = field(default_factory=dict)

    def segment(self, chunk: Chunk, suffix: str) -> Path:
        """Where ``chunk``'s segment is written."""
        return self.folder / SEGMENTS / f"{chunk.index:05d}{suffix}"

    def mark_done(self, chunk: Chunk) -> None:
        self.done.add(chunk.index)
        self.save()

    def pending(self) -> list[Chunk]:
        return [chunk for chunk in self.chunks if chunk.index not in self.done]

    def save(self) -> None:
        """Write the manifest atomically (temporary file, fsync, rename)."""
        data = {"format": FORMAT_VERSION, "signature": self.signature, "extra": self.extra,
                "chunks": [{**chunk.to_dict(), "state": "done" if chunk.index in self.done else "pending"}
                           for chunk in self.chunks]}
        path = self.folder / MANIFEST
        temporary = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
        try:
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as error:
            raise OutputError(f"cannot write the job manifest {path}: {error.strerror or error}; "
                              "choose an output in a writable folder") from None


def recorded_signature(folder: Path) -> dict | None:
    """The signature of the job in ``folder``, None if there is none or its manifest does not read."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("signature")
    except (OSError, ValueError, AttributeError):
        return None


def load_job(folder: Path, signature: dict, suffix: str) -> Job | None:
    """The job in ``folder`` if it is this run's (same ``signature``); None if there is none.

    Chunks marked done whose segment is missing are pending again.

    Raises:
        ConflictError: the folder holds another run's job, or a manifest that does not read.
    """
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        chunks = [Chunk(**{key: item[key] for key in ("index", "first", "last", "read_first", "read_last")})
                  for item in data["chunks"]]
        states = {item["index"]: item["state"] for item in data["chunks"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConflictError(f"the job manifest {path} does not read ({error}); remove {folder} to start again") from None
    if data.get("format") != FORMAT_VERSION or data.get("signature") != signature:
        raise ConflictError(f"{folder} holds the job of another run (other input, mask, output or options); "
                            "run the same command to resume it, or remove the folder (or pass --overwrite) to start afresh")
    job = Job(folder, signature, chunks, extra=data.get("extra", {}))
    job.done = {index for index, state in states.items()
                if state == "done" and job.segment(chunks[index], suffix).is_file()}
    return job


def new_job(folder: Path, signature: dict, chunks: list[Chunk], extra: dict) -> Job:
    """Create the job folder and its manifest (every chunk pending)."""
    try:
        (folder / SEGMENTS).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create the job folder {folder}: {error.strerror or error}") from None
    job = Job(folder, signature, chunks, extra=extra)
    job.save()
    return job


def remove_job(folder: Path) -> None:
    """Delete a job folder: only its manifest and segments (what vinpaint wrote); anything else stays."""
    for entry in (folder / SEGMENTS).glob("*") if (folder / SEGMENTS).is_dir() else ():
        if entry.is_file() and (entry.stem.isdigit() or ".vinpaint-tmp-" in entry.name):
            entry.unlink()
    for entry in folder.glob(f"*{MANIFEST}*"):
        entry.unlink()
    for path in (folder / SEGMENTS, folder):
        try:
            path.rmdir()
        except OSError:
            log.warning("left %s in place: it holds files vinpaint did not write", path)
            return
