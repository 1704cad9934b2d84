"""The labeling web app: a queue of passages, each with the model's records highlighted for review.

Server-rendered pages (Jinja2, autoescaped) and a small script; every action is one JSON POST that
is written to the database before the answer comes back. The database file is opened per request
(labeling.database), so other propmine commands can use it between requests.

Security: paper text is escaped wherever it is shown; scripts run only from /static (a Content
Security Policy forbids inline ones); every state-changing request must carry the CSRF token of
the page (double-submit: a signed cookie and the X-CSRF-Token header); with an access token set
(always when bound beyond localhost) every request needs it, and with a loopback binding only
loopback Host headers are accepted (against DNS rebinding).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import logging
import secrets
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from labeling.database import DatabaseBusy, open_labels_db
from labeling.export import jsonl_text
from labeling.highlight import segments, spans_of
from labeling.labels import header_units, undo_label, write_label
from labeling.review import (
    FieldEdit,
    LabelConflict,
    LabelRefused,
    PassageView,
    Progress,
    load_passage,
    load_queue,
)
from schemas.errors import InputError
from schemas.vocabulary import load_vocabulary

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "pm_csrf"
TOKEN_COOKIE = "pm_token"
WHO_COOKIE = "pm_who"
CSRF_HEADER = "x-csrf-token"
PAGE_SIZE = 100
DONE_WORDS = {
    "accept": "accepted",
    "reject": "rejected",
    "correct": "corrected",
    "add": "added",
    "credible": "marked credible",
    "not_credible": "marked not credible",
    "done": "marked done",
    "undo": "undone",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


class LabelRequest(BaseModel):
    passage_id: str
    item_id: str | None = Field(default=None, description="The record's id; none for 'add' and 'done'")
    action: str
    version: int = Field(default=0, description="The item's version the page showed")
    fields: FieldEdit | None = None


class UndoRequest(BaseModel):
    label_id: str | None = Field(default=None, description="The label to take back; none: your latest")


class WhoRequest(BaseModel):
    name: str = Field(min_length=1, max_length=80)


def _sign(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()[:32]


class Guard(BaseHTTPMiddleware):
    """Host check, access token, CSRF check and security headers for every request."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        settings: AppSettings = request.app.state.settings
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
        if settings.allowed_hosts and host not in settings.allowed_hosts:
            return _refuse(request, 400, f"unexpected Host header {host!r}; open the app at http://127.0.0.1")
        if settings.token:
            given = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
            given = given or request.cookies.get(TOKEN_COOKIE, "")
            query_token = request.query_params.get("token")
            if query_token and hmac.compare_digest(query_token, settings.token) and request.method == "GET":
                # Move the token from the address into a cookie, so it does not stay in history or logs.
                rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
                response: Response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
                response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict")
                return _secure(response)
            if not given or not hmac.compare_digest(given, settings.token):
                return _refuse(
                    request,
                    401,
                    "an access token is required: open the address the server printed (it ends in ?token=...)",
                )
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            cookie = request.cookies.get(CSRF_COOKIE, "")
            header = request.headers.get(CSRF_HEADER, "")
            nonce, _, signature = cookie.partition(".")
            valid = bool(nonce) and hmac.compare_digest(signature, _sign(settings.secret, nonce))
            if not (valid and header and hmac.compare_digest(header, cookie)):
                return _refuse(request, 403, "missing or stale CSRF token: reload the page and try again")
        response = await call_next(request)
        new_csrf = getattr(request.state, "new_csrf", None)
        if new_csrf:
            response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="strict")
        return _secure(response)


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _refuse(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return _secure(JSONResponse({"error": message}, status_code=status))
    body = (
        f"<!doctype html><meta charset=utf-8><title>propmine labeling: {status}</title>"
        f"<p>{status}: {_escape(message)}</p>"
    )
    return _secure(HTMLResponse(body, status_code=status))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class AppSettings(BaseModel):
    db: Path
    token: str | None = None
    allowed_hosts: list[str] = []
    default_who: str = "reviewer"
    secret: bytes = b""


def create_app(
    db: str | Path, token: str | None = None, allowed_hosts: list[str] | None = None, default_who: str | None = None
) -> FastAPI:
    """The labeling app for one database file.

    Args:
        db: the propmine DuckDB file.
        token: an access token every request must carry (None: none needed).
        allowed_hosts: Host header names to accept (None: any); a loopback server passes its own names.
        default_who: the name labels are stored under until a reviewer gives theirs.
    """
    app = FastAPI(title="propmine labeling", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = AppSettings(
        db=Path(db),
        token=token,
        allowed_hosts=[h.lower() for h in allowed_hosts or []],
        default_who=default_who or _os_user(),
        secret=secrets.token_bytes(32),
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    templates.env.filters["basename"] = lambda text: PurePosixPath(str(text).replace("\\", "/")).name or str(text)
    app.add_middleware(Guard)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def settings_of(request: Request) -> AppSettings:
        return request.app.state.settings

    def csrf_token(request: Request) -> str:
        settings = settings_of(request)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        nonce, _, signature = cookie.partition(".")
        if nonce and hmac.compare_digest(signature, _sign(settings.secret, nonce)):
            return cookie
        nonce = secrets.token_urlsafe(18)
        request.state.new_csrf = f"{nonce}.{_sign(settings.secret, nonce)}"
        return request.state.new_csrf

    def who_of(request: Request) -> str:
        return (request.cookies.get(WHO_COOKIE) or "").strip()[:80] or settings_of(request).default_who

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {"csrf": csrf_token(request), "who": who_of(request), "db_name": settings_of(request).db.name}
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    def error_page(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        return render(request, "message.html", {"title": f"{status}", "message": message}, status)

    @app.exception_handler(LabelConflict)
    async def on_conflict(request: Request, err: LabelConflict) -> Response:
        return error_page(request, 409, str(err))

    @app.exception_handler(LabelRefused)
    async def on_refused(request: Request, err: LabelRefused) -> Response:
        return error_page(request, 422, str(err))

    @app.exception_handler(DatabaseBusy)
    async def on_busy(request: Request, err: DatabaseBusy) -> Response:
        return error_page(request, 503, str(err))

    @app.exception_handler(InputError)
    async def on_input(request: Request, err: InputError) -> Response:
        return error_page(request, 404, str(err))

    @app.exception_handler(ValidationError)
    async def on_invalid(request: Request, err: ValidationError) -> Response:
        return error_page(request, 422, "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()))

    def parse(model: type[BaseModel], body: bytes) -> Any:
        try:
            return model.model_validate_json(body or b"{}")
        except ValidationError as err:
            raise LabelRefused(
                "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in err.errors())
            ) from err

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/queue", status_code=303)

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request, show: str = "todo", page: int = 1) -> Response:
        with open_labels_db(settings_of(request).db) as con:
            entries, progress = load_queue(con)
        positions = {e.passage_id: n for n, e in enumerate(entries, 1)}
        if show == "todo":
            shown = [e for e in entries if not e.reviewed]
        elif show == "done":
            shown = [e for e in entries if e.reviewed]
        else:
            show, shown = "all", entries
        pages = max(1, -(-len(shown) // PAGE_SIZE))
        page_no = min(max(1, page), pages)
        return render(
            request,
            "queue.html",
            {
                "entries": shown[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE],
                "positions": positions,
                "progress": progress,
                "show": show,
                "page_no": page_no,
                "pages": pages,
                "total": len(entries),
                "first_todo": next((e.passage_id for e in entries if not e.reviewed), None),
            },
        )

    @app.get("/passage/{passage_id:path}", response_class=HTMLResponse)
    def passage_page(request: Request, passage_id: str) -> Response:
        with open_labels_db(settings_of(request).db) as con:
            view = load_passage(con, passage_id)
            entries, progress = load_queue(con)
        order = [e.passage_id for e in entries]
        at = order.index(passage_id) if passage_id in order else None
        return render(request, "passage.html", _passage_context(view, progress, at, len(order)))

    @app.get("/next", include_in_schema=False)
    def next_passage(request: Request, after: str = "") -> Response:
        with open_labels_db(settings_of(request).db) as con:
            entries, _ = load_queue(con)
        order = [e.passage_id for e in entries]
        start = order.index(after) + 1 if after in order else 0
        for e in entries[start:] + entries[:start]:
            if not e.reviewed and e.passage_id != after:
                return RedirectResponse(f"/passage/{quote(e.passage_id)}", status_code=303)
        return RedirectResponse("/queue?show=all", status_code=303)

    @app.get("/prev", include_in_schema=False)
    def previous_passage(request: Request, before: str = "") -> Response:
        with open_labels_db(settings_of(request).db) as con:
            entries, _ = load_queue(con)
        order = [e.passage_id for e in entries]
        at = order.index(before) if before in order else 0
        target = order[at - 1] if at > 0 else (order[0] if order else None)
        return RedirectResponse(f"/passage/{quote(target)}" if target else "/queue", status_code=303)

    @app.get("/api/passage/{passage_id:path}")
    def passage_json(request: Request, passage_id: str) -> Response:
        with open_labels_db(settings_of(request).db) as con:
            view = load_passage(con, passage_id)
        return JSONResponse(_view_json(view))

    @app.get("/api/queue")
    def queue_json(request: Request) -> Response:
        with open_labels_db(settings_of(request).db) as con:
            entries, progress = load_queue(con)
        return JSONResponse(
            {
                "progress": progress.as_dict(),
                "queue": [
                    {
                        "passage_id": e.passage_id,
                        "doubt": e.doubt,
                        "kind": e.kind,
                        "records": e.n_records,
                        "decided": e.n_decided,
                        "reviewed": e.reviewed,
                        "min_credibility": e.min_credibility,
                    }
                    for e in entries
                ],
            }
        )

    @app.post("/api/label")
    async def label(request: Request) -> Response:
        body = parse(LabelRequest, await request.body())
        who = who_of(request)

        def write() -> tuple[Any, PassageView, Progress]:
            with open_labels_db(settings_of(request).db) as con:
                row, view = write_label(
                    con,
                    body.passage_id,
                    body.item_id,
                    body.action,
                    body.version,
                    who,
                    body.fields,
                )
                _, progress = load_queue(con)
            return row, view, progress

        row, view, progress = await run_in_threadpool(write)
        return JSONResponse(
            {"label": json.loads(row.model_dump_json()), "passage": _view_json(view), "progress": progress.as_dict()}
        )

    @app.post("/api/undo")
    async def undo(request: Request) -> Response:
        body = parse(UndoRequest, await request.body())
        who = who_of(request)

        def write() -> tuple[Any, Any]:
            with open_labels_db(settings_of(request).db) as con:
                return undo_label(con, who, body.label_id)

        row, target = await run_in_threadpool(write)
        return JSONResponse(
            {"label": json.loads(row.model_dump_json()), "undone": json.loads(target.model_dump_json())}
        )

    @app.post("/api/who")
    async def set_who(request: Request) -> Response:
        body = parse(WhoRequest, await request.body())
        name = " ".join(body.name.split())
        if not name.isprintable():
            raise LabelRefused("a name is printable text")
        response = JSONResponse({"who": name})
        response.set_cookie(WHO_COOKIE, name, httponly=True, samesite="strict", max_age=3600 * 24 * 365)
        return response

    @app.get("/export.jsonl")
    def export_download(request: Request) -> Response:
        with open_labels_db(settings_of(request).db) as con:
            text, stats = jsonl_text(con)
        name = settings_of(request).db.stem + "-labels.jsonl"
        return Response(
            text,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Propmine-Export": stats.summary()},
        )

    return app


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


def _view_json(view: PassageView) -> dict[str, Any]:
    return {
        "passage_id": view.passage.passage_id,
        "reviewed": view.reviewed,
        "done": view.passage_state.done,
        "passage_version": view.passage_state.version,
        "doubt": view.doubt,
        "kind": view.kind,
        "items": [
            {
                "item_id": it.item_id,
                "version": it.version,
                "status": it.status,
                "decision": it.decision,
                "credible": it.credible,
                "model": it.model is not None,
                "fields": json.loads(it.fields.model_dump_json()) if it.fields else None,
                "spans": {k: list(v) for k, v in spans_of(it, view.passage).items()},
                "credibility": it.model.credibility.score if it.model else None,
                "last": {
                    "who": it.last.who,
                    "action": it.last.action,
                    "at": it.last.labeled_at.isoformat(timespec="seconds"),
                }
                if it.last
                else None,
            }
            for it in view.items
            if it.exists
        ],
    }


def _passage_context(view: PassageView, progress: Progress, at: int | None, total: int) -> dict[str, Any]:
    vocab = load_vocabulary()
    return {
        "view": view,
        "passage": view.passage,
        "segments": segments(view.passage, view.items),
        "items": [(n, it) for n, it in enumerate(view.items) if it.exists],
        "progress": progress,
        "position": (at + 1) if at is not None else None,
        "total": total,
        "properties": [(p.name, p.label, p.unit) for p in vocab.properties],
        "synonyms": {p.name: [p.label, *p.synonyms] for p in vocab.properties},
        "units": header_units(view.passage),
        "done_words": DONE_WORDS,
    }
