"""The one place where python3-saml is patched. Importing this module applies the patches.

Each patch keeps the toolkit's contract and every check it makes; they change what it costs and
which clock it reads:

1. `OneLogin_Saml2_XML.validate_xml` compiles the XSD on every call (about 1.6 ms, most of an
   ACS request). The compiled schema is kept, one per thread: lxml does not promise that one
   XMLSchema object may validate in several threads at once.
2. `OneLogin_Saml2_XML.query` compiles its XPath expression on every call (about 40 calls per
   response). Compiled expressions are kept, one set per thread, for the same reason.
3. `OneLogin_Saml2_Utils.now` reads the instant set by `toolkit_clock`, so one validation uses
   one instant everywhere (the toolkit's checks and ours) and tests can pass `now`.
4. `OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT`, the allowance on Conditions NotBefore and
   NotOnOrAfter, goes from 300 s to CLOCK_SKEW (180 s).
"""
from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime
import os
import threading
from typing import Iterator

from lxml import etree
from onelogin.saml2 import xml_utils
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

CLOCK_SKEW = datetime.timedelta(minutes=3)

_SCHEMA_DIR = os.path.join(os.path.dirname(xml_utils.__file__), "schemas")
_per_thread = threading.local()
_instant: contextvars.ContextVar[int | None] = contextvars.ContextVar("saml_toolkit_instant", default=None)
_system_now = OneLogin_Saml2_Utils.now


def _compiled_schema(name: str) -> etree.XMLSchema:
    schemas = _per_thread.__dict__.setdefault("schemas", {})
    if name not in schemas:
        with open(os.path.join(_SCHEMA_DIR, name), "rb") as source:
            schemas[name] = etree.XMLSchema(etree.parse(source))
    return schemas[name]


def _validate_xml(xml, schema, debug=False):
    """OneLogin_Saml2_XML.validate_xml with the compiled schema kept (same results)."""
    try:
        xml = OneLogin_Saml2_XML.to_etree(xml)
    except Exception:
        return "unloaded_xml"
    if not _compiled_schema(schema).validate(xml):
        return "invalid_xml"
    return xml


def _query(dom, query, context=None, tagid=None):
    """OneLogin_Saml2_XML.query with the compiled XPath kept (same results)."""
    compiled = _per_thread.__dict__.setdefault("xpaths", {})
    xpath = compiled.get(query)
    if xpath is None:
        xpath = compiled[query] = etree.XPath(query, namespaces=OneLogin_Saml2_Constants.NSMAP)
    source = dom if context is None else context
    return xpath(source) if tagid is None else xpath(source, tagid=tagid)


def _now() -> int:
    instant = _instant.get()
    return _system_now() if instant is None else instant


@contextlib.contextmanager
def toolkit_clock(now: datetime.datetime) -> Iterator[None]:
    """Within the block, python3-saml's clock reads `now` (in this thread or task only)."""
    token = _instant.set(calendar.timegm(now.utctimetuple()))
    try:
        yield
    finally:
        _instant.reset(token)


OneLogin_Saml2_XML.validate_xml = staticmethod(_validate_xml)
OneLogin_Saml2_XML.query = staticmethod(_query)
OneLogin_Saml2_Utils.now = staticmethod(_now)
OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = int(CLOCK_SKEW.total_seconds())
