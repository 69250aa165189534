"""Use cases: each opens a unit of work, applies the rules, commits and returns plain read-only data."""
