"""Identity and access: passwords, tokens, revocation, roles, audit."""
