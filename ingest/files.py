"""File helpers shared by pull and ingest."""

from __future__ import annotations

import hashlib
from pathlib import Path

# a month of one source is a few hundred kilobytes at most; ingest refuses larger files, and the
# pull stops downloading at this size
MAX_FILE_BYTES = 20 * 1024 * 1024


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
