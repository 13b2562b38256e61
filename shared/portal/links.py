"""Handing out a portal link (POST /api/organizations/{org}/portal-links): the intent, and a
`return_url` that must be one of the org's own redirect_uris (the portal's "Back to" button)."""
from __future__ import annotations

from shared.orgs.records import Organization
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso
from shared.portal import sessions
from shared.portal.forms import PortalLinkAnswer, PortalLinkRequest


def issue(org: Organization, request: PortalLinkRequest) -> PortalLinkAnswer:
    if request.return_url is not None and request.return_url not in org.redirect_uris:
        raise SsoError("invalid_field", "`return_url` must exactly equal one of the organization's `redirect_uris`; "
                                        "add it with PATCH /api/organizations/{org} first.")
    token, expires = sessions.create_link(org.id, request.intent, request.return_url)
    return PortalLinkAnswer(link=f"{get_settings().public_base_url}/portal/open/{token}", expires_at=iso(expires))
