"""Readiness: how the lifter recovered each day, and today's session adapted to it."""
