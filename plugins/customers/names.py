"""Customer names made comparable: the duplicate key and the pinyin spellings search uses.

``name_key`` folds full/half width, case, spaces and punctuation and drops company suffixes
(有限公司, Co., Ltd., Inc. ...), so "北京华宇科技有限公司" and "北京华宇科技" or "ACME Co.,
Ltd." and "acme" collide. ``pinyin`` spells a name in toneless pinyin with pypinyin's
dictionaries, reading the longest known phrase first (so 重庆 is chongqing and 银行 yinhang),
at a few microseconds a name: pypinyin's own segmenter costs ~75 µs, too slow for a
million-row import.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
from pypinyin.style import convert

__all__ = ["is_cjk", "name_key", "pinyin", "pinyin_initials", "pinyin_syllables"]

# Longest first, so "有限责任公司" is cut before "公司".
COMPANY_SUFFIXES = sorted((
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "分公司", "总公司",
    "co ltd", "co limited", "company limited", "company", "corporation", "corp", "inc",
    "incorporated", "ltd", "limited", "llc", "gmbh", "plc", "co", "group",
), key=len, reverse=True)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LONGEST_PHRASE = 4


def is_cjk(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph (the characters pinyin spells)."""
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _fold(text: str) -> str:
    """Full width to half width (NFKC), lower case, punctuation to single spaces."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def name_key(name: str) -> str:
    """The key two names share when they are likely the same customer.

    Folds width, case, spaces and punctuation, then drops trailing company suffixes (more
    than one: "ACME Group Co., Ltd." becomes "acme"). A name that is nothing but a suffix
    keeps it, so "集团" does not collide with every other group.
    """
    folded = _fold(name)
    words = folded
    changed = True
    while changed:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if words.endswith(suffix) and len(words) > len(suffix):
                before = words[: -len(suffix)]
                # A Latin suffix must be a whole word; a Chinese one may be glued on.
                if suffix.isascii() and before and not before.endswith(" "):
                    continue
                words = before.rstrip()
                changed = True
                break
    return (words or folded).replace(" ", "")


@lru_cache(maxsize=65536)
def _char_reading(char: str) -> str:
    readings = PINYIN_DICT.get(ord(char))
    if readings is None:
        return char
    return convert(readings.split(",")[0], Style.NORMAL, strict=False)


@lru_cache(maxsize=65536)
def _phrase_reading(phrase: str) -> tuple[str, ...] | None:
    readings = PHRASES_DICT.get(phrase)
    if readings is None:
        return None
    return tuple(convert(options[0], Style.NORMAL, strict=False) for options in readings)


def pinyin_syllables(text: str) -> list[str]:
    """The toneless pinyin of each CJK character of ``text``, in order ("重庆银行" gives
    ``["chong", "qing", "yin", "hang"]``). Other characters are left out."""
    syllables: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        if not is_cjk(text[index]):
            index += 1
            continue
        for size in range(min(_LONGEST_PHRASE, length - index), 1, -1):
            reading = _phrase_reading(text[index:index + size])
            if reading is not None and len(reading) == size:
                syllables.extend(reading)
                index += size
                break
        else:
            syllables.append(_char_reading(text[index]))
            index += 1
    return syllables


def pinyin(text: str) -> str:
    """The CJK characters of ``text`` spelled in pinyin without spaces ("beijinghuayu...")."""
    return "".join(pinyin_syllables(text))


def pinyin_initials(text: str) -> str:
    """The first letter of each CJK character's pinyin ("北京华宇科技" gives "bjhykj")."""
    return "".join(syllable[0] for syllable in pinyin_syllables(text) if syllable)
