"""Offline-first results: the merge engine, the change log and the processing boundary."""
