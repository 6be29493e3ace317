"""WHO ICTRP XML exports, of any number of trials, from any registry ICTRP carries.

Two layouts:
- the search-portal export ``<Trials_downloaded_from_ICTRP><Trial>``: one flat
  element per field (``<TrialID>``, ``<Public_title>``, ``<Date_enrollement>``...).
  The 2020 form is CRLF; the 2024 form adds ``Internal_Number``, ``Secondary_ID``,
  ``Ethics_review_*`` and ``results_*`` elements and ends every value with a
  line break and indentation inside its tag;
- the web-service export ``<trials><Triall>`` (sic): fields grouped in ``<main>``,
  ``<criteria>``, ``<contacts><contact>``, ``<countries><country2>``...

Both are read into `_ictrp.Fields` and built by `_ictrp.build_record`,
like the CSV export. The XML is parsed safely (`_xml.parse_xml`: no entity
expansion, no DTD, no network; XInclude is never processed).
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ingest.parsers._ictrp import Fields, fold, line, read_trials
from ingest.parsers._xml import local, parse_xml, root_tag, string_of
from ingest.parsers.base import Parser
from ingest.records import Contact, ParseError, TrialRecord

ROOTS = ("trials", "trials_downloaded_from_ictrp")
TRIALS = ("trial", "triall")


def _is_value(el: etree._Element) -> bool:
    """True for a field's element: no child elements, or text of its own beside them
    (mixed content is one value, never a group of fields)."""
    kids = [c for c in el if isinstance(c.tag, str)]
    return not kids or bool((el.text or "").strip()) or any((c.tail or "").strip() for c in el)


def _contact(el: etree._Element) -> Contact:
    """One ``<contact>`` of the web-service form; role "public" / "scientific"."""
    parts: dict[str, str] = {}
    for child in el:
        if isinstance(child.tag, str):
            parts.setdefault(fold(local(child)), line(string_of(child)))

    def joined(names: tuple[str, ...], sep: str) -> str | None:
        if not any(name in parts for name in names):
            return None
        return sep.join(parts[name] for name in names if parts.get(name))

    role = parts.get("type")
    return Contact(
        role=role.casefold() if role and role.casefold() in ("public", "scientific") else role,
        name=joined(("firstname", "middlename", "lastname"), " "),
        address=joined(("address", "city", "zip", "country1"), ", "),
        phone=joined(("telephone", "phone", "tel"), " "),
        email=joined(("email",), " "),
        affiliation=joined(("affiliation",), " "),
    )


def _fields(trial: etree._Element) -> Fields:
    """The leaf fields of one trial (either layout), with the nested contacts and
    ethics reviews of the web-service form read as groups."""
    f = Fields()
    _walk(trial, f)
    return f


def _walk(el: etree._Element, f: Fields) -> None:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = fold(local(child))
        if name == "contacts":
            f.contacts = f.contacts if f.contacts is not None else []
            for contact in (c for c in child if isinstance(c.tag, str) and fold(local(c)) == "contact"):
                found = _contact(contact)
                if any(v for k, v in found.to_dict().items() if k != "role") and found not in f.contacts:
                    f.contacts.append(found)
        elif name == "ethicsreviews":
            f.ethics = f.ethics if f.ethics is not None else []
            f.ethics += [
                {fold(local(item)): string_of(item) for item in review if isinstance(item.tag, str)}
                for review in child
                if isinstance(review.tag, str) and fold(local(review)) == "ethicsreview"
            ]
        elif _is_value(child):
            f.add(name, string_of(child))
        else:
            _walk(child, f)


class IctrpXmlParser(Parser):
    """WHO ICTRP XML export (search portal or web service), any registry.

    A file may hold many trials. `parse()` returns the readable ones and fills
    `self.problems` with one line per trial left out, e.g.
    ``"trial #2 (XYZ123): skipped: unknown registry (Source Register 'XYZ')"``,
    or per value left out (an unsafe web address). ParseError when no trial is
    readable.
    """

    name = "ictrp_xml"
    version = "2"

    @classmethod
    def detect(cls, text: str) -> bool:
        """True when the root element is ``<trials>`` / ``<Trials_downloaded_from_ICTRP>``."""
        return root_tag(text).lower() in ROOTS

    def read(self, text: str) -> list[TrialRecord]:
        """Every trial of the export whose registry is known."""
        root = parse_xml(text)
        if local(root).lower() not in ROOTS:
            raise ParseError(f"not a WHO ICTRP export: root element is <{local(root) or '?'}>")
        trials = [el for el in root if local(el).lower() in TRIALS]
        if not trials:
            raise ParseError("WHO ICTRP export holds no <Trial> element")
        return read_trials(_each(trials), self.name, self.problems)


def _each(trials: list[etree._Element]) -> Iterator[Fields]:
    for trial in trials:
        yield _fields(trial)
