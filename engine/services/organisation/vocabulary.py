"""The words of the organisation model and how a person's candidate groups follow from it.

A person's groups are their **roles** (app-wide permissions kept on the account: administrator,
designer, auditor, …) plus the **posts** (岗位) they hold (each post's code is the candidate group
diagrams name, e.g. ``zj_chengban``) plus what the **windows** they serve at confer (every window
clerk is ``window_clerk``; a 兜底 window adds ``fallback_clerk``). Only the roles are stored on the
account; posts and windows are read from the organisation each time the person acts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: 岗位类别: what a post does in a matter's 承办 → 审核 → 批准 chain, or beside it.
POST_KINDS = ("承办", "审核", "批准", "负责人", "核查", "窗口", "其他")
#: 窗口类型: 综合 accepts any matter (无差别受理), 兜底 handles what others cannot, 专项 named matters.
WINDOW_KINDS = ("综合", "兜底", "专项")
#: The groups serving at a window of each kind confers.
WINDOW_GROUPS: dict[str, tuple[str, ...]] = {
    "综合": ("window_clerk",),
    "兜底": ("window_clerk", "fallback_clerk"),
    "专项": ("window_clerk",),
}
#: Roles an administrator may give a staff account, with their names on the pages.
STAFF_ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "designer": "流程设计员",
    "auditor": "审计员",
}
APPLICANT_ROLE = "applicant"
#: Group names a post may not take: they would hand a role to everyone holding the post.
RESERVED_GROUPS = frozenset({*STAFF_ROLES, APPLICANT_ROLE, "system",
                             *(group for groups in WINDOW_GROUPS.values() for group in groups)})

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
POST_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def groups_of(roles: str | Iterable[str], post_codes: Iterable[str], window_kinds: Iterable[str]) -> frozenset[str]:
    """Roles (the account's comma-separated ``groups``) ∪ held post codes ∪ window groups."""
    role_set = {r for r in (roles.split(",") if isinstance(roles, str) else roles) if r}
    window_groups = {group for kind in window_kinds for group in WINDOW_GROUPS.get(kind, ())}
    return frozenset(role_set | set(post_codes) | window_groups)
