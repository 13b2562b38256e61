"""A test sign-in of a connection (`POST .../connections/{id}/test`, and the setup portal's Test
sign-in button): the checks the server can make alone, then a one-time sign-in URL that ends on
the diagnostic page and issues no code."""
from __future__ import annotations

from shared.admin import connection_checks
from shared.orgs import organizations
from shared.orgs.records import Connection
from shared.signin import start as sign_in
from shared.signin.targets import Target
from shared.storage import tables


def start(stored: tables.Stored[Connection]) -> tuple[list[dict], str | None]:
    """(each check, the test URL); no URL when a check failed."""
    checks, stored = connection_checks.run(stored)
    if not all(check["ok"] for check in checks):
        return checks, None
    target = Target(organizations.require(stored.doc.organization).doc, stored.doc)
    return checks, sign_in.begin(target, redirect_uri=None, options=sign_in.checked_options({}), test=True)
