"""ChiCTR (Chinese Clinical Trial Registry) trial pages.

Accepted documents:

* the page's HTML (``showproj.html``) as the registry serves it: ``project-ms``
  blocks of rows whose label cells (``<td class="left_title">``) hold
  ``<p class="cn">`` / ``<p class="en">`` labels, each followed by its value
  cell. Rows come in a Chinese and an English copy (``<tr class="cn">`` /
  ``<tr class="en">``) or hold both languages in one row. Intervention groups,
  sites and secondary sponsors are nested tables (one table per group / site /
  sponsor) whose label cells are plain ``<td>`` s; the criteria may sit in hidden
  ``<textarea class="raw-content">`` blocks that the site's script displays; the
  study dates read ``从 From … 至 To …``. A page saved from a browser (scripts
  run, no ``<head>``) and pages rebuilt from the text rendering are read too;
* the page's plain-text rendering: bilingual label lines ("注册号:" then
  "Registration number:") each followed by its value lines.

Both renderings are first read into the same stream of `_Entry`s (one label
with its Chinese and English value, in page order); `_build_record` turns that
stream into a `TrialRecord`. Values are the registry's own strings, trimmed of
layout whitespace; English is preferred, Chinese is the fallback (and kept in
the `*_zh` fields). A label the page carries with a blank value gives "" / [];
a label the page leaves out gives None.

The registry's empty template (an unknown project id) and its search-results
listing are refused with a one-line reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from catalogue.registries import safe_url
from ingest.parsers._values import one_line, unique
from ingest.parsers.base import Parser
from ingest.records import Arm, Contact, Intervention, ParseError, SiteRecord, TrialRecord

CHICTR_ID = re.compile(r"ChiCTR(?:-[A-Za-z]{2,5}-)?\d{6,}", re.IGNORECASE)
DETECT_WINDOW = 500_000

_REGISTRATION_NUMBER_EN = re.compile(r"Registration(?:\s|&nbsp;|&#160;)+number", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HTML_TAG = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|table|tr|td|div|p|span)[\s>/]", re.IGNORECASE)
_INLINE_LABEL = re.compile(r"^(?P<label>[^:：]{1,80}?)\s*[:：]\s*(?P<value>\S.*)$")
_BREAK = "\u2029"  # paragraph boundary while collecting HTML text

# The registry's page structure: its label cells and blocks, and the relative
# links of its listings (a page served by chictr.org.cn links its own pages relatively).
_TEMPLATE_CLASS = re.compile(
    r"""class\s*=\s*["'][^"'<>]{0,200}?\b(?:left_title|project-ms|project-tit)\b""", re.IGNORECASE
)
_LISTING_HREF = re.compile(
    r"""href\s*=\s*["']\s*(?:\./|/)?(?:showproj|historyversionpub)\.html\?(?:proj|regno)=""", re.IGNORECASE
)
_SITE_MARK = re.compile(r"中国临床试验注册中心|chictr", re.IGNORECASE)
_LISTING_LINK = re.compile(r"^\s*(?:\./|/)?(?:showproj|historyversionpub)\.html\?(?:proj|regno)=", re.IGNORECASE)
_COLON = (":", "：")

NOT_A_TRIAL = "not a ChiCTR trial page: no registration number found"
EMPTY_TEMPLATE = "ChiCTR page holds no trial (empty project template)"
LISTING = "ChiCTR search-results listing, not a trial page (no registration number of its own): open each trial's page"

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
    {
        "outcome",
        "outcome_type",
        "outcome_time",
        "outcome_method",
        "specimen",
        "specimen_tissue",
        "specimen_fate",
        "specimen_note",
    }
)
_FREE_TEXT_KEYS = frozenset(
    {
        "objectives",
        "description",
        "inclusion",
        "exclusion",
        "intervention",
        "study_design",
        "randomization",
        "ipd_way",
        "data_management",
    }
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

    def value(self, key: str) -> str | None:
        return _pick(self.slots.get(key))

    def lang(self, key: str, lang: str) -> str | None:
        return self.slots.get(key, {}).get(lang)


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


def _is_left_title(tag: Tag) -> bool:
    return tag.name in ("td", "th") and "left_title" in _classes(tag)


def _drop_scripts(soup: BeautifulSoup) -> None:
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()


_SKIPPED_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)


def _paragraphs(raw: str) -> str:
    parts = (" ".join(part.split()) for part in raw.split(_BREAK))
    return "\n".join(part for part in parts if part)


def _text(tag: Tag, max_nodes: int | None = None, skip: frozenset[int] = frozenset()) -> str:
    """Visible text of `tag`, one paragraph a line: blocks and <br> break lines, spaces collapse.

    Textareas are skipped: their content is hidden until a script renders it.
    With `max_nodes`, a larger subtree gives "" (a cheap probe for short headings).
    Nodes whose id() is in `skip` are left out with their subtree.
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
            if node.name == "textarea" or (skip and id(node) in skip):
                continue
            if node.name in _BLOCK_TAGS:
                pieces.append(_BREAK)
                stack.append(_BREAK)
            stack.extend(reversed(node.contents))
        elif isinstance(node, NavigableString) and not isinstance(node, _SKIPPED_STRINGS):
            pieces.append(str(node))
    return _paragraphs("".join(pieces))


def _textarea_text(tag: Tag, skip: frozenset[int] = frozenset()) -> str:
    """The content of the (hidden) textareas under `tag`, keeping its lines."""
    areas = (t for t in tag.find_all("textarea") if not (skip and any(id(p) in skip for p in t.parents)))
    contents = (t.get_text().replace("\r\n", "\n").replace("\r", "\n") for t in areas)
    return _paragraphs(_BREAK.join(c.replace("\n", _BREAK) for c in contents))


def _value_text(tag: Tag, skip: frozenset[int] = frozenset()) -> str:
    """Visible text of a value; the hidden raw-content textarea when nothing is visible."""
    return _text(tag, skip=skip) or _textarea_text(tag, skip)


def _nested_below(tag: Tag, root: Tag) -> bool:
    """True when `tag` sits in a nested table or another language container inside `root`."""
    for parent in tag.parents:
        if parent is root:
            return False
        if parent.name == "table" or {"cn", "en"} & set(_classes(parent)):
            return True
    return False


def _own_containers(tag: Tag) -> list[Tag]:
    """The cn/en containers of `tag` itself (not those of a nested table or container)."""
    return [c for c in tag.find_all(class_=["cn", "en"]) if not _nested_below(c, tag)]


def _label_texts(cell: Tag) -> tuple[str, str]:
    """(Chinese label, English label) of a label cell; "" for a language it lacks."""
    containers = _own_containers(cell)
    cn = "\n".join(t for t in (_text(c) for c in containers if "cn" in _classes(c)) if t)
    en = "\n".join(t for t in (_text(c) for c in containers if "en" in _classes(c) and "cn" not in _classes(c)) if t)
    if not cn and not en:
        lines = _text(cell).split("\n")
        cn = "\n".join(line for line in lines if _has_cjk(line))
        en = "\n".join(line for line in lines if line and not _has_cjk(line))
    return cn, en


def _is_nested_label(cell: Tag) -> bool:
    """A label cell of a nested table (group, site, sponsor, outcome...): a plain cell
    inside a value cell whose text is a known label ending with a colon."""
    if cell.name not in ("td", "th"):
        return False
    text = _text(cell, max_nodes=40)  # bounded first: the checks below then walk a small subtree
    if not text or len(text) > 200 or not text.endswith(_COLON):
        return False
    if cell.find("table") is not None or cell.find_parent(["td", "th"]) is None:
        return False
    labels = [label for label in _label_texts(cell) if label]
    return bool(labels) and all(label.endswith(_COLON) and _lookup(label) for label in labels)


def _cell_values(cell: Tag | None, langs: list[str], holds_labels: bool) -> tuple[str | None, str | None]:
    """(Chinese, English) value of a value cell; None for a language the cell does not hold.

    A one-language label owns its whole cell (browser-saved pages put the English
    criteria in a ``class="cn"`` paragraph of the English row). A bilingual label's
    cell gives each language its text with the other language's containers left
    out (``从 From 2026-09-21 至 To 2031-12-31``), or is shared when it has none.
    """
    if cell is None or holds_labels:
        return ("" if "cn" in langs else None), ("" if "en" in langs else None)
    containers = _own_containers(cell)
    if len(langs) == 1:
        lang = langs[0]
        own = [c for c in containers if lang in _classes(c)]
        text = "\n".join(t for t in (_value_text(c) for c in own) if t)
        if not text:  # an empty paragraph beside a hidden textarea, or no paragraph of this language
            others = frozenset(id(c) for c in containers if lang not in _classes(c)) if own else frozenset()
            text = _value_text(cell, others)
        return (text, None) if lang == "cn" else (None, text)
    if containers:
        outside = _text(cell, skip=frozenset(id(c) for c in containers))
        values: dict[str, str | None] = {}
        for lang in ("cn", "en"):
            mine = any(lang in _classes(c) for c in containers)
            others = frozenset(id(c) for c in containers if lang not in _classes(c))
            values[lang] = _value_text(cell, others) if mine or outside else None
        return values["cn"], values["en"]
    text = _value_text(cell)
    if cell.find("table") is not None:
        return text, text
    return _split_bilingual(text.split("\n"))


def _label_entry(cell: Tag, value_cell: Tag | None, holds_labels: bool) -> _Entry | None:
    cn_label, en_label = _label_texts(cell)
    if not cn_label and not en_label:
        return None
    en_hit = _lookup(en_label)
    cn_hit = _lookup(cn_label)
    key = (en_hit or cn_hit or ("unknown", ""))[0]
    langs = [lang for lang, label in (("cn", cn_label), ("en", en_label)) if label]
    cn, en = _cell_values(value_cell, langs, holds_labels)
    return _Entry(key, cn, en)


def _header_key(tag: Tag) -> str | None:
    text = _text(tag, max_nodes=40)
    if not text or len(text) > 300:
        return None
    for line in text.split("\n"):
        hit = _lookup(line)
        if hit and hit[0] in _SECTIONS:
            return hit[0]
    return None


def _label_cells(soup: BeautifulSoup) -> list[Tag]:
    """The page's label cells in page order: ``left_title`` cells and, on a page that
    has those, the label cells of its nested tables. [] when the page has none."""
    cells = soup.find_all(["td", "th"])
    if not any(_is_left_title(c) for c in cells):
        return []
    return [c for c in cells if _is_left_title(c) or _is_nested_label(c)]


def _html_entries(soup: BeautifulSoup) -> list[_Entry]:
    """Entries from label cells and section headings, in page order ([] if no label cells).

    A label cell in another nested table than the previous one starts a new
    group / site / sponsor (a "block_break" entry).
    """
    label_cells = _label_cells(soup)
    if not label_cells:
        return []
    label_ids = {id(cell) for cell in label_cells}
    holds_labels: set[int] = set()
    for cell in label_cells:
        for parent in cell.parents:
            if parent.name in ("td", "th"):
                holds_labels.add(id(parent))
    value_of: dict[int, Tag | None] = {}
    claimed: set[int] = set()
    for cell in label_cells:
        following = cell.find_next_sibling(["td", "th"])
        value_cell = following if following is not None and id(following) not in label_ids else None
        value_of[id(cell)] = value_cell
        claimed.add(id(cell))
        if value_cell is not None:
            claimed.add(id(value_cell))
    entries: list[_Entry] = []
    table: Tag | None = None
    for tag in soup.find_all(True):
        if id(tag) in value_of:
            parent_table = tag.find_parent("table")
            if parent_table is not table and tag.find_parent(["td", "th"]) is not None:
                entries.append(_Entry("block_break"))
            table = parent_table
            value_cell = value_of[id(tag)]
            entry = _label_entry(tag, value_cell, value_cell is not None and id(value_cell) in holds_labels)
            if entry is not None:
                entries.append(entry)
        elif tag.name in _HEADER_TAGS:
            key = _header_key(tag)
            if key is None or (entries and entries[-1].key == key):
                continue
            if not any(id(parent) in claimed for parent in tag.parents):
                entries.append(_Entry(key))
    return entries


def _canonical_url(soup: BeautifulSoup) -> str | None:
    """The page's canonical / og:url address on chictr, when it is a safe http(s) URL."""
    for tag in soup.find_all(["link", "meta"]):
        if tag.name == "link":
            is_url, candidate = "canonical" in (tag.get("rel") or []), tag.get("href")
        else:
            is_url, candidate = tag.get("property") == "og:url", tag.get("content")
        if is_url and isinstance(candidate, str) and "chictr" in candidate.lower():
            return safe_url(candidate) or None
    return None


def _heading(soup: BeautifulSoup) -> str:
    """The trial's title above the page's blocks (``project-tit``), or ""."""
    for tag in soup.find_all(class_="project-tit"):
        text = " ".join(_text(tag).split())
        if text:
            return text
    return ""


def _refusal(soup: BeautifulSoup) -> str | None:
    """Why a page without label cells is no trial page: a listing or the empty template."""
    links = {a.get("href", "").strip() for a in soup.find_all("a", href=True)}
    if any(isinstance(href, str) and _LISTING_LINK.match(href) for href in links):
        return LISTING
    blocks = soup.find_all(class_=["project-tit", "project-ms"])
    if blocks and not any(_text(block) for block in blocks):
        return EMPTY_TEMPLATE
    return None


def _read_html(text: str) -> tuple[list[_Entry], str, str | None]:
    """Entries, heading and canonical URL of an HTML page (text walker when no label cells)."""
    soup = BeautifulSoup(text, "lxml")
    url = _canonical_url(soup)
    _drop_scripts(soup)
    entries = _html_entries(soup)
    if entries:
        return entries, _heading(soup), url
    reason = _refusal(soup)
    if reason:
        raise ParseError(reason)
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
_RANGE = re.compile(
    r"^(?:from|从|自)?\s*(?P<start>.*?)\s*(?:\bto\b|至|到|~)\s*(?P<end>.*?)$", re.IGNORECASE | re.DOTALL
)


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


def _chinese(*values: str | None) -> str | None:
    return next((v for v in values if v and _has_cjk(v)), None)


def _pick(values: dict[str, str] | None) -> str | None:
    """English, else Chinese; "" when the label is there without a value; None when absent."""
    return None if values is None else _prefer_en(values)


@dataclass
class _Page:
    """A page's entries sorted into single fields and repeated blocks (groups, sites, sponsors)."""

    scalars: dict[str, dict[str, str]] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)
    collaborators: list[str] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)

    def get(self, key: str) -> str:
        return _prefer_en(self.scalars.get(key, {}))

    def value(self, key: str) -> str | None:
        return _pick(self.scalars.get(key))

    def lang(self, key: str, lang: str) -> str | None:
        return self.scalars.get(key, {}).get(lang)

    def has(self, *keys: str) -> bool:
        return any(key in self.scalars for key in keys)


def _collect(entries: list[_Entry]) -> _Page:
    """Sort entries: a repeated label (same key and language) or a block break starts a new block."""
    page = _Page()
    section: str | None = None
    current: _Block | None = None
    for entry in entries:
        if entry.key == "block_break":
            current = None
            continue
        values = {lang: v for lang, v in (("cn", entry.cn), ("en", entry.en)) if v is not None}
        if entry.key in _SECTIONS:
            section, current = _SECTIONS[entry.key], None
            page.sections.add(section)
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
            page.sections.add("arms")
            continue  # the "干预措施" heading of the interventions section
        if current is None or current.kind != kind or any(lang in current.slots.get(entry.key, {}) for lang in values):
            current = _Block(kind)
            page.blocks.append(current)
        current.slots.setdefault(entry.key, {}).update(values)
    return page


def _groups(page: _Page) -> tuple[list[Arm] | None, list[Intervention] | None]:
    """One Arm (with its sample size) and one Intervention per intervention group."""
    blocks = [b for b in page.blocks if b.kind == "arm"]
    if not blocks and "arms" not in page.sections:
        return None, None
    arms: list[Arm] = []
    interventions: list[Intervention] = []
    for block in blocks:
        treatment = block.slots.get("intervention")
        name = _pick(treatment)
        if name:
            chinese = (treatment or {}).get("cn", "")
            code = block.value("intervention_code")
            other = ([chinese] if chinese and chinese != name else []) + ([code] if code else [])
            interventions.append(Intervention(name=name, other_names=other))
        label, size = block.value("group"), block.value("sample_size")
        if label or size or name:
            arms.append(
                Arm(
                    label=label,
                    description=name,
                    interventions=None if name is None else [name] if name else [],
                    sample_size=size,
                )
            )
    return arms, interventions


def _sites(page: _Page) -> list[SiteRecord] | None:
    blocks = [b for b in page.blocks if b.kind == "site"]
    if not blocks and "sites" not in page.sections:
        return None
    sites = []
    for block in blocks:
        site = SiteRecord(
            institution=block.value("institution"),
            city=block.value("city"),
            state=block.value("province"),
            country=block.value("country"),
            institution_zh=block.lang("institution", "cn"),
            city_zh=block.lang("city", "cn"),
            state_zh=block.lang("province", "cn"),
            country_zh=block.lang("country", "cn"),
        )
        if site.institution or site.city or site.state or site.country:
            sites.append(site)
    return sites


def _collaborators(page: _Page) -> list[str] | None:
    """Secondary sponsors by institution name (their address and place are not names)."""
    blocks = [b for b in page.blocks if b.kind == "collaborator"]
    if not blocks and "collaborators" not in page.sections:
        return None
    return unique([*page.collaborators, *(b.value("institution") for b in blocks)])


_CONTACTS = (
    ("study_leader", "leader", "leader_institution"),
    ("applicant", "applicant", "applicant_institution"),
)


def _contacts(page: _Page) -> list[Contact] | None:
    contacts = []
    for role, prefix, institution in _CONTACTS:
        keys = (prefix, f"{prefix}_phone", f"{prefix}_email", f"{prefix}_address", institution)
        if page.has(*keys):
            contacts.append(
                Contact(
                    role=role,
                    name=page.value(prefix),
                    phone=page.value(f"{prefix}_phone"),
                    email=page.value(f"{prefix}_email"),
                    address=page.value(f"{prefix}_address"),
                    affiliation=page.value(institution),
                )
            )
    return contacts or None


_ETHICS = (
    ("ethics_approved", "Approved"),
    ("ethics_name", "Committee"),
    ("ethics_number", "Approval No."),
    ("ethics_date", "Date"),
)


def _ethics(page: _Page) -> str | None:
    """The ethics approval as one line: "Approved: Yes; Committee: …; Approval No.: …; Date: …"."""
    if not page.has(*(key for key, _ in _ETHICS)):
        return None
    parts = ((label, page.get(key)) for key, label in _ETHICS)
    return "; ".join(f"{label}: {value}" for label, value in parts if value)


def _bound(page: _Page, key: str) -> str | None:
    """An age bound stated under its own label ("Min age: 18 years"); None when absent."""
    value = page.value(key)
    return None if value is None else _age_value(value)


def _registration_number(page: _Page, entries: list[_Entry]) -> str:
    """The registration number: its label's value, else (a label worded otherwise) the
    first unknown label whose whole value is a ChiCTR id."""
    registration = page.get("registry_id")
    if registration:
        return registration
    for entry in entries:
        if entry.key == "unknown":
            value = (entry.en or entry.cn or "").strip()
            if CHICTR_ID.fullmatch(value):
                return value
    return ""


def _build_record(
    entries: list[_Entry], source_format: str, heading: str = "", source_url: str | None = None
) -> TrialRecord:
    """The TrialRecord for a page's entries. ParseError without a ChiCTR registration number."""
    page = _collect(entries)
    registration = _registration_number(page, entries)
    if not registration:
        raise ParseError(NOT_A_TRIAL)
    match = CHICTR_ID.search(registration)
    if not match:
        raise ParseError(f"registration number {one_line(registration, 60)!r} is not a ChiCTR id")
    registry_id = match.group(0)

    public, scientific = page.scalars.get("public_title", {}), page.scalars.get("scientific_title", {})
    objectives = page.scalars.get("objectives")
    execute = page.value("execute_time")
    start, end = date_range(execute) if execute is not None else (None, None)
    age = page.value("age")
    low, high, found = age_bounds(age) if age is not None else ("", "", False)
    min_age, max_age = (low, high) if found else (_bound(page, "min_age"), _bound(page, "max_age"))
    arms, interventions = _groups(page)
    sites = _sites(page)
    disease = page.value("target_disease")
    ids = [page.value("partner_id"), page.value("subject_id")]
    return TrialRecord(
        registry="chictr",
        registry_id=registry_id,
        source_format=source_format,
        source_url=source_url,
        secondary_ids=None if ids == [None, None] else [s for s in unique(ids) if s != registry_id],
        title=public.get("en"),
        official_title=_pick(scientific or None),
        title_zh=_chinese(public.get("cn"), scientific.get("cn"), heading),
        official_title_zh=scientific.get("cn"),
        acronym=page.value("acronym"),
        brief_summary=_pick(objectives),
        detailed_description=page.value("description"),
        objectives=None if objectives is None else "\n\n".join(unique([objectives.get("en"), objectives.get("cn")])),
        status=page.value("status"),
        phase=page.value("study_phase"),
        study_type=page.value("study_type"),
        min_age=min_age,
        max_age=max_age,
        age_text=None if found else age,
        sex=page.value("sex"),
        enrollment=page.value("total_sample_size"),
        start_date=start,
        completion_date=end,
        registration_date=page.value("registration_date"),
        last_update_date=page.value("last_update"),
        sponsor=page.value("primary_sponsor"),
        collaborators=_collaborators(page),
        funding=page.value("funding"),
        ethics=_ethics(page),
        conditions=None if disease is None else [disease] if disease else [],
        interventions=interventions,
        arms=arms,
        sites=sites,
        countries=None if sites is None else unique(site.country for site in sites),
        contacts=_contacts(page),
        inclusion_criteria=page.value("inclusion"),
        exclusion_criteria=page.value("exclusion"),
    )


def _looks_like_html(text: str) -> bool:
    head = text[:20_000]
    return head.lstrip("\ufeff \t\r\n").startswith("<") or _HTML_TAG.search(head) is not None


class ChictrParser(Parser):
    """ChiCTR trial page, as showproj.html or as its plain-text rendering."""

    name = "chictr"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True for a ChiCTR page: the text rendering ("注册号", "Registration number" and a
        ChiCTR id), or HTML with the registry's structure (label cells, project blocks,
        its relative trial links) and its name or a ChiCTR id. The registry's empty
        template and its search listing are claimed too, so that they are refused
        with the reason."""
        try:
            if not isinstance(text, str):
                return False
            head = text[:DETECT_WINDOW]
            start = head.lstrip("\ufeff \t\r\n")[:5].lower()
            if start[:1] in ("{", "[") or start.startswith("<?xml"):
                return False
            if "注册号" in head and _REGISTRATION_NUMBER_EN.search(head) is not None and CHICTR_ID.search(head):
                return True
            return (
                start.startswith("<")
                and (_TEMPLATE_CLASS.search(head) is not None or _LISTING_HREF.search(head) is not None)
                and (CHICTR_ID.search(head) is not None or _SITE_MARK.search(head) is not None)
            )
        except Exception:
            return False

    def read(self, text: str) -> list[TrialRecord]:
        """One TrialRecord for the page; ParseError (one line) on anything unreadable."""
        if not isinstance(text, str) or not text.strip():
            raise ParseError("empty document")
        if _looks_like_html(text):
            entries, heading, url = _read_html(text)
            return [_build_record(entries, "chictr_html", heading, url)]
        entries, heading = _read_text(text)
        return [_build_record(entries, "chictr_text", heading)]
