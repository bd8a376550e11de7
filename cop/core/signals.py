"""Signals features listen to, so core and accounts import no feature."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with sender=the user and session_id=... when a login session ends (logout).
login_session_ended = _signals.signal("login-session-ended")
