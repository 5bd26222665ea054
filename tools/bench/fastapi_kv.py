"""A dict-backed key-value service in FastAPI, the stack of the original design.

tools/bench-http.sh runs it under uvicorn (one worker) as the reference the PyKV HTTP
listener is compared with. It follows the PyKV HTTP contract for the endpoints the
benchmark drives (POST /kv/, GET, PUT and DELETE /kv/{key}); it is a benchmark baseline,
not a server to deploy: one process, no persistence, no authentication.

Handlers are coroutines so requests run on the event loop, as a FastAPI service of this
kind is normally written; a plain `def` would add a thread-pool hop to every request and
make the baseline look slower than it is.
"""

import time
from urllib.parse import quote
from typing import Dict, Optional, Tuple

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StrictStr, conint


PositiveMs = conint(strict=True, gt=0)


class ItemCreate(BaseModel):
    key: StrictStr
    value: StrictStr
    ttl_ms: Optional[PositiveMs] = None

    class Config:
        extra = "forbid"


class ItemUpdate(BaseModel):
    value: StrictStr
    ttl_ms: Optional[PositiveMs] = None

    class Config:
        extra = "forbid"


# key -> (value, absolute deadline in time.monotonic() seconds or None)
store: Dict[str, Tuple[str, Optional[float]]] = {}

app = FastAPI(title="fastapi-kv (benchmark baseline)")


def lookup(key: str) -> Optional[Tuple[str, Optional[float]]]:
    entry = store.get(key)
    if entry is not None and entry[1] is not None and entry[1] <= time.monotonic():
        del store[key]  # expired keys vanish on access, like the real server
        return None
    return entry


def item(key: str, value: str, deadline: Optional[float]) -> dict:
    ttl_ms = None
    if deadline is not None:
        ttl_ms = max(0, int((deadline - time.monotonic()) * 1000))
    return {"key": key, "value": value, "ttl_ms": ttl_ms}


def not_found() -> JSONResponse:
    return JSONResponse({"detail": "Key not found"}, status_code=404)


def deadline_of(ttl_ms: Optional[int]) -> Optional[float]:
    return None if ttl_ms is None else time.monotonic() + ttl_ms / 1000.0


@app.post("/kv/", status_code=201)
async def create(body: ItemCreate, response: Response):
    if lookup(body.key) is not None:
        return JSONResponse({"detail": "Key already exists"}, status_code=409)
    deadline = deadline_of(body.ttl_ms)
    store[body.key] = (body.value, deadline)
    response.headers["Location"] = "/kv/" + quote(body.key, safe="")
    return item(body.key, body.value, deadline)


@app.get("/kv/{key:path}")
async def read(key: str):
    entry = lookup(key)
    if entry is None:
        return not_found()
    return item(key, entry[0], entry[1])


@app.put("/kv/{key:path}")
async def update(key: str, body: ItemUpdate):
    entry = lookup(key)
    if entry is None:
        return not_found()
    deadline = entry[1] if body.ttl_ms is None else deadline_of(body.ttl_ms)
    store[key] = (body.value, deadline)
    return item(key, body.value, deadline)


@app.delete("/kv/{key:path}")
async def delete(key: str):
    if lookup(key) is None:
        return not_found()
    del store[key]
    return {"deleted": True}


@app.get("/health")
async def health():
    return {"status": "ok", "role": "master", "loading": False, "aof": "off"}
