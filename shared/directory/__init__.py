"""Directory sync: Entra provisions an organization's users and groups over SCIM 2.0 (issue 13)."""
