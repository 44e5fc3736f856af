"""vinpaint studio: a local web page to mask an object, preview its removal and run it.

``vinpaint serve`` starts it; :func:`create_app` builds the FastAPI application for any ASGI server.
The studio holds no algorithm of its own: it calls :func:`vinpaint.io.open_video`,
:func:`vinpaint.pipeline.remove_file`, the mask tracker and the metrics, and keeps its files in a work
folder (clips, masks, jobs and their results, and the job database ``jobs.sqlite3``).

The web stack is optional: ``pip install 'vinpaint[web]'``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MissingDependencyError

if TYPE_CHECKING:
    from fastapi import FastAPI

WEB_INSTALL_HINT = "pip install 'vinpaint[web]'"


def require_web() -> None:
    """Raise :class:`MissingDependencyError` unless FastAPI and uvicorn can be imported."""
    missing = []
    for module in ("fastapi", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise MissingDependencyError(
            f"the studio needs {' and '.join(missing)}, which are not installed: {WEB_INSTALL_HINT}"
        )


def create_app(data_dir: str | Path | None = None, work_dir: str | Path = "vinpaint-studio", **options) -> FastAPI:
    """The studio's FastAPI application; see :func:`vinpaint.studio.app.create_app` for the options."""
    require_web()
    from .app import create_app as _create_app

    return _create_app(data_dir, work_dir, **options)


__all__ = ["WEB_INSTALL_HINT", "create_app", "require_web"]
