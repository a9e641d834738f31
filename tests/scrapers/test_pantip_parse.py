"""Pantip parsers on every captured and synthetic file, with concrete expected fields."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scrapers.base import ScrapeError
from scrapers.pantip_html import TopicDeleted, TopicPage, parse_topic_html
from scrapers.pantip_parse import (parse_comments, parse_legacy_topic_list, parse_replies, parse_search,
                                   parse_topic_list)
from scrapers.pantip_time import bangkok_utime_to_utc, thai_date_to_utc
from tests.fixture_server import FIXTURES

PANTIP = FIXTURES / "pantip"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def real_topic() -> TopicPage:
    # 1.2 MB page: parse once for the module.
    return parse_topic_html((PANTIP / "topic_30000000_rendered_2019.html").read_bytes())


def test_real_topic_page(real_topic: TopicPage) -> None:
    assert real_topic.tid == "30000000"
    assert real_topic.title == "ยินดีต้อนรับสู่ Pantip โฉมใหม่ พบ Bug หรือมีข้อเสนอแนะ เชิญได้ที่กระทู้นี้เลยครับ"
    assert real_topic.text.startswith("สวัสดีครับเพื่อนๆ สมาชิก Pantip\n\nพวกเราในฐานะของสถาปนิก")
    assert (real_topic.author, real_topic.author_id) == ("Pantip Developer Team", "13")
    assert real_topic.posted_at == utc(2013, 1, 1, 11, 23, 45)  # 18:23:45 Bangkok
    assert real_topic.tags == ("ข้อเสนอแนะถึงพันทิป",)
    assert real_topic.keywords == ("ข้อเสนอแนะถึงพันทิป",)
    assert real_topic.likes == 25 and real_topic.emotion_total == 34
    assert real_topic.emotions == (("like", 26), ("laugh", 2), ("love", 0), ("impress", 0), ("scary", 6),
                                   ("surprised", 0))
    assert real_topic.comment_pages == 7
    post = real_topic.to_post("pantip-test")
    assert post.url == "https://pantip.com/topic/30000000" and post.is_thread_start
    assert post.engagement.reactions == 34 and post.engagement.likes == 25


@pytest.mark.parametrize(
    ("file", "field", "expected"),
    [
        ("topic_small_synthetic.html", "tid", "43500105"),
        ("topic_small_synthetic.html", "tags", ("อินเทอร์เน็ตบ้าน", "ร้องเรียน")),
        ("topic_small_synthetic.html", "emotion_total", 1207),
        ("topic_small_synthetic.html", "emotions", (("like", 3), ("laugh", 0), ("love", 0), ("impress", 0),
                                                    ("scary", 1200), ("surprised", 4))),
        ("topic_small_synthetic.html", "keywords", ("มาบุญครอง", "อินเทอร์เน็ตบ้าน", "ร้องเรียน")),
        ("topic_small_synthetic.html", "posted_at", utc(2024, 7, 1, 13, 5, 0)),
        ("topic_small_synthetic.html", "comment_pages", None),
        ("topic_thai_date_only_synthetic.html", "posted_at", utc(2016, 2, 15, 1, 30, 0)),
        ("topic_thai_date_only_synthetic.html", "author", "คนรอเครื่อง"),
        ("topic_thai_date_only_synthetic.html", "likes", None),
    ],
)
def test_topic_page_fields(file: str, field: str, expected: object) -> None:
    assert getattr(parse_topic_html((PANTIP / file).read_bytes()), field) == expected


def test_topic_text_keeps_lines_and_entities() -> None:
    page = parse_topic_html((PANTIP / "topic_small_synthetic.html").read_text("utf-8"))
    assert page.text == ("เน็ตหลุดทุกคืนตั้งแต่สี่ทุ่มถึงเที่ยงคืนมาสองอาทิตย์แล้วค่ะ\n\nโทรแจ้ง call center ไปสามครั้ง "
                         "ได้เลขเรื่องมาแต่ไม่มีช่างมาเลย จะยกเลิกสัญญาก็โดนค่าปรับ แย่มากค่ะ")


def test_deleted_topic() -> None:
    with pytest.raises(TopicDeleted) as caught:
        parse_topic_html((PANTIP / "topic_deleted_synthetic.html").read_bytes())
    assert caught.value.tid == "43500104"
    assert caught.value.reason == "กระทู้นี้ถูกลบเนื่องจาก มีเนื้อหาซ้ำกับกระทู้อื่น"
    assert not caught.value.layout_changed


def test_layout_change() -> None:
    with pytest.raises(ScrapeError) as caught:
        parse_topic_html((PANTIP / "topic_layout_changed_synthetic.html").read_bytes())
    assert caught.value.layout_changed


def test_render_comments_real() -> None:
    page = parse_comments((PANTIP / "render_comments_tid37553384_2018.json").read_bytes(), 37553384, "src")
    assert (page.count, page.page, page.limit, page.pages) == (8, 1, 100, 1)
    assert [p.external_id for p in page.posts] == [
        "37553384#1", "37553384#2", "37553384#3", "37553384#4", "37553384#5", "37553384#5.1",
        "37553384#6", "37553384#7", "37553384#8"]
    first, reply = page.posts[0], page.posts[5]
    assert first.url == "https://pantip.com/topic/37553384/comment1"
    assert first.author == "eskimo_bkk" and first.posted_at == utc(2018, 4, 11, 2, 17, 33)
    assert first.text.startswith("ลองพิมพ์ คำว่า ขนมเปี๊ยโซวเม่งเฮง ปากบาง สิงห์บุรี ดูสิ\n\nเพื่อการตัดสินใจ")
    assert (first.thread_id, first.parent_id, first.is_thread_start) == ("37553384", "37553384", False)
    assert first.engagement.reactions == 1 and ("like", 1) in first.engagement.reaction_kinds
    assert page.posts[4].engagement.comments == 1  # comment 5 has one reply
    assert reply.parent_id == "37553384#5" and reply.url == "https://pantip.com/topic/37553384/comment5-1"
    assert reply.text == "อ๊ายยย แก้ไขแล้ว ขอบพระคุณมากค่ะ" and reply.author == "ปากกาด้ามเดียว"
    assert reply.posted_at == utc(2018, 4, 11, 2, 47, 0)  # from data_utime (no created_time on replies)


def test_render_replys_synthetic_with_bom() -> None:
    posts = parse_replies((PANTIP / "render_replys_synthetic.json").read_bytes(), "43500105", 5, "src")
    assert [p.external_id for p in posts] == ["43500105#5.6", "43500105#5.7"]
    assert posts[0].text == "เจอเหมือนกันค่ะ\nโทรไปสามรอบแล้ว" and posts[0].parent_id == "43500105#5"
    assert posts[1].posted_at == utc(2024, 7, 1, 13, 45, 30)


def test_forum_service_items_real() -> None:
    listing = parse_topic_list((PANTIP / "forum_service_get_suggest_topic_popular_item_2024.json").read_bytes(), "s")
    assert listing.next_id is None and len(listing.posts) == 6
    first = listing.posts[0]
    assert (first.external_id, first.title) == ("42811054", "บิทคอยน์โดนเข้าทวิตเตอร์ทำยังไงดี")
    assert first.author == "สมาชิกหมายเลข 8256363" and first.posted_at == utc(2024, 6, 29, 2, 17, 43)
    assert first.tags[:2] == ("ปัญหาวัยรุ่น", "งานขาย")
    assert listing.posts[1].engagement.comments == 2


@pytest.mark.parametrize(("page", "ids", "next_id"), [
    (1, ["43500105", "43500104", "43500102"], "43500102"),
    (2, ["43500101", "43500099"], "43500099"),
    (3, ["43500090"], None),
])
def test_room_topic_pages_synthetic(page: int, ids: list[str], next_id: str | None) -> None:
    listing = parse_topic_list((PANTIP / f"room_topic_page{page}_synthetic.json").read_bytes(), "s")
    assert [p.external_id for p in listing.posts] == ids and listing.next_id == next_id


def test_search_synthetic_strips_markers() -> None:
    page = parse_search((PANTIP / "search_getresult_synthetic.json").read_bytes(), "s")
    assert page.last_page and [p.external_id for p in page.posts] == ["43500200", "43500150"]
    hit = page.posts[0]
    assert hit.title == "ทรูมูฟ คิดค่าโรมมิ่งเกินจริง" and "{{" not in hit.text
    assert hit.text.startswith("กลับจากต่างประเทศแล้วเจอบิล ทรูมูฟ แพงกว่า")
    assert hit.posted_at == utc(2024, 7, 1, 8, 0, 0) and hit.engagement.comments == 31
    assert hit.tags == ("ทรูมูฟ เอช", "ร้องเรียน")


def test_legacy_listing_real() -> None:
    listing = parse_legacy_topic_list((PANTIP / "ajax_json_all_topic_info_loadmore_food_2018.json").read_bytes(), "s")
    assert listing.next_id == "37550857" and len(listing.posts) == 50
    first = listing.posts[0]
    assert (first.external_id, first.title, first.author) == ("37552796", "Taylor Swift", "สมาชิกหมายเลข 4181866")
    assert first.posted_at == utc(2018, 4, 10, 17, 14, 56)
    assert first.tags == ("กาแฟ", "นักร้องนักดนตรีฝรั่ง", "นักร้องนักดนตรีหญิง")


@pytest.mark.parametrize(("text", "expected"), [
    ("01 มกราคม 2556 เวลา  18:23:45 น.", utc(2013, 1, 1, 11, 23, 45)),
    ("11 เมษายน 2561 เวลา  09:47:00 น.", utc(2018, 4, 11, 2, 47, 0)),
    ("3 ธ.ค. 2566", utc(2023, 12, 2, 17, 0, 0)),
    ("3 December 2023", None),
    ("31 กุมภาพันธ์ 2567", None),
])
def test_thai_dates(text: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(ScrapeError):
            thai_date_to_utc(text)
    else:
        assert thai_date_to_utc(text) == expected


def test_utime() -> None:
    assert bangkok_utime_to_utc("04/11/2018 09:17:33") == utc(2018, 4, 11, 2, 17, 33)
    with pytest.raises(ScrapeError):
        bangkok_utime_to_utc("2018-04-11")
