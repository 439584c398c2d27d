"""The portal on several worker processes, as `outreach web --workers 2` serves it: uploads
arriving on a clock land in the inbox exactly once (each claims its revision in the shared
database), a session made by one worker is honoured by the other, and workers starting at once
agree on the session key. No timing is asserted: the times are `make bench`'s
(bench/portal_sustained.py, whose load this test drives for a few seconds)."""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
from pathlib import Path

import httpx
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import portal_sustained as load  # noqa: E402
from portal_load import (  # noqa: E402
    bench_home,
    cookie_client,
    log_in,
    login_of,
    received_name,
    upload,
)

from outreach.core.home import Home  # noqa: E402
from outreach.portal.app import portal_secret  # noqa: E402

WORKERS = 2
RATE, DURATION = 5.0, 3.0  # fifteen uploads round three senders: a correction each
SENDERS = 3
RACING = 6  # corrections of one month sent at once, then confirmed at once
FIRST_RACING_EDITION = 100  # their files' editions: bytes none of the run's uploads had
PAGE_REQUESTS = 40  # with one session cookie, each on a new connection
CPU_OF_PAGES = 0.05  # seconds of CPU a worker must have spent answering some of them
MAX_PAGE_ROUNDS = 10  # rounds of PAGE_REQUESTS before a worker that answered none fails


@pytest.mark.heavy  # two worker processes started, argon2 logins, seconds of uploads
def test_two_workers_take_every_upload_once_and_share_sessions(tmp_path):
    due = int(RATE * DURATION)
    home, store, codes, password, _ = bench_home(tmp_path, SENDERS - 1)
    with load.served(home, WORKERS) as portal:
        workers = portal.workers()
        assert len(workers) == WORKERS and len({w.pid for w in workers}) == WORKERS

        async def uploads() -> load.Run:
            senders = await load.log_in_all(
                portal.url, [login_of(code) for code in codes], password, due // SENDERS
            )
            try:
                return await load.sustained(senders, RATE, DURATION)
            finally:
                for sender in senders:
                    await sender.client.aclose()

        run = asyncio.run(uploads())
        assert run.errors == [], run.errors
        assert len(run.answers) == due and run.corrections > 0

        # corrections of one month sent at once and confirmed at once, answered by both
        # workers: each claims its own revision (none lost, none taken twice)
        async def racing() -> list[str | None]:
            fresh = httpx.Limits(max_keepalive_connections=0)
            async with cookie_client(portal.url, limits=fresh) as client:
                csrf = await log_in(client, login_of(codes[1]), password)
                editions = range(FIRST_RACING_EDITION, FIRST_RACING_EDITION + RACING)
                staged = await asyncio.gather(
                    *(upload(client, csrf, "2026-01", edition) for edition in editions)
                )
                return await asyncio.gather(
                    *(received_name(client, csrf, answer) for answer in staged)
                )

        raced = asyncio.run(racing())
        assert None not in raced and len(set(raced)) == RACING, raced

        # one session, many requests, each on a connection of its own (the login's too): both
        # workers answer some (each one's CPU grows), and every answer is the sender's page
        async def pages() -> list[httpx.Response]:
            fresh = httpx.Limits(max_keepalive_connections=0)
            async with cookie_client(portal.url, limits=fresh) as client:
                await log_in(client, login_of(codes[0]), password)
                return await asyncio.gather(*(client.get("/don-vi") for _ in range(PAGE_REQUESTS)))

        # which worker answers is the kernel's choice: rounds of pages until each worker has
        # answered some, at most MAX_PAGE_ROUNDS (a worker that answered none in all of them
        # fails the test; its CPU, not a clock, tells that it answered)
        before = [load.cpu_seconds(worker) for worker in workers]
        for _ in range(MAX_PAGE_ROUNDS):
            answers = asyncio.run(pages())
            assert [answer.status_code for answer in answers] == [200] * PAGE_REQUESTS
            assert all(codes[0] in answer.text for answer in answers)
            spent = [load.cpu_seconds(w) - b for w, b in zip(workers, before, strict=True)]
            if all(seconds >= CPU_OF_PAGES for seconds in spent):
                break
        assert all(seconds >= CPU_OF_PAGES for seconds in spent), spent
        errors = portal.errors_logged()
    assert errors == []
    found = load.landed(home, store, [*run.names, *raced], due + RACING)
    assert found.exactly_once, found
    assert found.files == found.recorded == found.distinct_recorded == due + RACING


def _secret_of(root: str, start, out) -> None:
    start.wait()
    out.put(portal_secret(Home(Path(root))))


def test_processes_starting_at_once_agree_on_the_session_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OUTREACH_PORTAL_SECRET", raising=False)
    context = multiprocessing.get_context("fork")
    start, out = context.Barrier(4), context.Queue()
    processes = [
        context.Process(target=_secret_of, args=(str(tmp_path), start, out)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    secrets = [out.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(30)
    assert len(set(secrets)) == 1 and len(secrets[0]) > 40
    assert (tmp_path / "portal" / "secret.key").read_text().strip() == secrets[0]
    assert [p.name for p in (tmp_path / "portal").iterdir()] == ["secret.key"]  # no part left


def _broken_portal():
    raise RuntimeError("no database")


def test_a_portal_that_cannot_start_says_so_on_one_worker_too():
    """The factory's failure is the CLI's NotStarted (a message and exit 1), not a bare exit."""
    from outreach.portal.server import NotStarted, serve

    with pytest.raises(NotStarted, match="could not start"):
        serve(_broken_portal, "127.0.0.1", 0, workers=1)
