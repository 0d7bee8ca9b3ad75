"""Programs and their sessions: created in one transaction from the generator's plan."""
