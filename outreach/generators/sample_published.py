"""The demo's published record: the provincial outlets' websites as their feeds show them, so
that the cross-check of the items outlets claim against the items they published has a record
to read, with mismatches planted where the demo says.

Each site (`baolangson`, `langsontv`: the host of the outlets' addresses, `sample_activity.
DOMAINS`) is a folder of files an HTTP server can serve as they are: `sitemap.xml`, a sitemap
index of one `sitemap-YYYY-MM.xml` per month (a urlset with Google News tags), and `rss.xml`, an
RSS 2.0 feed of the latest 30 items. Every claimed item of a provincial outlet of a type the
cross-check reads (`CROSS_CHECKED`: news, reports, television, radio) is published under the
address its row gives, with the row's title, on the row's day, besides news nobody claimed
(sport, farming, tourism...), except the planted mismatches. Photos and social-media posts are
left off the site although the demo's rows give them addresses too: the cross-check does not
read them, and published they would be found on the outlet's topics above what it claims for
the types it does read, hiding the inflated count below. The mismatches:

- `published_inflated_count`: in one month, about two thirds of the outlet's claimed items on
  human trafficking are never published (claimed well above found, without touching the files);
- `published_address_missing`: one claimed address that does not exist on the site;
- `published_other_month`: one claimed item published two months before the month it is
  claimed in;
- `published_other_topic`: one claimed item on human trafficking published with a title
  plainly about something else (a football result).

They fall on the provincial outlet that the demo's other problems fall on (BAO-LS until June
2025, BPTTH-LS after), each in a month of its own where the period has enough of them, only on
the item types the cross-check reads (`CROSS_CHECKED`). A month without an item on trafficking
(the planted `no_trafficking_item`) holds nothing for them and is passed over.

Periods written into the same folder accumulate: a period rewrites its own months' sitemaps,
and the index and the RSS feed are made again from what the folder then holds, so the order in
which periods are written does not change the bytes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from outreach.core.constants import LOCAL_TZ
from outreach.core.periods import month_end
from outreach.core.registry import Reference
from outreach.core.text import nfc
from outreach.generators.sample_activity import DOMAINS
from outreach.generators.sample_files import TOPIC_LABELS, Planted, Row, file_name_of

DEFAULT_BASE_URL = "http://127.0.0.1:8765"
# the claimed output types an outlet publishes on its website, which the cross-check reads
CROSS_CHECKED = frozenset({"tin_bai", "phong_su", "truyen_hinh", "phat_thanh"})
# the outlets the mismatches fall on, as the demo's other problems do: the first registered in
# the month
PLANTED_OUTLETS = ("BAO-LS", "BPTTH-LS")
RSS_ITEMS = 30

INFLATED_COUNT = "published_inflated_count"
ADDRESS_MISSING = "published_address_missing"
OTHER_MONTH = "published_other_month"
OTHER_TOPIC = "published_other_topic"

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
_MONTHLY_SITEMAP = re.compile(r"sitemap-(\d{4})-(\d{2})\.xml")

# the site's section for an item of each topic (the three programmes' sections as the topics'
# own labels, so that a collector may read them)
CATEGORIES = {**TOPIC_LABELS, "khac": "Quốc phòng - An ninh"}
DESCRIPTIONS = {
    "toi_pham": "Lực lượng chức năng tỉnh Lạng Sơn tăng cường các biện pháp phòng ngừa, đấu "
    "tranh với tội phạm, giữ vững an ninh trật tự trên địa bàn.",
    "ma_tuy": "Các cấp, các ngành tỉnh Lạng Sơn đẩy mạnh phòng, chống ma túy, không để hình "
    "thành điểm nóng về ma túy ở cơ sở.",
    "mua_ban_nguoi": "Người dân khu vực biên giới được khuyến cáo nâng cao cảnh giác trước thủ "
    "đoạn dụ dỗ, lừa bán người sang nước ngoài.",
    "khac": "Phong trào toàn dân bảo vệ an ninh Tổ quốc tiếp tục được đẩy mạnh ở các xã, "
    "phường trên địa bàn tỉnh.",
}
# news nobody claims: (section, lead, headlines)
OTHER_NEWS = (
    (
        "Thể thao",
        "Các vận động viên xứ Lạng thi đấu quyết tâm, giành thành tích cao tại giải.",
        [
            "Lạng Sơn giành 3 huy chương vàng tại Giải Vô địch Vật dân tộc toàn quốc",
            "Khai mạc Giải Bóng chuyền hơi người cao tuổi tỉnh Lạng Sơn",
            "Sôi nổi Giải bóng đá thanh niên các xã vùng biên",
            "Đoàn vận động viên Lạng Sơn tham dự Giải Việt dã toàn quốc",
        ],
    ),
    (
        "Nông nghiệp",
        "Nông dân trong tỉnh chủ động chuyển đổi cây trồng, nâng cao giá trị sản xuất.",
        [
            "Nông dân Lộc Bình trúng mùa thuốc lá",
            "Hồi xứ Lạng vào vụ thu hoạch, giá ổn định",
            "Mở rộng diện tích trồng na theo tiêu chuẩn VietGAP ở Chi Lăng",
            "Chủ động phòng, chống rét cho đàn gia súc vùng cao",
            "Văn Quan đẩy mạnh trồng rừng gỗ lớn",
        ],
    ),
    (
        "Du lịch",
        "Du lịch xứ Lạng khởi sắc nhờ các sản phẩm gắn với văn hóa, thiên nhiên địa phương.",
        [
            "Khu du lịch Mẫu Sơn đón lượng khách tăng mạnh dịp cuối tuần",
            "Phát triển du lịch cộng đồng ở Bắc Sơn",
            "Lễ hội Lồng tồng thu hút đông đảo du khách",
            "Quảng bá ẩm thực xứ Lạng tới du khách trong và ngoài nước",
        ],
    ),
    (
        "Kinh tế",
        "Hoạt động sản xuất, kinh doanh trên địa bàn tỉnh duy trì đà tăng trưởng.",
        [
            "Hoạt động xuất nhập khẩu qua cửa khẩu Hữu Nghị tăng trưởng khá",
            "Doanh nghiệp Lạng Sơn phục hồi sản xuất, kinh doanh",
            "Đẩy nhanh giải phóng mặt bằng các dự án giao thông trọng điểm",
        ],
    ),
    (
        "Văn hóa - Xã hội",
        "Nhiều hoạt động ý nghĩa được tổ chức, hướng về người dân vùng sâu, vùng xa.",
        [
            "Trao tặng quà cho học sinh nghèo vượt khó vùng biên giới",
            "Bảo tồn làn điệu then, đàn tính của đồng bào Tày, Nùng",
            "Khám bệnh, cấp thuốc miễn phí cho người dân xã vùng cao",
            "Ra quân hưởng ứng Chiến dịch tình nguyện Mùa hè xanh",
        ],
    ),
)
# what a claimed item on trafficking is published as, planted on another topic
OTHER_TOPIC_ITEM = (
    "Thể thao",
    "Đội bóng đá Lạng Sơn thắng Cao Bằng 2-1 tại Giải Hạng Ba quốc gia",
    "Hai bàn thắng trong hiệp hai giúp đội chủ nhà giành trọn ba điểm trên sân Đông Kinh.",
)

# a month's claimed rows of an outlet: {(source code, month): rows}
Claims = Mapping[tuple[str, date], list[Row]]


@dataclass(frozen=True)
class Item:
    """An item of a site's feeds."""

    url: str
    title: str
    published: datetime
    category: str
    description: str


@dataclass(frozen=True)
class Mismatch:
    """A kind of planted mismatch: its month's place in the period (as `sample_problems`
    places its problems), whether it takes items on human trafficking, how many it wants."""

    kind: str
    position: int
    trafficking: bool
    minimum: int = 1  # items its month should have (else a month with fewer, at worst one)


# in the order they are planned and listed
MISMATCHES = (
    Mismatch(INFLATED_COUNT, 1, trafficking=True, minimum=3),
    Mismatch(ADDRESS_MISSING, 2, trafficking=False),
    Mismatch(OTHER_MONTH, 4, trafficking=False),
    Mismatch(OTHER_TOPIC, 5, trafficking=True),
)


@dataclass(frozen=True)
class _Planned:
    kind: str
    source_code: str
    month: date
    urls: tuple[str, ...]


def write_published(
    claims: Claims,
    folder: Path,
    reference: Reference,
    *,
    period_code: str,
    seed: int = 1,
    base_url: str = DEFAULT_BASE_URL,
    plant_problems: bool = True,
) -> list[Planted]:
    """Write the sites' feeds of the claimed months into `folder/<site>/` and say what was
    planted. `base_url` is where `folder` is served (the sitemap index's addresses must be on
    its own host); the items keep the outlets' own addresses, as the files claim them."""
    rng = random.Random(f"{seed}:{period_code}:published")
    planned = _plan_mismatches(claims, rng) if plant_problems else []
    unpublished = {
        url for p in planned if p.kind in (INFLATED_COUNT, ADDRESS_MISSING) for url in p.urls
    }
    earlier = {url for p in planned if p.kind == OTHER_MONTH for url in p.urls}
    retitled = {url for p in planned if p.kind == OTHER_TOPIC for url in p.urls}

    sites: dict[str, dict[date, list[Item]]] = {}
    for source_code, month in sorted(claims):
        for row in claims[(source_code, month)]:
            if row.url is None or row.output_type not in CROSS_CHECKED or row.url in unpublished:
                continue
            day = _months_before(row.day, 2) if row.url in earlier else row.day
            published = _at_hour(rng, day)
            if row.url in retitled:
                category, title, description = OTHER_TOPIC_ITEM
            else:
                category = CATEGORIES[row.topic]
                title = row.title or CATEGORIES[row.topic]
                description = DESCRIPTIONS[row.topic]
            item = Item(row.url, nfc(title), published, category, description)
            host = _host(row.url)
            sites.setdefault(host, {}).setdefault(day.replace(day=1), []).append(item)

    base_url = base_url.rstrip("/")
    for host in sorted(sites):
        months = sites[host]
        for month in sorted(months):
            months[month] += _unclaimed(rng, host, month)
        _write_site(folder, host, months, reference, base_url)
    return [
        Planted(
            p.kind, p.source_code, f"{p.month:%Y-%m}", file_name_of(p.source_code, p.month), p.urls
        )
        for p in planned
    ]


def site_of(host: str) -> str:
    """A site's folder: its host's first label (`baolangson.example`: `baolangson`)."""
    return host.split(".")[0]


# --- where the mismatches fall ----------------------------------------------------------------


def _plan_mismatches(claims: Claims, rng: random.Random) -> list[_Planned]:
    """Each mismatch in a month of its own (its `position`, or the next months that have what
    it needs), on different items; none in the month of the inflated count but its own."""
    outlet_of: dict[date, str] = {}
    for source_code, month in claims:
        if source_code in PLANTED_OUTLETS and month not in outlet_of:
            outlet_of[month] = source_code
    months = sorted(outlet_of)
    if not months:
        return []
    taken: dict[date, str] = {}
    used: set[str] = set()
    planned: list[_Planned] = []
    for mismatch in MISMATCHES:
        start = min(mismatch.position, len(months) - 1)
        chosen = None
        for relaxed in (False, True):
            for month in months[start:] + months[:start]:
                if (not relaxed and month in taken) or taken.get(month) == INFLATED_COUNT:
                    continue
                source_code = outlet_of[month]
                if mismatch.kind == OTHER_MONTH:
                    shown = _months_before(month, 2)
                    if outlet_of.get(shown) is None or _host_of(outlet_of[shown]) != _host_of(
                        source_code
                    ):
                        continue
                rows = _eligible(claims[(source_code, month)], mismatch, used)
                if len(rows) >= (1 if relaxed else mismatch.minimum):
                    chosen = (month, source_code, rows)
                    break
            if chosen is not None:
                break
        if chosen is None:
            continue  # a period too short for it (an other month needs two months before)
        month, source_code, rows = chosen
        count = max(1, round(len(rows) * 2 / 3)) if mismatch.kind == INFLATED_COUNT else 1
        urls = tuple(sorted(row.url for row in rng.sample(rows, count) if row.url))
        used.update(urls)
        taken[month] = mismatch.kind
        planned.append(_Planned(mismatch.kind, source_code, month, urls))
    return planned


def _eligible(rows: list[Row], mismatch: Mismatch, used: set[str]) -> list[Row]:
    """The month's items a mismatch may take: published types with an address, on human
    trafficking for the kinds about it, on anything else for the others (so that each
    mismatch shows alone in the month's count on trafficking)."""
    return [
        row
        for row in rows
        if row.url
        and row.url not in used
        and row.output_type in CROSS_CHECKED
        and (row.topic == "mua_ban_nguoi") == mismatch.trafficking
    ]


# --- the items ----------------------------------------------------------------------------------


def _unclaimed(rng: random.Random, host: str, month: date) -> list[Item]:
    """The month's news that no file claims: a handful of headlines of the other sections."""
    headlines = [(section, lead, title) for section, lead, titles in OTHER_NEWS for title in titles]
    items = []
    for number, (section, lead, title) in enumerate(
        rng.sample(headlines, rng.randint(4, 8)), start=1
    ):
        day = month.replace(day=rng.randint(1, month_end(month).day))
        url = f"https://{host}/{month:%Y/%m}/tin-{number:03d}"
        items.append(Item(url, nfc(title), _at_hour(rng, day), section, lead))
    return items


def _at_hour(rng: random.Random, day: date) -> datetime:
    """A plausible hour of publishing on the day, in the outlets' time zone."""
    return datetime(
        day.year, day.month, day.day, rng.randint(6, 21), rng.randint(0, 59), tzinfo=LOCAL_TZ
    )


def _months_before(day: date, count: int) -> date:
    """The same day `count` months earlier (the month's last day if it has fewer)."""
    index = day.year * 12 + day.month - 1 - count
    month = date(index // 12, index % 12 + 1, 1)
    return month.replace(day=min(day.day, month_end(month).day))


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _host_of(source_code: str) -> str:
    return DOMAINS.get(source_code, f"{source_code.lower()}.example")


def _outlet_name(host: str, month: date, reference: Reference) -> str:
    """The name of the outlet whose site this is in the month (the merged outlet's from July
    2025 on `baolangson`)."""
    names = [
        source.name
        for code, source in sorted(reference.sources.items())
        if source.kind == "outlet_provincial" and _host_of(code) == host and source.is_active(month)
    ]
    return names[0] if names else host


# --- the files ----------------------------------------------------------------------------------


def _write_site(
    folder: Path, host: str, months: dict[date, list[Item]], reference: Reference, base_url: str
) -> None:
    site = folder / site_of(host)
    site.mkdir(parents=True, exist_ok=True)
    for month, items in months.items():
        name = _outlet_name(host, month, reference)
        (site / f"sitemap-{month:%Y-%m}.xml").write_bytes(sitemap_bytes(items, name))
    index_url = f"{base_url}/{site_of(host)}"
    (site / "sitemap.xml").write_bytes(index_bytes(site, index_url))
    latest = _latest(
        [item for items in months.values() for item in items],
        [
            item
            for item in read_rss(site / "rss.xml")
            if item.published.date().replace(day=1) not in months
        ],
    )
    name = _outlet_name(host, latest[0].published.date().replace(day=1), reference)
    (site / "rss.xml").write_bytes(rss_bytes(latest, name, host, f"{index_url}/rss.xml"))


def _latest(items: list[Item], kept: list[Item]) -> list[Item]:
    by_url = {item.url: item for item in kept} | {item.url: item for item in items}
    newest = sorted(by_url.values(), key=lambda item: (item.published, item.url), reverse=True)
    return newest[:RSS_ITEMS]


def _text(value: str) -> str:
    """Text for an element or a double-quoted attribute, NFC and escaped."""
    return escape(nfc(value), {'"': "&quot;"})


def _w3c(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def sitemap_bytes(items: list[Item], publication: str) -> bytes:
    """A month's urlset, oldest first, with Google News' title and publication date."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">',
    ]
    for item in sorted(items, key=lambda item: (item.published, item.url)):
        lines += [
            "  <url>",
            f"    <loc>{_text(item.url)}</loc>",
            f"    <lastmod>{_w3c(item.published)}</lastmod>",
            "    <news:news>",
            "      <news:publication>",
            f"        <news:name>{_text(publication)}</news:name>",
            "        <news:language>vi</news:language>",
            "      </news:publication>",
            f"      <news:publication_date>{_w3c(item.published)}</news:publication_date>",
            f"      <news:title>{_text(item.title)}</news:title>",
            "    </news:news>",
            "  </url>",
        ]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def index_bytes(site: Path, site_url: str) -> bytes:
    """The sitemap index of every monthly sitemap the site's folder holds, on `site_url`'s
    host, each with its newest item's time."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<sitemapindex xmlns="{SITEMAP_NS}">',
    ]
    for path in sorted(site.iterdir()):
        if not _MONTHLY_SITEMAP.fullmatch(path.name):
            continue
        stamps = [
            element.text or ""
            for element in ElementTree.parse(path).getroot().iter(f"{{{SITEMAP_NS}}}lastmod")
        ]
        lines += [
            "  <sitemap>",
            f"    <loc>{_text(f'{site_url}/{path.name}')}</loc>",
            *([f"    <lastmod>{_text(max(stamps))}</lastmod>"] if stamps else []),
            "  </sitemap>",
        ]
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def rss_bytes(items: list[Item], title: str, host: str, self_url: str) -> bytes:
    """An RSS 2.0 feed of the items, newest first, dates in RFC 822 in the outlets' zone."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<rss version="2.0" xmlns:atom="{ATOM_NS}">',
        "  <channel>",
        f"    <title>{_text(title)}</title>",
        f"    <link>{_text(f'https://{host}/')}</link>",
        f"    <description>{_text(f'Tin mới nhất của {title}')}</description>",
        "    <language>vi</language>",
        f'    <atom:link href="{_text(self_url)}" rel="self" type="application/rss+xml"/>',
    ]
    if items:
        lines.append(f"    <lastBuildDate>{format_datetime(items[0].published)}</lastBuildDate>")
    for item in items:
        lines += [
            "    <item>",
            f"      <title>{_text(item.title)}</title>",
            f"      <link>{_text(item.url)}</link>",
            f'      <guid isPermaLink="true">{_text(item.url)}</guid>',
            f"      <description>{_text(item.description)}</description>",
            f"      <category>{_text(item.category)}</category>",
            f"      <pubDate>{format_datetime(item.published)}</pubDate>",
            "    </item>",
        ]
    lines += ["  </channel>", "</rss>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def read_rss(path: Path) -> list[Item]:
    """The items of a feed this module wrote (none if there is no feed yet)."""
    if not path.is_file():
        return []
    items = []
    for element in ElementTree.parse(path).getroot().iter("item"):
        published = parsedate_to_datetime(element.findtext("pubDate") or "")
        items.append(
            Item(
                element.findtext("link") or "",
                element.findtext("title") or "",
                published.astimezone(LOCAL_TZ),
                element.findtext("category") or "",
                element.findtext("description") or "",
            )
        )
    return items
