"""办理流程 of a 办事指南 as a citizen understands it: 申报 → 受理 → 审查 → 决定 → 送达.

A diagram's task names (补交容缺材料, 差评整改, 窗口领证 …) are how staff work a case, not what an applicant
needs to know before applying. The guide says the five public stages instead, each with who acts and in
how long, taken from the matter's own facts: the 事项库 entry for a pattern-run matter, and for a drawn
matter its ``matter.toml`` (a bundle's permits each name their department and limits), so a guide never
promises a limit the case's deadline record does not count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.legal_time import MatterLimits

#: Where the applicant is told to go or look when the matter says nothing.
COUNTER = "综合受理窗口"


@dataclass(frozen=True)
class GuideStep:
    """One step as the applicant lives it: what happens, who does it, and in how long."""

    name: str
    who: str
    what: str
    limit: str


@dataclass(frozen=True)
class Decider:
    """Who decides (one permit of a bundle, or the matter) and in how many working days."""

    #: The permit's name; "" for a matter deciding one thing.
    permit: str
    department: str
    organ: str
    statutory_wd: int
    promised_wd: int
    extension_wd: int
    #: Decided only when the project needs it (e.g. 人防 for projects that must build a shelter).
    optional: bool = False


@dataclass(frozen=True)
class StageFacts:
    """What the five stages are told from; built from an entry or a matter's metadata."""

    case_type: str
    place: str
    online: bool
    deciders: tuple[Decider, ...]
    result_name: str
    site_check: bool = False
    special_procedures: tuple[str, ...] = ()


def _limit_text(d: Decider) -> str:
    extension = (f"，经负责人批准可延长 {d.extension_wd} 个工作日" if d.extension_wd
                 else "，不得延长")
    return f"承诺 {d.promised_wd} 个工作日（法定 {d.statutory_wd} 个工作日{extension}）"


def public_stages(facts: StageFacts) -> tuple[GuideStep, ...]:
    """The five stages with their departments and limits, in the order a case goes through them."""
    timed = [d for d in facts.deciders if not d.optional]
    optional = [d for d in facts.deciders if d.optional]
    bundle = len(timed) > 1
    reviewers = list(dict.fromkeys(d.department for d in timed))
    reviewers += [f"{d.department}（需要时）" for d in optional if d.department not in reviewers]
    review = "各部门并联审查申请材料" if bundle else "承办人员审查申请材料"
    if facts.site_check:
        review += "，两名工作人员现场核查"
    review += "，审核人员审核"
    if facts.special_procedures:
        review += f"；需要{'、'.join(facts.special_procedures)}的，所需时间不计入办理期限，另行书面告知"
    if facts.case_type == "即办件":
        decide, decide_limit = "受理后当场作出准予或者不予许可的决定", "当场办结"
    elif bundle:
        decide = "各部门分别作出决定（一项不予许可不影响其他各项）；不予许可的书面说明理由"
        decide_limit = "；".join(f"{d.permit}：{_limit_text(d)}" for d in timed)
    else:
        decide = "作出准予或者不予许可的决定；不予许可的书面说明理由"
        decide_limit = "自受理之日起" + (_limit_text(timed[0]) if timed else "")
    if facts.result_name:
        decide += f"；准予许可的，颁发“{facts.result_name}”"
    organs = "、".join(dict.fromkeys(d.organ for d in timed)) or COUNTER
    online = "，或登录本平台在线申报" if facts.online else ""
    return (
        GuideStep("申报", "申请人", f"到{facts.place or COUNTER}提交申请材料{online}",
                  "随时在线申报；窗口办理时间内现场申报"),
        GuideStep("受理", COUNTER, "审查材料是否齐全、符合法定形式：齐全的当场受理并出具受理通知书；不齐全的"
                                  "一次性告知需补正的全部内容",
                  "当场或 5 个工作日内（逾期不告知的，自收到材料之日起即为受理）"),
        GuideStep("审查", "、".join(reviewers) or COUNTER, review, "计入办结时限"),
        GuideStep("决定", organs, decide, decide_limit),
        GuideStep("送达", COUNTER, "窗口领取或免费邮寄送达，并请对服务作出评价（好差评）",
                  "自作出决定之日起 10 个工作日内"),
    )


def deciders_of(limits: MatterLimits, extra: Mapping[str, Any], organ_names: Mapping[str, str],
                case_department: str, case_organ: str) -> tuple[Decider, ...]:
    """Who decides what: each ``[permits.*]`` of a bundle (its department, its organ's name, its limits),
    or the matter as a whole when it decides one thing."""
    specs: Mapping[str, Any] = extra.get("permits") or {}
    deciders = []
    for permit in limits.permits:
        organ_code = str((specs.get(permit.key) or {}).get("organ") or "")
        department = permit.department or case_department
        deciders.append(Decider(permit.name, department, organ_names.get(organ_code, department),
                                permit.statutory_wd, permit.promised_wd, permit.extension_wd, permit.optional))
    if not any(not d.optional for d in deciders):
        case = limits.case
        deciders.insert(0, Decider("", case_department, case_organ, case.statutory_wd, case.promised_wd,
                                   case.extension_wd))
    return tuple(deciders)
