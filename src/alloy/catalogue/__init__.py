"""The movement catalogue: movements, benchmark circuits and the vocabulary they share."""
