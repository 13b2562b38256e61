"""The SP metadata of a connection (served at /auth/sso/saml/{connection}/metadata): what Entra's
"Upload metadata file" reads to fill in the Identifier and the Reply URL."""
from __future__ import annotations

from shared.saml.connection import SamlConnection
from shared.saml.sp_settings import toolkit_settings


def sp_metadata_xml(config: SamlConnection, base_url: str) -> bytes:
    settings = toolkit_settings(config, base_url, sp_only=True)  # a pending connection has its SP metadata too
    metadata = settings.get_sp_metadata()
    errors = settings.validate_metadata(metadata)
    if errors:  # the toolkit built it from our own settings: a bug, not bad input
        raise RuntimeError(f"python3-saml built invalid SP metadata: {errors}")
    return metadata if isinstance(metadata, bytes) else metadata.encode("utf-8")
