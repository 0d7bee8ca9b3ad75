"""Test sessions: who tests which building, their lifecycle, and who may see them."""
