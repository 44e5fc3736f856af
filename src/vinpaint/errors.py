"""The package's exceptions.

Every error vinpaint raises on bad input derives from :class:`VinpaintError` and from the built-in
exception it refines, so callers can catch either.  Messages carry the numbers involved and say how
to fix the problem; the CLI prints them as one line.
"""

from __future__ import annotations


class VinpaintError(Exception):
    """Base class of every error raised by vinpaint."""


class InputNotFoundError(VinpaintError, FileNotFoundError):
    """An input file or folder does not exist."""


class UnreadableInputError(VinpaintError, ValueError):
    """An input exists but cannot be decoded (not a video, not an image, corrupt, no frames)."""


class MaskMismatchError(VinpaintError, ValueError):
    """A mask does not fit the video (frame count, size or aspect ratio)."""


class InvalidArrayError(VinpaintError, ValueError):
    """An array does not follow the documented convention (shape, dtype)."""


class InvalidOptionError(VinpaintError, ValueError):
    """An option is out of its valid range or not one of its valid choices."""


class UnknownPluginError(VinpaintError, KeyError):
    """A registry was asked for a name it does not hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class OutputError(VinpaintError, OSError):
    """The output cannot be written (exists, is the input, unwritable folder, unknown extension)."""


class ConflictError(VinpaintError, RuntimeError):
    """A request does not fit the current state (a clip with no masks yet, a job not done)."""


class MissingDependencyError(VinpaintError, ImportError):
    """An optional dependency is needed for this feature; the message says what to install."""
