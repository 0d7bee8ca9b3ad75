"""FireMode's users, tokens and roles."""
