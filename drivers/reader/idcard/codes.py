"""The codes on the card: sex (GB/T 2261.1), ethnic group (GB/T 3304), citizen number (GB 11643).

The card's text stores codes, not words (field table of GA/T 490 as reproduced at
wiki.nfc.im, "二代居民身份证": 性别代码 per GB/T 2261.1, 民族代码 per GB/T 3304, 公民身份号码
per GB 11643). A citizen number is checked here, not trusted: its six-digit region code,
its birth date (which must be the card's birth field), a three-digit sequence whose parity
is the sex, and an ISO 7064 MOD 11-2 check digit that may be ``X``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# GB/T 2261.1: 0 not known, 1 male, 2 female, 9 not stated. The kiosk's "M"/"F"/"X".
SEX_CODES = {"1": "M", "2": "F", "0": "X", "9": "X"}

# GB/T 3304 (names and codes of China's ethnic groups): the 56 groups, and the codes for
# others (97) and Chinese citizens of foreign origin (98).
ETHNIC_GROUPS: dict[str, str] = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族",
    "07": "彝族", "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族",
    "13": "瑶族", "14": "白族", "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族",
    "19": "黎族", "20": "傈僳族", "21": "佤族", "22": "畲族", "23": "高山族", "24": "拉祜族",
    "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族", "29": "柯尔克孜族",
    "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族",
    "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族",
    "41": "塔吉克族", "42": "怒族", "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族",
    "46": "德昂族", "47": "保安族", "48": "裕固族", "49": "京族", "50": "塔塔尔族",
    "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族", "55": "珞巴族",
    "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士",
}

# ISO 7064 MOD 11-2 as GB 11643 applies it: weights 2^(17-i) mod 11, remainder → digit.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def sex_from_code(code: str) -> str:
    return SEX_CODES.get(code.strip(), "X")


def ethnic_group(code: str) -> str | None:
    """The group's name for a two-digit code; None for a code GB/T 3304 does not have."""
    return ETHNIC_GROUPS.get(code.strip().zfill(2))


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


@dataclass(frozen=True)
class CitizenNumberCheck:
    """What is wrong with a citizen number, if anything; ``problems`` holds stable codes."""

    number: str
    region: str | None
    birth: dt.date | None
    sequence: str | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def prefecture(self) -> str | None:
        """The prefecture-level code (first four digits and 00) of the region."""
        return self.region[:4] + "00" if self.region else None

    def __repr__(self) -> str:  # the number is personal data
        return f"CitizenNumberCheck(valid={self.valid}, problems={self.problems})"


def check_citizen_number(number: str, birth: dt.date | None = None,
                         sex: str | None = None) -> CitizenNumberCheck:
    """Check an 18-character number against GB 11643 and, if given, the card's birth date
    and sex. Never raises: a bad number is a finding the kiosk shows staff."""
    number = number.strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit()
                                                               or number[17] == "X"):
        return CitizenNumberCheck(number, None, None, None, ("malformed",))
    problems: list[str] = []
    region, sequence = number[:6], number[14:17]
    from drivers.reader.idcard.regions import province_name  # small table, no cycle
    if province_name(region) is None:
        problems.append("unknown_region")
    try:
        born: dt.date | None = dt.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        born = None
        problems.append("bad_birth_date")
    if born is not None and birth is not None and born != birth:
        problems.append("birth_date_mismatch")
    if sex in ("M", "F") and (int(sequence) % 2 == 1) != (sex == "M"):
        problems.append("sex_mismatch")
    if check_digit(number[:17]) != number[17]:
        problems.append("bad_check_digit")
    return CitizenNumberCheck(number, region, born, sequence, tuple(problems))


def make_citizen_number(region: str, birth: dt.date, sequence: int) -> str:
    """A number with the right check digit (the virtual module's demo cards, tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
