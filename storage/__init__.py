"""Saved results (the Share button's): their store, on SQLite or PostgreSQL (storage.results)."""
