"""The local Bot API emulator and what runs on it: the sandbox chat, the demo, test harness."""
