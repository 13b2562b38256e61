"""The one place where python3-saml is patched. Importing this module applies the patches.

Each patch keeps the toolkit's contract and every check it makes; they change what it costs and
which clock it reads:

1. `OneLogin_Saml2_XML.validate_xml` compiles the XSD on every call (about 1.6 ms, most of an
   ACS request). The compiled schema is kept, one per thread: lxml does not promise that one
   XMLSchema object may validate in several threads at once.
2. `OneLogin_Saml2_XML.query` compiles its XPath expression on every call (about 40 calls per
   response). Compiled expressions are kept, one set per thread, for the same reason.
3. `OneLogin_Saml2_Utils.validate_node_sign`, given a certificate, loads it into an xmlsec key
   on every call and lets xmlsec parse the X509Data of the signature's KeyInfo, which it then
   does not use (the key is set). The loaded key is kept (one per thread; xmlsec copies it into
   each context) and KeyInfo is not read at all: only the configured certificates ever count.
   Calls without a certificate or with `validatecert` go to the toolkit's own function.
4. `OneLogin_Saml2_Utils.parse_SAML_to_time` tries two strptime formats, the first failing for
   every Entra timestamp (it has milliseconds). Timestamps of exactly the form
   YYYY-MM-DDTHH:MM:SS[.fraction]Z are converted directly (the same value: the fraction is
   dropped either way); anything else goes to the toolkit's function.
5. `OneLogin_Saml2_Utils.now` reads the instant set by `toolkit_clock`, so one validation uses
   one instant everywhere (the toolkit's checks and ours) and tests can pass `now`.
6. `OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT`, the allowance on Conditions NotBefore and
   NotOnOrAfter, goes from 300 s to CLOCK_SKEW (180 s).
"""
from __future__ import annotations

import calendar
import contextlib
import contextvars
import datetime
import os
import re
import threading
from typing import Iterator

import xmlsec
from lxml import etree
from onelogin.saml2 import xml_utils
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils, OneLogin_Saml2_ValidationError
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

CLOCK_SKEW = datetime.timedelta(minutes=3)

_MAX_KEPT_KEYS = 1024
_SCHEMA_DIR = os.path.join(os.path.dirname(xml_utils.__file__), "schemas")
_per_thread = threading.local()
_instant: contextvars.ContextVar[int | None] = contextvars.ContextVar("saml_toolkit_instant", default=None)
_system_now = OneLogin_Saml2_Utils.now
_toolkit_validate_node_sign = OneLogin_Saml2_Utils.validate_node_sign
_toolkit_parse_saml_to_time = OneLogin_Saml2_Utils.parse_SAML_to_time


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


def _validate_node_sign(signature_node, elem, cert=None, fingerprint=None, fingerprintalg="sha1", validatecert=False,
                        debug=False, raise_exceptions=False):
    """OneLogin_Saml2_Utils.validate_node_sign for a given certificate, with the key kept and
    KeyInfo ignored (same results: True, False, or the toolkit's ValidationError)."""
    if not cert or validatecert:
        return _toolkit_validate_node_sign(signature_node, elem, cert, fingerprint, fingerprintalg, validatecert, debug,
                                           raise_exceptions=raise_exceptions)
    try:
        keys = _per_thread.__dict__.setdefault("keys", {})
        if cert not in keys:
            if len(keys) >= _MAX_KEPT_KEYS:  # certificates roll over; do not keep every one for ever
                keys.clear()
            keys[cert] = xmlsec.Key.from_memory(cert, xmlsec.KeyFormat.CERT_PEM, None)
        context = xmlsec.SignatureContext()
        context.key = keys[cert]
        context.set_enabled_key_data([])  # the key is given: nothing in KeyInfo may be read
        context.verify(signature_node)
        return True
    except Exception as error:
        if not raise_exceptions:
            return False
        raise OneLogin_Saml2_ValidationError("Signature validation failed. SAML Response rejected. %s",
                                             OneLogin_Saml2_ValidationError.INVALID_SIGNATURE, str(error)) from None


_SAML_INSTANT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z", re.ASCII)


def _parse_saml_to_time(timestr):
    """OneLogin_Saml2_Utils.parse_SAML_to_time without strptime for the usual form (same value)."""
    match = _SAML_INSTANT.fullmatch(timestr) if isinstance(timestr, str) else None
    if match:
        try:
            return calendar.timegm(datetime.datetime(*map(int, match.groups())).utctimetuple())
        except ValueError:
            pass  # e.g. month 13: let the toolkit refuse it its own way
    return _toolkit_parse_saml_to_time(timestr)


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
OneLogin_Saml2_Utils.validate_node_sign = staticmethod(_validate_node_sign)
OneLogin_Saml2_Utils.parse_SAML_to_time = staticmethod(_parse_saml_to_time)
OneLogin_Saml2_Utils.now = staticmethod(_now)
OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = int(CLOCK_SKEW.total_seconds())
