"""Pull connectors against real servers on 127.0.0.1: a folder, HTTP listings, SFTP."""

from __future__ import annotations

import asyncio
import functools
import http.server
import os
import socket
import threading
import time
from datetime import UTC, datetime

import asyncssh
import pytest
from helpers import new_home, write_bytes, write_csv

from ingest.files import is_waiting
from ingest.load import inbox_files, ingest_inbox
from ingest.pull import Delivery, pull_all, pull_delivery, safe_name
from outreach.orchestration import pipeline

ROW = ["05/03/2022", "Khác", "Tin, bài", "1", "", "", "", "", ""]
SENT = datetime(2022, 4, 3, 9, 30, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- a local folder ----------------------------------------------------------------------------


def test_new_files_are_copied_once_and_never_removed_at_the_source(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    source = write_csv(drop, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    assert pipeline.pull(home, drop)["pulled"] == 1
    copied = home.inbox / "BAO-LS_2022-03.csv"
    assert copied.read_bytes() == source.read_bytes()
    assert copied.stat().st_mtime == SENT.timestamp()  # the delivery time travels with it
    copied.unlink()  # as ingest would move it away
    assert pipeline.pull(home, drop)["pulled"] == 0
    assert source.exists()


def test_changed_content_under_the_same_name_is_pulled_again(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_csv(drop, "BAO-LS_2022-03.csv", [ROW])
    pipeline.pull(home, drop)
    (home.inbox / "BAO-LS_2022-03.csv").unlink()
    write_csv(drop, "BAO-LS_2022-03.csv", [ROW, ROW])
    assert pipeline.pull(home, drop)["pulled"] == 1


def test_identical_bytes_from_two_sources_are_two_files(tmp_path):
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_csv(drop, "TW-VTV_2022-03.csv", [])
    write_csv(drop, "TW-VOV_2022-03.csv", [])
    assert pipeline.pull(home, drop)["pulled"] == 2


def test_the_files_said_to_be_waiting_are_the_files_ingest_takes(tmp_path):
    """The pull step's count of waiting files is the ingest step's list: an upload still being
    written, a file's error report, a hidden file, a symlink and a folder are not waiting."""
    home = new_home(tmp_path / "home")
    write_csv(home.inbox, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    write_csv(home.inbox, "TW-VTV_2022-03.csv", [ROW], sent_at=SENT)
    write_bytes(home.inbox, "TW-VOV_2022-03.csv.part", b"ngay,chu_de")
    write_bytes(home.inbox, "TW-VOV_2022-03.csv.tmp", b"ngay,chu_de")
    write_bytes(home.inbox, "TW-QDND_2022-02.csv.errors.txt", b"Dong 2: ...")
    write_bytes(home.inbox, ".~lock.TW-CAND_2022-03.xlsx#", b"")
    (home.inbox / "PVHTT-181_2022-03.csv").symlink_to(home.inbox / "BAO-LS_2022-03.csv")
    (home.inbox / "thu-muc").mkdir()
    waiting = pipeline.pull(home)["waiting"]
    assert waiting == len(inbox_files(home.inbox)) == 2
    summary = ingest_inbox(home)
    assert sorted(summary.accepted + summary.rejected) == [
        "BAO-LS_2022-03.csv",
        "TW-VTV_2022-03.csv",
    ]


@pytest.mark.parametrize(
    "remote, kept",
    [
        ("BAO-LS_2022-03.csv", "BAO-LS_2022-03.csv"),
        ("../BAO-LS_2022-03.csv", "%2E.%2FBAO-LS_2022-03.csv"),
        ("a/b.csv", "a%2Fb.csv"),
        ("..\\x.csv", "%2E.%5Cx.csv"),
        (".hidden.csv", "%2Ehidden.csv"),
        ("BAO-LS_2022-03\n.csv", "BAO-LS_2022-03%0A.csv"),
        ("BAO-LS_2022-03.csv.errors.txt", "BAO-LS_2022-03.csv.errors%2Etxt"),
        ("BAO-LS_2022-03.csv.part", "BAO-LS_2022-03.csv%2Epart"),
        ("..BAO-LS_2022-03.csv", "%2E.BAO-LS_2022-03.csv"),
        ("BAO-LS_2022-03\u200b.csv", "BAO-LS_2022-03%E2%80%8B.csv"),
    ],
)
def test_unsafe_remote_names_are_kept_under_an_encoded_name(remote, kept):
    assert safe_name(remote) == kept
    assert is_waiting(kept)  # ingest takes it from the inbox: none is left there for ever


def test_pulled_files_named_like_the_products_own_are_refused_not_left(tmp_path):
    """A file named like an error report, one starting with `..` and one with an invisible
    character, delivered to a folder: each is pulled, quarantined with a message naming what
    is wrong, and the inbox is empty after ingest."""
    home = new_home(tmp_path / "home")
    drop = tmp_path / "drop"
    write_bytes(drop, "TW-QDND_2022-02.csv.errors.txt", b"Dong 2: ...")
    write_csv(drop, "..BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    write_csv(drop, "TW-VTV_2022-03\u200b.csv", [ROW], sent_at=SENT)
    write_csv(drop, ".~lock.TW-VOV_2022-03.xlsx#", [ROW])  # an editor's lock: not a delivery
    assert pipeline.pull(home, drop)["pulled"] == 3
    summary = ingest_inbox(home)
    assert sorted(summary.rejected) == [
        "%2E.BAO-LS_2022-03.csv",
        "TW-QDND_2022-02.csv.errors%2Etxt",
        "TW-VTV_2022-03%E2%80%8B.csv",
    ]
    assert [p.name for p in home.inbox.iterdir() if p.name != ".origin"] == []

    def report(name: str) -> str:
        return (home.quarantine / f"{name}.errors.txt").read_text(encoding="utf-8")

    text = report("TW-QDND_2022-02.csv.errors%2Etxt")
    assert (
        "Tên tệp 'TW-QDND_2022-02.csv.errors%2Etxt' không đúng mẫu: đuôi '.errors.txt' là của "
        "báo cáo lỗi mà hệ thống gửi trả cho một tệp bị trả lại, không phải một báo cáo" in text
    )
    assert "Do not send an error report back: correct the original file" in text
    text = report("%2E.BAO-LS_2022-03.csv")
    assert "bắt đầu bằng dấu chấm ('.' hoặc '..')" in text
    assert "Hãy đổi tên thành 'BAO-LS_2022-03.csv' rồi gửi lại." in text
    text = report("TW-VTV_2022-03%E2%80%8B.csv")
    assert "U+200B (khoảng trắng không nhìn thấy) ở vị trí 15" in text
    assert "U+200B (zero-width space) at position 15" in text
    assert "Hãy đổi tên thành 'TW-VTV_2022-03.csv' rồi gửi lại." in text


# --- HTTP ---------------------------------------------------------------------------------------


class _Listing(http.server.SimpleHTTPRequestHandler):
    extra_links: list[str] = []

    def log_message(self, *args):
        pass

    def list_directory(self, path):
        if not self.extra_links:
            return super().list_directory(path)
        names = [
            n + "/" if os.path.isdir(os.path.join(path, n)) else n for n in sorted(os.listdir(path))
        ] + self.extra_links
        body = "".join(f'<a href="{n}">{n}</a>\n' for n in names).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


@pytest.fixture
def http_folder(tmp_path):
    served = tmp_path / "published"
    served.mkdir()
    handler = functools.partial(_Listing, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_http_listing_is_pulled_with_the_servers_time(tmp_path, http_folder):
    served, url = http_folder
    write_csv(served, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    write_csv(served, "BAO-LS_2022-04.csv", [ROW])
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(home, Delivery("BAO-LS", "http", url))
    assert (outcome.error, sorted(outcome.pulled)) == (
        None,
        ["BAO-LS_2022-03.csv", "BAO-LS_2022-04.csv"],
    )
    assert (home.inbox / "BAO-LS_2022-03.csv").stat().st_mtime == SENT.timestamp()
    assert pull_delivery(home, Delivery("BAO-LS", "http", url)).pulled == []
    assert sorted(p.name for p in served.iterdir()) == ["BAO-LS_2022-03.csv", "BAO-LS_2022-04.csv"]


def test_http_url_of_one_file(tmp_path, http_folder):
    served, url = http_folder
    write_csv(served, "PTTH-LS_2022-03.csv", [ROW])
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(home, Delivery("PTTH-LS", "http", url + "PTTH-LS_2022-03.csv"))
    assert outcome.pulled == ["PTTH-LS_2022-03.csv"]


def test_path_tricks_in_a_listing_never_write_outside_the_home(tmp_path, http_folder, monkeypatch):
    served, url = http_folder
    write_csv(served, "BAO-LS_2022-03.csv", [ROW])
    write_csv(served / "sub", "BAO-LS_2022-04.csv", [ROW])
    (tmp_path / "secret.csv").write_text("ngay,chu_de\n")
    monkeypatch.setattr(
        _Listing,
        "extra_links",
        ["../secret.csv", "..%2Fsecret.csv", "sub/BAO-LS_2022-04.csv", "?C=N;O=D"],
    )
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(home, Delivery("BAO-LS", "http", url), backoff_seconds=0.01)
    assert sorted(outcome.pulled) == ["BAO-LS_2022-03.csv", "sub%2FBAO-LS_2022-04.csv"]
    assert set(outcome.file_errors) == {"%2E.%2Fsecret.csv"}  # the server says 404
    assert all(home.root in p.parents for p in home.root.rglob("*"))
    assert not any(p.name == "secret.csv" for p in home.root.rglob("*"))
    summary = ingest_inbox(home)
    assert summary.accepted == ["BAO-LS_2022-03.csv"]
    assert summary.rejected == ["sub%2FBAO-LS_2022-04.csv"]
    report = (home.quarantine / "sub%2FBAO-LS_2022-04.csv.errors.txt").read_text("utf-8")
    assert "không đúng mẫu" in report


def test_a_source_that_is_down_is_retried_reported_and_does_not_stop_others(tmp_path, http_folder):
    served, url = http_folder
    write_csv(served, "BAO-LS_2022-03.csv", [ROW])
    home = new_home(tmp_path / "home")
    down = f"http://127.0.0.1:{_free_port()}/"
    outcomes = pull_all(
        home,
        [Delivery("PTTH-LS", "http", down), Delivery("BAO-LS", "http", url)],
        backoff_seconds=0.01,
    )
    assert outcomes[0].attempts == 3 and "Connection refused" in outcomes[0].error
    assert outcomes[1].pulled == ["BAO-LS_2022-03.csv"] and outcomes[1].error is None


# --- SFTP ---------------------------------------------------------------------------------------


class _Auth(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return (username, password) == ("bao-ls", os.environ.get("TEST_SFTP_PASSWORD"))


@pytest.fixture
def sftp_folder(tmp_path, monkeypatch):
    root = tmp_path / "sftp-root"
    (root / "outbox").mkdir(parents=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    monkeypatch.setenv("TEST_SFTP_PASSWORD", "made-up-for-this-test")
    port = _free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def chroot_sftp(channel):
        return asyncssh.SFTPServer(channel, chroot=str(root).encode())

    async def start():
        return await asyncssh.listen(
            "127.0.0.1",
            port,
            server_host_keys=[key],
            server_factory=_Auth,
            sftp_factory=chroot_sftp,
        )

    def serve():
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    known_hosts = tmp_path / "known_hosts"  # the operator records the server's key once
    known_hosts.write_bytes(f"[127.0.0.1]:{port} ".encode() + key.export_public_key("openssh"))
    monkeypatch.setenv("OUTREACH_SFTP_KNOWN_HOSTS", str(known_hosts))
    yield root / "outbox", f"sftp://bao-ls@127.0.0.1:{port}/outbox"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def test_sftp_folder_is_pulled_with_the_remote_time(tmp_path, sftp_folder):
    outbox, url = sftp_folder
    write_csv(outbox, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    write_bytes(outbox, "BAO-LS_2022-04.csv", b"ngay,chu_de,hinh_thuc,so_luong\n")
    home = new_home(tmp_path / "home")
    delivery = Delivery("BAO-LS", "sftp", url, "TEST_SFTP_PASSWORD")
    outcome = pull_delivery(home, delivery)
    assert (outcome.error, sorted(outcome.pulled)) == (
        None,
        ["BAO-LS_2022-03.csv", "BAO-LS_2022-04.csv"],
    )
    assert (home.inbox / "BAO-LS_2022-03.csv").stat().st_mtime == SENT.timestamp()
    assert pull_delivery(home, delivery).pulled == []
    assert len(list(outbox.iterdir())) == 2  # nothing deleted at the source


def test_sftp_with_a_wrong_password_is_reported(tmp_path, sftp_folder, monkeypatch):
    _, url = sftp_folder
    monkeypatch.setenv("WRONG_PASSWORD", "not-it")
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(
        home, Delivery("BAO-LS", "sftp", url, "WRONG_PASSWORD"), attempts=2, backoff_seconds=0.01
    )
    assert outcome.pulled == [] and outcome.attempts == 2
    assert "Permission" in outcome.error or "auth" in outcome.error.lower()


def test_an_sftp_server_with_an_unknown_host_key_is_refused(tmp_path, sftp_folder, monkeypatch):
    outbox, url = sftp_folder
    write_csv(outbox, "BAO-LS_2022-03.csv", [ROW], sent_at=SENT)
    stranger = tmp_path / "other_known_hosts"
    other = asyncssh.generate_private_key("ssh-ed25519")
    port = url.split(":")[2].split("/")[0]
    stranger.write_bytes(f"[127.0.0.1]:{port} ".encode() + other.export_public_key("openssh"))
    monkeypatch.setenv("OUTREACH_SFTP_KNOWN_HOSTS", str(stranger))
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(home, Delivery("BAO-LS", "sftp", url, "TEST_SFTP_PASSWORD"), attempts=1)
    assert outcome.pulled == [] and outcome.error
    assert "host key" in outcome.error.lower()
    assert not any(home.inbox.iterdir())


# --- bounds -------------------------------------------------------------------------------------


class _Hostile(http.server.BaseHTTPRequestHandler):
    """A server that drips, sends too much, or redirects where the pull must not follow."""

    target = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/slow.csv":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.5)
        elif self.path == "/big.csv":  # 25 MB, without a Content-Length to go by
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            chunk = b"a" * (1 << 20)
            try:
                for _ in range(25):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.target)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture
def hostile_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_that_drips_is_cut_off_at_the_sources_deadline(tmp_path, hostile_server):
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(
        home,
        Delivery("BAO-LS", "http", hostile_server + "/slow.csv"),
        source_seconds=2,
        backoff_seconds=0.01,
    )
    # (without the deadline the server's 100 bytes would arrive, after 50 s, and be pulled)
    assert outcome.pulled == [] and outcome.attempts == 1
    assert "deadline" in outcome.file_errors["slow.csv"]
    assert not any(p for p in home.inbox.iterdir() if p.is_file())


def test_a_download_stops_at_the_size_ingest_accepts(tmp_path, hostile_server):
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(
        home, Delivery("BAO-LS", "http", hostile_server + "/big.csv"), backoff_seconds=0.01
    )
    assert outcome.attempts == 1 and "larger than 20971520 bytes" in outcome.file_errors["big.csv"]
    assert not any(p for p in home.inbox.iterdir() if p.is_file())


@pytest.mark.parametrize(
    "target, words",
    [
        ("http://localhost:{port}/BAO-LS_2022-03.csv", "another host"),
        ("ftp://127.0.0.1/BAO-LS_2022-03.csv", "ftp"),
        ("file:///etc/passwd", "file"),
    ],
)
def test_redirects_leave_neither_the_host_nor_http(
    tmp_path, hostile_server, monkeypatch, target, words
):
    port = hostile_server.rsplit(":", 1)[1]
    monkeypatch.setattr(_Hostile, "target", target.format(port=port))
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(
        home, Delivery("BAO-LS", "http", hostile_server + "/redirect.csv"), backoff_seconds=0.01
    )
    assert outcome.attempts == 1 and outcome.pulled == []
    assert "refused" in outcome.error and words in outcome.error


def test_a_redirect_within_the_host_is_followed(tmp_path, http_folder):
    served, url = http_folder
    write_csv(served, "BAO-LS_2022-03.csv", [ROW])
    (served / "sub").mkdir()
    home = new_home(tmp_path / "home")
    # the folder without its slash: the server redirects to the same host
    outcome = pull_delivery(home, Delivery("BAO-LS", "http", url + "sub"))
    assert outcome.error is None


def test_sources_after_the_nights_deadline_are_reported_not_pulled(tmp_path, http_folder):
    served, url = http_folder
    write_csv(served, "BAO-LS_2022-03.csv", [ROW])
    home = new_home(tmp_path / "home")
    outcomes = pull_all(home, [Delivery("BAO-LS", "http", url)], night_seconds=0)
    assert outcomes[0].pulled == [] and "night's pull deadline" in outcomes[0].error


def test_a_new_delivery_method_is_one_lister(tmp_path, monkeypatch):
    """A method the registry names is pulled once its lister is in LISTERS: nothing else."""
    import csv

    from ingest import pull
    from outreach.core.home import SEEDS_DIR
    from outreach.core.registry import read_seed

    outbox = tmp_path / "outbox"
    write_csv(outbox, "BAO-LS_2022-03.csv", [["05/03/2022", "mua_ban_nguoi", "tin_bai", 1]])
    sent = datetime(2022, 4, 2, 3, 0, tzinfo=UTC)

    def list_outbox(delivery, deadline):
        def download(target, deadline=None):
            target.write_bytes((outbox / "BAO-LS_2022-03.csv").read_bytes())
            return sent

        return [pull.RemoteFile("BAO-LS_2022-03.csv", None, download)]

    monkeypatch.setitem(pull.LISTERS, "outbox", list_outbox)
    monkeypatch.setattr(pull, "METHODS", ("inbox", *pull.LISTERS))
    rows = [row for row in read_seed(SEEDS_DIR, "ref_sources") if row["source_code"] == "BAO-LS"]
    for row in rows:
        row.update(delivery_method="outbox", delivery_location=str(outbox))
    registry = tmp_path / "registry"
    registry.mkdir()
    with open(registry / "ref_sources.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    [delivery] = pull.deliveries_from_registry(registry)
    assert (delivery.source_code, delivery.method) == ("BAO-LS", "outbox")
    home = new_home(tmp_path / "home")
    outcome = pull_delivery(home, delivery)
    assert outcome.pulled == ["BAO-LS_2022-03.csv"] and not outcome.failed
    arrived = home.inbox / "BAO-LS_2022-03.csv"
    assert arrived.read_bytes() == (outbox / "BAO-LS_2022-03.csv").read_bytes()
    assert arrived.stat().st_mtime == sent.timestamp()
