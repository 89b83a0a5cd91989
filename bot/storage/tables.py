"""Imports every table module so that metadata (and Alembic) sees the whole schema."""

from bot.storage import models  # noqa: F401
