"""The workspace's questionnaire editor: a draft's page, one change per post, the preview as
the chat asks it, publishing, and making a new form (a copy, or empty).

Thin as every route: each loads the caller afresh, calls one service of
bot/services/questionnaire_editor.py (which refuses the caller itself: another unit's form is
"not found") and renders. A change is posted, then the page is fetched again (PRG); a refused
change shows the page with the reason (400) and nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.i18n import Translator
from bot.services import questionnaire_editor as editor
from bot.services.access import Access
from bot.services.errors import NotFound, Refused
from bot.services.question_face import question_face
from bot.services.questionnaires import Item, Template
from bot.storage.programs import MODES
from bot.web.auth import WebSession, same_token, signed_in

if TYPE_CHECKING:
    from bot.web.app import WebDoor

FIELDS = (
    "text_id", "text_en", "hint_id", "hint_en", "words_id", "words_en", "kind", "role",
    "required", "per_instructor", "title_id", "title_en", "when", "mode", "answer",
)  # fmt: skip
DONE = (
    "add", "edit", "up", "down", "delete", "title", "publish", "unchanged", "new", "condition",
)  # fmt: skip


class EditorPages:
    """The editor's routes, registered by WebDoor.routes() in one line."""

    def __init__(self, door: WebDoor) -> None:
        self.door = door

    def routes(self) -> list[BaseRoute]:
        one = "/kuesioner/{code}"
        return [
            Route("/kuesioner/baru", self.create, methods=["POST"]),
            Route(f"{one}/ubah", self.page, methods=["GET"]),
            Route(f"{one}/ubah", self.change, methods=["POST"]),
            Route(f"{one}/pratinjau", self.preview, methods=["GET"]),
            Route(f"{one}/terbitkan", self.publish, methods=["POST"]),
            Route(f"{one}/buang", self.confirm_discard, methods=["GET"]),
            Route(f"{one}/buang", self.discard, methods=["POST"]),
        ]

    @signed_in
    async def page(self, request: Request, session: WebSession) -> Response:
        """The draft (or the latest version, before the first change), item by item."""
        done = str(request.query_params.get("done", ""))
        return await self._page(session, _code(request), done=done if done in DONE else "")

    async def _page(
        self, session: WebSession, code: str, *, error: str = "", done: str = "", status: int = 200
    ) -> Response:
        door = self.door
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                editing = await editor.load(db, caller, code)
            except Refused as exc:
                return door.refusal(t, session, exc)
        questions = editing.questions
        return door.render(
            "questionnaire_editor.html",
            t,
            session,
            status=status,
            editing=editing,
            questions=questions,
            kinds=editor.KINDS,
            roles=editor.ROLES,
            modes=MODES,
            admin=caller.admin,
            error=error,
            done=done,
            conditions=[_condition_of(t, questions, index) for index in range(len(questions))],
        )

    @signed_in
    async def change(self, request: Request, session: WebSession) -> Response:
        """One change of the draft: add, edit, move up or down, delete, the title."""
        form = await self.door.form(request)
        step = editor.Change(
            action=str(form.get("action") or "")[:16],
            index=_index(form),
            fields={name: str(form.get(name) or "")[:4000] for name in FIELDS},
        )

        async def act(db: AsyncSession, caller: Access) -> str:
            await editor.change(db, caller, _code(request), step)
            return step.action

        return await self._draft_post(request, session, form, act)

    @signed_in
    async def publish(self, request: Request, session: WebSession) -> Response:
        """The draft as the next version (an admin may make it shared)."""
        form = await self.door.form(request)

        async def act(db: AsyncSession, caller: Access) -> str:
            shared = form.get("shared") == "1"
            stored = await editor.publish(db, caller, _code(request), shared=shared)
            return "publish" if stored.new else "unchanged"

        return await self._draft_post(request, session, form, act)

    async def _draft_post(
        self,
        request: Request,
        session: WebSession,
        form: FormData,
        act: Callable[[AsyncSession, Access], Awaitable[str]],
    ) -> Response:
        """A post that changes the draft: the CSRF token checked, `act` (one service call)
        committed and the editor shown with what was done, or the editor again with the
        service's refusal in words (a caller refused is answered as the door answers)."""
        door = self.door
        code = _code(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            try:
                done = await act(db, caller)
            except Refused as exc:
                if _refuses_caller(exc):
                    return door.refusal(t, session, exc)
                await db.rollback()
                error = t(exc.key, **exc.values)
            else:
                await db.commit()
                return RedirectResponse(f"/kuesioner/{code}/ubah?done={done}", 303)
        return await self._page(session, code, error=error, status=400)

    @signed_in
    async def confirm_discard(self, request: Request, session: WebSession) -> Response:
        """What discarding the draft loses and keeps, and the button that does it."""
        door = self.door
        code = _code(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            try:
                editing = await editor.load(db, caller, code)
            except Refused as exc:
                return door.refusal(t, session, exc)
        if not editing.drafted:
            message = Markup(t("editor2.no_draft", code=code))
            return door.render("message.html", t, session, status=400, message=message)
        return door.render(
            "questionnaire_discard.html", t, session, editing=editing, done_message=""
        )

    @signed_in
    async def discard(self, request: Request, session: WebSession) -> Response:
        """The draft thrown away (the published versions stay): what happened, in words."""
        door = self.door
        code = _code(request)
        form = await door.form(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            try:
                done = await editor.discard(db, caller, code)
            except Refused as exc:
                if _refuses_caller(exc):
                    return door.refusal(t, session, exc)
                await db.rollback()
                message = Markup(t(exc.key, **exc.values))
                return door.render("message.html", t, session, status=400, message=message)
            await db.commit()
        key, values = done.notice()
        return door.render(
            "questionnaire_discard.html",
            t,
            session,
            editing=None,
            code=code,
            done_message=Markup(t(key, **values)),
        )

    @signed_in
    async def create(self, request: Request, session: WebSession) -> Response:
        """A new form of the caller's unit: a copy of a form they see, or empty."""
        door = self.door
        form = await door.form(request)
        code = str(form.get("code") or "")[:64]
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            if not same_token(str(form.get("csrf") or ""), session.csrf):
                return door.csrf_refused(t, session)
            try:
                draft = await editor.copy_form(
                    db,
                    caller,
                    source=str(form.get("source") or "")[:64],
                    code=code,
                    unit_id=_number(str(form.get("unit") or "")),
                )
            except Refused as exc:
                if _refuses_caller(exc):
                    return door.refusal(t, session, exc)
                await db.rollback()
                message = Markup(t(exc.key, **exc.values))
                return door.render("message.html", t, session, status=400, message=message)
            await db.commit()
        return RedirectResponse(f"/kuesioner/{draft.code}/ubah?done=new", 303)

    @signed_in
    async def preview(self, request: Request, session: WebSession) -> Response:
        """Each item as the chat asks it: the same text and the same button words."""
        door = self.door
        code = _code(request)
        async with door.core.db.session() as db:
            caller, t = await door.caller_of(db, session)
            template: Template | None = None
            try:
                template = await editor.preview(db, caller, code)
            except NotFound as exc:
                return door.refusal(t, session, exc)
            except Refused as exc:
                error = t(exc.key, **exc.values)
        if template is None:
            # The editor's page, with why there is nothing to preview yet (its own session).
            return await self._page(session, code, error=error, status=400)
        questions = [question.model_dump(mode="json") for question in template.questions]
        when = [Markup(editor.condition_words(t, item, questions)) for item in questions]
        faces = [
            (text, buttons, words)
            for (text, buttons), words in zip(_faces(t, template), when, strict=True)
        ]
        return door.render("questionnaire_preview.html", t, session, code=code, faces=faces)


def _faces(t: Translator, template: Template) -> list[tuple[Markup, list[str]]]:
    """The chat's message (its own HTML, catalog texts with escaped values) and buttons."""
    example = t("editor.instructor_example")
    total = len(template.questions)
    shown: list[tuple[Markup, list[str]]] = []
    for number, question in enumerate(template.questions, start=1):
        item = Item(question, 0, example) if question.per_instructor else Item(question)
        face = question_face(
            t, item, title=template.title(t.language), number=number, total=total, values={}
        )
        shown.append((Markup(face.text), [label for label, _ in face.answers]))
    return shown


@dataclass(frozen=True)
class ConditionControl:
    """An item's condition control: what is selected, the earlier answers it may name
    (grouped by item), and the condition in words."""

    selected: dict[str, str]
    answers: list[tuple[str, list[tuple[str, str]]]]
    words: Markup


def _condition_of(t: Translator, questions: list[dict[str, Any]], index: int) -> ConditionControl:
    item = questions[index]
    return ConditionControl(
        selected=editor.condition_form(item),
        answers=editor.condition_choices(t, questions, index),
        words=Markup(editor.condition_words(t, item, questions)),
    )


def _refuses_caller(refusal: Refused) -> bool:
    """Not found, or not for this person (403/404); any other refusal is about the input and
    shows the page again with the reason (400)."""
    return isinstance(refusal, NotFound) or refusal.key.startswith("access.")


def _code(request: Request) -> str:
    return str(request.path_params["code"])[:32]


def _index(form: FormData) -> int | None:
    return _number(str(form.get("index") or ""))


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
