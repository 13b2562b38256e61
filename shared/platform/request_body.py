"""The base of every request body model, and `rule`, which runs a validator of
shared/platform/validation.py (or a package's own, raising SsoError) as a pydantic field
validator: its stable code and sentence become the field's problem, so one body with several
problems is answered by one 400 naming them all (shared/web/http.py `read_body`).

The annotated type describes the field in the OpenAPI document; the rule runs before it on the
raw value and answers the clean value, which the type then accepts.
"""

from typing import Any, Callable, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic_core import PydanticCustomError

from shared.platform.errors import SsoError


class RequestBody(BaseModel):
    """A JSON (or form) request body: unknown fields refused, each field's rules named once."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # field -> the sentence answered when a required field is absent (default: "`field` is required.")
    missing: ClassVar[dict[str, str]] = {}

    def given(self) -> dict:
        """The fields the client sent, cleaned (a PATCH changes these and no others)."""
        return self.model_dump(mode="json", exclude_unset=True)


def rule(validator: Callable[[str, Any], Any], *, nullable: bool = False) -> BeforeValidator:
    """Runs `validator(field, value)`; its SsoError becomes the field's problem with the same code
    and message. With `nullable`, null is accepted as it is (clears the field)."""

    def run(value: Any, info: ValidationInfo) -> Any:
        if value is None and nullable:
            return None
        try:
            return validator(info.field_name, value)
        except SsoError as err:
            # the message goes through the context: pydantic formats {braces} in a template
            raise PydanticCustomError(err.code, "{message}", {"message": err.message}) from None

    return BeforeValidator(run)
