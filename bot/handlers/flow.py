"""Multi-step flows over the `flow_states` table: each step one object that asks its question,
takes a button, takes a message and validates the answer.

A flow declares its steps in order and the draft they fill (a pydantic model, so a draft read
back from the database is typed and checked). After every answer the engine stores the step and
the draft in the update's transaction, so a restart or another worker continues the user at the
same step. Every flow button (`FlowStep`) is checked against the stored flow and step here, once
for all flows: a button from an earlier step, another flow or a finished one is "no longer
valid". Moving on follows the declared order and skips steps the draft already answers.

A user may have several flows at once, one row each: starting or continuing one puts the
active one aside, and the user is told how to get back to it (`Flow.kept`, or the text
`flows.kept_<name>`); when a flow ends, the user is reminded of the ones still waiting.

A flow may number its questions ("Langkah 4 dari 7", `Flow(counted=...)`): the engine counts
from the flow's own steps, not the texts. A step is numbered when it is asked; the count runs
over the counted steps the user was asked (remembered with the state) and those ahead in the
declared order the draft does not answer yet, so a step skipped because the draft answers it
(a description given before the flow began) is left out of both, and going back to change an
answer shows that step's place among all of them.

The flow remembers which of the user's messages each step took (`Turn.taken`), so that an
edited message is a correction: the step that took it takes the new text, and the user stays
where they are. An edit of another message, while the step waits for a written answer, is that
answer (`Flow.on_edit`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.buttons import FlowStep
from bot.context import SuaraContext
from bot.handlers.requires import requires
from bot.i18n import Safe
from bot.keyboards import keyboard
from bot.services.access import Need
from bot.storage import flows
from bot.storage.models import FlowState

log = logging.getLogger(__name__)

# What a step returns: the name of the step to go to, or one of these.
NEXT = "<next>"  # the following step in the declared order
STAY = "<stay>"  # keep the step, store the draft (another file received, another page shown)
END = "<end>"  # the flow is over: its state is removed
HANDED_OVER = "<handed over>"  # the step started another flow (or ended this one) itself

D = TypeVar("D", bound=BaseModel)
TAKEN_KEPT = 20  # messages remembered per flow for corrections


class Invalid(Exception):
    """The answer is refused; the user is told `key` (a reply to a message, an alert on a
    button) and stays where they are."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class Stale(Exception):
    """The button's value means nothing at this step (forged, or from an older layout)."""


@dataclass
class Turn(Generic[D]):
    """One answer being handled: the update, the stored draft and where the user is."""

    update: Update
    context: SuaraContext
    flow: Flow[D]
    draft: D
    step: str
    ref: int = 0
    # Where the user was when the button was pressed (a flow may accept buttons of another
    # step, see Flow.accepts); empty for a message.
    stored: str = ""
    # The user's messages the flow took: message id -> the step's mark (Step.mark).
    taken: dict[str, str] = field(default_factory=dict)
    # The counted steps (Flow.counted) the user has been asked, for the step counter.
    visited: list[str] = field(default_factory=list)

    @property
    def t(self) -> Any:
        return self.context.t

    @property
    def user_id(self) -> int:
        assert self.update.effective_user is not None
        return self.update.effective_user.id

    def reply(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        self.context.reply(self.update, text, markup)

    def numbered(self, question: str) -> str:
        """The question with the step counter before it ("Langkah 4 dari 7."), when the flow
        counts this step; as it is otherwise."""
        position = self.flow.position(self)
        if position is None:
            return question
        n, total = position
        return str(self.t("flow.step_counter", n=n, total=total, question=Safe(question)))

    def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replaces the pressed message (a reply, when the answer was a message)."""
        self.context.edit(self.update, text, markup)

    def button(self, label: str, value: str, *, step: str | None = None) -> tuple[str, FlowStep]:
        """A button answering this step (or `step`) of this flow."""
        return label, FlowStep(
            flow=self.flow.code, step=step or self.step, value=value, ref=self.ref
        )


class Step(Generic[D]):
    """One question of a flow. Subclasses set `name` and override what the step takes."""

    name: str = ""

    async def ask(self, turn: Turn[D]) -> None:
        raise NotImplementedError

    async def on_button(self, turn: Turn[D], value: str) -> str:
        raise Stale

    async def on_message(self, turn: Turn[D], message: Message) -> str:
        """By default a message is not an answer: the user is told what this step needs (or,
        without a text of the step's own, to use the buttons)."""
        key = turn.flow.expected or f"{turn.flow.name}.expected_{self.name}"
        raise Invalid(key if turn.t.has(key) else "flow.use_buttons")

    def answered(self, draft: D) -> bool:
        """True when moving forward may skip this step (the draft has its answer already)."""
        return False

    async def waits_for_text(self, turn: Turn[D]) -> bool:
        """Whether the step takes a written answer (an edited message may then be it): by
        default, whether it takes messages at all."""
        return type(self).on_message is not Step.on_message

    def mark(self, turn: Turn[D]) -> str:
        """What to remember of the step with a message it takes, to correct it later."""
        return self.name

    async def on_correction(self, turn: Turn[D], message: Message, detail: str) -> None:
        """The message this step took was edited: the draft takes the new text (`detail`:
        what `mark` added). The user stays where they are."""
        await self.on_message(turn, message)


class SkippableStep(Step[D]):
    """A question the user may answer by writing, or skip with a button."""

    question = ""  # text key of the question
    skipped = ""  # text key the question is replaced with when skipped
    after_skip = NEXT

    async def ask(self, turn: Turn[D]) -> None:
        t = turn.t
        turn.reply(t(self.question), keyboard([[turn.button(t("common.skip"), "skip")]]))

    async def on_button(self, turn: Turn[D], value: str) -> str:
        if value != "skip":
            raise Stale
        self.skip(turn)
        turn.edit(turn.t(self.skipped))
        return self.after_skip

    def skip(self, turn: Turn[D]) -> None:
        """What skipping changes in the draft (nothing, by default)."""


class Flow(Generic[D]):
    """A named sequence of steps over one draft type."""

    def __init__(
        self,
        *,
        name: str,
        code: str,
        draft: type[D],
        steps: Sequence[Step[D]],
        order: Sequence[str] | None = None,
        expected: str | None = None,
        requires: Need = Need.ANYONE,
        counted: Sequence[str] = (),
    ) -> None:
        self.name = name
        # Checked on every answer: a flow of a power the user lost stops at the next step.
        self.requires = requires  # stored in flow_states.flow
        # What a message that is no answer is told, for every step (default: per step).
        self.expected = expected
        self.code = code  # carried in button data
        self.draft_type = draft
        self.steps = {step.name: step for step in steps}
        self.order = tuple(order) if order is not None else tuple(s.name for s in steps)
        # The steps whose questions are numbered (Turn.numbered), in the declared order.
        self.counted = tuple(name for name in self.order if name in set(counted))
        unknown = (set(self.order) | set(counted)) - set(self.steps)
        if unknown or len(self.steps) != len(steps) or len(self.counted) != len(set(counted)):
            raise ValueError(f"flow {name}: steps {sorted(unknown)} undeclared or doubled")

    # -- what a flow may adjust ---------------------------------------------------------------

    def after(self, step: str, draft: D) -> str:
        """The step after `step` in the declared order; END after the last."""
        position = self.order.index(step) if step in self.order else len(self.order) - 1
        return self.order[position + 1] if position + 1 < len(self.order) else END

    def position(self, turn: Turn[D]) -> tuple[int, int] | None:
        """The step counter of the turn's step: (its number, how many), or None when the
        flow does not count it. Counted are the steps asked so far and those ahead the draft
        does not answer yet."""
        if turn.step not in self.counted:
            return None
        here = self.counted.index(turn.step)
        asked = set(turn.visited) | {turn.step}
        before = sum(1 for name in self.counted[:here] if name in asked)
        ahead = sum(
            1
            for name in self.counted[here + 1 :]
            if name in asked or not self.steps[name].answered(turn.draft)
        )
        return before + 1, before + 1 + ahead

    def accepts(self, stored: str, pressed: str) -> bool:
        """Whether a button of step `pressed` may answer while the user is at `stored`."""
        return stored == pressed

    async def recheck(self, turn: Turn[D]) -> str | None:
        """Before every answer: the step to send the user back to when what the draft holds
        is no longer theirs to use (a unit they were removed from); None to go on."""
        return None

    async def on_stale(self, update: Update, context: SuaraContext, data: FlowStep) -> None:
        context.answer(update, context.t("button.stale"), alert=True)

    # -- running ------------------------------------------------------------------------------

    async def start(
        self,
        update: Update,
        context: SuaraContext,
        draft: D,
        *,
        at: str | None = None,
        ref: int = 0,
    ) -> None:
        """Begins (or restarts) the flow for the update's user at `at` (default: the first)."""
        step = at or self.order[0]
        await self.enter(Turn(update, context, self, draft, step, ref), step)

    async def enter(self, turn: Turn[D], target: str) -> None:
        """Stores `target` as the user's step, then asks its question."""
        while target != END and self.steps[target].answered(turn.draft):
            target = self.after(target, turn.draft)
        if target == END:
            await self.finish(turn)
            return
        turn.step = target
        if target in self.counted and target not in turn.visited:
            turn.visited.append(target)
        await self.save(turn)
        await self.steps[target].ask(turn)

    async def save(self, turn: Turn[D]) -> None:
        stored = turn.draft.model_dump(mode="json", exclude_defaults=True)
        if turn.ref:
            stored["ref"] = turn.ref
        if turn.taken:
            stored["taken"] = dict(list(turn.taken.items())[-TAKEN_KEPT:])
        if turn.visited or turn.step in self.counted:
            # Kept even when empty: only a state from before counting lacks it.
            stored["visited"] = turn.visited
        aside = await flows.set_flow(
            turn.context.db, user_id=turn.user_id, flow=self.name, step=turn.step, draft=stored
        )
        await tell_kept(turn.update, turn.context, aside)

    async def finish(self, turn: Turn[D]) -> None:
        """The flow is over: its state goes; the user hears of the flows still waiting."""
        await flows.clear_flow(turn.context.db, turn.user_id, self.name)
        await tell_kept(turn.update, turn.context)

    async def resume(self, update: Update, context: SuaraContext) -> bool:
        """Takes the user back to their kept state in this flow, asking its step again;
        False when there is none."""
        tg_user = update.effective_user
        state = await flows.get_flow(context.db, tg_user.id, self.name) if tg_user else None
        if state is None:
            return False
        turn = self._turn(update, context, state)
        if turn is None or state.step not in self.steps:
            await flows.clear_flow(context.db, state.user_id, self.name)
            return False
        await self.enter(turn, state.step)
        return True

    async def kept(self, update: Update, context: SuaraContext, state: FlowState) -> None:
        """Tells the user this flow waits for them, and how to continue it."""
        key = f"flows.kept_{self.name}"
        if context.t.has(key):
            context.reply(update, context.t(key))

    async def move(self, turn: Turn[D], go: str) -> None:
        if go == HANDED_OVER:
            return
        if go == STAY:
            await self.save(turn)
        elif go == END:
            await self.finish(turn)
        else:
            await self.enter(turn, self.after(turn.step, turn.draft) if go == NEXT else go)

    def _turn(self, update: Update, context: SuaraContext, state: FlowState) -> Turn[D] | None:
        stored = dict(state.draft)
        ref = stored.pop("ref", 0)
        taken = stored.pop("taken", {})
        # A state stored before the flow counted its steps: every counted step before the
        # current one was asked.
        default = (
            self.counted[: self.counted.index(state.step)] if state.step in self.counted else ()
        )
        visited = stored.pop("visited", list(default))
        try:
            draft = self.draft_type.model_validate(stored)
        except ValidationError:
            # A draft this code cannot read (an older version's, or damaged): start again.
            log.warning("flow %s: stored draft unreadable; cleared", self.name)
            return None
        turn = Turn(update, context, self, draft, state.step, int(ref or 0))
        if isinstance(taken, dict):
            turn.taken = {str(k): str(v) for k, v in taken.items()}
        if isinstance(visited, list):
            turn.visited = [str(name) for name in visited if name in self.counted]
        return turn

    async def on_button(self, update: Update, context: SuaraContext, data: FlowStep) -> None:
        tg_user = update.effective_user
        if tg_user is None:
            return
        # This flow's state, also while it waits: its button takes the user back to it.
        state = await flows.get_flow(context.db, tg_user.id, self.name)
        turn = None
        if state is not None and self.accepts(state.step, data.step) and data.step in self.steps:
            turn = self._turn(update, context, state)
        if turn is None or turn.ref != data.ref:
            await self.on_stale(update, context, data)
            return
        if not await self._allowed(update, context):
            return
        back = await self.recheck(turn)
        if back is not None:
            context.answer(update)
            await self.enter(turn, back)
            return
        turn.step = data.step
        turn.stored = state.step if state is not None else ""
        try:
            go = await self.steps[data.step].on_button(turn, data.value)
        except Stale:
            context.answer(update, context.t("button.stale"), alert=True)
            return
        except Invalid as exc:
            context.answer(update, context.t(exc.key, **exc.values), alert=True)
            return
        context.answer(update)
        if state is not None and state.step != data.step and go == STAY:
            # An earlier step's button (where the flow allows it) leaves the user where they were.
            turn.step = state.step
        await self.move(turn, go)

    async def on_message(self, update: Update, context: SuaraContext, state: FlowState) -> None:
        message = update.message
        if message is None:
            return
        turn = self._turn(update, context, state)
        if turn is None or state.step not in self.steps:
            await flows.clear_flow(context.db, state.user_id, self.name)
            context.reply(update, context.t("flow.reset"))
            return
        if not await self._allowed(update, context):
            return
        back = await self.recheck(turn)
        if back is not None:
            await self.enter(turn, back)
            return
        step = self.steps[state.step]
        mark = step.mark(turn)
        try:
            go = await step.on_message(turn, message)
        except Invalid as exc:
            context.reply(update, context.t(exc.key, **exc.values))
            return
        if message.text is not None:
            turn.taken[str(message.message_id)] = mark
        await self.move(turn, go)

    async def on_edit(
        self, update: Update, context: SuaraContext, state: FlowState, edited: Message
    ) -> bool:
        """An edited message while this flow is the user's: a correction of what a step took,
        or the answer of a step waiting for text. False: the edit means nothing here."""
        turn = self._turn(update, context, state)
        if turn is None or state.step not in self.steps:
            return False
        mark = turn.taken.get(str(edited.message_id))
        if mark is None:
            if not await self.steps[state.step].waits_for_text(turn):
                return False
            # Taken as the step's answer, as if it had been written now.
            await self.on_message(as_message(update, edited), context, state)
            return True
        name, _, detail = mark.partition(":")
        step = self.steps.get(name)
        if step is None:
            return False
        if not await self._allowed(update, context):
            return True
        try:
            await step.on_correction(turn, edited, detail)
        except Invalid as exc:
            context.reply(update, context.t(exc.key, **exc.values))
            return True
        except Stale:
            return False
        turn.step = state.step
        await self.save(turn)
        context.reply(update, context.t("flows.edit_corrected"))
        return True

    async def _allowed(self, update: Update, context: SuaraContext) -> bool:
        if self.requires is Need.ANYONE or (await context.access()).allows(self.requires):
            return True
        await flows.clear_flow(context.db, (await context.access()).user_id, self.name)
        context.deny(update)
        return False

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        state = application.bot_data
        if self.code in state.flows:
            raise ValueError(f"flow code {self.code!r} is used twice")
        state.flows[self.code] = self
        state.flow_inputs[self.name] = self.on_message


def as_message(update: Update, message: Message) -> Update:
    """The update as if `message` (an edited one) had just been sent."""
    fresh = Update(update.update_id, message=message)
    fresh.set_bot(update.get_bot())
    return fresh


async def tell_kept(
    update: Update, context: SuaraContext, names: Sequence[str] | None = None
) -> None:
    """Tells the user how to get back to each of their flows in `names` (default: every
    flow of theirs that waits)."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    if names is None:
        waiting = await flows.waiting_flows(context.db, tg_user.id)
    else:
        waiting = [
            state
            for name in names
            if (state := await flows.get_flow(context.db, tg_user.id, name)) is not None
        ]
    by_name = {flow.name: flow for flow in context.bot_data.flows.values()}
    for state in waiting:
        flow = by_name.get(state.flow)
        if flow is not None:
            await flow.kept(update, context, state)
        elif context.t.has(key := f"flows.kept_{state.flow}"):
            context.reply(update, context.t(key))


@requires(Need.ANYONE)  # each flow checks its own requirement (Flow.requires)
async def flow_button(update: Update, context: SuaraContext) -> None:
    """Every flow's buttons: routed to the flow named in the data, which checks the step."""
    data = FlowStep.parse(update.callback_query.data if update.callback_query else None)
    flow = context.bot_data.flows.get(data.flow) if data is not None else None
    if data is None or flow is None:
        context.answer(update, context.t("button.stale"), alert=True)
        return
    await flow.on_button(update, context, data)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(flow_button, pattern=FlowStep.pattern()))
