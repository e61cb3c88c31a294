"""Check characters of national identifiers, with errors that say what was expected.

* Unified Social Credit Code, GB 32100-2015.
* Resident identity number, GB 11643-1999 (ISO 7064 MOD 11-2).
"""

from __future__ import annotations

from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RID_CHECK = "10X98765432"


class InvalidIdentifier(ValueError):
    """The message is ready to show to a person."""


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str) -> str:
    """Return the normalised code or raise InvalidIdentifier naming what is wrong."""
    value = code.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier(f"统一社会信用代码应为18位，实际为{len(value)}位")
    for pos, ch in enumerate(value, start=1):
        if ch not in USCC_ALPHABET:
            raise InvalidIdentifier(f"统一社会信用代码第{pos}位字符“{ch}”不在允许的字符集内（不含 I、O、Z、S、V）")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise InvalidIdentifier(f"统一社会信用代码校验位错误：应为“{expected}”，实际为“{value[17]}”")
    return value


def resident_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, RID_WEIGHTS, strict=True))
    return RID_CHECK[total % 11]


def validate_resident_id(number: str) -> str:
    value = number.strip().upper()
    if len(value) != 18:
        raise InvalidIdentifier(f"居民身份证号码应为18位，实际为{len(value)}位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdentifier("居民身份证号码前17位应为数字，末位为数字或X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdentifier(f"居民身份证号码中的出生日期“{value[6:14]}”不是有效日期") from None
    expected = resident_check_char(value[:17])
    if value[17] != expected:
        raise InvalidIdentifier(f"居民身份证号码校验位错误：应为“{expected}”，实际为“{value[17]}”")
    return value


def birth_date_of(resident_id: str) -> date:
    return date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))


def mask_resident_id(value: str) -> str:
    """First and last character shown, the rest hidden (GB/T 35273 style)."""
    return value[0] + "*" * (len(value) - 2) + value[-1] if len(value) > 2 else "*" * len(value)


def mask_account(value: str) -> str:
    digits = value.replace(" ", "")
    return "**** **** " + digits[-4:] if len(digits) > 4 else "****"
