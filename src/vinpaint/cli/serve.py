"""``vinpaint serve``: the studio, a local web page to mask, preview and remove."""

from __future__ import annotations

import ipaddress
import logging
import socket
from pathlib import Path

import click

from ..errors import InvalidOptionError
from . import debug_option, main

log = logging.getLogger(__name__)


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


WILDCARD_HOSTS = ("0.0.0.0", "::", "")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def _host_forms(name: str) -> list[str]:
    """How ``name`` appears in a Host header: lower case, an IPv6 address also in brackets."""
    name = name.strip().lower()
    try:
        address = ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        return [name] if name else []
    if address.version == 6:
        return [str(address), f"[{address}]"]
    return [str(address)]


def machine_names() -> list[str]:
    """This machine's host name, fully qualified name and the addresses that name resolves to."""
    names = [socket.gethostname()]
    try:
        names.append(socket.getfqdn())
        names += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)]
    except OSError as error:  # a host name that does not resolve: the name alone still serves
        log.debug("cannot resolve this machine's name: %s", error)
    return names


def _is_host_name(name: str) -> bool:
    """A name, an IP address or a ``*.domain`` pattern: no scheme, port, path or lone ``*``."""
    try:
        ipaddress.ip_address(name.strip("[]"))
        return True
    except ValueError:
        pass
    pattern = name[2:] if name.startswith("*.") else name
    return bool(pattern) and all(c.isalnum() or c in "-._" for c in pattern)


def allowed_hosts(host: str, extra: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Host names the studio answers to when listening on ``host``, plus ``extra`` (``--allow-host``).

    Always the loopback names; for a wildcard address (``0.0.0.0``, ``::``) also this machine's own
    names and addresses (:func:`machine_names`), never ``*``: a page of another site that rebinds
    its DNS name to this machine still sends its own name as Host and is refused.

    Raises:
        InvalidOptionError: an ``extra`` name is not a bare host name (``*.example.com`` is allowed).
    """
    for name in extra:
        if not _is_host_name(name):
            raise InvalidOptionError(f"--allow-host {name!r} is not a host name; give a name such as "
                                     "studio.lan or *.lan, without scheme, port or path")
    names = list(LOOPBACK_NAMES) + (machine_names() if host in WILDCARD_HOSTS else [host]) + list(extra)
    hosts: list[str] = []
    for name in names:
        for form in _host_forms(name):
            if form not in hosts:
                hosts.append(form)
    return hosts


def studio_urls(host: str, port: int) -> list[str]:
    """Addresses to open in a browser: the loopback one first, then (for a wildcard) the machine's names."""
    def url(name: str) -> str:
        return f"http://[{name}]:{port}/" if ":" in name else f"http://{name}:{port}/"

    if host not in WILDCARD_HOSTS:
        return [url(host)]
    family = socket.AF_INET6 if host == "::" else socket.AF_INET
    urls = [url("::1" if family == socket.AF_INET6 else "127.0.0.1"), url(socket.gethostname())]
    try:
        infos = socket.getaddrinfo(socket.gethostname(), port, family=family)
    except OSError:
        infos = []
    for info in infos:
        address = info[4][0]
        if not ipaddress.ip_address(address.split("%")[0]).is_loopback and url(address) not in urls:
            urls.append(url(address))
    return urls


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
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help="Also answer to this host name (repeatable), e.g. a name that reaches this computer on the "
                   "network. Requests naming another host are refused (this stops DNS-rebinding pages).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--data", "data_dir", default=None, type=click.Path(path_type=Path),
              help="Folder whose videos and frame folders the page lists.")
@click.option("--work", "work_dir", default=Path("vinpaint-studio"), show_default=True, type=click.Path(path_type=Path),
              help="Folder for clips, masks, jobs and results (kept across restarts).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at the same time (each fill uses every core it gets).")
@click.option("--dask-workers", type=click.IntRange(1, 1024), default=None, show_default="none: one process",
              help="Fill full runs (not previews) in chunks on a local Dask cluster of this many processes "
                   "(needs vinpaint[dask]); the page counts the frames done on all of them.")
@click.option("--scheduler", default=None, metavar="ADDRESS", show_default="none",
              help="Fill full runs in chunks on the Dask cluster at ADDRESS (tcp://host:8786); its workers must "
                   "see the work folder and the data folder at the same paths.")
@click.option("--chunk-frames", type=click.IntRange(min=1), default=None, show_default="400",
              help="Frames a chunk produces, with --dask-workers or --scheduler.")
@click.option("--max-upload-mb", default=2048, show_default=True, type=click.IntRange(1, 1024**2),
              help="Largest upload accepted, in MiB.")
@click.option("--segmenter", default=None, type=click.Path(path_type=Path, dir_okay=False), metavar="ENCODER.onnx",
              help="The click selects objects with this SAM-style ONNX encoder (needs vinpaint[onnx]).")
@click.option("--decoder", default=None, type=click.Path(path_type=Path, dir_okay=False), metavar="DECODER.onnx",
              help="The segmenter's prompt decoder (default: the encoder's name with 'decoder' for 'encoder').")
@debug_option
def serve(host: str, allow_hosts: tuple[str, ...], port: int, data_dir: Path | None, work_dir: Path, workers: int,
          dask_workers: int | None, scheduler: str | None, chunk_frames: int | None, max_upload_mb: int,
          segmenter: Path | None, decoder: Path | None) -> None:
    """Start the studio: a web page to mask an object, preview its removal and run it.

    Example: vinpaint serve --data ~/videos, then open the printed address in a browser.
    """
    from ..studio import create_app, require_web

    require_web()
    import uvicorn

    if decoder is not None and segmenter is None:
        raise click.UsageError("--decoder goes with --segmenter ENCODER.onnx")
    if dask_workers and scheduler:
        raise click.UsageError("give --dask-workers (a local cluster) or --scheduler (a running one), not both")
    if chunk_frames and not (dask_workers or scheduler):
        raise click.UsageError("--chunk-frames goes with --dask-workers N or --scheduler ADDRESS")

    hosts = allowed_hosts(host, allow_hosts)
    sock = bind_socket(host, port)
    try:
        app = create_app(data_dir, work_dir, workers=workers, max_upload_bytes=max_upload_mb * 1024**2,
                         allowed_hosts=hosts, segmenter=(segmenter, decoder) if segmenter else None,
                         dask_workers=dask_workers, scheduler=scheduler, chunk_frames=chunk_frames)
    except BaseException:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    first, *others = studio_urls(host, bound_port)
    click.echo(f"vinpaint studio: {first}")
    if others:
        click.echo(f"  also: {', '.join(others)}")
    if allow_hosts:
        click.echo(f"  also answers to: {', '.join(allow_hosts)}")
    click.echo(f"  data: {data_dir.resolve() if data_dir else '(none: uploads only)'}")
    click.echo(f"  work: {work_dir.resolve()}")
    if segmenter:
        click.echo(f"  click: model {segmenter.name}")
    cluster = app.state.studio.cluster
    if cluster is not None:
        where = f"the cluster at {scheduler}" if scheduler else "a local cluster"
        click.echo(f"  full runs: in chunks of {cluster.chunk_frames} frames on {where} ({cluster.describe()})")
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this address can use the studio "
                   "(it has no login)", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
