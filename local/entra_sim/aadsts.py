"""Entra's AADSTS errors: code, OAuth `error`, HTTP status and message, in Entra's wording.

Raised as `EntraError` anywhere in a request; the route decides where it lands: a JSON body
from the token and discovery endpoints, a redirect to a trusted redirect URI, or Entra's own
error page when the redirect URI can't be trusted."""

import datetime
import uuid

_ASSERTION_DOC = ("Review the documentation at https://docs.microsoft.com/en-us/azure/"
                  "active-directory/develop/active-directory-certificate-credentials .")

# code: (OAuth error, HTTP status, message template)
CATALOGUE = {
    50000: ("server_error", 500,
            "There was an error issuing a token or an issue with our sign-in service."),
    50011: ("invalid_request", 400,
            "The redirect URI '{redirect_uri}' specified in the request does not match the "
            "redirect URIs configured for the application '{client_id}'. Make sure the redirect "
            "URI sent in the request matches one added to your application in the Azure portal. "
            "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix "
            "this."),
    50027: ("invalid_request", 400, "JWT token is invalid or malformed."),
    50034: ("invalid_request", 400,
            "The user account {username} does not exist in the {tenant} directory. To sign into "
            "this application, the account must be added to the directory."),
    50058: ("login_required", 400,
            "A silent sign-in request was sent but no user is signed in."),
    50059: ("invalid_request", 400,
            "No tenant-identifying information found in either the request or implied by any "
            "provided credentials."),
    50105: ("access_denied", 400,
            "Your administrator has configured the application {app_name} ('{client_id}') to "
            "block users unless they are specifically granted ('assigned') access to the "
            "application. The signed in user '{username}' is blocked because they are not a "
            "direct member of a group with access, nor had access directly assigned by an "
            "administrator. Please contact your administrator to assign access to this "
            "application."),
    50149: ("invalid_request", 400, "Invalid Code_Challenge_method parameter."),
    50194: ("invalid_request", 400,
            "Application '{client_id}'({app_name}) is not configured as a multi-tenant "
            "application. Usage of the /common endpoint is not supported for such applications "
            "created after '10/15/2018'. Use a tenant-specific endpoint or configure the "
            "application to be multi-tenant."),
    54005: ("invalid_grant", 400,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token."),
    65001: ("invalid_grant", 400,
            "The user or administrator has not consented to use the application with ID "
            "'{client_id}' named '{app_name}'. Send an interactive authorization request for "
            "this user and resource."),
    70000: ("invalid_grant", 400, "The provided value for the 'code' parameter is not valid."),
    70003: ("unsupported_grant_type", 400,
            "The app requested an unsupported grant type '{grant_type}'."),
    70008: ("invalid_grant", 400,
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource."),
    75005: ("invalid_request", 400, "The request is not a valid Saml2 protocol message."),
    90002: ("invalid_tenant", 400,
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
            "are signing into the correct cloud. Check with your subscription administrator, "
            "this may happen if there are no active subscriptions for the tenant."),
    90033: ("temporarily_unavailable", 503, "A transient error has occurred. Please try again."),
    500112: ("invalid_client", 400,
             "The reply address '{redirect_uri}' does not match the reply address "
             "'{expected}' provided when requesting Authorization code."),
    500113: ("invalid_request", 400, "No reply address is registered for the application."),
    501481: ("invalid_grant", 400,
             "The Code_Verifier does not match the code_challenge supplied in the authorization "
             "request."),
    700016: ("unauthorized_client", 400,
             "Application with identifier '{client_id}' was not found in the directory "
             "'{tenant}'. This can happen if the application has not been installed by the "
             "administrator of the tenant or consented to by any user in the tenant. You may "
             "have sent your authentication request to the wrong tenant."),
    700021: ("invalid_client", 401,
             "Client assertion application identifier doesn't match 'client_id' parameter. "
             + _ASSERTION_DOC),
    700023: ("invalid_client", 401,
             "Client assertion audience claim does not match Realm issuer. " + _ASSERTION_DOC),
    700024: ("invalid_client", 401,
             "Client assertion is not within its valid time range. " + _ASSERTION_DOC),
    700027: ("invalid_client", 401, "{detail} " + _ASSERTION_DOC),
    700051: ("unsupported_response_type", 400,
             "The response_type '{response_type}' is not enabled for the application."),
    750054: ("invalid_request", 400,
             "SAMLRequest or SAMLResponse must be present as query string parameters in HTTP "
             "request for SAML Redirect binding."),
    900144: ("invalid_request", 400,
             "The request body must contain the following parameter: '{parameter}'."),
    1002012: ("invalid_scope", 400,
              "The provided value for scope {scope} is not valid. Client credential flows must "
              "have a scope value with /.default suffixed to the resource identifier "
              "(application ID URI)."),
    7000215: ("invalid_client", 401,
              "Invalid client secret provided. Ensure the secret being sent in the request is "
              "the client secret value, not the client secret ID, for a secret added to app "
              "'{client_id}'."),
    7000218: ("invalid_client", 401,
              "The request body must contain the following parameter: 'client_assertion' or "
              "'client_secret'."),
    7000222: ("invalid_client", 401,
              "The provided client secret keys for app '{client_id}' are expired. Visit the "
              "Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or "
              "consider using certificate credentials for added security: "
              "https://aka.ms/certCreds."),
    9002325: ("invalid_request", 400,
              "Proof Key for Code Exchange is required for cross-origin authorization code "
              "redemption."),
}


class _Blank(dict):
    """Leaves a placeholder the caller had no value for readable instead of failing."""

    def __missing__(self, key):
        return ""


class EntraError(Exception):
    def __init__(self, code: int, *, error: str | None = None, **params):
        default_error, self.status, template = CATALOGUE[code]
        self.code = code
        self.error = error or default_error
        self.message = f"AADSTS{code}: " + template.format_map(_Blank(params)).strip()
        self.trace_id = str(uuid.uuid4())
        self.timestamp = datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%SZ")
        super().__init__(self.message)

    def description(self, correlation_id: str) -> str:
        # Entra appends the ids and time to every description, CRLF separated.
        return (f"{self.message}\r\nTrace ID: {self.trace_id}\r\n"
                f"Correlation ID: {correlation_id}\r\nTimestamp: {self.timestamp}")

    def body(self, authority: str, correlation_id: str) -> dict:
        """The JSON body of the token and discovery endpoints."""
        return {"error": self.error, "error_description": self.description(correlation_id),
                "error_codes": [self.code], "timestamp": self.timestamp,
                "trace_id": self.trace_id, "correlation_id": correlation_id,
                "error_uri": f"{authority}/error?code={self.code}"}
