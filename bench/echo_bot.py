"""The framework's floor: a bare python-telegram-bot bot that echoes texts and answers buttons,
polling the same local Bot API as Suara does in the benchmarks. No database, no rate limiter.

    TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT python bench/echo_bot.py TOKEN
"""

from __future__ import annotations

import os
import sys

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.message is not None and update.message.text is not None:
        await update.message.reply_text(update.message.text)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer()
        if query.message is not None:
            await context.bot.send_message(query.message.chat.id, query.data or "?")


def main() -> None:
    base = os.environ["TELEGRAM_API_BASE_URL"]
    application = (
        Application.builder()
        .token(sys.argv[1])
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .connection_pool_size(64)
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(poll_interval=0, timeout=10, drop_pending_updates=False)


if __name__ == "__main__":
    main()
