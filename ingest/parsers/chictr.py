"""ChiCTR (Chinese Clinical Trial Registry) trial pages.

Accepted documents:

* the page's HTML (``showproj.html``): label cells ``<td class="left_title">``
  holding ``<p class="cn">`` / ``<p class="en">`` labels, each followed by its
  value cell; nested tables for ages, intervention groups and sites; criteria
  possibly hidden in ``<textarea class="raw-content">``;
* the page's plain-text rendering: bilingual label lines ("注册号:" then
  "Registration number:") each followed by its value lines.

Both renderings are first read into the same stream of `_Entry`s (one label
with its Chinese and English value, in page order); `_build_record` turns that
stream into a `TrialRecord`. Values are the registry's own strings, trimmed of
layout whitespace; English is preferred, Chinese is the fallback.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ingest.parsers.base import Parser
from ingest.records import Arm, Intervention, ParseError, SiteRecord, TrialRecord

CHICTR_ID = re.compile(r"ChiCTR(?:-[A-Za-z]{2,5}-)?\d{6,}", re.IGNORECASE)
DETECT_WINDOW = 500_000

_REGISTRATION_NUMBER_EN = re.compile(r"Registration(?:\s|&nbsp;|&#160;)+number", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HTML_TAG = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|table|tr|td|div|p|span)[\s>/]", re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]\s*(?P<value>\S.*)$")
_BREAK = "\u2029"  # paragraph boundary while collecting HTML text

_CN_LABELS: dict[str, str] = {
    "注册号": "registry_id",
    "最近更新日期": "last_update",
    "注册时间": "registration_date",
    "注册号状态": "registration_status",
    "注册题目": "public_title",
    "注册题目简写": "acronym",
    "研究课题的正式科学名称": "scientific_title",
    "研究课题的正式科学名称简写": "scientific_acronym",
    "研究课题代号(代码)": "subject_id",
    "在二级注册机构或其它机构的注册号": "partner_id",
    "申请注册联系人": "applicant",
    "研究负责人": "leader",
    "申请注册联系人电话": "applicant_phone",
    "研究负责人电话": "leader_phone",
    "申请注册联系人传真": "applicant_fax",
    "研究负责人传真": "leader_fax",
    "申请注册联系人电子邮件": "applicant_email",
    "研究负责人电子邮件": "leader_email",
    "申请单位网址(自愿提供)": "applicant_website",
    "研究负责人网址(自愿提供)": "leader_website",
    "申请注册联系人通讯地址": "applicant_address",
    "研究负责人通讯地址": "leader_address",
    "申请注册联系人邮政编码": "applicant_postcode",
    "研究负责人邮政编码": "leader_postcode",
    "申请人所在单位": "applicant_institution",
    "研究负责人所在单位": "leader_institution",
    "是否获伦理委员会批准": "ethics_approved",
    "伦理委员会批件文号": "ethics_number",
    "伦理委员会批件附件": "ethics_file",
    "批准本研究的伦理委员会名称": "ethics_name",
    "伦理委员会批准日期": "ethics_date",
    "伦理委员会联系人": "ethics_contact",
    "伦理委员会联系地址": "ethics_address",
    "伦理委员会联系人电话": "ethics_phone",
    "伦理委员会联系人邮箱": "ethics_email",
    "研究实施负责(组长)单位": "primary_sponsor",
    "研究实施负责(组长)单位地址": "primary_sponsor_address",
    "试验主办单位(项目批准或申办者)": "secondary_sponsor",
    "试验主办单位": "secondary_sponsor",
    "国家": "country",
    "省(直辖市)": "province",
    "市(区县)": "city",
    "单位(医院)": "institution",
    "具体地址": "address",
    "单位级别": "institution_level",
    "经费或物资来源": "funding",
    "研究疾病": "target_disease",
    "研究疾病代码": "target_disease_code",
    "研究类型": "study_type",
    "研究所处阶段": "study_phase",
    "研究设计": "study_design",
    "研究目的": "objectives",
    "药物成份或治疗方案详述": "description",
    "纳入标准": "inclusion",
    "排除标准": "exclusion",
    "研究实施时间": "execute_time",
    "征募观察对象时间": "recruiting_time",
    "干预措施": "intervention",
    "组别": "group",
    "样本量": "sample_size",
    "样本总量": "total_sample_size",
    "干预措施代码": "intervention_code",
    "研究实施地点": "sites_header",
    "测量指标": "outcomes_header",
    "指标中文名": "outcome",
    "指标类型": "outcome_type",
    "测量时间点": "outcome_time",
    "测量方法": "outcome_method",
    "采集人体标本": "specimens_header",
    "标本中文名": "specimen",
    "组织": "specimen_tissue",
    "人体标本去向": "specimen_fate",
    "说明": "specimen_note",
    "征募研究对象情况": "status",
    "年龄范围": "age",
    "最小": "min_age",
    "最大": "max_age",
    "性别": "sex",
    "随机方法(请说明由何人用什么方法产生随机序列)": "randomization",
    "是否公开试验完成后的统计结果": "results_public",
    "盲法": "blinding",
    "试验完成后的统计结果(上传文件)": "results_file",
    "是否共享原始数据": "ipd_sharing",
    "共享原始数据的方式": "ipd_way",
    "数据采集和管理": "data_management",
    "数据与安全监察委员会": "dsmc",
    "注册人": "registrant",
}

_EN_LABELS: dict[str, str] = {
    "Registration number": "registry_id",
    "Date of Last Refreshed on": "last_update",
    "Last Refreshed on": "last_update",
    "Date of Registration": "registration_date",
    "Registration Status": "registration_status",
    "Public title": "public_title",
    "English Acronym": "acronym",
    "Scientific title": "scientific_title",
    "Scientific title acronym": "scientific_acronym",
    "Study subject ID": "subject_id",
    "The registration number of the Partner Registry or other register": "partner_id",
    "Applicant": "applicant",
    "Study leader": "leader",
    "Applicant telephone": "applicant_phone",
    "Study leader's telephone": "leader_phone",
    "Applicant Fax": "applicant_fax",
    "Study leader's fax": "leader_fax",
    "Applicant E-mail": "applicant_email",
    "Study leader's E-mail": "leader_email",
    "Applicant website(voluntary supply)": "applicant_website",
    "Study leader's website(voluntary supply)": "leader_website",
    "Applicant address": "applicant_address",
    "Study leader's address": "leader_address",
    "Applicant postcode": "applicant_postcode",
    "Study leader's postcode": "leader_postcode",
    "Applicant's institution": "applicant_institution",
    "Affiliation of the Leader": "leader_institution",
    "Approved by ethic committee": "ethics_approved",
    "Approved No. of ethic committee": "ethics_number",
    "Approved file of Ethical Committee": "ethics_file",
    "Name of the ethic committee": "ethics_name",
    "Date of approved by ethic committee": "ethics_date",
    "Contact Name of the ethic committee": "ethics_contact",
    "Contact Address of the ethic committee": "ethics_address",
    "Contact phone of the ethic committee": "ethics_phone",
    "Contact email of the ethic committee": "ethics_email",
    "Primary sponsor": "primary_sponsor",
    "Primary sponsor's address": "primary_sponsor_address",
    "Secondary sponsor": "secondary_sponsor",
    "Country": "country",
    "Province": "province",
    "City": "city",
    "Institution hospital": "institution",
    "Institution/hospital": "institution",
    "Institution": "institution",
    "Address": "address",
    "Level of the institution": "institution_level",
    "Source(s) of funding": "funding",
    "Target disease": "target_disease",
    "Target disease code": "target_disease_code",
    "Study type": "study_type",
    "Study phase": "study_phase",
    "Study design": "study_design",
    "Objectives of Study": "objectives",
    "Description for medicine or protocol of treatment in detail": "description",
    "Inclusion criteria": "inclusion",
    "Exclusion criteria": "exclusion",
    "Study execute time": "execute_time",
    "Recruiting time": "recruiting_time",
    "Interventions": "interventions_header",
    "Group": "group",
    "Sample size": "sample_size",
    "Total sample size": "total_sample_size",
    "Intervention": "intervention",
    "Intervention code": "intervention_code",
    "Countries of recruitment and research settings": "sites_header",
    "Outcomes": "outcomes_header",
    "Outcome": "outcome",
    "Type": "outcome_type",
    "Measure time point of outcome": "outcome_time",
    "Measure method": "outcome_method",
    "Collecting sample(s) from participants": "specimens_header",
    "Sample Name": "specimen",
    "Tissue": "specimen_tissue",
    "Fate of sample": "specimen_fate",
    "Note": "specimen_note",
    "Recruiting status": "status",
    "Recruitment status": "status",
    "Participant age": "age",
    "Min age": "min_age",
    "Max age": "max_age",
    "Gender": "sex",
    "Randomization Procedure": "randomization",
    "Calculated Results after the Study Completed public access": "results_public",
    "Blinding": "blinding",
    "Calculated Results after the Study Completed(upload file)": "results_file",
    "IPD sharing": "ipd_sharing",
    "The way of sharing IPD": "ipd_way",
    "Data collection and Management": "data_management",
    "Data and Safety Monitoring Committee": "dsmc",
    "Name of Registration": "registrant",
}

_SECTIONS = {
    "secondary_sponsor": "collaborators",
    "sites_header": "sites",
    "interventions_header": "arms",
    "outcomes_header": "other",
    "specimens_header": "other",
}
_SITE_KEYS = frozenset({"country", "province", "city", "institution", "address", "institution_level"})
_ARM_KEYS = frozenset({"group", "sample_size", "intervention", "intervention_code"})
_OTHER_BLOCK_KEYS = frozenset(
    {"outcome", "outcome_type", "outcome_time", "outcome_method",
     "specimen", "specimen_tissue", "specimen_fate", "specimen_note"}
)
_FREE_TEXT_KEYS = frozenset(
    {"objectives", "description", "inclusion", "exclusion", "intervention", "study_design",
     "randomization", "ipd_way", "data_management"}
)
_BLOCK_TAGS = ("p", "div", "li", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "textarea", "ul", "ol")
_HEADER_TAGS = frozenset({"p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "th", "td", "strong", "b"})


_PARENTHESIZED = re.compile(r"\([^()]*\)")
_LATIN_LOWER = re.compile(r"[a-z]")


def _norm_label(text: str) -> str:
    """A label reduced for lookup: NFKC, lowercase, no parentheses, no trailing colon."""
    s = text if text.isascii() else unicodedata.normalize("NFKC", text)  # NFKC keeps ASCII as it is
    s = s.lower().replace("’", "'").replace("‘", "'")
    if "(" in s:
        previous = None
        while previous != s:
            previous, s = s, _PARENTHESIZED.sub("", s)
        if "(" in s:
            s = s[: s.index("(")]
    s = " ".join(s.split()).strip(" :\"'“”")
    if _CJK.search(s) and not _LATIN_LOWER.search(s):
        s = s.replace(" ", "")
    return s


_LABELS: dict[str, tuple[str, str]] = {}
for _label, _key in _CN_LABELS.items():
    _LABELS[_norm_label(_label)] = (_key, "cn")
for _label, _key in _EN_LABELS.items():
    _LABELS[_norm_label(_label)] = (_key, "en")


def _lookup(text: str) -> tuple[str, str] | None:
    if not text or len(text) > 400:
        return None
    return _LABELS.get(_norm_label(text))


@dataclass
class _Entry:
    """One label with its Chinese and English value (None: that language has no cell)."""

    key: str
    cn: str | None = None
    en: str | None = None


@dataclass
class _Block:
    kind: str
    slots: dict[str, dict[str, str]] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return _prefer_en(self.slots.get(key, {}))


def _has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _prefer_en(values: dict[str, str]) -> str:
    return values.get("en") or values.get("cn") or ""


def _split_bilingual(paragraphs: list[str]) -> tuple[str, str]:
    """A value under a bilingual label: leading Chinese paragraphs are cn, the rest en."""
    paragraphs = [p for p in paragraphs if p]
    leading = 0
    for paragraph in paragraphs:
        if not _has_cjk(paragraph):
            break
        leading += 1
    if 0 < leading < len(paragraphs):
        return "\n".join(paragraphs[:leading]), "\n".join(paragraphs[leading:])
    shared = "\n".join(paragraphs)
    return shared, shared


def _pair_entries(raw: list[tuple[str, str, list[str]]]) -> list[_Entry]:
    """Merge a Chinese label left without value and the same English label that follows it."""
    entries: list[_Entry] = []
    index = 0
    while index < len(raw):
        key, lang, lines = raw[index]
        if lang == "cn" and not lines and index + 1 < len(raw):
            next_key, next_lang, next_lines = raw[index + 1]
            if next_key == key and next_lang == "en":
                cn, en = _split_bilingual(next_lines)
                entries.append(_Entry(key, cn, en))
                index += 2
                continue
        value = "\n".join(lines)
        entries.append(_Entry(key, value if lang == "cn" else None, value if lang == "en" else None))
        index += 1
    return entries


# --- plain-text rendering -------------------------------------------------------------


def _looks_like_unknown_label(line: str) -> bool:
    return len(line) <= 60 and line[-1] in ":：" and not line[0].isdigit()


def _is_generic(label: str) -> bool:
    """A one-word label ("Note", "Group", "国家") that free text may contain as a line."""
    norm = _norm_label(label)
    return len(norm) <= 2 if _has_cjk(norm) else " " not in norm


def _match_label(lines: list[str], index: int, in_free_text: bool) -> tuple[str, str, int] | None:
    """The label starting at `lines[index]`, possibly wrapped over up to three lines.

    Inside free text a one-word label only counts when it ends with a colon.
    """
    for span in (3, 2, 1):
        chunk = lines[index : index + span]
        if len(chunk) < span or not all(chunk):
            continue
        joined = " ".join(chunk)
        hit = _lookup(joined)
        if hit and in_free_text and _is_generic(joined) and joined[-1] not in ":：":
            continue
        if hit:
            return hit[0], hit[1], span
    return None


def _read_text(text: str) -> tuple[list[_Entry], str]:
    """Entries of the plain-text rendering, plus the heading line before the first label."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    raw: list[tuple[str, str, list[str]]] = []
    preamble: list[str] = []
    current: tuple[str, str, list[str]] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line:
            index += 1
            continue
        in_free_text = current is not None and current[0] in _FREE_TEXT_KEYS
        hit = _match_label(lines, index, in_free_text)
        if hit is None and current is not None and not in_free_text and _looks_like_unknown_label(line):
            hit = ("unknown", "cn" if _has_cjk(line) else "en", 1)
        if hit is not None:
            current = (hit[0], hit[1], [])
            raw.append(current)
            index += hit[2]
            continue
        inline = _INLINE_LABEL.match(line)
        found = _lookup(inline.group("label")) if inline else None
        if found and in_free_text and _is_generic(inline.group("label")):
            found = None
        if inline and found:
            current = (found[0], found[1], [inline.group("value")])
            raw.append(current)
        elif current is None:
            preamble.append(line)
        else:
            current[2].append(line)
        index += 1
    heading = preamble[-1] if preamble else ""
    return _pair_entries(raw), heading


# --- HTML rendering -------------------------------------------------------------------


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def _is_label_cell(tag: Tag) -> bool:
    return tag.name in ("td", "th") and "left_title" in _classes(tag)


def _drop_scripts(soup: BeautifulSoup) -> None:
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()


_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def _paragraphs(raw: str) -> str:
    parts = (" ".join(part.split()) for part in raw.split(_BREAK))
    return "\n".join(part for part in parts if part)


def _text(tag: Tag, max_nodes: int | None = None) -> str:
    """Visible text of `tag`, one paragraph a line: blocks and <br> break lines, spaces collapse.

    Textareas are skipped: their content is hidden until a script renders it.
    With `max_nodes`, a larger subtree gives "" (a cheap probe for short headings).
    """
    pieces: list[str] = []
    stack: list[object] = [tag]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if max_nodes is not None and visited > max_nodes:
            return ""
        if node is _BREAK or isinstance(node, Tag) and node.name == "br":
            pieces.append(_BREAK)
        elif isinstance(node, Tag):
            if node.name == "textarea":
                continue
            if node.name in _BLOCK_TAGS:
                pieces.append(_BREAK)
                stack.append(_BREAK)
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, _SKIPPED_STRINGS):
            pieces.append(str(node))
    return _paragraphs("".join(pieces))


def _textarea_text(tag: Tag) -> str:
    """The content of the (hidden) textareas under `tag`, keeping its lines."""
    contents = (t.get_text().replace("\r\n", "\n").replace("\r", "\n") for t in tag.find_all("textarea"))
    return _paragraphs(_BREAK.join(c.replace("\n", _BREAK) for c in contents))


def _value_text(tag: Tag) -> str:
    """Visible text of a value; the hidden raw-content textarea when nothing is visible."""
    return _text(tag) or _textarea_text(tag)


def _nested_below(tag: Tag, root: Tag) -> bool:
    """True when `tag` sits in a nested table or another language container inside `root`."""
    for parent in tag.parents:
        if parent is root:
            return False
        if parent.name == "table" or {"cn", "en"} & set(_classes(parent)):
            return True
    return False


def _lang_text(tag: Tag, lang: str) -> str:
    containers = (c for c in tag.find_all(class_=lang) if not _nested_below(c, tag))
    return "\n".join(t for t in (_value_text(c) for c in containers) if t)


def _label_entry(cell: Tag, value_cell: Tag | None) -> _Entry | None:
    cn_label = _lang_text(cell, "cn")
    en_label = _lang_text(cell, "en")
    if not cn_label and not en_label:
        lines = _text(cell).split("\n")
        cn_label = "\n".join(line for line in lines if _has_cjk(line))
        en_label = "\n".join(line for line in lines if line and not _has_cjk(line))
        if not cn_label and not en_label:
            return None
    en_hit = _lookup(en_label)
    cn_hit = _lookup(cn_label)
    key = (en_hit or cn_hit or ("unknown", ""))[0]
    langs = [lang for lang, label in (("cn", cn_label), ("en", en_label)) if label]
    row = cell.parent if isinstance(cell.parent, Tag) else None
    row_lang = next((c for c in _classes(row) if c in ("cn", "en")), None) if row is not None else None
    cn, en = _cell_values(value_cell, langs, row_lang)
    return _Entry(key, cn, en)


def _cell_values(cell: Tag | None, langs: list[str], row_lang: str | None) -> tuple[str | None, str | None]:
    def empty() -> tuple[str | None, str | None]:
        return ("" if "cn" in langs else None), ("" if "en" in langs else None)

    if cell is None or cell.find(_is_label_cell) is not None:
        return empty()
    containers = [c for c in cell.find_all(class_=["cn", "en"]) if not _nested_below(c, cell)]
    if containers:
        cn_parts = [_value_text(c) for c in containers if "cn" in _classes(c)]
        en_parts = [_value_text(c) for c in containers if "en" in _classes(c) and "cn" not in _classes(c)]
        cn = "\n".join(p for p in cn_parts if p) if cn_parts else None
        en = "\n".join(p for p in en_parts if p) if en_parts else None
        return cn, en
    text = _value_text(cell)
    lang = row_lang or (langs[0] if len(langs) == 1 else None)
    if lang == "cn":
        return text, None
    if lang == "en":
        return None, text
    if cell.find("table") is not None:
        return text, text
    return _split_bilingual(text.split("\n"))


def _header_key(tag: Tag) -> str | None:
    text = _text(tag, max_nodes=40)
    if not text or len(text) > 300:
        return None
    for line in text.split("\n"):
        hit = _lookup(line)
        if hit and hit[0] in _SECTIONS:
            return hit[0]
    return None


def _html_entries(soup: BeautifulSoup) -> list[_Entry]:
    """Entries from label cells and section headings, in page order ([] if no label cells)."""
    label_cells = [tag for tag in soup.find_all(["td", "th"]) if _is_label_cell(tag)]
    if not label_cells:
        return []
    value_of: dict[int, Tag | None] = {}
    claimed: set[int] = set()
    for cell in label_cells:
        following = cell.find_next_sibling(["td", "th"])
        value_cell = following if following is not None and not _is_label_cell(following) else None
        value_of[id(cell)] = value_cell
        claimed.add(id(cell))
        if value_cell is not None:
            claimed.add(id(value_cell))
    entries: list[_Entry] = []
    for tag in soup.find_all(True):
        if id(tag) in value_of:
            entry = _label_entry(tag, value_of[id(tag)])
            if entry is not None:
                entries.append(entry)
        elif tag.name in _HEADER_TAGS:
            key = _header_key(tag)
            if key is None or (entries and entries[-1].key == key):
                continue
            if not any(id(parent) in claimed for parent in tag.parents):
                entries.append(_Entry(key))
    return entries


def _canonical_url(soup: BeautifulSoup) -> str:
    for tag in soup.find_all(["link", "meta"]):
        if tag.name == "link":
            is_url, candidate = "canonical" in (tag.get("rel") or []), tag.get("href")
        else:
            is_url, candidate = tag.get("property") == "og:url", tag.get("content")
        if is_url and isinstance(candidate, str) and "chictr" in candidate.lower():
            return candidate.strip()
    return ""


def _read_html(text: str) -> tuple[list[_Entry], str, str]:
    """Entries, heading and canonical URL of an HTML page (text walker when no label cells)."""
    soup = BeautifulSoup(text, "lxml")
    url = _canonical_url(soup)
    _drop_scripts(soup)
    entries = _html_entries(soup)
    if entries:
        return entries, "", url
    for textarea in soup.find_all("textarea"):
        content = textarea.get_text().replace("\r\n", "\n").replace("\r", "\n")
        textarea.name = "div"
        textarea.string = content.replace("\n", _BREAK)
    entries, heading = _read_text(_text(soup.body or soup))
    return entries, heading, url


# --- record -------------------------------------------------------------------------------

_AGE_MARK = re.compile(r"(最小|最大|\b(?:min|max)(?:imum)?\.?\s*age\b)", re.IGNORECASE)
_AGE_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_AGE_UNIT_EN = re.compile(r"\b(?:years?|months?|weeks?|days?)\b", re.IGNORECASE)
_AGE_UNIT_CN = re.compile(r"岁|个月|月|周|天")
_RANGE = re.compile(r"^(?:from|从|自)?\s*(?P<start>.*?)\s*(?:\bto\b|至|到|~)\s*(?P<end>.*?)$", re.IGNORECASE | re.DOTALL)


def _age_value(segment: str) -> str:
    number = _AGE_NUMBER.search(segment)
    if not number:
        return ""
    rest = segment[number.end() :]
    unit = _AGE_UNIT_EN.search(rest) or _AGE_UNIT_CN.search(rest)
    return f"{number.group(0)} {unit.group(0)}" if unit else number.group(0)


def age_bounds(text: str) -> tuple[str, str, bool]:
    """(min, max, found) from a ChiCTR age block such as "最小 Min age 18 岁 years 最大 Max age 65 岁 years".

    Values are the page's number with its unit ("18 years"); "" when a bound is
    empty. `found` is False when the text has no Min/Max markers at all.
    """
    parts = _AGE_MARK.split(" ".join(text.split()))
    bounds = {"min": "", "max": ""}
    for mark, segment in zip(parts[1::2], parts[2::2]):
        kind = "min" if mark.lower().startswith("min") or mark == "最小" else "max"
        value = _age_value(segment)
        if value and not bounds[kind]:
            bounds[kind] = value
    return bounds["min"], bounds["max"], len(parts) > 1


def date_range(text: str) -> tuple[str, str]:
    """(start, end) of "From 2025-10-31 00:00:00 To 2028-10-31 00:00:00" (also 从 … 至 …)."""
    text = " ".join(text.split())
    if not text:
        return "", ""
    match = _RANGE.match(text)
    if match:
        return match.group("start").strip(), match.group("end").strip()
    return re.sub(r"^(?:from|从|自)\s*", "", text, flags=re.IGNORECASE).strip(), ""


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return list(seen)


def _chinese(*values: str) -> str:
    return next((v for v in values if v and _has_cjk(v)), "")


def _one_line(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Page:
    """A page's entries sorted into single fields and repeated blocks (groups, sites, sponsors)."""

    scalars: dict[str, dict[str, str]] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)
    collaborators: list[str] = field(default_factory=list)

    def get(self, key: str) -> str:
        return _prefer_en(self.scalars.get(key, {}))

    def both(self, key: str) -> dict[str, str]:
        return self.scalars.get(key, {})


def _collect(entries: list[_Entry]) -> _Page:
    """Sort entries: a repeated label (same key and language) starts a new block."""
    page = _Page()
    section: str | None = None
    current: _Block | None = None
    for entry in entries:
        values = {lang: v for lang, v in (("cn", entry.cn), ("en", entry.en)) if v is not None}
        if entry.key in _SECTIONS:
            section, current = _SECTIONS[entry.key], None
            if entry.key == "secondary_sponsor" and _prefer_en(values):
                page.collaborators.append(_prefer_en(values))
            continue
        if entry.key in _SITE_KEYS:
            kind = "collaborator" if section == "collaborators" else "site"
        elif entry.key in _ARM_KEYS:
            kind = "arm"
        elif entry.key in _OTHER_BLOCK_KEYS:
            current = None
            continue
        else:
            section, current = None, None
            slot = page.scalars.setdefault(entry.key, {})
            for lang, value in values.items():
                if not slot.get(lang):
                    slot[lang] = value
            continue
        if kind == "arm" and current is None and entry.key == "intervention" and not any(values.values()):
            continue  # the "干预措施" heading of the interventions section
        if current is None or current.kind != kind or any(lang in current.slots.get(entry.key, {}) for lang in values):
            current = _Block(kind)
            page.blocks.append(current)
        current.slots.setdefault(entry.key, {}).update(values)
    return page


def _groups(blocks: list[_Block]) -> tuple[list[Arm], list[Intervention]]:
    """One Arm (with its sample size) and one Intervention per intervention group."""
    arms: list[Arm] = []
    interventions: list[Intervention] = []
    for block in (b for b in blocks if b.kind == "arm"):
        treatment = block.slots.get("intervention", {})
        name = _prefer_en(treatment)
        if name:
            chinese = treatment.get("cn", "")
            code = block.get("intervention_code")
            other = ([chinese] if chinese and chinese != name else []) + ([code] if code else [])
            interventions.append(Intervention(name=name, other_names=other))
        label, size = block.get("group"), block.get("sample_size")
        if label or size or name:
            arms.append(Arm(label=label, description=name, interventions=[name] if name else [], sample_size=size))
    return arms, interventions


def _sites(blocks: list[_Block]) -> list[SiteRecord]:
    sites = []
    for block in (b for b in blocks if b.kind == "site"):
        site = SiteRecord(
            institution=block.get("institution"),
            city=block.get("city"),
            state=block.get("province"),
            country=block.get("country"),
        )
        if site.institution or site.city or site.state or site.country:
            sites.append(site)
    return sites


def _build_record(entries: list[_Entry], source_format: str, heading: str = "", source_url: str = "") -> TrialRecord:
    """The TrialRecord for a page's entries. ParseError without a ChiCTR registration number."""
    page = _collect(entries)
    registration = page.get("registry_id")
    if not registration:
        raise ParseError("not a ChiCTR trial page: no registration number found")
    match = CHICTR_ID.search(registration)
    if not match:
        raise ParseError(f"registration number {_one_line(registration)!r} is not a ChiCTR id")
    registry_id = match.group(0)

    public, scientific, objectives = page.both("public_title"), page.both("scientific_title"), page.both("objectives")
    start, end = date_range(page.get("execute_time"))
    min_age, max_age, found = age_bounds(page.get("age"))
    arms, interventions = _groups(page.blocks)
    sites = _sites(page.blocks)
    collaborators = page.collaborators + [b.get("institution") for b in page.blocks if b.kind == "collaborator"]
    disease = page.get("target_disease")
    return TrialRecord(
        registry="chictr",
        registry_id=registry_id,
        source_format=source_format,
        source_url=source_url,
        secondary_ids=[s for s in _unique([page.get("partner_id"), page.get("subject_id")]) if s != registry_id],
        title=public.get("en", ""),
        official_title=_prefer_en(scientific),
        title_zh=_chinese(public.get("cn", ""), scientific.get("cn", ""), heading),
        acronym=page.get("acronym"),
        brief_summary=page.get("description"),
        objectives="\n\n".join(_unique([objectives.get("en", ""), objectives.get("cn", "")])),
        status=page.get("status"),
        phase=page.get("study_phase"),
        study_type=page.get("study_type"),
        min_age=min_age or _age_value(page.get("min_age")),
        max_age=max_age or _age_value(page.get("max_age")),
        age_text="" if found else page.get("age"),
        sex=page.get("sex"),
        start_date=start,
        completion_date=end,
        registration_date=page.get("registration_date"),
        last_update_date=page.get("last_update"),
        sponsor=page.get("primary_sponsor"),
        collaborators=_unique(collaborators),
        conditions=[disease] if disease else [],
        interventions=interventions,
        arms=arms,
        sites=sites,
        countries=_unique(site.country for site in sites),
        inclusion_criteria=page.get("inclusion"),
        exclusion_criteria=page.get("exclusion"),
    )


def _looks_like_html(text: str) -> bool:
    head = text[:20_000]
    return head.lstrip("\ufeff \t\r\n").startswith("<") or _HTML_TAG.search(head) is not None


class ChictrParser(Parser):
    """ChiCTR trial page, as showproj.html or as its plain-text rendering."""

    name = "chictr"
    version = "1"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True for a ChiCTR trial page: "注册号", "Registration number" and a ChiCTR id."""
        try:
            if not isinstance(text, str):
                return False
            head = text[:DETECT_WINDOW]
            start = head.lstrip("\ufeff \t\r\n")[:5].lower()
            if start[:1] in ("{", "[") or start.startswith("<?xml"):
                return False
            return (
                "注册号" in head
                and _REGISTRATION_NUMBER_EN.search(head) is not None
                and CHICTR_ID.search(head) is not None
            )
        except Exception:
            return False

    def parse(self, text: str) -> list[TrialRecord]:
        """One TrialRecord for the page; ParseError (one line) on anything unreadable."""
        try:
            if not isinstance(text, str) or not text.strip():
                raise ParseError("empty document")
            if _looks_like_html(text):
                entries, heading, url = _read_html(text)
                record = _build_record(entries, "chictr_html", heading, url)
            else:
                entries, heading = _read_text(text)
                record = _build_record(entries, "chictr_text", heading)
            return [record]
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(f"chictr parser failed: {type(exc).__name__}: {_one_line(str(exc), 120)}") from exc
