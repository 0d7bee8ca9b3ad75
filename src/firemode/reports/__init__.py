"""Compliance reports: a building's period, what was done and what is outstanding, as JSON and PDF."""
