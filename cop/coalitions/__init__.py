"""Coalitions, their memberships and coach assignments."""
