"""The offline bundle: what a device needs before it loses signal."""
