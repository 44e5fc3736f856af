"""``vinpaint serve`` and the studio package: what happens before a server runs."""

from __future__ import annotations

import socket
import sys

import pytest
from click.testing import CliRunner

from vinpaint.cli import main
from vinpaint.errors import InvalidOptionError, MissingDependencyError


def test_missing_web_extra_says_what_to_install(monkeypatch, tmp_path):
    import vinpaint.studio

    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'vinpaint\[web\]'"):
        vinpaint.studio.create_app(None, tmp_path / "work")
    result = CliRunner().invoke(main, ["serve", "--work", str(tmp_path / "work"), "--port", "0"])
    assert result.exit_code == 2
    assert "pip install 'vinpaint[web]'" in result.output


@pytest.fixture()
def taken_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_bind_socket_on_a_taken_port_says_so(taken_port):
    from vinpaint.cli.serve import bind_socket

    with pytest.raises(InvalidOptionError, match="pass another --port"):
        bind_socket("127.0.0.1", taken_port)


def test_serve_on_a_taken_port_exits_2(taken_port, tmp_path):
    result = CliRunner().invoke(main, ["serve", "--port", str(taken_port), "--work", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot listen on 127.0.0.1")


def test_serve_with_a_missing_data_folder_exits_2(tmp_path):
    pytest.importorskip("fastapi")
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--data", str(tmp_path / "nope"),
                                       "--work", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "data folder not found" in result.output
