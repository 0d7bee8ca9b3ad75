"""Service records: what a completed session did to each asset, kept immutable."""
