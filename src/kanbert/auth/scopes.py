"""Every scope a token may hold (auth.md §3)."""

ALL_SCOPES: tuple[str, ...] = (
    "integration",
    "task-management:read",
    "task-management:write",
    "contact-data:read",
    "contact-data:write",
    "client:read",
    "client:write",
    "efforts:read",
    "efforts:extended:read",
    "efforts:write",
    "user_group:read",
    "user_group:write",
    "project:write",
    "user:write",
    "settings:write",
)
