"""Open311 GeoReport v2 answers in its two formats: JSON, and XML built with xml.etree (which escapes
text, so a title holding <&> stays text). The spec's shapes: a list of objects in JSON, a root element
holding one child per object in XML; errors as [{"code", "description"}] / <errors><error>…</error></errors>.
"""
import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORMATS = ("text/xml", "application/json")
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# A list field's XML children are named by the singular of the field.
SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}

# Characters XML 1.0 cannot hold at all, even escaped; they are dropped from text on the way out.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def iso(moment) -> str | None:
    """ISO 8601 with the offset of the server's zone (Asia/Shanghai: +08:00), to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).isoformat(timespec="seconds")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, (list, tuple)):
        item_tag = SINGULAR.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_tag), child)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, body, item_tag: str | None = None) -> bytes:
    """`body` is a dict (one object under the root) or a list (one `item_tag` element per object)."""
    root = ET.Element(root_tag)
    if isinstance(body, dict):
        _fill(root, body)
    else:
        for item in body:
            _fill(ET.SubElement(root, item_tag), item)
    # The spec asks for the declaration with encoding="UTF-8"; etree's own would use single quotes and lower case.
    return XML_DECLARATION + ET.tostring(root, encoding="utf-8")


def respond(fmt: str, body, *, root: str, item: str | None = None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        content = to_xml(root, body, item)
    else:
        content = json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


class Open311Error(Exception):
    """An answer in the spec's error format: one or more (code, description) with the HTTP status."""

    def __init__(self, status: int, *descriptions: str, headers: dict | None = None):
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.headers = headers or {}


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    body = [{"code": error.status, "description": text} for text in error.descriptions]
    response = respond(fmt, body, root="errors", item="error", status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response
