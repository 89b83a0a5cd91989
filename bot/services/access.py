"""Who may do what, computed once per update.

Roles live in the database: appointed admins (`staff.Admin`) and organizers of units
(`places.OrganizerUnit`); admins named in BOT_ADMIN_IDS are admins whatever the tables say and
can never be banned or dismissed. Training programs belong to a unit, so the organizers of a
unit manage its programs. Handlers declare what they need (bot/handlers/guards.py `requires`),
and records are checked with `Access.handles(unit_id)` when they are touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.storage.models import User
from bot.storage.places import units_of_organizer
from bot.storage.staff import appointed_admins, is_appointed_admin

ADMIN = "admin"
ORGANIZER = "organizer"
SYSTEM = "system"


class Need(Enum):
    """What a command or button requires of the person who uses it."""

    ANYONE = "anyone"  # citizens and ASN; records are checked against their owner
    ORGANIZER = "organizer"  # an organizer of at least one unit, or an admin
    ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    user_id: int
    admin: bool = False
    founding: bool = False  # named in BOT_ADMIN_IDS
    units: frozenset[int] = field(default_factory=frozenset)
    banned: bool = False
    role: str | None = None  # the self-declared citizen / asn
    command_line: bool = False  # the operator on the server (Access.system)

    @classmethod
    def system(cls) -> Access:
        """The command line on the server: admin power, audited as "system" (user id 0)."""
        return cls(user_id=0, admin=True, command_line=True)

    @property
    def organizer(self) -> bool:
        return self.admin or bool(self.units)

    @property
    def actor_role(self) -> str:
        """How the audit log names this person's power."""
        if self.command_line:
            return SYSTEM
        return ADMIN if self.admin else ORGANIZER

    def allows(self, need: Need) -> bool:
        if need is Need.ADMIN:
            return self.admin
        if need is Need.ORGANIZER:
            return self.organizer
        return True

    def handles(self, unit_id: int | None) -> bool:
        """Whether this person handles the complaints and programs of `unit_id`."""
        return self.admin or (unit_id is not None and unit_id in self.units)

    def unit_scope(self) -> list[int] | None:
        """The units this person handles; None means every unit (admin)."""
        return None if self.admin else sorted(self.units)


def is_founding_admin(settings: Settings, user_id: int) -> bool:
    return user_id in settings.bot_admin_ids


async def load(
    session: AsyncSession, settings: Settings, user_id: int, user: User | None
) -> Access:
    founding = is_founding_admin(settings, user_id)
    admin = founding or await is_appointed_admin(session, user_id)
    units = frozenset(await units_of_organizer(session, user_id))
    return Access(
        user_id=user_id,
        admin=admin,
        founding=founding,
        units=units,
        banned=bool(user and user.banned) and not admin,
        role=user.role if user else None,
    )


async def is_admin(session: AsyncSession, settings: Settings, user_id: int) -> bool:
    """For work outside an update (jobs, CLI): founding or appointed."""
    return is_founding_admin(settings, user_id) or await is_appointed_admin(session, user_id)


async def all_admins(session: AsyncSession, settings: Settings) -> list[int]:
    """Everyone with admin power: BOT_ADMIN_IDS, then the appointed ones."""
    appointed = [a.user_id for a in await appointed_admins(session)]
    return list(dict.fromkeys([*settings.bot_admin_ids, *appointed]))
