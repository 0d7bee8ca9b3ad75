"""A building's asset register: the fire equipment AS 1851 services, one row per item."""
