"""Which posts a watchlist matches: Thai word boundaries, Chinese, English, code-mixed text, exclusions,
boolean queries with NEAR, and per-source restriction."""

from __future__ import annotations

import pytest

from listener.config.yamlio import parse_yaml
from listener.triage.watchlists import WatchlistSet, load_watchlists

WATCHLISTS = """
watchlists:
  - name: line-chat
    terms: {th: ["ไลน์"], en: ["LINE app"]}
  - name: lineman
    terms: {th: ["ไลน์แมน"], en: ["LINE MAN"]}
    exclude: ["รีวิวร้าน"]
    cues: {th: ["ไม่ได้เงินคืน"], en: ["no refund"]}
  - name: true-brand
    terms: {th: ["ทรู"]}
  - name: truevisions
    terms: {th: ["ทรูวิชั่นส์"]}
  - name: operator
    terms:
      th: ["ทรู มูฟ", "ดีแทค"]
      en: ["AIS", "TrueMove H"]
      zh: ["真移动", "中华电信"]
    exclude: {en: ["AIS sticker"], th: ["ทรูวิชั่นส์"]}
  - name: outage
    query: '("เน็ต" OR "internet" OR "网络") NEAR/2 ("ล่ม" OR "down" OR "断") AND NOT "ข่าว"'
  - name: slow-first
    query: '"slow" NEAR/1f "internet"'
  - name: pantip-only
    terms: ["ค่าโทร"]
    sources: [pantip]
  - name: paused
    enabled: false
    terms: ["ค่าโทร"]
"""


@pytest.fixture(scope="module")
def watchlists() -> WatchlistSet:
    doc = parse_yaml(WATCHLISTS, "config.yaml")
    return load_watchlists(doc.data["watchlists"], located=doc, prefix=("watchlists",))


def names(watchlists: WatchlistSet, text: str, source: str | None = None) -> list[str]:
    return [m.watchlist.name for m in watchlists.match(text, source)]


@pytest.mark.parametrize("text", ["ซื้อของออนไลน์", "ออนไลน์ช้ามาก"])
def test_thai_term_inside_an_unrelated_longer_word_does_not_match(watchlists: WatchlistSet, text: str) -> None:
    assert "line-chat" not in names(watchlists, text)


@pytest.mark.parametrize("text", ["แชทไลน์ไม่ได้", "ไลน์ค้างตลอดเลย", "ซื้อของออนไลน์แล้วทักไลน์ร้าน"])
def test_thai_term_between_other_words_without_spaces_matches(watchlists: WatchlistSet, text: str) -> None:
    assert "line-chat" in names(watchlists, text)


def test_a_watched_longer_brand_stays_one_word(watchlists: WatchlistSet) -> None:
    # "ไลน์แมน" and "ทรูวิชั่นส์" are terms of other watchlists, so "ไลน์" / "ทรู" are not found inside them.
    assert names(watchlists, "สั่งไลน์แมนมาสองชั่วโมงยังไม่ได้") == ["lineman"]
    assert names(watchlists, "ทรูวิชั่นส์ดูบอลไม่ได้") == ["truevisions"]
    assert "true-brand" in names(watchlists, "ย้ายไปใช้ทรูแล้ว")


def test_thai_spacing_and_elongation_do_not_matter(watchlists: WatchlistSet) -> None:
    assert "operator" in names(watchlists, "ใช้ทรูมูฟมาสิบปี")  # term written "ทรู มูฟ"
    assert "operator" in names(watchlists, "ดีแทคคคคค สัญญาณหาย")
    assert "outage" in names(watchlists, "เน็ตล่มมมมม อีกแล้ว")


def test_english_is_case_insensitive_on_whole_words(watchlists: WatchlistSet) -> None:
    assert "operator" in names(watchlists, "ais is down in Bangkok")
    assert "operator" in names(watchlists, "Thanks @AIS!")
    assert "operator" in names(watchlists, "TRUEMOVE   h support never answers")
    assert "operator" not in names(watchlists, "sold my chaise longue")
    assert "operator" not in names(watchlists, "truemove hq")


def test_chinese_matches_on_characters_and_folds_traditional(watchlists: WatchlistSet) -> None:
    assert "operator" in names(watchlists, "我用真移动的卡，信号很差")
    assert "operator" in names(watchlists, "真移動客服太慢了")  # Traditional characters
    assert "operator" in names(watchlists, "中華電信的網路斷了")
    assert "operator" not in names(watchlists, "真的移动不了")


def test_code_mixed_thai_english(watchlists: WatchlistSet) -> None:
    assert "operator" in names(watchlists, "ใช้AISแล้วเน็ตช้า")
    assert "lineman" in names(watchlists, "สั่งLINE MANรอนานมาก")
    assert "outage" in names(watchlists, "internetล่มทั้งตึก")


def test_exclusion_vetoes_a_match(watchlists: WatchlistSet) -> None:
    assert names(watchlists, "AIS sticker ใหม่น่ารัก") == []
    assert "lineman" not in names(watchlists, "รีวิวร้านนี้ สั่งผ่านไลน์แมน")
    assert "lineman" in names(watchlists, "สั่งผ่านไลน์แมน ไม่ได้เงินคืน")


def test_match_reports_the_terms_and_cues_found(watchlists: WatchlistSet) -> None:
    [match] = watchlists.match("LINE MAN order never came, no refund")
    assert match.watchlist.name == "lineman"
    assert match.terms == ("LINE MAN",)
    assert match.cues == ("no refund",)


def test_query_near_counts_words_between_terms(watchlists: WatchlistSet) -> None:
    assert "outage" in names(watchlists, "the internet is down again")
    assert "outage" not in names(watchlists, "the internet was fine until the shop was closed and down the road")
    assert "outage" in names(watchlists, "เน็ตมันล่ม")
    assert "outage" in names(watchlists, "家里网络又断了")


def test_query_not_and_ordered_near(watchlists: WatchlistSet) -> None:
    assert "outage" not in names(watchlists, "ข่าว เน็ตล่มทั้งประเทศ")
    assert "slow-first" in names(watchlists, "so slow internet today")
    assert "slow-first" not in names(watchlists, "internet so slow today")


def test_sources_restrict_a_watchlist(watchlists: WatchlistSet) -> None:
    assert names(watchlists, "ค่าโทรแพงมาก", source="pantip") == ["pantip-only"]
    assert names(watchlists, "ค่าโทรแพงมาก", source="x-search") == []


def test_a_disabled_watchlist_never_matches(watchlists: WatchlistSet) -> None:
    assert "paused" not in names(watchlists, "ค่าโทรแพงมาก")


def test_query_with_terms_needs_both() -> None:
    doc = parse_yaml("""
watchlists:
  - name: dtac-billing
    terms: ["ดีแทค", "dtac"]
    query: '"บิล" OR "bill"'
""", "config.yaml")
    watchlists = load_watchlists(doc.data["watchlists"], located=doc)
    assert names(watchlists, "ดีแทคส่งบิลผิด") == ["dtac-billing"]
    assert names(watchlists, "ดีแทคสัญญาณดี") == []
    assert names(watchlists, "บิลค่าไฟแพง") == []
