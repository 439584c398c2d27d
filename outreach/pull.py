"""Pull: copy new files from where senders drop them into the home's inbox.

A pull never deletes or changes anything at the source. It keeps each file's modification time
(the moment the sender delivered it), and remembers what it copied in a ledger, so the same file is
copied once however many nights it stays at the source.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ingest.files import sha256_file
from outreach.home import Home

log = logging.getLogger(__name__)


def _ledger_path(home: Home) -> Path:
    return home.root / "pull" / "ledger.jsonl"


def _read_ledger(path: Path) -> set[tuple[str, str]]:
    """(file name, sha-256) of every file pulled before."""
    if not path.is_file():
        return set()
    seen = set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                entry = json.loads(line)
                seen.add((entry["file_name"], entry["sha256"]))
    return seen


def pull_folder(home: Home, drop: Path) -> list[str]:
    """Copy the files of `drop` that were never pulled before into the inbox; their names."""
    drop = drop.resolve()
    if drop == home.inbox.resolve():
        return []
    if not drop.is_dir():
        raise FileNotFoundError(f"drop folder {drop} does not exist")
    home.ensure()
    ledger = _ledger_path(home)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    seen = _read_ledger(ledger)
    pulled = []
    for path in sorted(drop.iterdir()):
        if not path.is_file() or path.is_symlink() or path.name.startswith("."):
            continue
        sha = sha256_file(path)
        if (path.name, sha) in seen:
            continue
        target = home.inbox / path.name
        partial = home.inbox / f".{path.name}.part"
        shutil.copy2(path, partial)
        os.replace(partial, target)
        with open(ledger, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({
                "sha256": sha, "file_name": path.name, "source": str(drop),
                "size": path.stat().st_size,
                "delivered_at": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(),
                "pulled_at": datetime.now(UTC).isoformat(),
            }, ensure_ascii=False) + "\n")
        seen.add((path.name, sha))
        pulled.append(path.name)
    log.info("pull from %s: %d new files", drop, len(pulled))
    return pulled
