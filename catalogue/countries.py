"""Registry country strings to English country names.

Convention: the names ClinicalTrials.gov uses today ("South Korea", "Iran",
"Russia", "Czechia", "Turkey (Türkiye)", "Vietnam"...). Hong Kong, Macao and
Taiwan keep their own names, as ClinicalTrials.gov lists them, so "Hong Kong,
China" is "Hong Kong". Chinese names (ChiCTR) map to the same English names.

`country_list` keeps an unrecognised non-empty string as written (whitespace
collapsed) so that no data is lost; placeholders such as "N/A" are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# canonical English name -> aliases (English variants, ISO codes where safe, Chinese)
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "China": (
        "PRC",
        "P.R.China",
        "P.R. China",
        "PR China",
        "People's Republic of China",
        "Peoples Republic of China",
        "People Republic of China",
        "Republic of China (PRC)",
        "Mainland China",
        "China Mainland",
        "Chinese",
        "CN",
        "CHN",
        "中国",
        "中华人民共和国",
        "中国大陆",
        "中国内地",
    ),
    "Hong Kong": (
        "Hong Kong SAR",
        "Hong Kong, China",
        "Hongkong",
        "HK",
        "Hong Kong Special Administrative Region",
        "香港",
        "中国香港",
        "香港特别行政区",
    ),
    "Macao": ("Macau", "Macao SAR", "Macao, China", "澳门", "中国澳门"),
    "Taiwan": (
        "Taiwan, Province of China",
        "Taiwan ROC",
        "Republic of China",
        "Chinese Taipei",
        "台湾",
        "中国台湾",
        "台灣",
    ),
    "United States": (
        "USA",
        "US",
        "U.S.",
        "U.S.A.",
        "United States of America",
        "America",
        "the United States",
        "美国",
        "美國",
    ),
    "United Kingdom": (
        "UK",
        "U.K.",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "United Kingdom of Great Britain and Northern Ireland",
        "英国",
    ),
    "South Korea": (
        "Korea, Republic of",
        "Republic of Korea",
        "Korea",
        "Korea (South)",
        "Korea, South",
        "ROK",
        "韩国",
        "大韩民国",
        "南韩",
    ),
    "North Korea": ("Korea, Democratic People's Republic of", "Democratic People's Republic of Korea", "DPRK", "朝鲜"),
    "Japan": ("日本",),
    "Singapore": ("新加坡",),
    "Malaysia": ("马来西亚",),
    "Thailand": ("泰国",),
    "Vietnam": ("Viet Nam", "越南"),
    "Indonesia": ("印度尼西亚", "印尼"),
    "Philippines": ("the Philippines", "菲律宾"),
    "India": ("印度",),
    "Pakistan": ("巴基斯坦",),
    "Bangladesh": ("孟加拉国",),
    "Sri Lanka": ("斯里兰卡",),
    "Nepal": ("尼泊尔",),
    "Mongolia": ("蒙古",),
    "Kazakhstan": ("哈萨克斯坦",),
    "Uzbekistan": ("乌兹别克斯坦",),
    "Iran": ("Iran, Islamic Republic of", "Islamic Republic of Iran", "伊朗"),
    "Iraq": ("伊拉克",),
    "Israel": ("以色列",),
    "Jordan": ("约旦",),
    "Lebanon": ("黎巴嫩",),
    "Syria": ("Syrian Arab Republic", "叙利亚"),
    "Saudi Arabia": ("Kingdom of Saudi Arabia", "KSA", "沙特阿拉伯", "沙特"),
    "United Arab Emirates": ("UAE", "U.A.E.", "阿联酋", "阿拉伯联合酋长国"),
    "Qatar": ("卡塔尔",),
    "Kuwait": ("科威特",),
    "Oman": ("阿曼",),
    "Bahrain": ("巴林",),
    "Turkey (Türkiye)": ("Turkey", "Türkiye", "Turkiye", "Republic of Turkey", "土耳其"),
    "Egypt": ("Arab Republic of Egypt", "埃及"),
    "Morocco": ("摩洛哥",),
    "Tunisia": ("突尼斯",),
    "Algeria": ("阿尔及利亚",),
    "Libya": ("利比亚",),
    "Nigeria": ("尼日利亚",),
    "Kenya": ("肯尼亚",),
    "Ethiopia": ("埃塞俄比亚",),
    "Ghana": ("加纳",),
    "Uganda": ("乌干达",),
    "Tanzania": ("Tanzania, United Republic of", "United Republic of Tanzania", "坦桑尼亚"),
    "South Africa": ("Republic of South Africa", "南非"),
    "Australia": ("澳大利亚", "澳洲"),
    "New Zealand": ("NZ", "新西兰"),
    "Christmas Island": ("圣诞岛",),
    "Canada": ("加拿大",),
    "Mexico": ("墨西哥",),
    "Puerto Rico": ("波多黎各",),
    "Cuba": ("古巴",),
    "Guatemala": ("危地马拉",),
    "Costa Rica": ("哥斯达黎加",),
    "Panama": ("巴拿马",),
    "Colombia": ("哥伦比亚",),
    "Venezuela": ("Venezuela, Bolivarian Republic of", "委内瑞拉"),
    "Ecuador": ("厄瓜多尔",),
    "Peru": ("秘鲁",),
    "Bolivia": ("玻利维亚",),
    "Brazil": ("Brasil", "巴西"),
    "Chile": ("智利",),
    "Argentina": ("阿根廷",),
    "Uruguay": ("乌拉圭",),
    "Paraguay": ("巴拉圭",),
    "Germany": ("Deutschland", "Federal Republic of Germany", "德国"),
    "France": ("法国",),
    "Italy": ("Italia", "意大利"),
    "Spain": ("España", "Espana", "西班牙"),
    "Portugal": ("葡萄牙",),
    "Netherlands": ("The Netherlands", "Holland", "Netherlands (Kingdom of the)", "荷兰"),
    "Belgium": ("比利时",),
    "Luxembourg": ("卢森堡",),
    "Switzerland": ("Swiss Confederation", "瑞士"),
    "Austria": ("奥地利",),
    "Ireland": ("Republic of Ireland", "爱尔兰"),
    "Denmark": ("丹麦",),
    "Sweden": ("瑞典",),
    "Norway": ("挪威",),
    "Finland": ("芬兰",),
    "Iceland": ("冰岛",),
    "Poland": ("波兰",),
    "Czechia": ("Czech Republic", "捷克", "捷克共和国"),
    "Slovakia": ("Slovak Republic", "斯洛伐克"),
    "Hungary": ("匈牙利",),
    "Romania": ("罗马尼亚",),
    "Bulgaria": ("保加利亚",),
    "Greece": ("希腊",),
    "Cyprus": ("塞浦路斯",),
    "Malta": ("马耳他",),
    "Slovenia": ("斯洛文尼亚",),
    "Croatia": ("克罗地亚",),
    "Serbia": ("塞尔维亚",),
    "Bosnia and Herzegovina": ("波黑",),
    "North Macedonia": ("Macedonia", "Macedonia, The Former Yugoslav Republic of", "北马其顿"),
    "Albania": ("阿尔巴尼亚",),
    "Montenegro": ("黑山",),
    "Estonia": ("爱沙尼亚",),
    "Latvia": ("拉脱维亚",),
    "Lithuania": ("立陶宛",),
    "Belarus": ("白俄罗斯",),
    "Ukraine": ("乌克兰",),
    "Moldova": ("Moldova, Republic of", "摩尔多瓦"),
    "Russia": ("Russian Federation", "俄罗斯", "俄罗斯联邦"),
    "Georgia": ("格鲁吉亚",),
    "Armenia": ("亚美尼亚",),
    "Azerbaijan": ("阿塞拜疆",),
}

_PLACEHOLDERS = frozenset(
    {
        "",
        "na",
        "none",
        "null",
        "unknown",
        "notapplicable",
        "notprovided",
        "notstated",
        "other",
        "others",
        "nil",
        "无",
        "其他",
        "其它",
        "不详",
    }
)
_PART_SPLIT = re.compile(r"[,;/|()（），、:]+")
# Longer strings are not read: registry country strings are a few words, and
# looking a 1 MB string up part by part and word by word took seconds.
_MAX_CHARS = 1000
_WORD_SPLIT = re.compile(r"\s+")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = re.sub(r"^the\s+", "", text.strip())
    return re.sub(r"[\W_]+", "", text)


_LOOKUP: dict[str, str] = {}
for _name, _aliases in _COUNTRIES.items():
    for _alias in (_name, *_aliases):
        _LOOKUP.setdefault(_key(_alias), _name)


def country_name(raw: str | None) -> str | None:
    """The English name (ClinicalTrials.gov convention) of a registry country string.

    Tries the whole string, then its comma/bracket-separated parts, then its
    words ("中国 China", "Shenzhen, Guangdong, China"). None when nothing is
    recognised or the string is longer than 1000 characters. Never raises.
    """
    if not raw or not isinstance(raw, str) or len(raw) > _MAX_CHARS:
        return None
    whole = _LOOKUP.get(_key(raw))
    if whole:
        return whole
    parts = [p for p in _PART_SPLIT.split(raw) if p.strip()]
    for part in parts:
        found = _LOOKUP.get(_key(part))
        if found:
            return found
    for part in parts:
        for word in _WORD_SPLIT.split(part.strip()):
            if len(_key(word)) > 2:  # two-letter codes only count on their own
                found = _LOOKUP.get(_key(word))
                if found:
                    return found
    return None


def country_list(raws: Iterable[str]) -> list[str]:
    """Unique English country names in first-seen order.

    An unrecognised non-empty string is kept as written (whitespace collapsed)
    so no data is lost; empty strings and placeholders ("N/A", "Unknown") are
    dropped.
    """
    seen: dict[str, None] = {}
    for raw in raws or ():
        if not raw or not isinstance(raw, str):
            continue
        name = country_name(raw)
        if name is None:
            cleaned = " ".join(raw.split())
            if _key(cleaned) in _PLACEHOLDERS:
                continue
            name = cleaned
        seen.setdefault(name, None)
    return list(seen)
