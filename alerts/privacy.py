"""Mask personal data in post text before it leaves for Slack.

Customers often paste their phone number, national ID, e-mail or bank account into a complaint. The
care team needs the complaint, not the numbers, and a Slack channel is a much wider audience than the
original post, so ``mask_personal_data`` replaces them with a short tag such as ``[phone]``.

Patterns never rely on ``\\b``: Thai letters count as word characters, so "โทร0812345678" has no word
boundary before the digits. Digit lookarounds are used instead. Thai digits (๐-๙) are read as digits.
"""

from __future__ import annotations

import re

_D = r"[0-9๐-๙]"  # an ASCII or Thai digit
_SEP = r"[-\s.]?"  # people write 081-234-5678, 081 234 5678, 081.234.5678 or 0812345678
_NOT_BEFORE = rf"(?<![0-9๐-๙+\-])"
_NOT_AFTER = rf"(?!-?{_D})"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# 1-2345-67890-12-3: the printed layout of a Thai ID card; that layout alone is distinctive enough.
_NATIONAL_ID_LAYOUT = re.compile(rf"{_NOT_BEFORE}{_D}[-\s]{_D}{{4}}[-\s]{_D}{{5}}[-\s]{_D}{{2}}[-\s]{_D}{_NOT_AFTER}")
_THIRTEEN_DIGITS = re.compile(rf"{_NOT_BEFORE}{_D}{{13}}{_NOT_AFTER}")
_PHONE = re.compile(
    rf"{_NOT_BEFORE}(?:"
    rf"\+66{_SEP}\(?[0๐]?\)?{_SEP}[1-9๑-๙](?:{_SEP}{_D}){{7,8}}"  # +66 81 234 5678, +66 2 123 4567
    rf"|[0๐][689๖๘๙](?:{_SEP}{_D}){{8}}"  # mobile: 08x-xxx-xxxx, 06x, 09x
    rf"|[0๐][2-7๒-๗](?:{_SEP}{_D}){{7}}"  # landline: 02-123-4567, 053-123-456
    rf"){_NOT_AFTER}"
)
# Bank accounts are 10-12 digits written in dashed groups (xxx-x-xxxxx-x); undashed runs are too
# ambiguous (order numbers, tracking codes) to mask.
_DASHED_DIGITS = re.compile(rf"{_NOT_BEFORE}{_D}+(?:-{_D}+){{2,4}}{_NOT_AFTER}")

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _id_checksum_ok(digits: str) -> bool:
    """The 13th digit of a Thai ID is (11 - sum(d_i * (13 - i)) mod 11) mod 10."""
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def _mask_thirteen(match: re.Match[str]) -> str:
    # Undashed 13-digit runs are masked only when the checksum holds, so invoice numbers stay readable.
    return "[national-id]" if _id_checksum_ok(match.group().translate(_THAI_DIGITS)) else match.group()


def _mask_account(match: re.Match[str]) -> str:
    count = sum(ch.isdigit() for ch in match.group())
    return "[bank-account]" if 10 <= count <= 12 else match.group()


def mask_personal_data(text: str) -> str:
    """Replace e-mails, Thai national IDs, phone numbers and bank account numbers with tags."""
    text = _EMAIL.sub("[email]", text)
    text = _NATIONAL_ID_LAYOUT.sub("[national-id]", text)
    text = _THIRTEEN_DIGITS.sub(_mask_thirteen, text)
    text = _PHONE.sub("[phone]", text)
    return _DASHED_DIGITS.sub(_mask_account, text)
