"""Request body of the token exchange (`POST /api/sso/token`), JSON or form-encoded."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.platform.request_body import RequestBody


class TokenRequest(RequestBody):
    missing = {"code": "`code` is required: the one-time code your redirect URI received."}

    code: Annotated[str, Field(max_length=2048, description="The one-time `code` the redirect URI received (valid 60 s, once).")]
