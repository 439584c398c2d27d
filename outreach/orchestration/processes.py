"""Commands started so that stopping them stops everything they started.

Airflow's components start processes of their own: the scheduler its executor's workers, each
task a supervisor and a task process (in a process group of its own), a task a dbt run. A
`subprocess.run` stops only the process it started, and `outreach` stopped by SIGTERM stopped
nothing at all: the rest lived on without a parent. Here each command starts in a session of its
own (`start_new_session`), which every process it starts stays in, whatever its process group or
parent; a terminal's Ctrl+C reaches `outreach` alone, which stops them in order:

1. the signal received (SIGINT, SIGTERM) goes to each command's process group, as a terminal's
   Ctrl+C would: each component shuts down its own children (a command started `last`, the API
   server the others report to, once they have stopped);
2. after `grace` seconds, SIGTERM to every process still in the sessions (and to any process seen
   below a command that left them);
3. after `kill_after` more seconds, SIGKILL to what remains.

A second signal while stopping skips the waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psutil

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_SECONDS = 0.2


class Interrupted(KeyboardInterrupt):
    """`outreach` received SIGINT or SIGTERM; every process it started has been stopped."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class Sessions:
    """Commands started each in a session of its own, and every process in those sessions."""

    def __init__(self, grace: float, kill_after: float = 5.0) -> None:
        self.grace = grace
        self.kill_after = kill_after
        self.leaders: list[subprocess.Popen] = []
        self._last: set[int] = set()
        # every process seen, with the session (its command's pid) it belongs to
        self._seen: dict[int, tuple[psutil.Process, int]] = {}
        self._hurry = False

    def start(self, command: list[str], *, last: bool = False, **popen: Any) -> subprocess.Popen:
        """Start a command in a session of its own; `last`: stopped once the others have (a
        server the others report to while they stop)."""
        process = subprocess.Popen(command, start_new_session=True, **popen)
        self.leaders.append(process)
        if last:
            self._last.add(process.pid)
        return process

    def running(self, leaders: list[subprocess.Popen] | None = None) -> list[psutil.Process]:
        """Every live process of the sessions (of `leaders`, default all), and those seen below
        a command that left them."""
        sessions = {leader.pid for leader in self.leaders}
        for process in psutil.process_iter():
            try:
                session = os.getsid(process.pid)
            except (OSError, psutil.Error):
                continue
            if session in sessions:
                self._seen.setdefault(process.pid, (process, session))
        for leader in self.leaders:
            if leader.poll() is None:
                with suppress(psutil.Error):
                    for child in psutil.Process(leader.pid).children(recursive=True):
                        self._seen.setdefault(child.pid, (child, leader.pid))
        wanted = {leader.pid for leader in (self.leaders if leaders is None else leaders)}
        return [
            process
            for process, session in self._seen.values()
            if session in wanted and _alive(process)
        ]

    def hurry(self) -> None:
        """Skip the waits of a stop under way (a second Ctrl+C)."""
        self._hurry = True

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop every process of the sessions: the signal to each command's group (the `last`
        ones once the others have stopped, or `grace` seconds have passed), SIGTERM to what is
        left, SIGKILL after `kill_after` more seconds."""
        self.running()  # remembered before anything exits and is re-parented
        first = [leader for leader in self.leaders if leader.pid not in self._last]
        last = [leader for leader in self.leaders if leader.pid in self._last]
        for wave, wait in ((first, self.grace), (last, self.kill_after)):
            signalled = [leader for leader in wave if leader.poll() is None]
            for leader in signalled:
                _signal_group(leader.pid, signum)
            if signalled:  # else what is left was left behind: nobody to wait for
                self._wait(wait, wave)
        for step, wait in ((signal.SIGTERM, self.kill_after), (signal.SIGKILL, 0.0)):
            remaining = self.running()
            if not remaining:
                break
            for process in remaining:
                with suppress(psutil.Error):
                    process.send_signal(step)
            self._wait(wait)
        for leader in self.leaders:
            leader.wait()  # reaped: no zombie left behind

    def _wait(self, seconds: float, leaders: list[subprocess.Popen] | None = None) -> None:
        deadline = time.monotonic() + seconds
        while self.running(leaders) and time.monotonic() < deadline and not self._hurry:
            time.sleep(POLL_SECONDS)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal_group(pgid: int, signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)


@contextmanager
def supervised(grace: float, kill_after: float = 5.0) -> Iterator[Sessions]:
    """Sessions whose processes are all stopped when the block ends, however it ends; SIGINT or
    SIGTERM ends it with `Interrupted`, once they are stopped. Outside the main thread, where
    Python receives no signal, the block ends as it would, and stops them the same."""
    sessions = Sessions(grace, kill_after)
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if stopping:
            sessions.hurry()
            return
        stopping.append(signum)
        raise Interrupted(signum)

    previous: dict[int, Callable | int | None] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for received in STOP_SIGNALS:
                previous[received] = signal.signal(received, on_signal)
        yield sessions
    except Interrupted as interrupted:
        sessions.stop(interrupted.signum)
        raise
    finally:
        stopping.append(signal.SIGTERM)  # a signal from here on only hurries the stop
        sessions.stop(signal.SIGTERM)
        for number, handler in previous.items():
            signal.signal(number, handler)


def run(command: list[str], *, grace: float, kill_after: float = 5.0, **popen: Any) -> int:
    """`subprocess.run` that leaves no process behind: the command's exit code."""
    with supervised(grace, kill_after) as sessions:
        return sessions.start(command, **popen).wait()
