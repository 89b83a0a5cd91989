"""Imports every table module so that metadata (and Alembic) sees the whole schema."""

from bot.storage import (  # noqa: F401
    audit,
    certificates,
    complaints,
    digests,
    job_leases,
    models,
    places,
    programs,
    public,
    questionnaires,
    staff,
    web,
    websec,
)
