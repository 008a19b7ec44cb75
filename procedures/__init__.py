"""The procedure registry and the runtime that runs English scripts.

It knows English (the ``grammar`` package) and procedures, and nothing of
Twilio. Its registry and runtime are the subject of the next piece of work.
"""
