"""A sender cannot pick the wrong month: the pickers start on the latest month ended and not
received, and offer only the months the source is registered for; a file whose dates all say
another month is told so, kept, and sent for that month in one click; the bytes received
already are answered as received, not offered as a correction; what a sender reads names the
template's columns, output types and topics, never their codes."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from helpers import add_portal_account, write_csv
from test_portal import GOOD, client, csrf_of, login, upload
from test_portal import portal as portal  # noqa: F401 (the fixture, as test_portal makes it)

from ingest.load import ingest_inbox, inspect_file
from ingest.validate import DIRECTIVE_COLUMNS, MONTHLY_COLUMNS
from outreach.core.registry import Reference
from outreach.portal import submissions

JULY_ROW = ["05/07/2022", "Phòng, chống mua bán người", "Tin, bài", "2", "", "", "Tin", "", ""]


def selected(page: str, picker: str) -> str:
    """The month a picker starts on."""
    options = re.search(rf'<select id="{picker}".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="([\d-]+)" selected>', options).group(1)


def offered(page: str, picker: str = "month") -> list[str]:
    options = re.search(rf'<select id="{picker}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([\d-]+)"', options)


def text_of(page: str) -> str:
    """What a sender reads on a page: its main part, without tags."""
    main = page[page.index("<main>") : page.index("</main>")]
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def staged_token(page: str) -> str:
    return re.search(r'name="staged" value="([0-9a-f-]+)"', page).group(1)


def test_the_pickers_start_on_the_latest_month_ended_and_not_received(portal, monkeypatch):
    """Đình Lập (PVHTT-189) sent every month of 2022-H1 but May (the demo's planted missing
    month): on 5 July 2022 both pickers start on May, June being received and July not ended;
    once May is sent the pickers start on June, the latest month ended."""
    monkeypatch.setattr(submissions, "local_today", lambda: date(2022, 7, 5))
    browser = login(portal, "dinhlap@example.vn")
    page = browser.get("/don-vi").text
    assert selected(page, "month") == selected(page, "template-month") == "2022-05-01"
    assert offered(page)[:3] == ["2022-07-01", "2022-06-01", "2022-05-01"]
    assert "Tháng 07/2022 (chưa hết tháng)" in page and "Tháng 05/2022 (chưa gửi)" in page
    assert "Tháng 06/2022 (đã nhận)" in page
    assert "2022-08-01" not in page  # a month not begun is not offered
    may = write_csv(portal["tmp"] / "may", "t5.csv", [["05/05/2022", *JULY_ROW[1:]]])
    assert "Đã nhận: tệp đạt yêu cầu" in upload(browser, may, "2022-05-01").text
    assert selected(browser.get("/don-vi").text, "month") == "2022-06-01"


def test_only_the_months_a_source_is_registered_for_are_offered(portal):
    """Today (after the 2025 reform) a district office that ended on 30/06/2025 is offered its
    months only: its last thirteen and those the warehouse has; the pickers start on the
    latest of them not received. A month outside them is refused, template and upload alike."""
    browser = login(portal, "dinhlap@example.vn")
    page = browser.get("/don-vi").text
    months = [date.fromisoformat(month) for month in offered(page)]
    assert months == sorted(months, reverse=True) and max(months) == date(2025, 6, 1)
    assert min(months) == date(2022, 1, 1) and len(months) == 13 + 6
    assert selected(page, "month") == "2025-06-01"
    assert "từ ngày 01/01/2022 đến ngày 30/06/2025" in text_of(page)
    assert browser.get("/don-vi/mau?month=2025-07-01").status_code == 403
    assert browser.get("/don-vi/mau?month=2025-06-01").status_code == 200
    path = write_csv(portal["tmp"] / "files", "t7.csv", [["05/07/2025", *JULY_ROW[1:]]])
    answer = text_of(upload(browser, path, "2025-07-01").text)
    assert "không thuộc diện báo cáo tháng 07/2025" in answer
    assert not list(portal["home"].inbox.glob("*.csv"))


def test_a_file_of_another_month_is_sent_for_it_in_one_click(portal):
    """July's file sent as June (a month the demo has): "Có phải bạn chọn nhầm tháng?" with
    July named, the file kept (nothing in the inbox yet), and one button that sends it as
    July's; ingest takes it as July's. Another account cannot send it."""
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "bao cao.csv", [JULY_ROW, JULY_ROW])
    answer = upload(browser, path, "2022-06-01")
    said = text_of(answer.text)
    assert "Có phải bạn chọn nhầm tháng?" in said
    assert (
        "Bạn chọn tháng 06/2022, nhưng mọi ngày trong tệp (2 dòng) đều thuộc tháng 07/2022" in said
    )
    assert "Tệp chưa được nhận" not in said
    assert "Gửi cho tháng 07/2022" in said
    assert not list(portal["home"].inbox.glob("*.csv"))
    token = staged_token(answer.text)
    other = login(portal, "dinhlap@example.vn")
    refused = other.post("/don-vi/xac-nhan", data={"csrf": csrf_of(other), "staged": token})
    assert refused.status_code == 403
    sent = browser.post("/don-vi/xac-nhan", data={"csrf": csrf_of(browser), "staged": token})
    assert "Đã nhận tệp BAO-LS_2022-07.csv (tháng 07/2022)" in text_of(sent.text)
    assert (portal["home"].inbox / "BAO-LS_2022-07.csv").read_bytes() == path.read_bytes()
    actions = [event["action"] for event in portal["store"].audit_events()]
    assert "upload_month_staged" in actions and "upload" in actions
    assert ingest_inbox(portal["home"]).accepted == ["BAO-LS_2022-07.csv"]


def test_a_file_of_a_month_sent_before_goes_as_its_correction(portal):
    """March's file sent as April: the click sends it as March's correction (`_r2`)."""
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "t3.csv", GOOD)
    answer = upload(browser, path, "2022-04-01")
    said = text_of(answer.text)
    assert "đều thuộc tháng 03/2022" in said and "bản sửa lần 2" in said
    sent = browser.post(
        "/don-vi/xac-nhan", data={"csrf": csrf_of(browser), "staged": staged_token(answer.text)}
    )
    assert "Đã nhận bản sửa BAO-LS_2022-03_r2.csv" in text_of(sent.text)


def test_a_file_of_another_month_with_other_errors_is_told_both(portal):
    """July's dates sent as June, with a count in words: the month is named, and the errors are
    those of July's file (no date error), to fix before sending it again as July's."""
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "t7.csv", [[*JULY_ROW[:3], "hai", *JULY_ROW[4:]]])
    said = text_of(upload(browser, path, "2022-06-01").text)
    assert "Có phải bạn chọn nhầm tháng?" in said and "tháng 07/2022, tệp còn 1 lỗi" in said
    assert "giá trị 'hai' không hợp lệ" in said and "cần một ngày trong tháng" not in said
    assert "Gửi cho tháng" not in said
    assert not list((portal["home"].root / "portal" / "staging").iterdir())


def test_a_month_the_source_does_not_report_is_not_proposed(portal):
    """Dates of July 2025, after BAO-LS ended, sent as June 2025: no month to propose, the
    date errors stand."""
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "t.csv", [["05/07/2025", *JULY_ROW[1:]]])
    said = text_of(upload(browser, path, "2025-06-01").text)
    assert "nhầm tháng" not in said and "cần một ngày trong tháng 06/2025" in said


def test_staged_files_are_bounded_per_account(portal):
    """An account's staged files beyond STAGED_PER_ACCOUNT drop its oldest, never another's."""
    store, home = portal["store"], portal["home"]
    account = store.account_by_login("bao@example.vn")
    other = store.account_by_login("dinhlap@example.vn")
    theirs = write_csv(portal["tmp"] / "theirs", "t.csv", [["05/03/2022", *JULY_ROW[1:]]])
    kept = submissions.check_upload(
        home, store, other, theirs, "t.csv", date(2022, 4, 1), "monthly"
    ).staged
    tokens = []
    for number in range(submissions.STAGED_PER_ACCOUNT + 3):
        row = [*GOOD[0][:6], f"Bản {number}", "", ""]
        path = write_csv(portal["tmp"] / f"f{number}", "t.csv", [row])
        checked = submissions.check_upload(
            home, store, account, path, "t.csv", date(2022, 3, 1), "monthly"
        )
        tokens.append(checked.staged)
    staging = {folder.name for folder in (home.root / "portal" / "staging").iterdir()}
    assert staging == {kept, *tokens[-submissions.STAGED_PER_ACCOUNT :]}
    assert submissions.deliver(home, store, account, tokens[0]) is None  # dropped
    assert submissions.deliver(home, store, account, tokens[-1]) == "BAO-LS_2022-03_r2.csv"


def test_the_same_bytes_again_are_answered_as_received(portal, demo):
    """A file sent again as it was is not a correction: the portal says when it arrived. So is
    the demo's own file of March (received on 08/04/2022, in the warehouse), and the same file
    sent under another month its dates do not say."""
    browser = login(portal, "bao@example.vn")
    path = write_csv(portal["tmp"] / "files", "t7.csv", [JULY_ROW])
    assert "Đã nhận: tệp đạt yêu cầu" in upload(browser, path, "2022-07-01").text
    again = upload(browser, path, "2022-07-01")
    said = text_of(again.text)
    assert "Tệp này đã được nhận ngày" in said and "BAO-LS_2022-07.csv" in said
    assert "bản sửa" not in said and 'name="staged"' not in again.text
    assert "Tệp này đã được nhận ngày" in text_of(upload(browser, path, "2022-06-01").text)
    assert [p.name for p in portal["home"].inbox.glob("*.csv")] == ["BAO-LS_2022-07.csv"]
    march = demo["home"].root / "archive" / "BAO-LS_2022-03.xlsx"
    said = text_of(upload(browser, march, "2022-03-01").text)
    assert "Tệp này đã được nhận ngày 08/04/2022 (tên BAO-LS_2022-03.xlsx)" in said
    actions = [event["action"] for event in portal["store"].audit_events()]
    assert actions.count("upload_duplicate") == 3


# the contract's codes a sender never reads: columns, output types, topics
CODES = sorted(
    {column.name for column in (*MONTHLY_COLUMNS, *DIRECTIVE_COLUMNS)}
    | set(Reference.load().output_types.codes)
    | set(Reference.load().topics.codes)
)
CODE_WORD = re.compile(r"(?<![\w.-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w.-])")


def test_what_a_sender_reads_names_no_code(portal):
    """The upload's answer, and ingest's Vietnamese messages (the quarantine's report, the
    status CSV's and the sender page's errors), name the template's labels: 'Mã xã', 'Tư vấn
    trực tiếp tại xã', never ma_xa or tu_van. The English ones, for engineers, keep the codes."""
    rows = [
        ["05/03/2022", "Ma túy", "Tư vấn", "1", "", "", "", "", ""],
        ["06/03/2022", "Chủ đề lạ", "Hình thức lạ", "1", "", "", "", "", ""],
        ["07/03/2022", "Khác", "Tập huấn", "1", "", "", "", "", ""],
    ]
    path = write_csv(portal["tmp"] / "files", "BAO-LS_2022-03.csv", rows)
    browser = login(portal, "bao@example.vn")
    answer = upload(browser, path, "2022-03-01").text
    said = text_of(answer)
    assert "Tệp chưa được nhận: có 5 lỗi" in said
    assert CODE_WORD.findall(said) == [], said
    assert "hình thức 'Tư vấn trực tiếp tại xã' cần mã xã" in said
    assert "'Tập huấn phóng viên, cán bộ tuyên truyền' cần số người tiếp cận" in said
    assert "'Phòng, chống mua bán người'" in said and "'Phóng sự'" in said  # the lists
    assert '<td data-label="Cột">Mã xã</td>' in answer
    problems = inspect_file(path, Reference.load()).validated.problems
    assert all(not CODE_WORD.findall(problem.message_vi) for problem in problems)
    assert any("'tu_van'" in problem.message_en for problem in problems)


def test_a_file_without_the_templates_header_is_told_its_labels(portal):
    path = write_csv(portal["tmp"] / "files", "t.csv", [["x", "y", "z"]], header=None)
    said = text_of(upload(login(portal, "bao@example.vn"), path, "2022-03-01").text)
    assert "'Ngày', 'Chủ đề', 'Hình thức', 'Số lượng'" in said
    assert CODE_WORD.findall(said) == [], said


def test_a_missing_and_a_doubled_column_are_named_by_their_labels(portal):
    browser = login(portal, "bao@example.vn")
    header = ["Ngày", "Chủ đề", "Hình thức", "Chủ đề"]
    path = write_csv(
        portal["tmp"] / "files", "t.csv", [["05/03/2022", "Khác", "Ảnh", "Khác"]], header=header
    )
    said = text_of(upload(browser, path, "2022-03-01").text)
    assert "Thiếu cột bắt buộc 'Số lượng'" in said and "Cột 'Chủ đề' xuất hiện nhiều lần" in said
    assert CODE_WORD.findall(said) == [], said


def test_no_sender_page_offers_another_source_or_a_month_outside_it(portal):
    """The page of a source names its own months only; the staged file of one account is not
    another's; every form posts its CSRF token."""
    add_portal_account(portal["store"], "bp@example.vn", "BPTTH", "source", source_code="BPTTH-LS")
    page = login(portal, "bp@example.vn").get("/don-vi").text
    months = [date.fromisoformat(month) for month in offered(page)]
    assert min(months) >= date(2025, 7, 1)  # it began on 01/07/2025
    assert "BAO-LS" not in page
    for form in re.findall(r'<form method="post".*?</form>', page, re.S):
        assert 'name="csrf"' in form
    assert (
        client(portal).post("/don-vi/xac-nhan", data={"staged": "1-" + "0" * 32}).status_code == 303
    )
