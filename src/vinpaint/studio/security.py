"""What keeps the studio's page away from the server's files.

A client never names a path: data-folder entries are looked up in a listing the server made (every
listed path resolved and checked to lie inside the data folder), and error texts sent to the page go
through :func:`public_message`, which cuts file paths to their last part and drops errno numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..io.readers import list_images

#: containers accepted as uploads and listed in the data folder (each is then decoded to be sure)
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv",
                              ".3gp", ".ogv"})
_DATA_SCAN_DEPTH = 4
_DATA_SCAN_LIMIT = 500


@dataclass(frozen=True)
class DataEntry:
    id: str
    name: str
    kind: str
    path: Path
    masks: Path | None


def inside(path: Path, root: Path) -> bool:
    """``path``, with its links resolved, lies inside ``root`` (itself resolved)."""
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def scan_data_dir(data_dir: Path | None) -> dict[str, DataEntry]:
    """Videos and frame folders under ``data_dir`` (depth 4, hidden files and outside links skipped).

    A folder named ``frames`` is shown under its parent's name; a sibling ``masks`` folder becomes
    the entry's masks (and is not listed as a clip of its own).  ``data_dir`` that is itself a
    folder of frames is the one entry, keyed ``"."``.
    """
    entries: dict[str, DataEntry] = {}
    if data_dir is None or not data_dir.is_dir():
        return entries
    root = data_dir.resolve()
    if len(list_images(data_dir)) >= 2:
        parent = data_dir.resolve().parent
        masks = parent / "masks" if data_dir.name == "frames" and (parent / "masks").is_dir() else None
        name = parent.name if data_dir.name == "frames" else data_dir.resolve().name
        entries["."] = DataEntry(".", name, "folder", root, masks)
        return entries

    def visit(folder: Path, depth: int) -> None:
        if depth > _DATA_SCAN_DEPTH or len(entries) >= _DATA_SCAN_LIMIT:
            return
        try:
            children = sorted(folder.iterdir(), key=lambda p: p.name.lower())
        except OSError:
            return
        masks = folder / "masks"
        masks = masks if masks.is_dir() and inside(masks, root) else None
        for child in children:
            if child.name.startswith(".") or not inside(child, root) or len(entries) >= _DATA_SCAN_LIMIT:
                continue
            key = child.relative_to(data_dir).as_posix()
            if child.is_file() and child.suffix.lower() in VIDEO_EXTENSIONS:
                entries[key] = DataEntry(key, child.name, "video", child.resolve(), masks)
            elif child.is_dir():
                if child.name == "masks" and (folder / "frames").is_dir():
                    continue
                images = list_images(child)
                if len(images) >= 2:
                    name = folder.name if child.name == "frames" and folder != data_dir else child.name
                    entries[key] = DataEntry(key, name, "folder", child.resolve(), masks)
                else:
                    visit(child, depth + 1)

    visit(data_dir, 0)
    return entries


def safe_display_name(filename: str) -> str:
    """The last component of a client-supplied file name, without control or path characters."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:120] or "upload"


#: FFmpeg's AVERROR_INVALIDDATA, which PyAV reports as "[Errno 1094995529] Invalid data found when
#: processing input: '<path>'" (negative on some platforms), and vinpaint's readers as its words alone
_INVALID_DATA = re.compile(r"(?:\[Errno -?1094995529\][^;()]*?|Invalid data found when processing input)"
                           r"(?:: '[^']*')?(?=$|[;()]|, )")
_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")
_QUOTED_PATH = re.compile(r"""(['"])([^'"\n]*[/\\][^'"\n]*)\1""")
#: an absolute POSIX path, a home-relative one, or a Windows one (the page's own API routes are not paths)
_BARE_PATH = re.compile(r"""(?<![\w/.~:-])(?:~|[A-Za-z]:)?[/\\](?!api/|static/)[^\s'"<>|,;()]+""")


def _last_part(path: str) -> str:
    """The file or folder name at the end of ``path``, keeping punctuation that followed it."""
    stripped = path.rstrip(":.")
    name = PurePosixPath(stripped.replace("\\", "/").rstrip("/")).name or "a file"
    return name + path[len(stripped):]


def public_message(text: str) -> str:
    """``text`` fit for the page: file paths cut to their last part, errno numbers dropped.

    FFmpeg's "invalid data" error (``[Errno 1094995529] ...``) becomes "the file could not be read
    as a video or image".  The page never learns where the server keeps its files.
    """
    text = _INVALID_DATA.sub("the file could not be read as a video or image", text)
    text = _ERRNO.sub("", text)
    text = _QUOTED_PATH.sub(lambda m: f"{m[1]}{_last_part(m[2])}{m[1]}", text)
    text = _BARE_PATH.sub(lambda m: _last_part(m[0]), text)
    return " ".join(text.split())
