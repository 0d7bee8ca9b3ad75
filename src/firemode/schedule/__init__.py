"""The routine service schedule: when each asset's routines were last done and are next due."""
