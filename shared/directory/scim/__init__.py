"""SCIM 2.0 as a protocol (RFC 7643/7644): parsing, validating, patching and shaping resources.
No storage here: shared/directory/ stores what this package has checked."""
