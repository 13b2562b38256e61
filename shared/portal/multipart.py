"""A multipart/form-data body (the SAML form's metadata file) as text fields, with the limits
of shared/web/http.py's form reader: 1 MiB, 20 fields, no field twice, UTF-8 text only."""
from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from shared.platform.errors import SsoError
from shared.web.http import MAX_BODY_BYTES

MAX_FIELDS = 20


def read_multipart(content_type: str, body: bytes) -> dict[str, str]:
    if len(body) > MAX_BODY_BYTES:
        raise SsoError("payload_too_large")
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise SsoError("invalid_request", "The form body is not valid multipart/form-data.")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise SsoError("invalid_request", "A part of the form has no field name.")
        if name in fields:
            raise SsoError("invalid_request", f"The form field {name!r} is given more than once.")
        if len(fields) >= MAX_FIELDS:
            raise SsoError("invalid_request", f"The form has more than {MAX_FIELDS} fields.")
        try:
            fields[name] = (part.get_payload(decode=True) or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise SsoError("invalid_request", f"The form field {name!r} is not UTF-8 text; choose the metadata XML file.") from None
    return fields
