"""Language detection by script counts: Thai, Chinese (Han), English (Latin) or "und".

Social posts mix scripts (Thai posts name brands in Latin letters, Chinese posts quote model numbers), so the
decision weighs how many letters of each script a text holds instead of looking at the first one. It is a pure
function of the string and costs three regex scans, fast enough to run on every post.
"""

from __future__ import annotations

import re

_THAI = re.compile(r"[\u0E00-\u0E7F]")
_HAN = re.compile(r"[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
# One Han character carries about as much as a short Latin word; weighting it keeps "iPhone 15 太贵了" Chinese.
_HAN_WEIGHT = 3


def detect(text: str) -> str:
    """Return "th", "zh", "en" or "und" (no letters of those scripts) for one text."""
    thai = len(_THAI.findall(text))
    han = len(_HAN.findall(text)) * _HAN_WEIGHT
    latin = len(_LATIN.findall(text))
    if thai == han == latin == 0:
        return "und"
    # Any real amount of Thai makes a post Thai: Thai writers borrow Latin brand names, never the reverse.
    if thai and thai * 2 >= latin and thai >= han:
        return "th"
    if han and han >= latin and han >= thai:
        return "zh"
    if latin >= thai and latin >= han:
        return "en"
    return "th" if thai >= han else "zh"
