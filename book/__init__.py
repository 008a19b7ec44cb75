"""The Twilio book: concepts, connection, client, planner, sandbox, procedures and the ``book`` command.

It stands on ``procedures`` (registry and runtime), which stands on ``grammar``.
"""
