"""Repositories: each turns the domain's questions into a few Core statements on one connection."""
