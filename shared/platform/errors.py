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
    "connection_pending": ErrorSpec(400, "The SAML connection has no IdP metadata yet; add it with PATCH /api/organizations/{org}/connections/{connection}: `idp_metadata_url` = the enterprise app's App Federation Metadata Url from Entra."),
    "connection_test_failed": ErrorSpec(400, "A check of the connection failed before any sign-in; fix what each failed check in `checks` says, then test again."),
    "connection_disabled": ErrorSpec(400, "The connection is disabled; enable it or use another connection."),
    # Sign-in flow: start, callback/ACS, token exchange (shared/signin/start.py, shared/signin/logins.py)
    "unknown_organization": ErrorSpec(404, "This stamp holds no such organization; check the organization slug and the region's URL."),
    "unknown_connection": ErrorSpec(400, "No such connection; check the connection id in the admin API."),
    "no_sso_connection": ErrorSpec(400, "The organization has no enabled SSO connection; create one or set `default_connection`."),
    "sso_not_allowed": ErrorSpec(400, "The organization does not allow SSO sign-in; add `sso` to its `allowed_sign_in_methods`."),
    "invalid_redirect_uri": ErrorSpec(400, "`redirect_uri` must exactly equal one of the organization's `redirect_uris`; add it with PATCH /api/organizations/{org}."),
    "invalid_state": ErrorSpec(400, "This sign-in response is unknown or was already used; start the sign-in again from the application."),
    "login_expired": ErrorSpec(400, "The sign-in took longer than 10 minutes; start it again from the application."),
    "saml_assertion_replayed": ErrorSpec(400, "This SAML assertion was already used; start the sign-in again from the application."),
    "invalid_grant": ErrorSpec(400, "The code is unknown, expired (60 s), already used, or belongs to another organization; start a new sign-in."),
    # What the app's redirect URI gets for any failure that was not the sign-in's fault (Entra's
    # server_error / temporarily_unavailable, its token endpoint or our storage unreachable)
    "temporarily_unavailable": ErrorSpec(503, "The sign-in could not be completed because Entra or this service was briefly unavailable; nothing was lost. Start the sign-in again."),
    # OIDC: ID-token checks (shared/oidc/id_token.py, shared/oidc/entra_id_token.py)
    "id_token_malformed": ErrorSpec(400, "The ID token is not a well-formed signed JWT; check that the connection points at Entra's v2.0 endpoints."),
    "id_token_unsupported_alg": ErrorSpec(400, "The ID token is not signed with RS256, the only algorithm accepted; Entra signs with RS256, so the token did not come from Entra."),
    "id_token_unknown_key": ErrorSpec(400, "The ID token is signed with a key the tenant does not publish; if the app registration uses custom signing keys (claims mapping), remove them."),
    "id_token_invalid_signature": ErrorSpec(400, "The ID token signature does not verify against the tenant's published keys; the token was altered or not issued by Entra."),
    "id_token_wrong_issuer": ErrorSpec(400, "The ID token was issued for another tenant or authority; check the connection's Entra tenant ID."),
    "id_token_wrong_tenant": ErrorSpec(400, "The user signed in to another Entra tenant than the connection's; check the connection's Entra tenant ID and that the app registration is single-tenant."),
    "tenant_not_allowed": ErrorSpec(400, "The user's Entra tenant is not in the connection's allowed_tenant_ids; add it if that organization should sign in."),
    "id_token_wrong_audience": ErrorSpec(400, "The ID token was issued to another application; check the connection's client ID (Application (client) ID in Entra)."),
    "id_token_expired": ErrorSpec(400, "The ID token has expired; sign in again, and check that this server's clock is right."),
    "id_token_not_yet_valid": ErrorSpec(400, "The ID token is not valid yet; check that this server's clock is right."),
    "id_token_nonce_mismatch": ErrorSpec(400, "The ID token does not belong to this sign-in (nonce mismatch); start the sign-in again."),
    "id_token_missing_claim": ErrorSpec(400, "The ID token lacks a claim sign-in needs; check the app registration's token configuration."),
    # OIDC: the authorize redirect and the token endpoint (shared/oidc/entra_errors.py, shared/oidc/entra_client.py)
    "invalid_callback": ErrorSpec(400, "The sign-in response does not match the sign-in that was started; start the sign-in again."),
    "redirect_uri_mismatch": ErrorSpec(400, "Register this service's callback URL as a Web redirect URI of the app registration in Entra."),
    "invalid_client_secret": ErrorSpec(400, "Entra refused the client secret; paste the secret's Value (not its Secret ID) from Certificates & secrets in Entra."),
    "client_secret_expired": ErrorSpec(400, "The client secret has expired in Entra; create a new one and rotate it here."),
    "invalid_client_certificate": ErrorSpec(400, "Entra refused the client certificate; upload this certificate to the app registration under Certificates & secrets in Entra."),
    "user_not_assigned": ErrorSpec(400, "The user is not assigned to the application in Entra; assign the user or a group under Enterprise applications > Users and groups, or turn off 'Assignment required'."),
    "consent_required": ErrorSpec(400, "The application has not been consented to in this tenant; have an Entra admin grant admin consent for the app registration's permissions."),
    "application_not_found": ErrorSpec(400, "Entra has no application with this client ID in the tenant; check the client ID, and for a multi-tenant app that it has been consented in the user's tenant."),
    "access_denied": ErrorSpec(400, "The user cancelled the sign-in or declined consent; sign in again."),
    "interaction_required": ErrorSpec(400, "Entra needs the user to interact (MFA, terms of use or a fresh sign-in); sign in again without prompt=none."),
    "idp_error": ErrorSpec(400, "Entra refused the sign-in; look up the AADSTS code in the message in Microsoft's error code reference."),
    # Sign-in policy and domains (shared/policy/domains.py, shared/policy/dns_verification.py, shared/policy/sign_in_policy.py, shared/policy/invitations.py)
    "consumer_domain": ErrorSpec(400, "This is a consumer email domain (outlook.com, gmail.com, ...) that no organization owns; claim a domain your organization controls."),
    "domain_not_verified": ErrorSpec(400, "The DNS TXT record was not found; publish the `txt_record` the claim returned (name and exact value), wait for DNS to update, and verify again."),
    "domain_unverified": ErrorSpec(400, "A connection's `domains` lists only the organization's verified domains; claim the domain (POST .../domains), publish its TXT record and verify it first."),
    "domain_taken": ErrorSpec(409, "Another organization has already verified this domain; a domain belongs to one organization. It must delete its claim first."),
    "dns_unavailable": ErrorSpec(503, "The DNS lookup failed (timeout or server failure); nothing was changed. Retry shortly."),
    "policy_locks_out": ErrorSpec(400, "This sign-in policy requires SSO for everyone and leaves no password way in; add at least one admin email to `break_glass_emails`."),
    "user_not_invited": ErrorSpec(400, "This organization admits invited users only; ask its administrator to invite your email (POST /api/organizations/{org}/invitations), and sign in with an account whose email is on the organization's verified domains."),
    # Credential lifecycle: secret rotation and rollback, certificate credentials (shared/lifecycle/credential_rotation.py, shared/lifecycle/certificate_credentials.py)
    "not_oidc_connection": ErrorSpec(400, "Only an OIDC connection has a client secret or certificate credential; a SAML connection's IdP signing certificates come from its metadata."),
    "client_secret_unchanged": ErrorSpec(400, "This is already the connection's current client secret; create a new client secret in Entra (Certificates & secrets) and send its Value and Expires date."),
    "rollback_unavailable": ErrorSpec(409, "There is no previous credential to restore, or it was replaced more than 7 days ago; rotate in a new client secret instead."),
    "no_pending_certificate": ErrorSpec(409, "No certificate is waiting for activation; create one with POST .../certificate, upload it to the app registration in Entra, then activate it."),
    # SAML (shared/saml/): the ACS's checks of a response, each saying what to change in Entra or in the connection
    "saml_malformed": ErrorSpec(400, "The SAML response is not a well-formed SAML 2.0 Response; start the sign-in again, and if it persists check the enterprise app's SAML settings in Entra."),
    "saml_response_too_large": ErrorSpec(413, "The SAML response is larger than 512 KiB; reduce the claims the enterprise app sends (e.g. emit groups assigned to the application only)."),
    "saml_dtd_forbidden": ErrorSpec(400, "The SAML response contains a DOCTYPE or entity declarations, which are never accepted; Entra does not send them, so the response did not come from Entra."),
    "saml_signature_invalid": ErrorSpec(400, "The SAML response's signature does not verify against the connection's IdP certificates; if Entra's SAML signing certificate changed, update the connection (or use the metadata URL, which is refreshed daily)."),
    "saml_assertion_unsigned": ErrorSpec(400, "The assertion is not signed; set the enterprise app's Signing Option in Entra to 'Sign SAML assertion' or 'Sign SAML response and assertion'."),
    "saml_deprecated_algorithm": ErrorSpec(400, "The response is signed with SHA-1, which is refused; set the enterprise app's Signing Algorithm in Entra to SHA-256."),
    "saml_encrypted_assertion": ErrorSpec(400, "The assertion is encrypted and entra-sso holds no decryption key; turn off Token encryption for the enterprise app in Entra."),
    "saml_multiple_assertions": ErrorSpec(400, "The SAML response must carry exactly one assertion; Entra sends one, so the response was altered."),
    "saml_issuer_mismatch": ErrorSpec(400, "The response was issued by another IdP than the connection's; check that the connection's IdP entity id is the app's Microsoft Entra Identifier (https://sts.windows.net/<tenant id>/)."),
    "saml_audience_mismatch": ErrorSpec(400, "The assertion is for another application; set the Identifier (Entity ID) of the enterprise app in Entra to the connection's sp_entity_id."),
    "saml_destination_mismatch": ErrorSpec(400, "The response was addressed to another URL; set the Reply URL (Assertion Consumer Service URL) in Entra to exactly the connection's acs_url."),
    "saml_recipient_mismatch": ErrorSpec(400, "The assertion was issued for another URL; set the Reply URL (Assertion Consumer Service URL) in Entra to exactly the connection's acs_url."),
    "saml_expired": ErrorSpec(400, "The SAML response has expired; sign in again, and if it repeats check that this server's clock is right."),
    "saml_not_yet_valid": ErrorSpec(400, "The SAML response is not valid yet; check that this server's clock is right."),
    "saml_in_response_to_mismatch": ErrorSpec(400, "The SAML response does not answer the sign-in request this browser started; start the sign-in again from the application."),
    "saml_unsolicited_response": ErrorSpec(400, "IdP-initiated sign-in (from My Apps) is off for this connection; start the sign-in from the application, or set allow_idp_initiated on the connection."),
    "saml_name_id_missing": ErrorSpec(400, "The assertion has no NameID; set the enterprise app's Unique User Identifier (Name ID) in Entra to an attribute every user has, e.g. user.userprincipalname."),
    "saml_status_error": ErrorSpec(400, "Entra refused the sign-in; look up the AADSTS code in Microsoft's error code reference and fix the enterprise app's SAML configuration."),
    # Directory sync (shared/directory/): SCIM refusals answer SCIM's own error shape (scimType); these are ours
    "scim_token_expired": ErrorSpec(401, "The directory's Secret Token has expired; issue a new one with POST /api/organizations/{org}/directories/{directory}/token and paste it into Entra (Provisioning > Admin Credentials > Secret Token)."),
    "user_deprovisioned": ErrorSpec(400, "This user was deactivated or removed in the organization's Entra directory (or was never provisioned to it); ask the organization's IT team to assign the user to the application in Entra and wait for provisioning."),
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
