"""File helpers shared by pull and ingest."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

# a month of one source is a few hundred kilobytes at most; ingest refuses larger files, and the
# pull stops downloading at this size
MAX_FILE_BYTES = 20 * 1024 * 1024

# names the inbox passes over: a download or upload still being written, and the product's own
# error reports (the error report of a quarantined file is its name with `.errors.txt`)
ERROR_REPORT_SUFFIX = ".errors.txt"
NOT_READY_SUFFIXES = (".part", ".tmp", ERROR_REPORT_SUFFIX)


def is_waiting(name: str) -> bool:
    """Whether ingest takes a file of this name from the inbox: not a hidden file (one dot, as
    editors and downloads leave them), not a partial file, not an error report. A name starting
    with `..` is not hidden: it is taken, and refused with its reason."""
    hidden = name.startswith(".") and not name.startswith("..")
    return not hidden and not name.endswith(NOT_READY_SUFFIXES)


def is_unsafe_name(name: str) -> bool:
    """Whether a name from elsewhere (a remote server, a folder) cannot be kept as it is: a path
    separator, `..`, a leading dot, a control or invisible character, a name the inbox would pass
    over (an error report's, a partial file's), or a name too long for the file systems."""
    return (
        not name
        or "/" in name
        or "\\" in name
        or ".." in name
        or name.startswith(".")
        or name.endswith(NOT_READY_SUFFIXES)
        or any(unicodedata.category(ch).startswith("C") for ch in name)
        or len(name.encode("utf-8", "surrogatepass")) > 200
    )


def sha256_file(path: Path) -> str:
    """sha-256 of a file, read in chunks: a large file never sits whole in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def submission_id_of(file_name: str, content_sha256: str) -> str:
    """A submission is a file name with its bytes.

    The same file delivered twice is one submission; two sources sending byte-identical files
    (a blank template: "nothing this month") are two.
    """
    return hashlib.sha256(f"{file_name}\0{content_sha256}".encode()).hexdigest()
