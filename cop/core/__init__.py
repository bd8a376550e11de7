"""Pieces every feature shares. Imports no feature package."""
