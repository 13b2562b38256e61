"""Everything behind the HTTP triggers: settings, errors, records, protocols."""
