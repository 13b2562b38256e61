"""A SCIM `filter` parameter read into one index lookup.

Parsing is scim2-filter-parser's; what we answer is the small set of filters Entra's provisioning
service sends, each one equality on an indexed attribute (so the answer is one index read, never a
scan or a query built from the filter's text). Anything else is refused with `invalidFilter`."""
from __future__ import annotations

from dataclasses import dataclass

from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from shared.directory.scim.errors import ScimError

MAX_FILTER_LENGTH = 1024
_CORE = {"User": "urn:ietf:params:scim:schemas:core:2.0:User", "Group": "urn:ietf:params:scim:schemas:core:2.0:Group"}
# The attributes a filter may test, per resource type, as the index names them.
_NOT_STRINGS = {"NUMBER", "TRUE", "FALSE", "NULL"}
FILTERABLE = {"User": {"id": "id", "username": "userName", "externalid": "externalId", "emails.value": "emails"},
              "Group": {"id": "id", "displayname": "displayName", "externalid": "externalId"}}


@dataclass(frozen=True)
class Lookup:
    attribute: str  # id, userName, externalId, emails or displayName
    value: str
    email_type: str | None = None  # emails[type eq "work"].value: only that type matches


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


def parse(text: str, resource_type: str) -> Lookup:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
    try:
        tokens = list(SCIMLexer().tokenize(text))
        tree = SCIMParser().parse(iter(tokens))
    except Exception:  # the lexer and parser raise their own error types, and others on odd tokens
        tokens, tree = [], None
    if not isinstance(tree, ast.Filter):
        raise invalid_filter(f"The filter {text[:100]!r} does not parse as a SCIM filter (RFC 7644 section 3.4.2.2).")
    if any(token.type in _NOT_STRINGS for token in tokens):  # the tree keeps 5 and "5" alike; the tokens do not
        raise invalid_filter("Compare with a string in double quotes, e.g. userName eq \"ada@contoso.com\".")
    return _lookup(tree, resource_type)


def _unsupported(resource_type: str) -> ScimError:
    names = ", ".join(sorted(set(FILTERABLE[resource_type].values()) - {"emails"}) + (['emails[type eq "work"].value'] if resource_type == "User" else []))
    return invalid_filter(f"Only `eq` on one of {names} is supported for {resource_type} filters.")


def _lookup(tree: ast.Filter, resource_type: str) -> Lookup:
    expr = tree.expr
    if tree.negated or not isinstance(expr, ast.AttrExpr) or expr.value.lower() != "eq":
        raise _unsupported(resource_type)
    value = expr.comp_value.value if isinstance(expr.comp_value, ast.CompValue) else None
    if not isinstance(value, str):
        raise invalid_filter("Compare with a string in double quotes, e.g. userName eq \"ada@contoso.com\".")
    path = expr.attr_path
    email_type = None
    if isinstance(path.attr_name, ast.Filter):  # emails[type eq "work"].value
        inner, namespace = path.attr_name, path.attr_name.namespace
        email_type = _email_type(inner)
        name = f"{namespace.attr_name}.{namespace.sub_attr.value}" if namespace.sub_attr else namespace.attr_name
        uri = namespace.uri
    else:
        name = f"{path.attr_name}.{path.sub_attr.value}" if path.sub_attr else path.attr_name
        uri = path.uri
    if uri and uri != _CORE[resource_type]:
        raise _unsupported(resource_type)
    attribute = FILTERABLE[resource_type].get(str(name).lower())
    if attribute is None or (email_type is not None and attribute != "emails"):
        raise _unsupported(resource_type)
    return Lookup(attribute, value, email_type)


def _email_type(inner: ast.Filter) -> str:
    expr = inner.expr.expr if isinstance(inner.expr, ast.Filter) else inner.expr
    ok = (isinstance(expr, ast.AttrExpr) and expr.value.lower() == "eq" and isinstance(expr.attr_path.attr_name, str)
          and expr.attr_path.attr_name.lower() == "type" and isinstance(getattr(expr.comp_value, "value", None), str))
    if not ok:
        raise invalid_filter('Only a filter on the email type is supported inside emails[...], e.g. emails[type eq "work"].value.')
    return expr.comp_value.value.lower()
