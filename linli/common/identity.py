"""Identity numbers (GB 11643-1999), credit codes (GB 32100-2015) and phone numbers.

The checks come from python-stdnum and phonenumbers; this module only turns their
exceptions into messages in Chinese and applies the platform's policy:

* A wrong check digit, a malformed number or an impossible/future birth date is an error.
* A region code unknown for the birth year is at most a warning: ``cn.ric.validate``
  rejects e.g. 640106 (Jinfeng District, created 2002) for someone born in 1950, yet such
  people hold 640106 numbers because they registered after 2002 (DESIGN.md caveat).
* 15-digit legacy numbers (GB 11643-1989) are converted: insert ``19`` before the
  two-digit year and compute the check digit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

FULLWIDTH = str.maketrans(
    "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＹ　－＋（）",
    "0123456789XxABCDEFGHJKLMNPQRTUWY -+()",
)


class IdentityError(ValueError):
    """A value that fails a standard's check; ``str(err)`` is a message in Chinese."""


@dataclass(frozen=True)
class IdentityNumber:
    """A checked 18-digit identity number and what it encodes.

    Attributes:
        number: 18 characters, upper-case ``X`` check digit.
        birth_date: from positions 7–14.
        sex: ``"M"`` (odd 17th digit) or ``"F"`` (even).
        warnings: messages in Chinese that do not make the number invalid.
    """

    number: str
    birth_date: dt.date
    sex: str
    warnings: list[str] = field(default_factory=list)


def normalize_text(value: object) -> str:
    """Full-width digits/letters to half-width, spaces removed at both ends."""
    return str(value).translate(FULLWIDTH).strip()


def parse_id_number(raw: object, *, today: dt.date | None = None) -> IdentityNumber:
    """Check a resident identity number and derive birth date and sex.

    Args:
        raw: 18 or 15 digits (full-width digits, inner spaces and a lower-case ``x`` are
            accepted).
        today: the date used to reject future birth dates (default: today).

    Raises:
        IdentityError: empty, wrong length or characters, wrong check digit, impossible
            or future birth date.
    """
    text = normalize_text(raw).replace(" ", "").replace("-", "").upper()
    if not text:
        raise IdentityError("身份证号为空")
    if len(text) == 15:
        if not text.isdigit():
            raise IdentityError(f"15 位身份证号只能包含数字：{text}")
        body = text[:6] + "19" + text[6:]
        text = body + ric.calc_check_digit(body + "0")
    if len(text) != 18:
        raise IdentityError(f"身份证号应为 18 位（或 15 位旧号），实际 {len(text)} 位：{text}")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise IdentityError(f"身份证号含有非法字符：{text}")
    expected = ric.calc_check_digit(text)
    if text[17] != expected:
        raise IdentityError(f"身份证号校验位错误：{text}（第 18 位应为 {expected}）")
    try:
        birth = ric.get_birth_date(text)
    except stdnum_errors.ValidationError:
        raise IdentityError(f"身份证号中的出生日期不存在：{text[6:14]}") from None
    today = today or dt.date.today()
    if birth > today:
        raise IdentityError(f"身份证号中的出生日期在未来：{birth.isoformat()}")
    if birth.year < 1890:
        raise IdentityError(f"身份证号中的出生年份不合理：{birth.year}")
    warnings: list[str] = []
    try:
        ric.get_birth_place(text)
    except (stdnum_errors.ValidationError, KeyError):
        # KeyError: python-stdnum's table has some codes with a province but no county
        # entry; the region is only ever a warning (DESIGN.md caveat).
        warnings.append(
            f"行政区划代码 {text[:6]} 在出生年份 {birth.year} 尚未设立或未收录（仅提示）"
        )
    sex = "M" if int(text[16]) % 2 == 1 else "F"
    return IdentityNumber(number=text, birth_date=birth, sex=sex, warnings=warnings)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Whole years completed on ``day``; someone born on 29 Feb turns a year older on 1 Mar."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def parse_phone(raw: object) -> str:
    """A mainland mobile or fixed-line number in national form (``13912345678``, ``09515012345``).

    Accepts ``+86``/``0086`` prefixes, spaces, hyphens and full-width digits.

    Raises:
        IdentityError: if phonenumbers does not consider it a valid CN number.
    """
    text = normalize_text(raw).replace(" ", "").replace("-", "")
    if text.startswith("0086"):
        text = "+86" + text[4:]
    if not text:
        raise IdentityError("电话号码为空")
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise IdentityError(f"电话号码无法识别：{text}") from None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise IdentityError(f"不是有效的中国大陆电话号码：{text}")
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.replace(" ", "").replace("-", "")


def parse_uscc(raw: object) -> str:
    """A unified social credit code (GB 32100-2015), 18 characters upper-case.

    Raises:
        IdentityError: wrong length, characters or check character.
    """
    text = normalize_text(raw).replace(" ", "").upper()
    try:
        return str(uscc.validate(text))
    except stdnum_errors.InvalidLength:
        raise IdentityError(f"统一社会信用代码应为 18 位：{text}") from None
    except stdnum_errors.InvalidChecksum:
        raise IdentityError(f"统一社会信用代码校验位错误：{text}") from None
    except stdnum_errors.ValidationError:
        raise IdentityError(f"统一社会信用代码格式错误：{text}") from None
