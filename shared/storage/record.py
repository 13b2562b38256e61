"""The base of every stored record: a pydantic model that reads and writes its JSON document
exactly as stored (shared/storage/tables.py keeps it as the entity's `doc`).

Exactness: a field absent from the document stays absent when the record is written back
(`to_stored` dumps only the fields that were read or set), and a field the model does not know
is kept as it is (extra="allow"), so neither an older record nor a newer one changes shape by
passing through. Records are frozen: instances are shared through the sign-in caches, so a
change is a new record (`replace`, `without`), never an edit in place.

Fields marked INTERNAL are kept on the record and never answered by the admin API (`public`).
Schemas are built on first use (defer_build), not at import: cold starts are measured.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

INTERNAL = {"internal": True}  # json_schema_extra of a field kept on the record, never answered


def internal(default: Any = None) -> Any:
    """A field the record keeps and the admin API never shows."""
    return Field(default, json_schema_extra=INTERNAL)


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    @classmethod
    def new(cls, **fields):
        """A record not stored yet: every field that is not INTERNAL present, at its default
        unless given (an INTERNAL field is present only when given)."""
        internal_fields = cls.internal_fields()
        defaults = {name: info.get_default(call_default_factory=True) for name, info in cls.model_fields.items()
                    if name not in internal_fields and not info.is_required()}
        return cls.model_validate({**defaults, **fields})

    @classmethod
    def from_stored(cls, doc: dict):
        return cls.model_validate(doc)

    def to_stored(self) -> dict:
        """The JSON document to store: the fields present, nothing added."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def internal_fields(cls) -> frozenset[str]:
        return frozenset(name for name, info in cls.model_fields.items() if info.json_schema_extra == INTERNAL)

    @classmethod
    def public_model(cls, name: str, /, **fields: Any) -> type[BaseModel]:
        """A model of `public()` for the OpenAPI document: the record's fields less the INTERNAL
        ones, plus `fields` (name=(type, default or Field)). Extra fields are allowed, as the record
        keeps and answers fields it does not know."""
        internal_fields = cls.internal_fields()
        kept = {n: (info.annotation, info) for n, info in cls.model_fields.items() if n not in internal_fields and n not in fields}
        return create_model(name, __config__=ConfigDict(extra="allow", defer_build=True), __doc__=cls.__doc__, **kept, **fields)

    def public(self) -> dict:
        """The record as the admin API shows it: the stored document without INTERNAL fields."""
        return self.model_dump(mode="json", exclude_unset=True, exclude=set(self.internal_fields()))

    def has(self, name: str) -> bool:
        """Whether the stored document holds `name` (a field may be absent from older records)."""
        return name in self.model_fields_set

    def _present(self) -> dict:
        return {name: getattr(self, name) for name in self.model_fields_set if name in type(self).model_fields} | dict(self.__pydantic_extra__ or {})

    def replace(self, **changes):
        """A copy with `changes` set (validated, so nested dicts become their models)."""
        return type(self).model_validate({**self._present(), **changes})

    def without(self, *names: str):
        """A copy with `names` absent from the document (as `dict.pop` left it before)."""
        return type(self).model_validate({k: v for k, v in self._present().items() if k not in names})
