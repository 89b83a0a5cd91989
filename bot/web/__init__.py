"""The organizers' web workspace: a Starlette door on the same core and services as the chat."""
