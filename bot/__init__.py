"""Suara: a Telegram bot for ASN training feedback and citizen service complaints."""

import os

# python-telegram-bot 22 warns that RetryAfter.retry_after becomes a timedelta; opt in now
# (before telegram is imported), so a 429 is never a deprecation warning on the send path.
os.environ.setdefault("PTB_TIMEDELTA", "1")

__version__ = "0.1.0"
