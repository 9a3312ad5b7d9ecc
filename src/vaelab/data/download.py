"""Fetching dataset files: atomic, checksummed where a checksum is known, one clear error."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path
from typing import Iterable

from vaelab.errors import DataError
from vaelab.io import umask_mode

__all__ = ["download", "md5sum"]


def md5sum(path: str | Path) -> str:
    """The hex MD5 digest of a file, read in 1 MiB blocks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(urls: str | Iterable[str], dest: str | Path, md5: str | None = None, timeout: float = 60.0) -> Path:
    """Fetches the first reachable of ``urls`` into ``dest``.

    The bytes go to a temporary file beside ``dest``, which is checked against ``md5``
    when given and only then renamed onto ``dest``; on failure nothing is left behind.

    Raises:
        DataError: Naming every URL tried and why it failed.
    """
    dest = Path(dest)
    urls = [urls] if isinstance(urls, str) else list(urls)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create {dest.parent} ({e}); pass a writable data folder") from None
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f, urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, f, 1 << 20)
            if md5 is not None and md5sum(tmp) != md5:
                raise OSError("checksum mismatch")
            umask_mode(tmp)
            os.replace(tmp, dest)
            return dest
        except Exception as e:
            errors.append(f"{url}: {getattr(e, 'reason', None) or e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DataError(f"could not download {dest.name} ({'; '.join(errors)}); check the network or download it "
                    f"by hand into {dest.parent}")
