"""Background workers of the orders service."""
