"""Imports every table module so that metadata (and Alembic) sees the whole schema."""

from bot.storage import complaints, models, places, programs, questionnaires  # noqa: F401
