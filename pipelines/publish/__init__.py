"""Publish: audited marts -> a read-only release for BI tools."""
