"""The ``vinpaint`` command line: a thin layer of parsing over the library.

Each command module registers its commands on :data:`main`; none holds logic of its own.  Errors from
the library (:class:`~vinpaint.errors.VinpaintError`) become one line on stderr and exit code 2; an
unexpected error exits 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from ..errors import VinpaintError


class _Group(click.Group):
    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as error:
            _usage_error(error)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as error:  # a command's own parsing: a bad value, an unknown option
            _usage_error(error)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except VinpaintError as error:
            if _debug_requested():
                raise
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - the CLI's last resort, the traceback is one flag away
            if _debug_requested():
                raise
            click.echo(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)", err=True)
            sys.exit(1)


def _usage_error(error: click.UsageError) -> None:
    """A mistake on the command line as one line, like every other error (click's own shows the usage
    lines first); a command given without arguments still shows its help."""
    if isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):
        raise error
    hint = f" (see {error.ctx.command_path} --help)" if error.ctx is not None else ""
    click.echo(f"error: {error.format_message()}{hint}", err=True)
    sys.exit(error.exit_code)


def _debug_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("vinpaint.debug"))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="vinpaint")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """vinpaint: remove or replace a masked region of a video, without flicker, on a CPU."""
    ctx.meta["vinpaint.debug"] = debug
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _debug_logs(debug)
    # Dask sets its own loggers to INFO when it is imported (and in the worker processes it starts): a
    # --workers run would print some 30 lines of cluster start-up and shutdown; they are for --debug
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")


def _debug_logs(debug: bool) -> None:
    """vinpaint's own debug logs on or off; other libraries' (PIL's chunk-by-chunk PNG reading, numba's)
    stay at warnings, or they would bury vinpaint's."""
    logging.getLogger("vinpaint").setLevel(logging.DEBUG if debug else logging.NOTSET)


def debug_option(function):
    """``--debug`` on a sub-command too (``vinpaint remove ... --debug``)."""

    def enable(ctx: click.Context, _param, value: bool) -> bool:
        if value:
            ctx.meta["vinpaint.debug"] = True
            _debug_logs(True)
        return value

    return click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=enable,
                        help="Show tracebacks and debug logs.")(function)


# Command modules register themselves on `main` when imported.
from . import remove  # noqa: E402,F401
from . import evaluate  # noqa: E402,F401
from . import mask  # noqa: E402,F401
from . import serve  # noqa: E402,F401
from . import detect  # noqa: E402,F401
from . import jobs  # noqa: E402,F401
from . import batch  # noqa: E402,F401
from . import replace  # noqa: E402,F401
