"""Suara: a Telegram bot for ASN training feedback and citizen service complaints."""

__version__ = "0.1.0"
