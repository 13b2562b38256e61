"""One Blueprint per module; each handler parses, calls shared/, shapes the response."""
