"""The portal under the last hours before a deadline: many senders upload at once.

    .venv/bin/python bench/portal_load.py [--senders 300] [--uploads 10] [--markdown OUT.md]

A fresh home with a registry of SENDERS synthetic sources (copies of a provincial outlet) and an
account for each; `outreach web`'s application served by uvicorn on this machine (one process,
SQLite: the embedded default). Every sender logs in, then sends UPLOADS files at once with the
others: new months, and every fifth a correction of its first month (uploaded, then confirmed).
Reports the time of an upload's check (the request that checks a typical monthly file: median
and 95th percentile), the throughput, and that every upload landed in the inbox exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import uvicorn  # noqa: E402

from ingest.validate import MONTHLY_COLUMNS  # noqa: E402
from outreach.core.home import SEED_NAMES, SEEDS_DIR, Home  # noqa: E402
from outreach.core.registry import read_seed  # noqa: E402
from outreach.portal.app import create_app  # noqa: E402
from outreach.portal.store import Store, uploads  # noqa: E402

PASSWORD_BYTES = 18
TOPICS = ["Phòng, chống mua bán người", "Phòng, chống ma túy", "Phòng, chống tội phạm"]


def registry(home: Home, senders: int) -> list[str]:
    """The bundled seeds, with SENDERS more provincial outlets registered from 2022."""
    home.registry.mkdir(parents=True, exist_ok=True)
    for name in SEED_NAMES:
        shutil.copy(SEEDS_DIR / f"{name}.csv", home.registry / f"{name}.csv")
    rows = read_seed(SEEDS_DIR, "ref_sources")
    model = next(row for row in rows if row["source_code"] == "BPTTH-LS")
    codes = [f"BENCH-{number:03d}" for number in range(0, senders + 1)]  # 000: alone, first
    for code in codes:
        rows.append({**model, "source_code": code, "source_name": f"Đơn vị thử {code}"})
    with open(home.registry / "ref_sources.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return codes


def monthly_file(month: str, edition: int = 0, rows: int = 15) -> bytes:
    """A typical month of an outlet: some fifteen rows; a later `edition` (a correction) words
    its first title differently (the portal takes the same bytes again as already received)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.label for column in MONTHLY_COLUMNS])
    year, number = month[:4], month[5:7]
    for index in range(rows):
        day = 1 + index % 27
        writer.writerow(
            [
                f"{day:02d}/{number}/{year}",
                TOPICS[index % 3],
                "Tin, bài",
                1 + index % 4,
                "",
                "",
                f"Tin số {index + 1}" + (f", bản sửa {edition}" if edition and not index else ""),
                "",
                "",
            ]
        )
    return out.getvalue().encode("utf-8")


def cookie_client(url: str, **options) -> httpx.AsyncClient:
    """An HTTP client to the portal that keeps its cookies, as a browser does."""
    jar: dict[str, str] = {}

    async def keep_cookies(response: httpx.Response) -> None:
        # the portal's cookies are Secure and this client speaks http to localhost, as a browser
        # does (browsers keep Secure cookies for localhost; httpx does not): kept by hand
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""'):
                jar.pop(name, None)
            else:
                jar[name] = value

    async def send_cookies(request: httpx.Request) -> None:
        if jar:
            request.headers["cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())

    return httpx.AsyncClient(
        base_url=url,
        timeout=600,
        event_hooks={"request": [send_cookies], "response": [keep_cookies]},
        **options,
    )


class LoginFailed(RuntimeError):
    pass


async def log_in(client: httpx.AsyncClient, login: str, password: str) -> str:
    """Log in; the CSRF token of the sender's page (LoginFailed: the portal's answer)."""
    form = await client.get("/dang-nhap")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = await client.post(
        "/dang-nhap", data={"csrf": csrf, "login": login, "password": password}
    )
    if answer.status_code != 303:
        raise LoginFailed(f"{login}: login {answer.status_code} {answer.text[:300]}")
    page = await client.get("/don-vi")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    if found is None:  # sent to the login again: the session was not honoured
        raise LoginFailed(f"{login}: the sender's page answered {page.status_code}")
    return found.group(1)


async def upload(
    client: httpx.AsyncClient, csrf: str, month: str, edition: int = 0
) -> httpx.Response:
    """Send a typical file for `month` (the request that checks it), its `edition`."""
    return await client.post(
        "/don-vi/gui",
        data={"csrf": csrf, "month": f"{month}-01", "kind": "monthly"},
        files={"files": ("bao cao.csv", monthly_file(month, edition), "text/csv")},
    )


async def received_name(client: httpx.AsyncClient, csrf: str, answer: httpx.Response) -> str | None:
    """The name the portal gave an upload it answered (a correction confirmed first); None if
    it did not take it."""
    staged = re.search(r'name="staged" value="([0-9a-f-]+)"', answer.text)
    if staged:  # a correction: confirm it
        answer = await client.post(
            "/don-vi/xac-nhan", data={"csrf": csrf, "staged": staged.group(1)}
        )
        found = re.search(r"Đã nhận bản sửa (\S+\.csv)", answer.text)
    else:
        found = re.search(r"<strong>(\S+\.csv)</strong>", answer.text)
    return found.group(1) if found else None


def upload_months(count: int) -> list[str]:
    """A sender's months: new months of 2026, and every fifth upload a correction of its first
    month (eight new months and two corrections in ten)."""
    return ["2026-01" if n % 5 == 4 else f"2026-{1 + n - n // 5:02d}" for n in range(count)]


def address_of(number: int) -> str:
    """Sender `number`'s own address: 300 senders are 300 offices, each behind its own address,
    as the portal sees them behind its proxy (the portal bounds the password checks in flight
    from one address: 300 logins from one address at once are an attack, and refused)."""
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256 + 1}"


async def sender(
    client_url: str,
    login: str,
    password: str,
    months: list[str],
    timings: list,
    errors: list,
    address: str = "10.0.0.1",
) -> list[str]:
    """Log in, send each month (confirming the corrections); the names the portal gave."""
    names: list[str] = []
    async with cookie_client(client_url, headers={"X-Forwarded-For": address}) as client:
        try:
            csrf = await log_in(client, login, password)
        except LoginFailed as failed:
            errors.append(str(failed))
            return names
        for edition, month in enumerate(months):
            started = time.perf_counter()
            answer = await upload(client, csrf, month, edition)
            timings.append(time.perf_counter() - started)
            if answer.status_code != 200:
                errors.append(f"{login} {month}: {answer.status_code}")
                continue
            found = await received_name(client, csrf, answer)
            if found is None:
                errors.append(f"{login} {month}: not received")
            else:
                names.append(found)
    return names


def bench_home(folder: Path, senders: int) -> tuple[Home, Store, list[str], str, float]:
    """A fresh home under `folder` with SENDERS sources (and BENCH-000) and an account for
    each: the home, its store, the codes, the accounts' password and the seconds argon2 took."""
    home = Home(folder / "home").ensure()
    codes = registry(home, senders)
    store = Store.for_home(home)
    password = secrets.token_urlsafe(PASSWORD_BYTES)  # made here: none in the repository
    started = time.perf_counter()
    for code in codes:
        store.add_account(login_of(code), code, "source", source_code=code, password=password)
    return home, store, codes, password, time.perf_counter() - started


def login_of(code: str) -> str:
    return f"{code.lower()}@example.vn"


@dataclass(frozen=True)
class Landed:
    """Whether every upload the portal named is in the inbox once and recorded once."""

    exactly_once: bool
    files: int
    recorded: int
    distinct_recorded: int


def landed(home: Home, store: Store, given: list[str], expected: int) -> Landed:
    """The names the portal gave against the inbox's files and the uploads table: each name
    once in both, and `expected` of them."""
    inbox = sorted(path.name for path in home.inbox.glob("*.csv"))
    with store.engine.connect() as con:
        names = list(con.execute(sa.select(uploads.c.file_name)).scalars())
    exactly_once = (
        sorted(given) == inbox == sorted(names) and len(set(inbox)) == len(inbox) == expected
    )
    return Landed(exactly_once, len(inbox), len(names), len(set(names)))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=300)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        # BENCH-000 sends alone first (the time of one check, unloaded)
        home, store, codes, password, accounts_seconds = bench_home(Path(folder), args.senders)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(home, store),
                host="127.0.0.1",
                port=port,
                log_level="warning",
                backlog=4096,
                limit_concurrency=None,
                # behind a proxy as in production (deploy/nginx-portal.conf): each sender's
                # address is the one it forwards
                proxy_headers=True,
                forwarded_allow_ips="127.0.0.1",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        months = upload_months(args.uploads)
        timings: list[float] = []
        errors: list[str] = []

        async def everyone():
            return await asyncio.gather(
                *(
                    sender(
                        f"http://127.0.0.1:{port}",
                        login_of(code),
                        password,
                        months,
                        timings,
                        errors,
                        address_of(number),
                    )
                    for number, code in enumerate(codes[1:], start=1)
                )
            )

        alone: list[float] = []
        url = f"http://127.0.0.1:{port}"
        first = asyncio.run(sender(url, login_of(codes[0]), password, months, alone, errors))
        started = time.perf_counter()
        names = [first, *asyncio.run(everyone())]
        seconds = time.perf_counter() - started
        server.should_exit = True
        thread.join(10)
        expected = (args.senders + 1) * args.uploads
        given = [name for per_sender in names for name in per_sender]
        found = landed(home, store, given, expected)
        p95 = percentile(timings, 0.95)
        table = "\n".join(
            [
                "| measure | value |",
                "| --- | --- |",
                f"| senders at once | {args.senders} |",
                f"| uploads, of which corrections | {expected}, "
                f"{(args.senders + 1) * (months.count('2026-01') - 1)} |",
                f"| every upload in the inbox exactly once | "
                f"{'yes' if found.exactly_once else 'NO'} "
                f"({found.files} files, {found.recorded} recorded, {len(errors)} errors) |",
                f"| upload and check of one monthly file (15 rows), one sender alone, median | "
                f"{statistics.median(alone):.2f} s |",
                f"| the same with {args.senders} senders at once, median | "
                f"{statistics.median(timings):.2f} s |",
                f"| the same with {args.senders} senders at once, 95th percentile | {p95:.2f} s |",
                f"| all uploads at once | {seconds:.0f} s "
                f"({args.senders * args.uploads / seconds:.1f} uploads/s) |",
                f"| setting up {args.senders} accounts (argon2) | {accounts_seconds:.0f} s |",
            ]
        )
        print(table)
        for error in errors[:10]:
            print(f"error: {error}", file=sys.stderr)
        if args.markdown:
            args.markdown.write_text(table + "\n", encoding="utf-8")
        if not found.exactly_once:
            sys.exit("some upload was lost or doubled")


if __name__ == "__main__":
    main()
