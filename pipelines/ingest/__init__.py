"""Ingest: landed files -> the raw schema of the warehouse."""
