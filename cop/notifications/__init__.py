"""Notifications: one service every feature calls; in-app center, email, digests."""
