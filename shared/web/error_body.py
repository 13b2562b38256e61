"""The JSON error body every API error answers (shared/web/http.py `error_response`), as a model
for the OpenAPI document: `error` is one of the stable codes of shared/platform/errors.py."""

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from shared.admin.views import Check
from shared.platform.errors import CATALOGUE

ErrorCode = Enum("ErrorCode", {code: code for code in CATALOGUE}, type=str)  # type: ignore[misc]  # one schema, every stable code
ErrorCode.__doc__ = "The stable error codes, each with its status and what to do: " + " ".join(
    f"`{code}` ({spec.status}): {spec.fix}" for code, spec in CATALOGUE.items())


class Problem(BaseModel):
    """One problem of a refused body."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    field: str = Field(description="The field, dotted for a nested one (`attribute_mapping.email`).")
    code: ErrorCode
    message: str


class ErrorBody(BaseModel):
    """A refused request: what went wrong (`error`, stable), what to do (`error_description`),
    and the id to quote (`correlation_id`, also in the X-Correlation-Id header and the org's events)."""

    model_config = ConfigDict(extra="allow", defer_build=True, title="Error")

    error: ErrorCode
    error_description: str
    correlation_id: str
    problems: list[Problem] = Field(None, description="A body its model refused: every problem at once (unknown fields first, "
                                                      "then missing ones, then the others); `error` is the first one's code.")


class ConnectionTestRefusal(ErrorBody):
    """400 `connection_test_failed`: every check, with the fix of each failed one."""

    model_config = ConfigDict(title="ConnectionTestRefusal")

    checks: list[Check] = Field(None)
