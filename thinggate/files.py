"""Owner-only files: the data directory is 0700 and every file thinggate makes in it 0600.

The database holds password hashes, token hashes and digest secrets; the TLS directory holds
private keys. Each part creates its own files through these helpers (the store its SQLite file,
`api.tls` the certificates, the server its uuid file) and, when it finds one an older version
made with wider modes, narrows it: existing installs are fixed at start.

Explicit modes rather than a process umask of 0o077: a umask is process-wide, so it would also
narrow the files of whatever else runs in the process (a program or test suite embedding the
hub), and one set only for a moment races with worker threads creating files meanwhile. A mode
given where a file is made holds whoever started the process, and says so at that line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

_LOG = logging.getLogger(__name__)

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """The directory `path`, made if missing (parents as usual) and narrowed to 0700 if it was wider."""
    path.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    _narrow(path, PRIVATE_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """The file `path`, made empty if missing, 0600 either way (before anything secret is written to it)."""
    # O_CREAT with the mode: a new file never exists with wider modes, not even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE)
    os.close(descriptor)
    _narrow(path, PRIVATE_FILE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace the contents of `path` with `data`, the file 0600 before the first byte is written."""
    private_file(path)
    with path.open("wb") as file:
        file.write(data)


def narrow_if_present(path: Path) -> None:
    """Narrow an existing file to 0600 (a file an older version made 0644); a missing one is left missing."""
    try:
        _narrow(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass


def _narrow(path: Path, mode: int) -> None:
    if path.stat().st_mode & 0o777 == mode:
        return
    try:
        os.chmod(path, mode)
    except PermissionError:
        # Someone else's (e.g. a data directory made by root for the service user): say so, and
        # go on; the files inside are still made owner-only.
        _LOG.warning("%s is not owner-only and cannot be made so (not ours): chmod %o it", path, mode)
