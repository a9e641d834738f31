"""Thai escalation cues as a Thai reader reads them: on word segments, boycotts, regulators, police and
lawyers, the media — and the look-alikes that are not escalation."""

from __future__ import annotations

import pytest

from sentiment.cues import CueFinder

FINDER = CueFinder()

TRUE_HITS = [
    ("เน็ตหลุดทุกวัน จะร้องเรียน สคบ. พรุ่งนี้", "สคบ."),
    ("ส่งเรื่องไปกสทช.แล้วค่ะ", "กสทช."),
    ("ประกันไม่ยอมจ่าย ร้องเรียนคปภ.ได้ไหมคะ", "คปภ."),
    ("ธนาคารไม่ยอมยกเลิกบัตร จะแจ้ง ธปท. ครับ", "ธปท."),
    ("อาหารเสริมนี้ไม่มีเลข อย. ระวังด้วย", "อย."),
    ("ร้านนี้โกงเงิน อย่าซื้อเด็ดขาด", "อย่า…เด็ดขาด"),
    ("อย่าสั่งร้านนี้นะคะ ของไม่ตรงปก", "อย่าสั่ง"),
    ("แบนร้านนี้ไปเลยค่ะ", "แบน"),
    ("ไปแจ้งความที่โรงพักมาแล้ว", "แจ้งความ"),
    ("ปรึกษาทนายความแล้ว จะเอาเรื่องให้ถึงที่สุด", "ทนายความ"),
    ("แบบนี้ฟ้องร้องได้ไหมครับ", "ฟ้องร้อง"),
    ("ถ้าไม่คืนเงินภายในสัปดาห์นี้ จะฟ้องศาล", "ฟ้องศาล"),
    ("ฝากแชร์ด้วยนะคะ ไม่อยากให้ใครโดนอีก", "ฝากแชร์"),
    ("ช่วยแชร์ด้วยครับ บริษัทนี้เอาเปรียบลูกค้า", "ช่วยแชร์"),
    ("ขอแฉพฤติกรรมร้านนี้", "แฉ"),
    ("จะเอาไปออกข่าวให้รู้กันทั้งประเทศ", "ออกข่าว"),
    ("ส่งเรื่องให้โหนกระแสแล้ว", "โหนกระแส"),
]

FALSE_HITS = [
    "พื้นแบนๆ แบบนี้ใช้ได้ไหมคะ",          # แบนๆ is "flat"
    "วงแบนด์นี้เพลงเพราะมาก",               # แบนด์ is "band"
    "เล่นเกมด้วยจอยแบบนี้จะโดนแบนไหมครับ",  # being banned, not a boycott
    "ช่วยแชร์ประสบการณ์หน่อยครับ",           # sharing experiences
    "หาคนช่วยแชร์ค่าหอครับ",                 # sharing the rent
    "พื้นห้องน้ำแฉะตลอด",                    # แฉะ is "wet"
    "อยากทราบว่าสมัครยังไงครับ",             # อยาก contains อย
    "กดอัพเดตแล้วขึ้นฟ้องว่า error",         # the screen "reports"
    "ราคา 1200 บาทคุ้มไหม",
    "ขอแชร์ประสบการณ์ใช้งานจริงครับ",
]


@pytest.mark.parametrize(("text", "cue"), TRUE_HITS)
def test_escalation_is_found(text: str, cue: str) -> None:
    assert cue in FINDER.find(text)


@pytest.mark.parametrize("text", FALSE_HITS)
def test_look_alikes_are_not_escalation(text: str) -> None:
    assert FINDER.find(text) == ()


def test_a_cue_inside_a_longer_cue_is_reported_once_as_the_longer_one() -> None:
    assert FINDER.find("ปรึกษาทนายความแล้ว") == ("ทนายความ",)
