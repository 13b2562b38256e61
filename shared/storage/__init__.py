"""Records in Azure Table Storage (Azurite locally). See tables.py for the entity layout."""
