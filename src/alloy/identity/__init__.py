"""Alloy's users, tokens, roles and two-factor authentication."""
