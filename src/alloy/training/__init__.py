"""Workout logs, estimated one-rep maxes, personal records, progress and load targets."""
