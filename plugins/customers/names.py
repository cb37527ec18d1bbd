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
from functools import cache
from typing import Any

__all__ = ["infer_kind", "is_cjk", "name_key", "pinyin", "pinyin_initials",
           "pinyin_syllables", "spell_name"]

# Longest first, so "有限责任公司" is cut before "公司".
COMPANY_SUFFIXES = sorted((
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司", "分公司", "总公司",
    "co ltd", "co limited", "company limited", "company", "corporation", "corp", "inc",
    "incorporated", "ltd", "limited", "llc", "gmbh", "plc", "co", "group",
), key=len, reverse=True)
_SUFFIX_ENDS = tuple(COMPANY_SUFFIXES)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LONGEST_PHRASE = 4


def is_cjk(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph (the characters pinyin spells)."""
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def _fold(text: str) -> str:
    """Full width to half width (NFKC), lower case, punctuation to single spaces."""
    if text.isascii():  # NFKC leaves ASCII as it is, and casefold is lower there
        return _NOT_WORD.sub(" ", text.lower()).strip()
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def name_key(name: str) -> str:
    """The key two names share when they are likely the same customer.

    Folds width, case, spaces and punctuation, then drops trailing company suffixes (more
    than one: "ACME Group Co., Ltd." becomes "acme"). A name that is nothing but a suffix
    keeps it, so "集团" does not collide with every other group.
    """
    folded = _fold(name)
    words = folded
    changed = words.endswith(_SUFFIX_ENDS)  # most names end in none: skip the loop
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


_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")  # as is_cjk
_CACHE_LIMIT = 65536
# Plain dicts rather than lru_cache: these run for every CJK character of every imported
# name, and a dict lookup costs a fraction of the cache wrapper's call.
_CHARS: dict[str, str] = {}
_PHRASES: dict[str, tuple[str, ...] | None] = {}
_RUNS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}


@cache
def _pypinyin() -> tuple[dict[str, Any], dict[int, str], frozenset[str], Any]:
    """pypinyin's phrases, characters, the first two characters of every phrase, and its
    toneless converter; imported on first use: the phrase table alone takes 0.4 s to load,
    which every ``crm`` command and worker would pay at start."""
    from pypinyin import Style
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.style import convert

    def toneless(reading: str) -> str:
        return convert(reading, Style.NORMAL, strict=False)

    starts = frozenset(phrase[:2] for phrase in PHRASES_DICT if len(phrase) >= 2)
    return PHRASES_DICT, PINYIN_DICT, starts, toneless


def _char_reading(char: str) -> str:
    reading = _CHARS.get(char)
    if reading is None:
        _phrases, characters, _starts, toneless = _pypinyin()
        readings = characters.get(ord(char))
        reading = char if readings is None else toneless(readings.split(",")[0])
        if len(_CHARS) < _CACHE_LIMIT:
            _CHARS[char] = reading
    return reading


def _phrase_reading(phrase: str) -> tuple[str, ...] | None:
    if phrase in _PHRASES:
        return _PHRASES[phrase]
    phrases, _characters, _starts, toneless = _pypinyin()
    readings = phrases.get(phrase)
    reading = None if readings is None else tuple(toneless(options[0]) for options in readings)
    if len(_PHRASES) < _CACHE_LIMIT:
        _PHRASES[phrase] = reading
    return reading


def _segment(run: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The syllables of a run of CJK characters, longest known phrase first, and where each
    phrase ends.

    pypinyin's phrases are all CJK characters, so cutting the text into runs first gives the
    same reading as walking it whole; short runs (城市, 有限公司, 科技) repeat across names and
    are read once.
    """
    cached = _RUNS.get(run)
    if cached is not None:
        return cached
    phrases, _characters, phrase_starts, _toneless = _pypinyin()
    syllables: list[str] = []
    ends: list[int] = []
    index, length = 0, len(run)
    while index < length:
        # Most characters start no phrase: one set lookup says so before trying 4, 3, 2.
        sizes = range(min(_LONGEST_PHRASE, length - index), 1, -1) \
            if run[index:index + 2] in phrase_starts else ()
        for size in sizes:
            piece = run[index:index + size]
            if piece in phrases:
                reading = _phrase_reading(piece)
                if reading is not None and len(reading) == size:
                    syllables.extend(reading)
                    index += size
                    break
        else:
            syllables.append(_char_reading(run[index]))
            index += 1
        ends.append(index)
    result = tuple(syllables), tuple(ends)
    if len(run) <= 8:  # long runs are whole names, seldom seen twice: not worth the memory
        if len(_RUNS) >= _CACHE_LIMIT:
            _RUNS.clear()
        _RUNS[run] = result
    return result


def pinyin_syllables(text: str) -> list[str]:
    """The toneless pinyin of each CJK character of ``text``, in order ("重庆银行" gives
    ``["chong", "qing", "yin", "hang"]``). Other characters are left out."""
    if text.isascii():
        return []
    syllables: list[str] = []
    for run in _CJK_RUN.findall(text):
        syllables.extend(_segment(run)[0])
    return syllables


def spell_name(name: str) -> tuple[str, str, list[str]]:
    """``(name_key(name), pinyin(name_key(name)), pinyin_syllables(name))`` at the cost of
    about one pinyin reading instead of two (the import needs all three for every row).

    The key is mostly the name without its suffix (北京华宇科技 of 北京华宇科技有限公司): a run
    of the key that is a run of the name, or its start cut where a phrase of the name ends,
    reads the same, so its syllables are taken from the name's.
    """
    key = name_key(name)
    if name.isascii():
        return key, "", []
    runs = _CJK_RUN.findall(name)
    segments = [_segment(run) for run in runs]
    syllables = [syllable for run_syllables, _ends in segments for syllable in run_syllables]
    key_syllables: list[str] = []
    for index, run in enumerate(_CJK_RUN.findall(key)):
        if index < len(runs) and runs[index].startswith(run) \
                and len(run) in segments[index][1]:
            key_syllables.extend(segments[index][0][:len(run)])
        else:
            key_syllables.extend(_segment(run)[0])
    return key, "".join(key_syllables), syllables


def pinyin(text: str) -> str:
    """The CJK characters of ``text`` spelled in pinyin without spaces ("beijinghuayu...")."""
    return "".join(pinyin_syllables(text))


def pinyin_initials(text: str) -> str:
    """The first letter of each CJK character's pinyin ("北京华宇科技" gives "bjhykj")."""
    return "".join(syllable[0] for syllable in pinyin_syllables(text) if syllable)


# Endings that make a name an organisation's, not a person's (longest first is not needed:
# any match decides).
_COMPANY_ENDINGS = ("公司", "集团", "厂", "店", "工作室", "研究院", "研究所", "中心", "事务所",
                    "合作社", "商行", "银行", "医院", "学校", "大学", "学院", "协会", "酒店",
                    "餐厅", "超市", "门市部", "经营部", "分部", "办事处", "基金会", "委员会",
                    "Ltd", "Ltd.", "Inc", "Inc.", "LLC", "Co.", "GmbH", "Corp", "Corp.")
_COMPANY_WORDS = ("有限公司", "有限责任", "股份", "集团")
_PERSON = re.compile(r"[\u4e00-\u9fff]{2,4}")


def infer_kind(name: str, uscc: str | None = None) -> str:
    """``"company"`` for a name with an organisation's ending (有限公司, 集团, 店, 工作室 …) or
    a row with a unified social credit code; ``"person"`` for a name of two to four Chinese
    characters without one (王晓燕); ``"company"`` otherwise (the customers' default)."""
    text = name.strip()
    if uscc or any(word in text for word in _COMPANY_WORDS) \
            or text.casefold().endswith(tuple(end.casefold() for end in _COMPANY_ENDINGS)):
        return "company"
    return "person" if _PERSON.fullmatch(text) else "company"
