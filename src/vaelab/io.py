"""Atomic file writes: a result is either absent or complete, never half written."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch

from vaelab.errors import ConfigError, RunError

__all__ = ["atomic_path", "read_text", "read_json_mapping", "umask_mode", "write_text", "write_json", "save_torch"]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields a temporary path beside ``path`` and moves it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask_mode(tmp)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def umask_mode(path: str | Path) -> None:
    """Gives a file made by ``mkstemp`` (always 0600) the mode a plain ``open`` would: 0666 minus the umask."""
    os.chmod(path, 0o666 & ~_umask())


def _umask() -> int:
    """The process umask (mkstemp creates files 0600 whatever it is; results follow the umask instead)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def save_torch(path: str | Path, obj: Any) -> None:
    """Saves ``obj`` atomically; a failed write (a full disk) is a :class:`RunError` naming ``path``."""
    with atomic_path(path) as tmp:
        try:
            torch.save(obj, tmp)
        except (RuntimeError, OSError) as e:
            free = shutil.disk_usage(Path(path).parent).free / 2**20
            reason = getattr(e, "strerror", None) or str(e).splitlines()[0][:200]
            raise RunError(f"cannot write {path} ({reason}); {free:.0f} MiB free on its disk: "
                           "free some space and try again") from None


def read_text(path: str | Path) -> str:
    """Reads a text file written by a person: UTF-8, or UTF-8 / UTF-16 / UTF-32 with a byte-order mark."""
    path = Path(path)
    raw = path.read_bytes()
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not {encoding.upper()} text (byte {raw[e.start]:#04x} at offset {e.start}); "
                          "save it as UTF-8") from None


def read_json_mapping(path: str | Path, fix: str = "move it away and create it again") -> dict[str, Any]:
    """Reads a JSON file that must hold an object; anything else is a :class:`RunError` saying ``fix``."""
    path = Path(path)
    try:
        obj = json.loads(read_text(path))
    except (json.JSONDecodeError, ConfigError):
        raise RunError(f"{path} is corrupt (not valid JSON); {fix}") from None
    if not isinstance(obj, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(obj), "a number")
        raise RunError(f"{path} is corrupt (it holds {kind}, not a JSON object); {fix}")
    return obj
