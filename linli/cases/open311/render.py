"""Open311 responses in JSON and XML from the same Python data.

Payloads are plain dicts and lists; XML is built with :mod:`xml.etree.ElementTree`, which
escapes text, so markup in a description can never become markup in the response. JSON
escapes ``<``, ``>`` and ``&`` as ``\\u003c`` etc. (valid JSON, the same string once decoded)
so that a browser sniffing the body never finds a tag either.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}

#: XML element name of one item of each list (GeoReport v2 XML examples).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
#: Characters XML 1.0 cannot carry at all (not even escaped); dropped from XML text only.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for child in value:
            element.append(_element(item_tag, child))
    elif value is not None:
        element.text = _text(value)
    return element


def to_xml(root: str, data: Any) -> bytes:
    """UTF-8 XML with declaration; lists become ``<root><item_tag>…`` per :data:`ITEM_TAGS`."""
    body = ET.tostring(_element(root, data), encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def to_json(data: Any) -> bytes:
    """UTF-8 JSON (Chinese unescaped; ``<``, ``>``, ``&`` as ``\\u003c`` …)."""
    return json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES).encode()


def respond(data: Any, *, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """The response in ``fmt`` (``json`` or ``xml``); ``root`` names the XML root element."""
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def respond_error(status: int, description: str, *, fmt: str) -> HttpResponse:
    """The spec's error array ``[{"code": 400, "description": "…"}]`` with HTTP ``status``."""
    errors = [{"code": status, "description": description}]
    return respond(errors, fmt=fmt if fmt in FORMATS else "json", root="errors", status=status)
