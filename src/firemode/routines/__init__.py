"""AS 1851 routine services per asset type and frequency, as versioned data."""
