"""Connecting to a tool and staying connected: authorized tokens, kept sealed in the state store and renewed.

See docs/connect.md. ``credential`` is the token set, ``sealing`` encrypts it with the user's key,
``vault`` keeps it in the store (one refresher at a time across daemons), ``renewing`` hands the
current token to the HTTP layer, and ``flows`` runs the interactive authorization of ``pm-bridge connect``.
"""
