"""Every text the bot sends is one Telegram accepts, whatever the user wrote.

Telegram refuses a message over 4,096 characters (counted in UTF-16 units) or with broken
HTML, and a refused message is simply lost. Texts are rendered whole, values escaped by the
translator, and then split here into as many messages as they need: at line ends where
possible, never inside a tag or an HTML entity, with the open tags closed at the end of one
part and opened again at the start of the next. So a long description is read in two
messages rather than cut, and a list of a hundred units arrives as several.
"""

from __future__ import annotations

import re

MAX_TEXT = 4096
MAX_CAPTION = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^>]*>")
_ENTITY_START = re.compile(r"&[#a-zA-Z0-9]*$")
_NEAR = 80  # how far back a cut looks for a space


def shorten(text: str, limit: int) -> str:
    """The user's text cut to `limit` characters *before* it is escaped, with "…", so that no
    tag or entity is ever cut in half."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """The text in parts of at most `limit` units, each valid HTML on its own."""
    if units(text) <= limit:
        return [text]
    return _Splitter(limit).run(text)


class _Splitter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.open_tags: list[tuple[str, str]] = []  # (name, the opening tag as written)
        self.current = ""

    def run(self, text: str) -> list[str]:
        position = 0
        for match in _TAG.finditer(text):
            self._text(text[position : match.start()])
            self._tag(match.group(0), match.group(2).lower(), closing=bool(match.group(1)))
            position = match.end()
        self._text(text[position:])
        self._flush()
        return self.parts

    def _closing(self) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(self.open_tags))

    def _room(self) -> int:
        return self.limit - units(self.current) - units(self._closing())

    def _flush(self) -> None:
        if _visible(self.current):
            self.parts.append(self.current + self._closing())
        self.current = "".join(tag for _, tag in self.open_tags)

    def _tag(self, tag: str, name: str, *, closing: bool) -> None:
        if closing:
            if self.open_tags and self.open_tags[-1][0] == name:
                self.open_tags.pop()
            self.current += tag
            return
        if units(tag) + len(f"</{name}>") > self._room():
            self._flush()
        self.current += tag
        self.open_tags.append((name, tag))

    def _text(self, text: str) -> None:
        for line in text.splitlines(keepends=True):
            while line:
                if units(line) <= self._room():
                    self.current += line
                    break
                if _visible(self.current) and (
                    units(line) <= self.limit // 2 or self._room() < _NEAR
                ):
                    self._flush()  # a line that does not fit starts the next part whole
                    continue
                cut = _safe_cut(line, max(self._room(), 1))
                self.current += line[:cut]
                line = line[cut:]
                self._flush()


def _safe_cut(piece: str, room: int) -> int:
    """How many characters of `piece` fit in `room` units: at a space when one is near, and
    never inside an entity such as &amp;."""
    used = cut = 0
    for index, char in enumerate(piece):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            break
        cut = index + 1
    cut = max(cut, 1)
    entity = _ENTITY_START.search(piece[:cut])
    if entity is not None:
        # Back to before the entity; or, when it starts the piece, past its end.
        cut = entity.start() or (piece.find(";") + 1 or cut)
    space = piece.rfind(" ", max(0, cut - _NEAR), cut)
    if space > 0 and cut < len(piece):
        cut = space + 1
    return cut


def _visible(part: str) -> bool:
    return bool(_TAG.sub("", part).strip())
