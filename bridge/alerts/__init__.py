"""Alerts for the agency (docs/alerts.md): a failing link, a refused credential, a guard stop, conflicts left waiting.

A pure core decides what to say and when (:mod:`.conditions` turns what a cycle or
a check saw into conditions, :mod:`.evaluate` rate-limits them against the stored
state); :mod:`.alerter` is the shell that keeps that state in the store, shared by
every daemon, and :mod:`.channels` sends by email and to a Slack-compatible webhook.
"""
