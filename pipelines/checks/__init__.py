"""Checks: the Great Expectations gates between stages."""
