"""Evidence files: sniffing, streaming upload reception, content-addressed storage, verification."""
