"""Names people read instead of internal codes: roles in the page header, posts in worklists.

Candidate groups are identifiers for diagrams (``window_clerk``, ``zj_chengban``); a clerk must never
read them. Roles have fixed names; a post's code ends in what the post does (``_chengban`` 承办,
``_shenhe`` 审核 …), which is all a header needs beside the person's department.
"""

from __future__ import annotations

from flask import Flask

from engine.actors import Actor
from engine.services.organisation.vocabulary import STAFF_ROLES

ROLE_NAMES: dict[str, str] = {
    **STAFF_ROLES,
    "applicant": "申请人",
    "window_clerk": "综合窗口",
    "fallback_clerk": "兜底窗口",
    "supervisor": "督办",
    "window_supervisor": "窗口负责人",
    "project_agent": "项目代办员",
}
#: What a post code's last word says the post does.
POST_SUFFIX_NAMES: dict[str, str] = {
    "chengban": "承办", "shenhe": "审核", "pizhun": "批准", "fzr": "负责人", "chief": "科长",
    "review": "审查", "inspector": "核查", "trade": "交易核验", "assess": "核税", "register": "登簿",
    "certify": "缮证", "merge": "汇总",
}
#: Shown before the more specific roles of a person holding several (a 兜底 clerk is a window clerk too).
_IMPLIED = {"fallback_clerk": "window_clerk"}


def group_name(group: str) -> str:
    """The Chinese name of a role or post code; "岗位" for a code that says nothing readable."""
    if group in ROLE_NAMES:
        return ROLE_NAMES[group]
    return POST_SUFFIX_NAMES.get(group.rsplit("_", 1)[-1], "岗位")


def role_names(actor: Actor | None) -> list[str]:
    """The distinct names of the actor's roles and posts, in a stable order, implied ones left out."""
    if actor is None:
        return []
    groups = sorted(g for g in actor.groups if g != "system")
    implied = {_IMPLIED[g] for g in groups if g in _IMPLIED}
    names: list[str] = []
    for group in groups:
        name = group_name(group)
        if group not in implied and name not in names:
            names.append(name)
    return names


def init_app(app: Flask) -> None:
    app.add_template_filter(group_name, "group_name")
    app.jinja_env.globals["role_names"] = role_names
