"""``vinpaint serve``: the studio, a local web page to mask, preview and remove."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

from ..errors import InvalidOptionError
from . import debug_option, main


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port).

    Raises:
        InvalidOptionError: the address is unknown or the port is taken.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise InvalidOptionError(f"cannot listen on {host!r}: {error.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise InvalidOptionError(f"cannot listen on {host}:{port} ({error.strerror}); pass another --port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def allowed_hosts(host: str) -> list[str]:
    """Host names the studio answers to when listening on ``host`` (any, for a wildcard address)."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return ["127.0.0.1", "localhost", "::1", host]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The studio has no login: keep it on this computer.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--data", "data_dir", default=None, type=click.Path(path_type=Path),
              help="Folder whose videos and frame folders the page lists.")
@click.option("--work", "work_dir", default=Path("vinpaint-studio"), show_default=True, type=click.Path(path_type=Path),
              help="Folder for clips, masks, jobs and results (kept across restarts).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at the same time (each fill uses every core it gets).")
@click.option("--max-upload-mb", default=2048, show_default=True, type=click.IntRange(1, 1024**2),
              help="Largest upload accepted, in MiB.")
@debug_option
def serve(host: str, port: int, data_dir: Path | None, work_dir: Path, workers: int, max_upload_mb: int) -> None:
    """Start the studio: a web page to mask an object, preview its removal and run it.

    Example: vinpaint serve --data ~/videos, then open the printed address in a browser.
    """
    from ..studio import create_app, require_web

    require_web()
    import uvicorn

    sock = bind_socket(host, port)
    try:
        app = create_app(data_dir, work_dir, workers=workers, max_upload_bytes=max_upload_mb * 1024**2,
                         allowed_hosts=allowed_hosts(host))
    except BaseException:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"vinpaint studio: http://{shown}:{bound_port}/")
    click.echo(f"  data: {data_dir.resolve() if data_dir else '(none: uploads only)'}")
    click.echo(f"  work: {work_dir.resolve()}")
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this address can use the studio "
                   "(it has no login)", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
