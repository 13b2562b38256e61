"""The URL that starts a sign-in: send the user's browser there (302 or a link)."""
from __future__ import annotations

from urllib.parse import urlencode

MAX_STATE = 512
PROMPTS = ("login", "select_account", "consent", "none")


def sign_in_url(base_url: str, *, redirect_uri: str, state: str, connection: str | None = None, organization: str | None = None,
                email: str | None = None, login_hint: str | None = None, prompt: str | None = None) -> str:
    """`GET {base_url}/auth/sso/start` for exactly one of `connection`, `organization` (its default
    connection) or `email` (home realm discovery). `redirect_uri` must equal one of the org's
    `redirect_uris`; `state` (at most 512 characters) comes back with the code: keep it in the
    user's session and compare it in your callback."""
    targets = {name: value for name, value in (("connection", connection), ("organization", organization), ("email", email)) if value}
    if len(targets) != 1:
        raise ValueError("give exactly one of connection, organization or email")
    if len(state) > MAX_STATE:
        raise ValueError(f"state is longer than {MAX_STATE} characters")
    if prompt is not None and prompt not in PROMPTS:
        raise ValueError("prompt must be one of " + ", ".join(PROMPTS))
    params = {**targets, "redirect_uri": redirect_uri, "state": state}
    if login_hint:
        params["login_hint"] = login_hint
    if prompt:
        params["prompt"] = prompt
    return base_url.rstrip("/") + "/auth/sso/start?" + urlencode(params)
