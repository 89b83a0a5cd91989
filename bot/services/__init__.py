"""The domain: plain async functions taking a session and values; no Telegram types."""
