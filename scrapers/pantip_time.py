"""Pantip time formats to UTC. Reads no config keys.

Pantip shows Bangkok local time (UTC+7, no daylight saving) as `MM/DD/YYYY HH:MM:SS` in `data-utime`
and as Thai text with a Buddhist-era year ("01 มกราคม 2556 เวลา 18:23:45 น.") in titles; the JSON
services use epoch seconds or ISO-8601 UTC.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from scrapers.base import ScrapeError

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")
BUDDHIST_ERA_OFFSET = 543

_THAI_MONTHS = {
    "มกราคม": 1, "กุมภาพันธ์": 2, "มีนาคม": 3, "เมษายน": 4, "พฤษภาคม": 5, "มิถุนายน": 6,
    "กรกฎาคม": 7, "สิงหาคม": 8, "กันยายน": 9, "ตุลาคม": 10, "พฤศจิกายน": 11, "ธันวาคม": 12,
    "ม.ค.": 1, "ก.พ.": 2, "มี.ค.": 3, "เม.ย.": 4, "พ.ค.": 5, "มิ.ย.": 6,
    "ก.ค.": 7, "ส.ค.": 8, "ก.ย.": 9, "ต.ค.": 10, "พ.ย.": 11, "ธ.ค.": 12,
}
_THAI_DATE = re.compile(r"(\d{1,2})\s+(\S+)\s+(\d{4})(?:\D+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def bangkok_utime_to_utc(text: str) -> datetime:
    """`"01/01/2013 18:23:45"` (Bangkok) → aware UTC datetime."""
    try:
        local = datetime.strptime(text.strip(), "%m/%d/%Y %H:%M:%S")
    except (ValueError, AttributeError) as exc:
        raise ScrapeError(f"bad Pantip utime {text!r}") from exc
    return local.replace(tzinfo=BANGKOK).astimezone(timezone.utc)


def thai_date_to_utc(text: str) -> datetime:
    """Thai date text with a Buddhist-era year, Bangkok time → UTC (fallback when no `data-utime`)."""
    match = _THAI_DATE.search(text or "")
    month = _THAI_MONTHS.get(match.group(2)) if match else None
    if match is None or month is None:
        raise ScrapeError(f"bad Thai date {text!r}")
    day, year = int(match.group(1)), int(match.group(3))
    # Thai dates count years from the Buddha's death; anything past 2400 is Buddhist era.
    year = year - BUDDHIST_ERA_OFFSET if year > 2400 else year
    hour, minute, second = (int(g) if g else 0 for g in match.group(4, 5, 6))
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=BANGKOK)
    except ValueError as exc:
        raise ScrapeError(f"bad Thai date {text!r}") from exc
    return local.astimezone(timezone.utc)


def epoch_to_utc(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value).strip()), timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise ScrapeError(f"bad epoch time {value!r}") from exc


def iso_to_utc(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScrapeError(f"bad ISO time {text!r}") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
