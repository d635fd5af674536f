"""Who may move a case's legal time (行政许可法 arts. 42, 45): the deciding department, and only its head approves.

Reading a case's deadline record follows the case (``cases.case_access``: whoever sees the case
sees its record; the 办理期限 pages are staff pages). Changing it is narrower:

=========================================  =====================================================
route                                      rule
=========================================  =====================================================
``POST /cases/<id>/extensions`` (+ API)    ``may_ask_for_time``: the staff groups of the permit's
``POST /cases/<id>/special-procedures``    deciding department (``[decision] staff_groups`` or
``POST …/special-procedures/end`` (+ API)  ``[permits.<key>] staff_groups`` in ``matter.toml``)
``POST /extensions/<id>/decision`` (+ API) ``may_decide_extension``: the permit's head group
                                           (``head_group``; 负责人) — not the window supervisor,
                                           not the system administrator
``GET /extensions/<id>`` (+ API)           the head who decides it, or staff who see the case
=========================================  =====================================================

The groups are the matter's until the organisation model names posts (岗位); the rule stays.
"""

from __future__ import annotations

from engine.actors import Actor
from engine.legal_time import PermitLimits


def may_ask_for_time(actor: Actor, permit: PermitLimits) -> bool:
    """Ask for an extension, start or end a 特别程序: the deciding department's staff."""
    return bool(permit.staff_groups) and actor.in_any(permit.staff_groups)


def may_decide_extension(actor: Actor, permit: PermitLimits) -> bool:
    """Approve or refuse an extension: the deciding department's head, nobody else."""
    return bool(permit.head_group) and permit.head_group in actor.groups
