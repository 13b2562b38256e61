"""Region pinning: an organization lives on the stamp that created it. A stamp asked about an
org it does not hold answers 404, or 307 to the right stamp when a routing entry says where the
org lives and SSO_REGION_URLS gives that region's URL.

Routing entries are rows `route` in the org's partition of this stamp's `organizations` table,
written by `PUT /api/organization-routes/{org}` (global key). They name a region, never a URL, so
a routing entry cannot send a browser anywhere but a configured stamp.
"""

from urllib.parse import urlsplit

from shared.platform import validation as v
from shared.platform.errors import SsoError
from shared.platform.settings import REGIONS, get_settings
from shared.storage import tables
from shared.storage.record import Record

ROUTE_ROW = "route"


class Route(Record):
    """A routing entry: the region whose stamp holds `organization`."""

    organization: str
    region: str


class UnknownOrganization(SsoError):
    """This stamp holds no such org; the HTTP wrapper first looks for a routing entry."""

    def __init__(self, code: str, slug: str, message: str | None = None):
        super().__init__(code, message)
        self.slug = slug


def set_route(slug: str, region: str) -> Route:
    v.slug("organization", slug)
    if region not in REGIONS:
        raise v.invalid("region", "one of " + ", ".join(REGIONS))
    if region == get_settings().region:
        raise SsoError("invalid_field", "This stamp is that region: create the organization here instead of routing it.")
    route = Route(organization=slug, region=region)
    # One upsert: a PUT says where the org lives, whatever was there, so simultaneous PUTs each
    # succeed and the last one stands (a read, then insert or replace, lost races as 500s).
    tables.upsert("organizations", slug, ROUTE_ROW, route.to_stored())
    return route


def location_elsewhere(slug: str, request_url: str) -> str | None:
    """The same path and query on the stamp where `slug` lives, when a routing entry and
    SSO_REGION_URLS say where that is; else None."""
    if not v.SLUG.match(slug or ""):
        return None
    stored = tables.get("organizations", slug, ROUTE_ROW)
    target = get_settings().region_urls.get(Route.from_stored(stored.doc).region) if stored else None
    if not target:
        return None
    parts = urlsplit(request_url)
    return target + parts.path + (f"?{parts.query}" if parts.query else "")
