"""The two ways a service says no, whichever door (chat, web, command line) called it.

A door catches `Refused` and renders `key` with `values` in the caller's language; it never
decides a refusal itself. `NotFound` is raised both for a record that does not exist and for
one the caller may not see, so that ids cannot be probed.
"""

from __future__ import annotations


class Refused(Exception):
    """A rule or the caller's powers said no; `key` and `values` make the text that says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class NotFound(Refused):
    """No such record, or not one of the caller's: the same answer for both."""

    def __init__(self, key: str = "access.denied", **values: object) -> None:
        super().__init__(key, **values)
