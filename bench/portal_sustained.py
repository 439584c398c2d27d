"""The portal under a sustained load: uploads arriving on a fixed clock, on several workers.

    .venv/bin/python bench/portal_sustained.py [--rate 10] [--duration 120] [--workers N]
        [--senders S] [--json OUT.json] [--markdown OUT.md]

A fresh home with a registry of SENDERS synthetic sources and an account for each (as
bench/portal_load.py makes them); `outreach web --workers N` serving it (N: this machine's
cores by default), SQLite, as the embedded default does. Every sender logs in before the timed
window (argon2: not what is measured). Then uploads arrive open loop: the k-th is due at
k / RATE seconds, on a fixed clock that does not wait for answers, and goes to sender k mod
SENDERS, which sends its next file: new months, every fifth a correction of its first month
(confirmed at once), as in the burst. An upload's answer is timed from the moment it was due,
not from when the client got round to sending it: a portal that falls behind shows as growing
times (no coordinated omission).

Reports the answers' median, 95th percentile and slowest, the rate achieved, each worker's CPU
while the window lasted, that every upload landed in the inbox exactly once (the files and the
uploads table) and that the server logged no error ("database is locked" included). `--json`
writes the lines for bench/summary.py's table (aim: a 95th percentile under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psutil  # noqa: E402
from portal_load import (  # noqa: E402
    bench_home,
    cookie_client,
    landed,
    log_in,
    login_of,
    percentile,
    received_name,
    upload,
    upload_months,
)

from outreach.core.home import Home  # noqa: E402

UPLOADS_PER_SENDER = 10  # as in the burst: eight new months and two corrections
ANSWER_AIM_SECONDS = 1.0  # the 95th percentile of an upload's answer
START_PATIENCE_SECONDS = 120.0  # for `outreach web` and its workers to answer
LOGINS_AT_ONCE = 8  # logins before the window: argon2, a few at a time
SERVER_ERRORS = ("database is locked", "Traceback", "ERROR", "Exception")


@dataclass
class Portal:
    """`outreach web --workers N` on a free port of the loopback."""

    url: str
    process: subprocess.Popen
    log: Path
    worker_count: int

    def workers(self) -> list[psutil.Process]:
        """The processes serving: one worker is `outreach web` itself; several are spawned by
        it (its resource tracker is not one)."""
        itself = psutil.Process(self.process.pid)
        if self.worker_count == 1:
            return [itself]
        return [child for child in itself.children() if "spawn_main" in " ".join(child.cmdline())]

    def peak_mb(self) -> float:
        """The supervisor's and the workers' peak resident memory, added up (VmHWM)."""
        total = 0
        for each in {psutil.Process(self.process.pid), *self.workers()}:
            status = Path(f"/proc/{each.pid}/status").read_text()
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
            )
        return total / 1024

    def errors_logged(self) -> list[str]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if any(mark in line for mark in SERVER_ERRORS)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(home: Home, workers: int) -> Iterator[Portal]:
    """`outreach web --workers WORKERS` on `home`, until the block ends (then stopped as Ctrl+C
    stops it)."""
    port = free_port()
    log = home.root / "portal-web.log"
    command = [str(Path(sys.executable).with_name("outreach")), "web", "--home", str(home.root)]
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(workers)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    portal = Portal(f"http://127.0.0.1:{port}", process, log, workers)
    try:
        deadline = time.monotonic() + START_PATIENCE_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"outreach web stopped: {log.read_text()[-2000:]}")
            try:
                answered = httpx.get(f"{portal.url}/dang-nhap", timeout=5).status_code == 200
            except httpx.TransportError:
                answered = False
            if answered and len(portal.workers()) == workers:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"outreach web did not answer: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield portal
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Sender:
    login: str
    client: httpx.AsyncClient
    csrf: str
    months: list[str]


@dataclass
class Run:
    """What a sustained run measured."""

    rate: float
    duration: float
    due: int  # uploads due in the window
    answers: list[float] = field(default_factory=list)  # seconds from due to the answer
    received: list[float] = field(default_factory=list)  # ... to the name (after a confirmation)
    corrections: int = 0
    names: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    late_sends: list[float] = field(default_factory=list)  # seconds the client sent after due
    window_seconds: float = 0.0  # from the first due moment to the last answer
    worker_cpu: list[float] = field(default_factory=list)  # each worker's CPU seconds meanwhile
    client_cpu: float = 0.0

    @property
    def achieved_rate(self) -> float:
        """Answers a second, from the first due moment to the last answer (one interval added:
        n arrivals span n intervals, the last one's included)."""
        span = self.window_seconds + 1 / self.rate
        return len(self.answers) / span


async def log_in_all(url: str, logins: list[str], password: str, months: int) -> list[Sender]:
    """Every sender logged in (a few at a time), each with its own client and cookies."""
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)

    async def one(login: str) -> Sender:
        client = cookie_client(url, limits=httpx.Limits(max_connections=4))
        async with gate:
            csrf = await log_in(client, login, password)
        return Sender(login, client, csrf, upload_months(months))

    return list(await asyncio.gather(*(one(login) for login in logins)))


async def sustained(senders: list[Sender], rate: float, duration: float) -> Run:
    """Uploads due every 1 / RATE seconds for DURATION seconds, round the senders, each sent at
    its due moment whatever the answers before it (open loop)."""
    due = int(rate * duration)
    run = Run(rate, duration, due)
    loop = asyncio.get_running_loop()
    last_answer = 0.0

    async def one(number: int, due_at: float) -> None:
        nonlocal last_answer
        sender = senders[number % len(senders)]
        edition = number // len(senders)  # the sender's edition-th upload
        month = sender.months[edition]
        run.late_sends.append(loop.time() - due_at)
        try:
            answer = await upload(sender.client, sender.csrf, month, edition)
        except httpx.HTTPError as failed:
            run.errors.append(f"{sender.login} {month}: {failed!r}")
            return
        run.answers.append(loop.time() - due_at)
        last_answer = max(last_answer, loop.time())
        if answer.status_code != 200:
            run.errors.append(f"{sender.login} {month}: {answer.status_code}")
            return
        if 'name="staged"' in answer.text:
            run.corrections += 1
        name = await received_name(sender.client, sender.csrf, answer)
        if name is None:
            run.errors.append(f"{sender.login} {month}: not received")
            return
        run.received.append(loop.time() - due_at)
        run.names.append(name)

    started = loop.time() + 0.5
    tasks = []
    for number in range(due):
        due_at = started + number / rate
        await asyncio.sleep(max(0.0, due_at - loop.time()))
        tasks.append(asyncio.create_task(one(number, due_at)))
    await asyncio.gather(*tasks)
    run.window_seconds = last_answer - started
    return run


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def measure(
    folder: Path, rate: float, duration: float, workers: int, senders: int | None = None
) -> tuple[Run, dict]:
    """A sustained run on a fresh home under `folder`: the run, and what else it found (the
    exactly-once check, the server's errors, setting-up times)."""
    due = int(rate * duration)
    count = senders or max(1, math.ceil(due / UPLOADS_PER_SENDER))
    per_sender = math.ceil(due / count)
    if per_sender > UPLOADS_PER_SENDER:
        raise ValueError(f"{count} senders cannot send {due} uploads (at most 10 each)")
    home, store, codes, password, accounts_seconds = bench_home(folder, count - 1)
    logins = [login_of(code) for code in codes]
    with served(home, workers) as portal:

        async def timed() -> tuple[Run, float]:
            started = time.perf_counter()
            clients = await log_in_all(portal.url, logins, password, per_sender)
            logins_seconds = time.perf_counter() - started
            processes = portal.workers()
            before = [cpu_seconds(each) for each in processes]
            client_before = time.process_time()
            try:
                run = await sustained(clients, rate, duration)
            finally:
                for sender in clients:
                    await sender.client.aclose()
            run.client_cpu = time.process_time() - client_before
            run.worker_cpu = [cpu_seconds(e) - b for e, b in zip(processes, before, strict=True)]
            return run, logins_seconds

        run, logins_seconds = asyncio.run(timed())
        peak_mb = portal.peak_mb()
    found = landed(home, store, run.names, due)
    extra = {
        "senders": count,
        "workers": workers,
        "landed": found,
        "server_errors": portal.errors_logged(),
        "accounts_seconds": accounts_seconds,
        "logins_seconds": logins_seconds,
        "peak_mb": peak_mb,
    }
    return run, extra


def _middle(values: list[float]) -> float:
    """The median, or NaN when no upload was answered (the run's table still prints)."""
    return statistics.median(values) if values else float("nan")


def _largest(values: list[float]) -> float:
    return max(values, default=float("nan"))


def label(run: Run, workers: int) -> str:
    return f"sustained {run.rate:g} uploads/s for {run.duration:g} s on {workers} workers"


def lines_of(run: Run, extra: dict) -> list[dict]:
    """The run's lines for bench/summary.py's table (bench/bench_table.py)."""
    name = label(run, extra["workers"])
    found = extra["landed"]
    errors = len(run.errors) + len(extra["server_errors"])
    return [
        {"measure": f"{name}: median answer", "seconds": _middle(run.answers),
         "peak_mb": extra["peak_mb"]},
        {"measure": f"{name}: p95 answer", "seconds": percentile(run.answers, 0.95),
         "peak_mb": extra["peak_mb"], "aim_seconds": ANSWER_AIM_SECONDS},
        {"measure": f"{name}: every upload in the inbox exactly once ({found.files} files, "
         f"{found.recorded} recorded, {errors} errors)", "seconds": run.window_seconds,
         "peak_mb": extra["peak_mb"], "holds": found.exactly_once and not errors},
    ]  # fmt: skip


def table_of(run: Run, extra: dict) -> str:
    found = extra["landed"]
    cpu = ", ".join(f"{seconds:.1f}" for seconds in run.worker_cpu)
    rows = [
        ("arrivals", f"open loop, one every {1 / run.rate:.2f} s (a fixed clock), "
         f"{run.due} in {run.duration:g} s, round {extra['senders']} senders"),
        ("workers (`outreach web --workers`)", f"{extra['workers']}"),
        ("uploads, of which corrections", f"{len(run.answers)}, {run.corrections}"),
        ("every upload in the inbox exactly once",
         f"{'yes' if found.exactly_once else 'NO'} ({found.files} files, {found.recorded} "
         f"recorded, {found.distinct_recorded} distinct, {len(run.errors)} errors)"),
        ("server errors logged (database is locked included)", f"{len(extra['server_errors'])}"),
        ("an upload's answer from its due moment: median, 95th percentile, slowest",
         f"{_middle(run.answers):.3f} s, {percentile(run.answers, 0.95):.3f} s, "
         f"{_largest(run.answers):.3f} s"),
        ("the same until the file is in (a correction: after its confirmation), 95th "
         "percentile", f"{percentile(run.received, 0.95):.3f} s"),
        ("rate achieved (answers a second, first due moment to last answer)",
         f"{run.achieved_rate:.2f} uploads/s over {run.window_seconds:.1f} s"),
        ("the client's lateness in sending, slowest", f"{_largest(run.late_sends):.3f} s"),
        ("CPU in the window: each worker, the client",
         f"{cpu} s; {run.client_cpu:.1f} s (of {run.window_seconds:.0f} s)"),
        ("peak memory, supervisor and workers", f"{extra['peak_mb']:.0f} MB"),
        (f"setting up {extra['senders']} accounts (argon2), logging them in",
         f"{extra['accounts_seconds']:.0f} s, {extra['logins_seconds']:.0f} s"),
    ]  # fmt: skip
    return "\n".join(["| measure | value |", "| --- | --- |", *(f"| {m} | {v} |" for m, v in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="uploads due per second")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of arrivals")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--senders", type=int, help="default: ten uploads each")
    parser.add_argument("--json", type=Path, help="write the lines for bench/summary.py")
    parser.add_argument("--markdown", type=Path, help="write the table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-sustained-") as folder:
        run, extra = measure(Path(folder), args.rate, args.duration, args.workers, args.senders)
    table = table_of(run, extra)
    print(table)
    for error in [*run.errors, *extra["server_errors"]][:10]:
        print(f"error: {error}", file=sys.stderr)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    if args.json:
        lines = lines_of(run, extra)
        args.json.write_text(json.dumps(lines, ensure_ascii=False, indent=1), encoding="utf-8")
    if not extra["landed"].exactly_once or run.errors or extra["server_errors"]:
        sys.exit("some upload was lost, doubled or refused, or the server logged an error")


if __name__ == "__main__":
    main()
