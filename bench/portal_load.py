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


def monthly_file(month: str, rows: int = 15) -> bytes:
    """A typical month of an outlet: some fifteen rows."""
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
                f"Tin số {index + 1}",
                "",
                "",
            ]
        )
    return out.getvalue().encode("utf-8")


async def sender(
    client_url: str, login: str, password: str, months: list[str], timings: list, errors: list
) -> list[str]:
    """Log in, send each month (confirming the corrections); the names the portal gave."""
    names = []
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

    async with httpx.AsyncClient(
        base_url=client_url,
        timeout=600,
        event_hooks={"request": [send_cookies], "response": [keep_cookies]},
    ) as client:
        form = await client.get("/dang-nhap")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        answer = await client.post(
            "/dang-nhap", data={"csrf": csrf, "login": login, "password": password}
        )
        if answer.status_code != 303:
            errors.append(f"{login}: login {answer.status_code} {answer.text[:300]}")
            return names
        page = await client.get("/don-vi")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        for month in months:
            started = time.perf_counter()
            answer = await client.post(
                "/don-vi/gui",
                data={"csrf": csrf, "month": f"{month}-01", "kind": "monthly"},
                files={"files": ("bao cao.csv", monthly_file(month), "text/csv")},
            )
            timings.append(time.perf_counter() - started)
            if answer.status_code != 200:
                errors.append(f"{login} {month}: {answer.status_code}")
                continue
            staged = re.search(r'name="staged" value="([0-9a-f-]+)"', answer.text)
            if staged:  # a correction: confirm it
                answer = await client.post(
                    "/don-vi/xac-nhan", data={"csrf": csrf, "staged": staged.group(1)}
                )
                found = re.search(r"Đã nhận bản sửa (\S+\.csv)", answer.text)
            else:
                found = re.search(r"<strong>(\S+\.csv)</strong>", answer.text)
            if found is None:
                errors.append(f"{login} {month}: not received")
            else:
                names.append(found.group(1))
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=300)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-load-") as folder:
        home = Home(Path(folder) / "home").ensure()
        codes = registry(home, args.senders)
        store = Store.for_home(home)
        password = secrets.token_urlsafe(PASSWORD_BYTES)  # made here: none in the repository
        started = time.perf_counter()
        for code in codes:  # BENCH-000 sends alone first (the time of one check, unloaded)
            store.add_account(
                f"{code.lower()}@example.vn", code, "source", source_code=code, password=password
            )
        accounts_seconds = time.perf_counter() - started
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
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        # new months of 2026, and every fifth upload a correction of the sender's first month
        months = [
            "2026-01" if n % 5 == 4 else f"2026-{1 + n - n // 5:02d}" for n in range(args.uploads)
        ]
        timings: list[float] = []
        errors: list[str] = []

        async def everyone():
            return await asyncio.gather(
                *(
                    sender(
                        f"http://127.0.0.1:{port}",
                        f"{code.lower()}@example.vn",
                        password,
                        months,
                        timings,
                        errors,
                    )
                    for code in codes[1:]
                )
            )

        alone: list[float] = []
        url = f"http://127.0.0.1:{port}"
        first = asyncio.run(sender(url, "bench-000@example.vn", password, months, alone, errors))
        started = time.perf_counter()
        names = [first, *asyncio.run(everyone())]
        seconds = time.perf_counter() - started
        server.should_exit = True
        thread.join(10)
        expected = (args.senders + 1) * args.uploads
        given = [name for per_sender in names for name in per_sender]
        inbox = sorted(path.name for path in home.inbox.glob("*.csv"))
        with store.engine.connect() as con:
            recorded = con.execute(sa.select(sa.func.count()).select_from(uploads)).scalar_one()
        exactly_once = (
            sorted(given) == inbox and len(set(inbox)) == len(inbox) == recorded == expected
        )
        timings.sort()
        p95 = timings[int(0.95 * (len(timings) - 1))] if timings else float("nan")
        table = "\n".join(
            [
                "| measure | value |",
                "| --- | --- |",
                f"| senders at once | {args.senders} |",
                f"| uploads, of which corrections | {expected}, "
                f"{(args.senders + 1) * (months.count('2026-01') - 1)} |",
                f"| every upload in the inbox exactly once | {'yes' if exactly_once else 'NO'} "
                f"({len(inbox)} files, {recorded} recorded, {len(errors)} errors) |",
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
        if not exactly_once:
            sys.exit("some upload was lost or doubled")


if __name__ == "__main__":
    main()
