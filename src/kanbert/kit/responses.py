"""JSON responses serialised with orjson (list pages are serialisation-bound)."""

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    """A JSONResponse subclass, so FastAPI documents each route's `response_model`."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
