"""Users, roles, invitations, sessions and API tokens."""
