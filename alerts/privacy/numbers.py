"""Decide what a run of digit groups is: a phone number, a national ID, a card or a bank account, or nothing.

The one home of ``phonenumbers`` (Google's numbering plans: which Thai, Chinese, British and North American
numbers exist) and ``stdnum`` (the Thai ID and Chinese resident ID checksums, Luhn for cards). A run arrives
as its digit groups in the order written (``["081", "234", "5678"]``), already in ASCII digits, plus whether
a ``+`` led it and the words just before it, which tell an order number from a bank account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric
from stdnum.th import pin

# Words that say the number that follows is an order, parcel or invoice number, never a card or ID.
_REFERENCE = re.compile(r"(order|invoice|tracking|parcel|ref\b|no\.|#|คำสั่งซื้อ|ออเดอร์|พัสดุ|ใบแจ้งหนี้|ใบเสร็จ|"
                        r"รหัสสินค้า|订单|单号|快递|运单|编号|发票)\W*$", re.IGNORECASE)
# Words that say the number that follows is a bank account.
_ACCOUNT = re.compile(r"(บัญชี|โอน|ธนาคาร|กสิกร|ไทยพาณิชย์|กรุงเทพ|กรุงไทย|กรุงศรี|ออมสิน|ทหารไทย|ธกส|"
                      r"account|acct|a/c|bank|kbank|scb|bbl|ktb|ttb|gsb|baac|账号|账户|银行|卡号)", re.IGNORECASE)
# Thai accounts are written xxx-x-xxxxx-x (10 digits) or xxx-x-xxxxx-xxx / xxx-x-xxxxxxx-x (12 digits).
_BANK_LAYOUTS = {(3, 1, 5, 1), (3, 1, 5, 3), (3, 1, 7, 1), (3, 1, 6), (3, 1, 6, 2), (2, 4, 4, 2), (3, 6, 1),
                 (3, 3, 4, 2)}
_CARD_LAYOUTS = {(16,), (15,), (19,), (4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 4, 3), (6, 13), (4, 4, 4, 3)}
_NATIONAL_REGIONS = ("TH", "CN", "GB")  # tried in this order for numbers written with a leading 0


@dataclass(frozen=True)
class DigitRun:
    groups: tuple[str, ...]
    plus: bool = False  # written with a leading "+"
    check_x: bool = False  # ends in X/x (the check character of a Chinese resident ID)
    before: str = ""  # the text just before the run

    @property
    def digits(self) -> str:
        return "".join(self.groups)

    @property
    def layout(self) -> tuple[int, ...]:
        return tuple(len(g) for g in self.groups)


def classify(run: DigitRun) -> str | None:
    """The tag for this run (``national-id``, ``phone``, ``card``, ``bank-account``) or None to keep it."""
    digits = run.digits
    reference = _REFERENCE.search(run.before[-24:]) is not None
    if run.check_x:
        return "national-id" if len(digits) == 17 and _is_resident_id(digits + "X") else None
    if len(digits) == 13 and (run.layout == (1, 4, 5, 2, 1) or (pin.is_valid(digits) and not reference)):
        return "national-id"
    if len(digits) == 18 and _is_resident_id(digits):
        return "national-id"
    if is_phone(run):
        return "phone"
    if not reference and _is_card(run):
        return "card"
    if not reference and _is_bank_account(run):
        return "bank-account"
    return None


def _is_resident_id(number: str) -> bool:
    """A Chinese resident ID: a real birth date and the right check character. The region code is not
    checked: stdnum's list of regions is historical and refuses many codes in use today."""
    try:
        ric.get_birth_date(number)
    except Exception:  # stdnum raises its own ValidationError subclasses for an impossible date
        return False
    return ric.calc_check_digit(number) == number[-1].upper()


def is_phone(run: DigitRun) -> bool:
    digits = run.digits
    if not 8 <= len(digits) <= 15:
        return False
    if run.plus or digits.startswith("00"):
        return _valid("+" + digits.removeprefix("00") if not run.plus else "+" + digits, None)
    if digits.startswith("0"):
        return any(_valid(digits, region) for region in _NATIONAL_REGIONS)
    if digits.startswith("66") and len(digits) in (10, 11):  # +66 written without its plus
        return _valid("+" + digits, None)
    if digits.startswith("86") and len(digits) == 13:
        return _valid("+" + digits, None)
    if len(digits) == 11 and digits[:2] in ("13", "14", "15", "16", "17", "18", "19"):  # Chinese mobile
        return _valid(digits, "CN")
    # North American numbers only as people write them: 415-555-2671, (415) 555 2671, 1-800-555-0199;
    # a bare run of ten digits is far more often an order number.
    if run.layout in ((3, 3, 4), (1, 3, 3, 4)):
        return _valid(digits, "US")
    return False


def _valid(number: str, region: str | None) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    except phonenumbers.NumberParseException:
        return False


def _is_card(run: DigitRun) -> bool:
    digits = run.digits
    if not 13 <= len(digits) <= 19 or digits[0] not in "3456" or not luhn.is_valid(digits):
        return False
    return run.layout in _CARD_LAYOUTS or _ACCOUNT.search(run.before[-30:]) is not None


def _is_bank_account(run: DigitRun) -> bool:
    digits = run.digits
    if run.layout in _BANK_LAYOUTS and 10 <= len(digits) <= 12:
        return True
    # Any other layout of 10-19 digits counts only when the words before it speak of an account.
    return 10 <= len(digits) <= 19 and _ACCOUNT.search(run.before[-30:]) is not None
