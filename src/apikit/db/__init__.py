"""Database machinery: portable types, the declarative base, engines and the unit of work."""
