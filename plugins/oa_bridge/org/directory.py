"""The OA's org structure read through its contact API, as plain records: every department
(without the root, the company itself) and every user with their primary department and
the others they belong to.

The primary department is the vendor's own "main department" mark where its user list
reports one — WeCom ``main_department``, Feishu the ``orders`` entry with
``is_primary_dept`` — else the first department listed (DingTalk's ``dept_id_list`` has no
such mark). A primary department that is the root (the company itself) is none.

- DingTalk (oapi): ``topapi/v2/department/listsub`` from dept 1, breadth first;
  ``topapi/v2/user/list`` per department by cursor; ``topapi/v2/user/getbymobile``.
- WeCom: ``cgi-bin/department/list``; ``cgi-bin/user/list?department_id=``;
  ``cgi-bin/user/getuserid``.
- Feishu: ``contact/v3/departments/0/children?fetch_child=true``;
  ``contact/v3/users/find_by_department``; ``contact/v3/users/batch_get_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.api_errors import VendorError
from ..tokens.client import OaClient

ROOTS = {"dingtalk": "1", "wecom": "1", "feishu": "0"}
#: Bounds a sync never passes, whatever the OA answers (a loop, a runaway cursor).
MAX_DEPARTMENTS, MAX_PAGES = 5000, 2000


@dataclass(frozen=True)
class OrgDept:
    """A department of the OA; ``parent`` None for one directly under the root."""

    oa_id: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class OrgUser:
    """A person of the OA; ``dept`` their primary department (None: the root only),
    ``others`` the other departments they belong to (the root left out)."""

    oa_id: str
    name: str
    mobile: str
    email: str
    dept: str | None
    active: bool
    others: tuple[str, ...] = ()


def placed(kind: str, depts: list[str], primary: object = None) -> tuple[str | None,
                                                                          tuple[str, ...]]:
    """``(primary, others)`` of a user in ``depts``: ``primary`` when the vendor marks one
    and it is among them, else the first; the root is never a department here."""
    chosen = str(primary) if primary not in (None, "") and str(primary) in depts else (
        depts[0] if depts else None)
    main = _parent(kind, chosen)
    others = tuple(dict.fromkeys(dept for dept in (_parent(kind, value) for value in depts)
                                 if dept is not None and dept != main))
    return main, others


def _parent(kind: str, value: object) -> str | None:
    text = str(value if value is not None else "")
    return None if text in ("", ROOTS[kind], "0") else text


def departments(client: OaClient) -> list[OrgDept]:
    """Every department below the root, parents before children."""
    kind = client.connection.kind
    found: list[OrgDept] = []
    if kind == "dingtalk":
        queue = [ROOTS[kind]]
        while queue and len(found) < MAX_DEPARTMENTS:
            parent = queue.pop(0)
            data = client.call("POST", "/topapi/v2/department/listsub", oapi=True,
                               json={"dept_id": int(parent)})
            for row in data.get("result") or []:
                oa_id = str(row["dept_id"])
                found.append(OrgDept(oa_id, str(row.get("name") or oa_id),
                                     _parent(kind, row.get("parent_id", parent))))
                queue.append(oa_id)
    elif kind == "wecom":
        data = client.call("GET", "/cgi-bin/department/list")
        rows = sorted(data.get("department") or [], key=lambda row: row.get("order", 0))
        found = [OrgDept(str(row["id"]), str(row.get("name") or row["id"]),
                         _parent(kind, row.get("parentid")))
                 for row in rows if str(row["id"]) != ROOTS[kind]]
    else:
        token = ""
        for _page in range(MAX_PAGES):
            params = {"fetch_child": "true", "page_size": "50",
                      "department_id_type": "open_department_id"}
            if token:
                params["page_token"] = token
            data = client.call("GET", "/open-apis/contact/v3/departments/0/children",
                               params=params).get("data") or {}
            found += [OrgDept(str(row["open_department_id"]), str(row.get("name") or ""),
                              _parent(kind, row.get("parent_department_id")))
                      for row in data.get("items") or []]
            token = str(data.get("page_token") or "")
            if not data.get("has_more") or not token:
                break
    return _parents_first(found[:MAX_DEPARTMENTS])


def _parents_first(rows: list[OrgDept]) -> list[OrgDept]:
    known = {row.oa_id: row for row in rows}
    ordered: list[OrgDept] = []
    placed: set[str] = set()

    def place(row: OrgDept, depth: int = 0) -> None:
        if row.oa_id in placed or depth > 100:
            return
        if row.parent in known:
            place(known[row.parent], depth + 1)
        placed.add(row.oa_id)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def users(client: OaClient, department_ids: list[str]) -> list[OrgUser]:
    """Every user of the root and of ``department_ids``, once each."""
    kind = client.connection.kind
    seen: dict[str, OrgUser] = {}
    for dept in [ROOTS[kind], *department_ids]:
        for user in _users_of(client, kind, dept):
            seen.setdefault(user.oa_id, user)
    return list(seen.values())


def _users_of(client: OaClient, kind: str, dept: str) -> list[OrgUser]:
    if kind == "dingtalk":
        found, cursor = [], 0
        for _page in range(MAX_PAGES):
            data = client.call("POST", "/topapi/v2/user/list", oapi=True,
                               json={"dept_id": int(dept), "cursor": cursor, "size": 100})
            result = data.get("result") or {}
            for row in result.get("list") or []:
                depts = [str(value) for value in row.get("dept_id_list") or [dept]]
                main, others = placed(kind, depts)
                found.append(OrgUser(str(row["userid"]), str(row.get("name") or ""),
                                     str(row.get("mobile") or ""), str(row.get("email") or ""),
                                     main, bool(row.get("active", True)), others))
            if not result.get("has_more"):
                break
            cursor = int(result.get("next_cursor") or 0)
        return found
    if kind == "wecom":
        data = client.call("GET", "/cgi-bin/user/list", params={"department_id": dept})
        people = []
        for row in data.get("userlist") or []:
            main, others = placed(kind, [str(value) for value in row.get("department")
                                         or [dept]], row.get("main_department"))
            people.append(OrgUser(str(row["userid"]), str(row.get("name") or ""),
                                  str(row.get("mobile") or ""), str(row.get("email") or ""),
                                  main, row.get("status", 1) in (1, 4), others))
        return people
    found, token = [], ""
    for _page in range(MAX_PAGES):
        params = {"department_id": dept, "user_id_type": "user_id", "page_size": "50",
                  "department_id_type": "open_department_id"}
        if token:
            params["page_token"] = token
        data = client.call("GET", "/open-apis/contact/v3/users/find_by_department",
                           params=params).get("data") or {}
        for row in data.get("items") or []:
            status = row.get("status") or {}
            depts = [str(value) for value in row.get("department_ids") or [dept]]
            primary = next((order.get("department_id") for order in row.get("orders") or []
                            if isinstance(order, dict) and order.get("is_primary_dept")), None)
            main, others = placed(kind, depts, primary)
            found.append(OrgUser(str(row["user_id"]), str(row.get("name") or ""),
                                 str(row.get("mobile") or ""), str(row.get("email") or ""),
                                 main, not (status.get("is_resigned") or status.get("is_frozen")),
                                 others))
        token = str(data.get("page_token") or "")
        if not data.get("has_more") or not token:
            break
    return found


#: "No such user" answers to a lookup by mobile: DingTalk 60121, WeCom 46004.
NOT_FOUND = {"60121", "46004"}


def user_id_by_mobile(client: OaClient, mobile: str) -> str | None:
    """The OA user id of the person with this mobile number, or None."""
    try:
        return _user_id_by_mobile(client, mobile)
    except VendorError as refused:
        if refused.code in NOT_FOUND:
            return None
        raise


def _user_id_by_mobile(client: OaClient, mobile: str) -> str | None:
    kind = client.connection.kind
    if kind == "dingtalk":
        data = client.call("POST", "/topapi/v2/user/getbymobile", oapi=True,
                           json={"mobile": mobile})
        return str((data.get("result") or {}).get("userid") or "") or None
    if kind == "wecom":
        return str(client.call("POST", "/cgi-bin/user/getuserid",
                               json={"mobile": mobile}).get("userid") or "") or None
    data = client.call("POST", "/open-apis/contact/v3/users/batch_get_id",
                       params={"user_id_type": "user_id"}, json={"mobiles": [mobile]})
    rows = (data.get("data") or {}).get("user_list") or []
    return str(rows[0].get("user_id") or "") or None if rows else None
