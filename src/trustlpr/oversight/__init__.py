"""Oversight: find misuse in Flock audit exports and in TrustLPR's own audit log."""
