"""Telegram in and out only: parse the update, call a service, render a reply.

The order of registration is the order of matching; it is kept in one place, here.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers import (
    admin,
    audit,
    certificates,
    common,
    complaint_closure,
    complaint_flow,
    complaint_status,
    digest,
    edits,
    errors,
    feedback,
    flow,
    guards,
    organizer,
    privacy,
    programs,
    questionnaire,
    reports,
    staff,
    start,
    unit_blocks,
    units,
    web,
    whoami,
)


def register_all(application: Application) -> None:
    guards.register(application)
    edits.register(application)
    start.register(application)
    whoami.register(application)
    privacy.register(application)
    flow.register(application)
    questionnaire.register(application)
    staff.register(application)
    admin.register(application)
    units.register(application)
    audit.register(application)
    complaint_flow.register(application)
    complaint_status.register(application)
    complaint_closure.register(application)
    organizer.register(application)
    unit_blocks.register(application)
    feedback.register(application)
    programs.register(application)
    certificates.register(application)
    digest.register(application)
    reports.register(application)
    web.register(application)
    common.register(application)
    common.register_fallbacks(application)
    errors.register(application)
