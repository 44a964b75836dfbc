"""Shortcodes generated from a name: initials (or the first letters), numbered while taken."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


def shortcode_base(name: str) -> str:
    """`Acme Corporation` → `AC`, `Initech` → `INIT`; non-ASCII letters folded, `C` if none."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    if len(words) > 1:
        base = "".join(word[0] for word in words[:4])
    else:
        base = words[0][:4] if words else "C"
    return base.upper()


async def free_shortcode(session: AsyncSession, model: Any, space_id: str, name: str) -> str:
    """The name's base shortcode, numbered on from 2 while taken (case-insensitively)."""
    base = shortcode_base(name)
    column = func.lower(model.shortcode)
    query = select(column).where(model.space_id == space_id, column.like(f"{base.lower()}%"))
    taken = set((await session.scalars(query)).all())
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate
