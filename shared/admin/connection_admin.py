"""Creating, changing and deleting connections: validation against Entra, the secret store and
the record, in an order that never half-writes (the secret is stored before the record that
points at it, and a failed record write leaves only an unreferenced secret version)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shared import secret_store
from shared.lifecycle.certificate_credentials import make_certificate
from shared.oidc.discovery import provider_metadata
from shared.orgs import connection_health, connections, events, organizations
from shared.orgs.connection_status import awaits_certificate, public_view
from shared.orgs.credential_proof import prove
from shared.orgs.credentials import current_credential, store_client_secret
from shared.orgs.records import Connection, SpSigning
from shared.platform import validation as v
from shared.platform.certificates import thumbprint
from shared.platform.errors import SsoError
from shared.platform.settings import get_settings
from shared.platform.timestamps import iso
from shared.policy import domains
from shared.shared_app import app as shared_app
from shared.signin import consent
from shared.storage import tables

SP_SIGNING_YEARS = 3


def _ensure_sp_signing(doc: Connection) -> Connection:
    """A connection that signs its AuthnRequests gets its own SP key pair once: the key in the
    secret store, the certificate on the record (published in the SP metadata)."""
    if not doc.sign_authn_requests or doc.sp_signing:
        return doc
    from cryptography.hazmat.primitives.serialization import Encoding  # on first use: cryptography stays off the cold start

    not_after = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=365 * SP_SIGNING_YEARS)
    key_pem, certificate = make_certificate(doc, 2048, not_after)
    version = secret_store.get_secret_store().set_secret(connections.secret_name(doc.id, connections.SP_SIGNING_KEY), key_pem, expires_on=not_after,
                                            tags={"connection": doc.id})
    return doc.replace(sp_signing=SpSigning(key_version=version.version_id, certificate_pem=certificate.public_bytes(Encoding.PEM).decode("ascii"),
                                            thumbprint=thumbprint(certificate), expires_on=not_after.date().isoformat()))


def _check_oidc(doc: Connection) -> None:
    for field, value in (("entra_tenant_id", doc.entra_tenant_id), ("client_id", doc.client_id)):
        if not value:
            raise SsoError("missing_field", f"`{field}` is required for an OIDC connection.")
    if doc.allowed_tenant_ids and doc.entra_tenant_id != "organizations":
        raise SsoError("invalid_field", "`allowed_tenant_ids` applies only when `entra_tenant_id` is `organizations` (a multi-tenant app).")
    if doc.entra_tenant_id == "organizations" and not doc.allowed_tenant_ids:
        raise SsoError("missing_field", "A multi-tenant connection (`organizations`) needs `allowed_tenant_ids`: the Entra tenants allowed to sign in.")
    provider_metadata(doc.entra_tenant_id)


def _prove_current_credential(doc: Connection) -> None:
    """The stored credential must still work with the changed client id or tenant."""
    prove(doc, current_credential(doc), "update")


def _resolve_saml_idp(doc: Connection, fields: dict) -> Connection:
    """Fills idp_entity_id, idp_sso_url and idp_certificates from exactly one source."""
    from shared.saml import load_idp  # the SAML stack loads on first SAML use, not at cold start

    given = {name for name in connections.IDP_SOURCE_FIELDS if name in fields}
    if not given:
        return doc
    manual = given & {"idp_entity_id", "idp_sso_url", "idp_certificate"}
    if len([source for source in ("idp_metadata_url", "idp_metadata_xml") if source in given]) + bool(manual) > 1:
        raise SsoError("invalid_field", "Give one of `idp_metadata_url`, `idp_metadata_xml`, or `idp_entity_id` + `idp_sso_url` + `idp_certificate`.")
    idp = load_idp(
        metadata_url=fields.get("idp_metadata_url"),
        metadata_xml=fields.get("idp_metadata_xml"),
        entity_id=fields.get("idp_entity_id"),
        sso_url=fields.get("idp_sso_url"),
        certificate=fields.get("idp_certificate"),
    )
    # The sources are kept parsed, never as given (a record from an early version may hold them).
    return doc.without("idp_metadata_xml", "idp_certificate").replace(
        idp_metadata_url=fields.get("idp_metadata_url"),
        idp_entity_id=idp.entity_id,
        idp_sso_url=idp.sso_url,
        idp_certificates=list(idp.certificates),
        idp_metadata_refreshed=iso(),
    )


def _check_domains(organization: str, fields: dict) -> None:
    if fields.get("domains"):
        domains.refuse_unverified(organizations.require(organization).doc, fields["domains"])


def _recheck_domains(saved: tables.Stored[Connection]) -> tables.Stored[Connection]:
    """After the write, the domains again: a claim deleted between the check and the write took
    its domain out of verified_domains before it swept the connections, so one of the two sees
    the other and the domain is not left behind. Answers the record as it now is."""
    doc = saved.doc
    verified = set(organizations.require(doc.organization).doc.verified_domains)
    gone = [d for d in doc.domains if d not in verified]
    if not gone:
        return saved
    for domain in gone:
        connections.drop_domain(doc.organization, domain)
    return connections.get(doc.id) or saved


def _without_idp_sources(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if k not in connections.IDP_SOURCE_FIELDS}


# What a one-click connection takes at creation: its tenant is bound only by the consent's proof.
SHARED_APP_FIELDS = frozenset({"protocol", "app", "display_name", "enabled", "domains", "entra_tenant_id", "scopes"})


def _create_shared(organization: str, body: dict) -> tuple[dict, str]:
    """A pending one-click connection and its admin consent URL (shared/signin/consent.py)."""
    shared = shared_app.configured()
    refused = sorted(set(body) - SHARED_APP_FIELDS)
    if refused:
        raise SsoError("invalid_field", f"A connection through the shared app has no {', '.join(refused)}: nothing is registered or pasted; "
                                        "the tenant's admin consents with the admin_consent_url this answers.")
    fields = connections.clean_fields("oidc", {k: v for k, v in body.items() if k != "app"})
    expected = fields.pop("entra_tenant_id", None)
    if expected == "organizations":
        raise v.invalid("entra_tenant_id", "the Directory (tenant) ID of the one tenant expected to consent (optional)")
    _check_domains(organization, fields)
    now = iso()
    doc = Connection(id=connections.new_id(), organization=organization, protocol="oidc", app="shared", display_name="Microsoft",
                     enabled=True, domains=[], created=now, updated=now, scopes=connections.DEFAULT_SCOPES, allowed_tenant_ids=[],
                     client_id=shared.client_id, **fields)
    saved = connections.insert(doc)
    if doc.domains:
        saved = _recheck_domains(saved)
    url = consent.request_consent(saved.doc, expected)
    events.record(organization, "connection.created", connection=doc.id, detail={"protocol": "oidc", "app": "shared"})
    return {**public_view(saved.doc), "admin_consent_url": url}, saved.etag


def _certificate_first(common: dict, fields: dict) -> Connection:
    """An OIDC connection whose first credential will be a certificate: `pending` with no
    credential until POST .../certificate makes one and .../certificate/activate proves it with
    Entra (shared/lifecycle/certificate_credentials.py); its tenant is checked now."""
    given = sorted({"client_secret", "client_secret_expires_on"} & set(fields))
    if given:
        raise SsoError("invalid_field", f"A connection created with `credential_type` certificate has no {', '.join(given)}: its credential is "
                                        "the certificate POST .../certificate makes. Drop them, or create it with a client secret instead.")
    doc = Connection(**{**common, "scopes": connections.DEFAULT_SCOPES, "allowed_tenant_ids": [], "credential_type": "certificate", **fields})
    _check_oidc(doc)
    return doc


def create(organization: str, body: dict) -> tuple[dict, str]:
    if body.get("app") == "shared" and body.get("protocol") == "oidc":
        return _create_shared(organization, body)
    if "app" in body and body.get("app") != "own":
        raise SsoError("invalid_field", "`app` is `shared` (the stamp's own multi-tenant app: one-click, protocol oidc) or `own` (your app registration).")
    credential_type = body.get("credential_type", "secret")
    body = {k: v for k, v in body.items() if k not in ("app", "credential_type")}
    protocol = body.get("protocol")
    if protocol not in connections.PROTOCOLS:
        raise SsoError("missing_field" if protocol is None else "invalid_field", "`protocol` must be `oidc` or `saml`.")
    fields = connections.clean_fields(protocol, body)
    _check_domains(organization, fields)
    connection_id = connections.new_id()
    now = iso()
    common = dict(id=connection_id, organization=organization, protocol=protocol, display_name=protocol.upper(),
                  enabled=True, domains=[], created=now, updated=now)
    if credential_type not in ("secret", "certificate") or (credential_type == "certificate" and protocol != "oidc"):
        raise v.invalid("credential_type", "`secret` (default) or `certificate` (OIDC only: the first credential is a certificate this service makes)")
    if protocol == "oidc" and credential_type == "certificate":
        doc = _certificate_first(common, fields)
    elif protocol == "oidc":
        secret = fields.pop("client_secret", None)
        doc = Connection(**{**common, "scopes": connections.DEFAULT_SCOPES, "allowed_tenant_ids": [], "credential_type": "secret", **fields})
        _check_oidc(doc)
        if secret is None or doc.client_secret_expires_on is None:
            raise SsoError("missing_field", "`client_secret` and `client_secret_expires_on` are required: copy the secret's Value and Expires date from Entra.")
        prove(doc, secret, "create")  # Entra accepts tenant, client id and secret together, or nothing is stored
        doc = doc.replace(client_secret_version=store_client_secret(connection_id, secret, doc.client_secret_expires_on))
    else:
        base = get_settings().public_base_url
        # No IdP yet is allowed: the connection is `pending` (its sp_entity_id and acs_url go into
        # Entra first) and refuses sign-ins until the metadata arrives by PATCH.
        doc = Connection(**{**common, "sp_entity_id": f"{base}/auth/sso/saml/{connection_id}", "attribute_mapping": {},
                            "allow_idp_initiated": False, "sign_authn_requests": False, **_without_idp_sources(fields),
                            "idp_metadata_url": None, "idp_entity_id": None, "idp_sso_url": None, "idp_certificates": []})
        doc = _resolve_saml_idp(doc, fields)
        connections.claim_sp_entity_id(doc.sp_entity_id, connection_id)
        doc = _ensure_sp_signing(doc)
    try:
        saved = connections.insert(doc)
    except SsoError:
        if protocol == "saml":
            connections.release_sp_entity_id(doc.sp_entity_id)
        raise
    if doc.domains:
        saved = _recheck_domains(saved)
    detail = {"protocol": protocol, **({"credential_type": "certificate"} if credential_type == "certificate" else {})}
    events.record(organization, "connection.created", connection=connection_id, detail=detail)
    return public_view(saved.doc), saved.etag


def update(stored: tables.Stored[Connection], body: dict, if_match: str | None) -> tuple[dict, str]:
    doc = stored.doc
    tables.check_if_match(if_match, stored.etag)
    fields = connections.clean_fields(doc.protocol, body)
    _check_domains(doc.organization, fields)
    if doc.app == "shared" and {"entra_tenant_id", "allowed_tenant_ids", "client_id", "client_secret", "client_secret_expires_on"} & set(fields):
        raise SsoError("invalid_field", "A one-click connection's tenant is bound only by its admin consent, and its app is the stamp's: "
                                        "change only display_name, enabled, domains or scopes; for another tenant create a new connection.")
    if doc.protocol == "oidc":
        secret = fields.pop("client_secret", None)
        doc = doc.replace(**fields)
        if secret is not None:
            raise SsoError("invalid_field", "Change the client secret with POST .../secret (it is checked against Entra before it becomes current).")
        if {"entra_tenant_id", "allowed_tenant_ids", "client_id"} & set(fields):
            _check_oidc(doc)
            if not awaits_certificate(doc):  # no credential yet: activating the first certificate proves it
                _prove_current_credential(doc)
    else:
        doc = doc.replace(**_without_idp_sources(fields))
        doc = _resolve_saml_idp(doc, fields)
        doc = _ensure_sp_signing(doc)
    before = stored.doc.sp_entity_id
    claimed = doc.protocol == "saml" and doc.sp_entity_id != before
    if claimed:
        connections.claim_sp_entity_id(doc.sp_entity_id, doc.id)
    try:
        saved = connections.save(doc, stored.etag)
    except Exception:  # a lost race (409) or an outage: the new entity id must not stay claimed by nobody
        if claimed:
            connections.release_sp_entity_id(doc.sp_entity_id)
        raise
    if fields.get("domains"):
        saved = _recheck_domains(saved)
    if doc.protocol == "saml" and saved.doc.sp_entity_id != before:
        connections.release_sp_entity_id(before)
    events.record(doc.organization, "connection.updated", connection=doc.id, detail={"fields": sorted(body)})
    return public_view(saved.doc), saved.etag


def _forget_as_default(organization: str, connection_id: str) -> None:
    """An org's default_connection names one of its existing connections: a deleted one is unset."""
    for _ in range(5):
        stored = organizations.get(organization)
        if stored is None or stored.doc.default_connection != connection_id:
            return
        try:
            organizations.save(stored.doc.replace(default_connection=None), stored.etag)
            return
        except SsoError as err:
            if err.code != "conflict":
                raise
    raise SsoError("conflict", "The organization kept changing while its default_connection was unset; delete again.")


def delete(stored: tables.Stored[Connection]) -> None:
    doc = stored.doc
    connections.delete(doc)
    connection_health.forget(doc.organization, doc.id)
    _forget_as_default(doc.organization, doc.id)
    for purpose in connections.SECRET_PURPOSES:
        secret_store.get_secret_store().delete_secret(connections.secret_name(doc.id, purpose))
    events.record(doc.organization, "connection.deleted", connection=doc.id)
