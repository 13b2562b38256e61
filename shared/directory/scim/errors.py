"""SCIM's error shape (RFC 7644 section 3.12): a status, an optional `scimType`, a `detail`."""
from __future__ import annotations

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """A refusal answered in SCIM's error shape; `detail` says what to fix and holds no secret."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def to_json(self) -> dict:
        body = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidSyntax")


def not_found(kind: str, resource_id: str) -> ScimError:
    return ScimError(404, f"No {kind} with id {resource_id!r} in this directory.")


def uniqueness(detail: str) -> ScimError:
    # Entra retries a bare 409 forever; with scimType uniqueness it matches the existing resource.
    return ScimError(409, detail, "uniqueness")
