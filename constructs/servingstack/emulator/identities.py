"""The workspace's identities as its SCIM API lists them: users, groups and service principals
(`/api/2.0/preview/scim/v2/Users|Groups|ServicePrincipals`, and `.../{id}`).

Shapes are the SDK's (`databricks.sdk.service.iam`: `User`, `Group`, `ServicePrincipal`, and the
list answer `{"totalResults", "startIndex", "itemsPerPage", "Resources"}` that `UsersAPI.list` pages
through with `startIndex` and `count`). The `filter` parameter takes what the SDK's docstring says the
service takes: "Supported operators are equals(eq), contains(co), starts with(sw) and not equals(ne).
Additionally, simple expressions can be formed using logical operators - and and or ... we currently
only support simple expressions" (no parentheses, no `not`, no `pr`); string comparisons ignore case,
as SCIM's `caseExact: false` attributes (`userName`, `displayName`; RFC 7643) do. The provider looks
principals up exactly so: `userName eq "..."`, `displayName eq "..."`, `applicationId eq "..."`.

Other parts of the emulator register principals of their own (an app's service principal) with
`Identities.add_service_principal(..., owner="app:<name>")` and drop them with `remove_owned(owner)`.
The store starts with the emulator's own user and the `admins` and `users` groups every workspace has.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from databricks.sdk.service.iam import ComplexValue, Group, ServicePrincipal, User

from servingstack.emulator import apierrors

SCIM = "/api/2.0/preview/scim/v2"
KINDS = ("Users", "Groups", "ServicePrincipals")
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
# The workspace groups every workspace has (product docs, "Manage groups": admins and users).
SYSTEM_GROUPS = ("admins", "users")
# The SDK asks for 10000 per page when the caller names no count (`UsersAPI.list`).
DEFAULT_COUNT = 10000


class FilterError(ValueError):
    """A filter the service does not take."""


@dataclass(frozen=True)
class _Comparison:
    attribute: str
    operator: str
    value: Any


# attribute (dotted, e.g. emails.value), operator, then a quoted string, true/false/null or a number.
_TERM = re.compile(
    r"\s*(?P<attribute>[A-Za-z][\w.]*)\s+(?P<operator>eq|ne|co|sw)\s+"
    r'(?P<value>"(?:[^"\\]|\\.)*"|true|false|null|-?\d+(?:\.\d+)?)\s*',
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s*(and|or)\s+", re.IGNORECASE)


def parse_filter(text: str) -> list[list[_Comparison]]:
    """A simple SCIM filter as OR-groups of AND-ed comparisons (`and` binds tighter, RFC 7644 3.4.2.2)."""
    groups: list[list[_Comparison]] = [[]]
    position = 0
    while True:
        match = _TERM.match(text, position)
        if match is None:
            raise FilterError(f"Invalid filter {text!r}: expected `attribute eq|ne|co|sw value` at {position}")
        raw = match.group("value")
        value: Any
        if raw.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        elif raw.lower() == "null":
            value = None
        else:
            value = float(raw)
        groups[-1].append(_Comparison(match.group("attribute"), match.group("operator").lower(), value))
        position = match.end()
        if position == len(text):
            return groups
        join = _JOIN.match(text, position)
        if join is None:
            raise FilterError(f"Invalid filter {text!r}: expected `and` or `or` at {position}")
        if join.group(1).lower() == "or":
            groups.append([])
        position = join.end()


def _values(record: dict[str, Any], attribute: str) -> list[Any]:
    """The values at a dotted attribute path, attribute names compared without case."""
    current: list[Any] = [record]
    for part in attribute.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, dict):
                key = next((k for k in item if k.lower() == part.lower()), None)
                if key is not None:
                    value = item[key]
                    found += value if isinstance(value, list) else [value]
        current = found
    return current


def _compare(have: Any, operator: str, want: Any) -> bool:
    if isinstance(have, str) and isinstance(want, str):
        have, want = have.lower(), want.lower()
    if operator == "eq":
        return have == want
    if operator == "ne":
        return have != want
    if not isinstance(have, str) or not isinstance(want, str):
        return False
    return want in have if operator == "co" else have.startswith(want)


def matches(record: dict[str, Any], groups: list[list[_Comparison]]) -> bool:
    def holds(term: _Comparison) -> bool:
        values = _values(record, term.attribute)
        if term.operator == "ne":
            return all(_compare(v, "ne", term.value) for v in values)
        return any(_compare(v, term.operator, term.value) for v in values)

    return any(all(holds(term) for term in group) for group in groups)


class Identities:
    """Users, groups and service principals, each a SCIM record (camelCase, as the API shows it). Thread-safe."""

    def __init__(self, current_user: str):
        self._lock = threading.Lock()
        self._ids = itertools.count(1000)
        self._records: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self._owners: dict[str, str] = {}  # record id -> who registered it (e.g. "app:support-bot")
        me = self.add_user(current_user, display_name="servingstack developer")
        self.add_group("admins", members=[current_user])
        self.add_group("users")
        self._current_user_id = me["id"]

    # -- registering ---------------------------------------------------------------------

    def add_user(self, user_name: str, display_name: str | None = None, owner: str | None = None) -> dict[str, Any]:
        """A workspace user (`userName` is the email address), unless one by that name exists."""
        existing = self.find("Users", "userName", user_name)
        if existing is not None:
            return existing
        user = User(
            id=self._next_id(),
            user_name=user_name,
            display_name=display_name or user_name,
            active=True,
            emails=[ComplexValue(value=user_name, primary=True, type="work")],
        )
        return self._store("Users", user.as_dict(), owner)

    def add_group(self, display_name: str, members: Iterable[str] = (), owner: str | None = None) -> dict[str, Any]:
        """A workspace group; `members` are user names or application ids already known (unknown ones are added
        as users)."""
        existing = self.find("Groups", "displayName", display_name)
        group = existing or self._store("Groups", Group(id=self._next_id(), display_name=display_name).as_dict(), owner)
        for member in members:
            record = self.find("ServicePrincipals", "applicationId", member) or self.add_user(member)
            with self._lock:
                listed = group.setdefault("members", [])
                if all(m.get("value") != record["id"] for m in listed):
                    shown = record.get("displayName") or record.get("userName")
                    listed.append(ComplexValue(value=record["id"], display=shown).as_dict())
        return group

    def add_service_principal(
        self,
        application_id: str,
        display_name: str | None = None,
        owner: str | None = None,
        record_id: str | None = None,
    ) -> dict[str, Any]:
        """A service principal, named in grants by its `applicationId`; `owner` marks who registered it,
        `record_id` keeps an id the registering part already shows (an app's `service_principal_id`)."""
        existing = self.find("ServicePrincipals", "applicationId", application_id)
        if existing is not None:
            return existing
        principal = ServicePrincipal(
            id=record_id or self._next_id(),
            application_id=application_id,
            display_name=display_name or application_id,
            active=True,
        )
        return self._store("ServicePrincipals", principal.as_dict(), owner)

    def remove(self, kind: str, record_id: str) -> None:
        with self._lock:
            if self._records[kind].pop(record_id, None) is None:
                raise _not_found(kind, record_id)
            self._owners.pop(record_id, None)

    def remove_owned(self, owner: str) -> int:
        """Remove every principal `owner` registered (an app deleted with its principal); how many."""
        with self._lock:
            ids = [record_id for record_id, who in self._owners.items() if who == owner]
            for records in self._records.values():
                for record_id in ids:
                    records.pop(record_id, None)
            for record_id in ids:
                self._owners.pop(record_id)
            return len(ids)

    # -- reading -------------------------------------------------------------------------

    def find(self, kind: str, attribute: str, value: str) -> dict[str, Any] | None:
        """The first record whose `attribute` equals `value` (ignoring case), or None."""
        with self._lock:
            for record in self._records[kind].values():
                if any(_compare(v, "eq", value) for v in _values(record, attribute)):
                    return record
            return None

    def get(self, kind: str, record_id: str) -> dict[str, Any]:
        with self._lock:
            record = self._records[kind].get(record_id)
            if record is None:
                raise _not_found(kind, record_id)
            return dict(record)

    def list(
        self,
        kind: str,
        *,
        filter_text: str | None = None,
        start_index: int = 1,
        count: int = DEFAULT_COUNT,
        sort_by: str | None = None,
        descending: bool = False,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the records matching the filter (1-based `start_index`), and how many match."""
        groups = parse_filter(filter_text) if filter_text else None
        with self._lock:
            found = [dict(r) for r in self._records[kind].values() if groups is None or matches(r, groups)]
        if sort_by:
            found.sort(key=lambda r: str((_values(r, sort_by) or [""])[0]).lower(), reverse=descending)
        start = max(1, start_index) - 1
        return found[start : start + max(0, count)], len(found)

    # -- internals -----------------------------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _store(self, kind: str, record: dict[str, Any], owner: str | None) -> dict[str, Any]:
        with self._lock:
            self._records[kind][record["id"]] = record
            if owner is not None:
                self._owners[record["id"]] = owner
        return record


def _not_found(kind: str, record_id: str) -> apierrors.ApiError:
    singular = {"Users": "User", "Groups": "Group", "ServicePrincipals": "Service principal"}[kind]
    return apierrors.ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"{singular} with id {record_id} not found.")


def _shown(record: dict[str, Any], attributes: str | None, excluded: str | None) -> dict[str, Any]:
    """`attributes` keeps only the named ones (and `id`); `excludedAttributes` drops the named ones."""
    if attributes:
        keep = {a.strip().lower() for a in attributes.split(",")} | {"id"}
        record = {k: v for k, v in record.items() if k.lower() in keep}
    if excluded:
        drop = {a.strip().lower() for a in excluded.split(",")} - {"id"}
        record = {k: v for k, v in record.items() if k.lower() not in drop}
    return record


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise apierrors.invalid(f"{name}: must be a whole number, not {raw!r}") from None


def add_routes(app: web.Application, identities_of: Callable[[web.Request], Identities]) -> None:
    def list_handler(kind: str):
        async def handler(request: web.Request) -> web.Response:
            try:
                page, total = identities_of(request).list(
                    kind,
                    filter_text=request.query.get("filter"),
                    start_index=_int_query(request, "startIndex", 1),
                    count=_int_query(request, "count", DEFAULT_COUNT),
                    sort_by=request.query.get("sortBy"),
                    descending=request.query.get("sortOrder", "").lower() == "descending",
                )
            except FilterError as error:
                raise apierrors.invalid(str(error)) from None
            shown = [_shown(r, request.query.get("attributes"), request.query.get("excludedAttributes")) for r in page]
            body: dict[str, Any] = {
                "schemas": [LIST_SCHEMA],
                "totalResults": total,
                "startIndex": max(1, _int_query(request, "startIndex", 1)),
                "itemsPerPage": len(shown),
            }
            if shown:
                body["Resources"] = shown
            return web.json_response(body)

        return handler

    def get_handler(kind: str):
        async def handler(request: web.Request) -> web.Response:
            record = identities_of(request).get(kind, request.match_info["id"])
            return web.json_response(
                _shown(record, request.query.get("attributes"), request.query.get("excludedAttributes"))
            )

        return handler

    for kind in KINDS:
        app.router.add_get(f"{SCIM}/{kind}", list_handler(kind))
        app.router.add_get(f"{SCIM}/{kind}/{{id}}", get_handler(kind))
