"""Language detection, normalisation and escalation cues: behaviour a care team relies on."""

from __future__ import annotations

from sentiment.cues import CueFinder
from sentiment.lang import detect
from sentiment.normalize import LAUGH_TOKEN, URL_TOKEN, USER_TOKEN, normalize


def test_detects_each_language_and_mixed_script_posts() -> None:
    assert detect("ร้าน KFC สาขานี้บริการแย่มาก") == "th"
    assert detect("外卖送得太慢了，iPhone 也坏了") == "zh"
    assert detect("My flight was cancelled again") == "en"
    assert detect("😡😡😡 !!!") == "und"


def test_elongation_is_shortened_per_script() -> None:
    assert normalize("อร่อยมากกกกกก") == "อร่อยมาก"
    assert normalize("sooooo good") == "soo good"
    assert normalize("哈哈哈哈哈") == "哈哈"


def test_thai_laughter_becomes_one_token_but_prices_stay() -> None:
    assert normalize("ตลกมาก 55555+") == f"ตลกมาก {LAUGH_TOKEN}"
    assert normalize("ราคา 5550 บาท") == "ราคา 5550 บาท"


def test_urls_mentions_and_hashtags_become_placeholders() -> None:
    text = normalize("@somchai ดูนี่ https://pantip.com/topic/1 #ฝากแชร์")
    assert USER_TOKEN in text and URL_TOKEN in text
    assert "pantip.com" not in text and "@somchai" not in text
    assert "ฝากแชร์" in text  # the hashtag's words survive, they are a cue


def test_traditional_chinese_is_mapped_to_simplified() -> None:
    assert normalize("這個產品質量很差") == "这个产品质量很差"


def test_default_cues_in_three_languages() -> None:
    finder = CueFinder()
    assert finder.find("ฝากแชร์ด้วยครับ จะไปร้องเรียน สคบ. แล้ว") == ("ฝากแชร์", "สคบ.")
    assert finder.find("质量太差，我要投诉到12315") == ("投诉", "12315")
    assert finder.find("I will sue you. Never again!") == ("sue",)  # "never again" is a complaint, not escalation


def test_latin_cues_need_word_boundaries_and_digit_cues_need_digit_boundaries() -> None:
    finder = CueFinder()
    assert finder.find("the issue was pursued") == ()
    assert finder.find("总价3150元") == ()


def test_configured_extra_cues_are_found() -> None:
    finder = CueFinder({"th": ["ทรูห่วย"], "en": ["class action"]})
    assert finder.find("ทรูห่วยมากกกก") == ("ทรูห่วย",)
    assert finder.find("Joining the CLASS ACTION") == ("class action",)
    assert CueFinder().find("ทรูห่วยมาก") == ()


def test_batch_char_keys_match_the_training_ngrams_of_each_text() -> None:
    from sentiment.features import batch_char_keys, char_ngrams, gram_keys

    texts = ["Hello Wörld", "เน็ตใช้ไม่ได้", "", "外卖送了两个小时", "😡 ok"]
    rows, keys = batch_char_keys(texts, 1, 4)
    for row, text in enumerate(texts):
        assert sorted(keys[rows == row].tolist()) == sorted(gram_keys(char_ngrams(text.lower(), 1, 4)).tolist())


def test_model_words_segment_thai_and_leave_chinese_to_characters() -> None:
    from sentiment.tokenize import model_words

    assert model_words("เน็ตใช้ไม่ได้ค่ะ KFC 外卖") == ["เน็ต", "ใช้ไม่ได้", "ค่ะ", "kfc"]


def test_model_words_segment_chinese_only_when_asked() -> None:
    from sentiment.tokenize import model_words

    assert model_words("外卖太慢了 ok") == ["ok"]
    chinese = model_words("外卖太慢了 ok", chinese=True)
    assert chinese[-1] == "ok" and "外卖" in chinese and "".join(chinese[:-1]) == "外卖太慢了"
