"""``python -m bot sandbox``: Picket without Discord.

It starts the local Discord-compatible server on 127.0.0.1, seeds a demo server with an admin, an
organizer and fans, starts the real bot against it, and lets a person act as any member from a
terminal: type slash commands, press buttons, pick menu options, fill in forms, read DMs.
"""

from bot.sandbox._run import run_sandbox

__all__ = ["run_sandbox"]
