"""Chinese vehicle plate numbers (机动车号牌号码): normalise and validate.

The formats are those of GA 36-2018 《中华人民共和国机动车号牌》 for civilian vehicles:

* a province abbreviation (京, 沪, 粤, … — :data:`PROVINCES`) and the issuing authority's
  letter (发牌机关代号, A–Z);
* then the serial (序号):
  - ordinary plates: five letters or digits, no I or O (e.g. 京A12345, 粤B5T8K9);
  - small new-energy plates (小型新能源汽车): six, the first D (pure electric) or F
    (other new energy), the second a letter or digit, the last four digits — the standard
    also allows A–K in first place from 2021 (D/F/A/B/C/E/G/H/J/K), as issued in some
    cities; we accept the letters it lists (e.g. 京AD12345, 沪AF8K123, 粤BA12345);
  - large new-energy plates (大型新能源汽车): five digits then D or F (e.g. 京A12345D);
  - trailer, coach-school, Hong Kong and Macau vehicles: four letters or digits and
    挂 / 学 / 港 / 澳 (e.g. 粤Z1234港).

Police, military and embassy plates are out of scope (they do not book community parking).
No registry lookup is made: a valid format is not proof the plate exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ALNUM = "A-HJ-NP-Z0-9"  # letters without I and O, and digits
_NEV_FIRST = "DFABCEGHJK"

ORDINARY = re.compile(rf"^[{PROVINCES}][A-Z][{_ALNUM}]{{5}}$")
NEV_SMALL = re.compile(rf"^[{PROVINCES}][A-Z][{_NEV_FIRST}][{_ALNUM}][0-9]{{4}}$")
NEV_LARGE = re.compile(rf"^[{PROVINCES}][A-Z][0-9]{{5}}[DF]$")
SUFFIXED = re.compile(rf"^[{PROVINCES}][A-Z][{_ALNUM}]{{4}}[挂学港澳]$")


class PlateError(ValueError):
    """A plate that is not a valid Chinese civilian plate; ``str()`` says why in Chinese."""


@dataclass(frozen=True)
class Plate:
    """A validated plate: ``number`` normalised (upper case, no spaces or dots), and
    whether it is a new-energy plate (green plate, 新能源)."""

    number: str
    new_energy: bool

    @property
    def kind_label(self) -> str:
        return "新能源车牌" if self.new_energy else "普通车牌"


def normalise(raw: str) -> str:
    """Upper case, full-width letters and digits made half-width, separators removed
    (``"京a·12345"`` → ``"京A12345"``)."""
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s·•.\-_]", "", text).upper()


def parse(raw: str) -> Plate:
    """Validate ``raw`` as a Chinese civilian plate (GA 36-2018).

    Returns:
        :class:`Plate` with the normalised number.

    Raises:
        PlateError: empty, wrong province, wrong length, or a serial the standard does not
            allow — the message names the problem and gives an example.
    """
    number = normalise(raw)
    if not number:
        raise PlateError("请填写车牌号，例如 京A12345 或新能源 京AD12345")
    if number[0] not in PROVINCES:
        raise PlateError(f"车牌号应以省份简称开头（如 京、沪、粤），“{raw}”不是")
    if len(number) < 2 or not ("A" <= number[1] <= "Z"):
        raise PlateError("省份简称后应是发牌机关字母（A–Z），例如 京A12345")
    if NEV_SMALL.match(number) or NEV_LARGE.match(number):
        return Plate(number, new_energy=True)
    if ORDINARY.match(number) or SUFFIXED.match(number):
        return Plate(number, new_energy=False)
    if len(number) == 8:
        raise PlateError(
            f"“{number}”不是有效的新能源车牌：小型车为 D/F 开头的六位（如 京AD12345），"
            "大型车为五位数字加 D/F（如 京A12345D）"
        )
    if len(number) != 7:
        raise PlateError(
            f"“{number}”位数不对：普通车牌共 7 位（如 京A12345），新能源车牌共 8 位（如 京AD12345）"
        )
    if "I" in number[2:] or "O" in number[2:]:
        raise PlateError(f"“{number}”含字母 I 或 O，车牌序号不使用这两个字母（易与 1、0 混淆）")
    raise PlateError(f"“{number}”不是有效的车牌号，例如 京A12345")
