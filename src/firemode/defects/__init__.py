"""Defects found on assets, opened by hand or at a session's completion."""
