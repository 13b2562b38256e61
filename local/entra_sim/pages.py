"""The HTML the simulator shows a browser: the account picker that stands in for Entra's sign-in
screens, Entra's error page, and the auto-posting form of `response_mode=form_post`."""

from html import escape

from .aadsts import EntraError
from .directory import Tenant, User

_STYLE = ("body{font-family:Segoe UI,Helvetica,Arial,sans-serif;max-width:30em;margin:3em auto;"
          "color:#1b1b1b}button{display:block;width:100%;text-align:left;margin:.4em 0;"
          "padding:.6em;border:1px solid #8c8c8c;background:#fff;cursor:pointer}"
          "button.hint{border:2px solid #0067b8}small{color:#616161}"
          ".details{font-size:.85em;color:#616161;word-break:break-all}")


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")


def _hidden(fields: dict) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}" />'
                   for k, v in fields.items() if v is not None)


def account_picker(*, action: str, fields: dict, accounts: list[tuple[Tenant, User]],
                   login_hint: str | None, app_name: str) -> str:
    """One form; each account is a submit button carrying `username=<upn>`, so a click (or a
    test's POST) sends the original request parameters plus the chosen account."""
    ordered = sorted(accounts, key=lambda tu: not tu[1].signs_in_as(login_hint))
    marked = ' class="hint" autofocus'
    buttons = "".join(
        f'<button type="submit" name="username" value="{escape(user.upn)}"'
        f'{marked if user.signs_in_as(login_hint) else ""}>'
        f"{escape(user.name)}<br><small>{escape(user.preferred_username)} &middot; "
        f"{escape(tenant.name)}</small></button>"
        for tenant, user in ordered)
    return _page("Sign in to your account", (
        f"<h1>Pick an account</h1><p>to continue to {escape(app_name)}</p>"
        f'<form method="post" action="{escape(action)}">{_hidden(fields)}{buttons}</form>'
        "<p><small>Local Entra ID simulator: no password is asked.</small></p>"))


def error_page(err: EntraError, correlation_id: str) -> str:
    return _page("Sign in to your account", (
        "<h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.</p>"
        f"<p id=\"message\">{escape(err.message)}</p>"
        "<div class=\"details\"><p>Troubleshooting details</p>"
        f"<p>Request Id: {escape(err.trace_id)}<br>Correlation Id: {escape(correlation_id)}<br>"
        f"Timestamp: {escape(err.timestamp)}<br>Message: {escape(err.message)}</p></div>"))


def form_post(action: str, fields: dict) -> str:
    """Entra's `response_mode=form_post` answer: a form the browser submits at once."""
    return ('<html><head><title>Working...</title></head><body>'
            f'<form method="POST" name="hiddenform" action="{escape(action)}">{_hidden(fields)}'
            "<noscript><p>Script is disabled. Click Submit to continue.</p>"
            '<input type="submit" value="Submit" /></noscript></form>'
            '<script language="javascript">document.forms[0].submit();</script>'
            "</body></html>")
