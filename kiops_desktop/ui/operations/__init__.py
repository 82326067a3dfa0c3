"""The operations dialog and its tabs (one module per tab)."""
