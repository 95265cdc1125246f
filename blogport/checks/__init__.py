"""The validation checks: each reads a loaded ``Context`` and returns findings."""
