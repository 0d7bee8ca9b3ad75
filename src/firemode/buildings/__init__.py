"""Buildings whose fire equipment is tested."""
