"""The stable error codes of the HTTP contract, each with its status and what to do about it.

Every error a client can see is raised as `SsoError(code, message)`. The code must be in
`CATALOGUE` (tests check that each one is documented in the README); the message is the
sentence the admin or developer acts on and must never contain a secret, code or token.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    fix: str  # the default sentence: what to do about it


CATALOGUE: dict[str, ErrorSpec] = {
    # Requests and the admin API
    "invalid_request": ErrorSpec(400, "The request is malformed; check the parameters against the README."),
    "invalid_json": ErrorSpec(400, "Send a valid JSON object as the body."),
    "unsupported_media_type": ErrorSpec(415, "Send the body as application/json."),
    "payload_too_large": ErrorSpec(413, "Send a body of at most 1 MiB."),
    "unknown_field": ErrorSpec(400, "Remove the fields this resource does not accept."),
    "invalid_field": ErrorSpec(400, "Correct the field as the message says."),
    "missing_field": ErrorSpec(400, "Add the required field."),
    "unauthorized": ErrorSpec(401, "Send a valid API key as 'Authorization: Bearer <key>'."),
    "forbidden": ErrorSpec(403, "This route needs a global API key, not an organization key."),
    "not_found": ErrorSpec(404, "No such resource; check the id."),
    "method_not_allowed": ErrorSpec(405, "Use one of the methods the route allows."),
    "conflict": ErrorSpec(409, "The resource changed since you read it; GET it again and retry with the new etag."),
    "already_exists": ErrorSpec(409, "A resource with this id already exists; choose another id."),
    "precondition_failed": ErrorSpec(412, "The If-Match etag does not match; GET the resource again."),
    "storage_unavailable": ErrorSpec(503, "Table Storage is unreachable; nothing was changed. Retry shortly."),
    "secret_store_unavailable": ErrorSpec(503, "The secret store is unreachable; nothing was changed. Retry shortly."),
    "internal_error": ErrorSpec(500, "Something unexpected failed; quote the correlation id to support."),
    # Connections and Entra configuration
    "tenant_not_found": ErrorSpec(400, "Entra has no tenant with this id; copy the Directory (tenant) ID from the Entra admin center."),
    "authority_unreachable": ErrorSpec(503, "Entra could not be reached to check the tenant; retry shortly."),
    "invalid_metadata": ErrorSpec(400, "The SAML IdP metadata could not be used; paste the Federation Metadata XML from the Entra enterprise app."),
    "metadata_unreachable": ErrorSpec(400, "The SAML metadata URL could not be fetched; use the App Federation Metadata Url from Entra (https, public)."),
    "invalid_certificate": ErrorSpec(400, "The certificate is not a valid PEM or base64 X.509 certificate; download the Base64 certificate from Entra."),
    "certificate_expired": ErrorSpec(400, "The IdP signing certificate has expired; create a new SAML signing certificate in Entra and paste it."),
    "connection_disabled": ErrorSpec(400, "The connection is disabled; enable it or use another connection."),
}


class SsoError(Exception):
    """An error with a stable code from CATALOGUE and a message that says what to fix."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None, detail: dict | None = None):
        spec = CATALOGUE[code]  # KeyError here is a programming error: add the code to CATALOGUE
        self.code = code
        self.status = status or spec.status
        self.message = message or spec.fix
        self.detail = detail or {}
        super().__init__(f"{code}: {self.message}")

    def to_json(self) -> dict:
        return {"error": self.code, "error_description": self.message}
