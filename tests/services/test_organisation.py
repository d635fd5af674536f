"""The organisation in the app: posts are candidate groups read when people act, leaving hands work
back, every change is in the admin audit log, CSV imports are all-or-nothing, demo groups unchanged."""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.errors import FormDataInvalid
from engine.errors import NotAllowed
from engine.persistence.repositories import organisation as org
from engine.persistence.repositories.history import history_of_case
from engine.services import cases
from engine.services import tasks
from engine.services.accounts import DEMO_ACCOUNTS
from engine.services.accounts import actor_for
from engine.services.accounts import ensure_demo_accounts
from engine.services.context import EngineContext
from engine.services.organisation.importing import import_organisation
from engine.services.organisation.staff import deactivate_staff
from engine.services.organisation.staff import save_staff
from engine.services.organisation.staff import set_members
from engine.services.organisation.structure import save_unit
from engine.tabular import ImportRefused
from engine.tabular import TableUnreadable
from tests.services.conftest import VALID_APPLICATION

ADMIN = Actor("admin1", "管理员", frozenset({"admin"}))
ORGAN = {"code": "csj", "name": "测试县测试局", "short_name": "测试局", "credit_code": "11320100MB1999001R",
         "review_organ": "测试县人民政府", "court": "测试县人民法院"}


@pytest.fixture
def hall(deployed: EngineContext) -> EngineContext:
    """An organ with one department, the a_cb post parallel_review offers its first task to, two officers."""
    save_unit(deployed, ADMIN, "organ", ORGAN)
    save_unit(deployed, ADMIN, "department", {"code": "csj_xk", "organ_code": "csj", "name": "许可科"})
    save_unit(deployed, ADMIN, "post", {"code": "a_cb", "name": "承办", "department_code": "csj_xk", "kind": "承办"})
    for username in ("lisi", "wangwu"):
        save_staff(deployed, ADMIN, {"username": username, "display_name": username, "posts": ""})
    set_members(deployed, ADMIN, "post", "a_cb", ["lisi"])
    return deployed


def _case_at_a_cb(ctx: EngineContext, applicant: Actor) -> int:
    view = cases.start_case(ctx, "parallel_review", applicant)
    submit = next(t for t in view.open_tasks if t.element_id == "submit")
    return tasks.complete_task(ctx, view.id, submit.task_uuid, VALID_APPLICATION, applicant).id


def _queue(ctx: EngineContext, username: str) -> list[str]:
    actor = actor_for(ctx, username)
    assert actor is not None
    return [t.element_id for t in tasks.list_worklist(ctx, actor)]


def test_a_post_member_change_reaches_a_task_already_open(hall: EngineContext, applicant: Actor) -> None:
    _case_at_a_cb(hall, applicant)
    assert _queue(hall, "lisi") == ["a_cb"]
    assert _queue(hall, "wangwu") == []
    set_members(hall, ADMIN, "post", "a_cb", ["wangwu"])
    assert _queue(hall, "wangwu") == ["a_cb"]  # the task was opened before wang joined
    assert _queue(hall, "lisi") == []


def test_deactivating_a_user_releases_their_claimed_tasks(hall: EngineContext, applicant: Actor) -> None:
    case_id = _case_at_a_cb(hall, applicant)
    li = actor_for(hall, "lisi")
    assert li is not None
    task = tasks.claim_task(hall, case_id, next(t.task_uuid for t in tasks.list_worklist(hall, li)), li)
    result = deactivate_staff(hall, ADMIN, "lisi")
    assert result.handed_back == ((task.case_number, "住建承办", None),)
    assert actor_for(hall, "lisi") is None  # cannot sign in or act any more
    assert _queue(hall, "wangwu") == []  # wang holds no a_cb post
    set_members(hall, ADMIN, "post", "a_cb", ["wangwu"])
    wang = actor_for(hall, "wangwu")
    assert wang is not None
    assert [t.assignee for t in tasks.list_worklist(hall, wang)] == [None]  # back in the queue, claimable
    with hall.uow() as uow:
        released = [row for row in history_of_case(uow, case_id) if row.event_type == "task_released"]
    assert [(row.actor_id, row.task_uuid) for row in released] == [("admin1", task.task_uuid)]
    assert "人员停用" in (released[0].data_after or "")


def test_deactivating_with_a_successor_hands_the_task_over(hall: EngineContext, applicant: Actor) -> None:
    case_id = _case_at_a_cb(hall, applicant)
    set_members(hall, ADMIN, "post", "a_cb", ["lisi", "wangwu"])
    li = actor_for(hall, "lisi")
    assert li is not None
    tasks.claim_task(hall, case_id, tasks.list_worklist(hall, li)[0].task_uuid, li)
    result = deactivate_staff(hall, ADMIN, "lisi", successor="wangwu")
    assert [holder for _, _, holder in result.handed_back] == ["wangwu"]
    wang = actor_for(hall, "wangwu")
    assert wang is not None
    assert [t.assignee for t in tasks.list_worklist(hall, wang)] == ["wangwu"]


def test_taking_someone_off_a_post_releases_the_tasks_of_that_post(hall: EngineContext, applicant: Actor) -> None:
    case_id = _case_at_a_cb(hall, applicant)
    li = actor_for(hall, "lisi")
    assert li is not None
    tasks.claim_task(hall, case_id, tasks.list_worklist(hall, li)[0].task_uuid, li)
    set_members(hall, ADMIN, "post", "a_cb", ["wangwu"])
    assert _queue(hall, "lisi") == []  # neither in the queue nor still held by li
    wang = actor_for(hall, "wangwu")
    assert wang is not None and [t.assignee for t in tasks.list_worklist(hall, wang)] == [None]


def test_every_organisation_change_is_in_the_audit_log(hall: EngineContext) -> None:
    save_unit(hall, ADMIN, "organ", {**ORGAN, "phone": "0000-1234567"})
    with hall.uow() as uow:
        log = org.audit_log(uow, area="organisation")
    events = [(row.event_type, row.subject) for row in reversed(log)]
    assert events == [("organ_created", "organ:csj"), ("department_created", "department:csj_xk"),
                      ("post_created", "post:a_cb"), ("user_created", "user:lisi"), ("user_created", "user:wangwu"),
                      ("post_member_added", "post:a_cb"), ("organ_changed", "organ:csj")]
    assert all(row.actor_id == "admin1" for row in log)
    assert log[0].summary == "修改机关“测试县测试局”：电话" and '"0000-1234567"' in (log[0].data_after or "")


def test_a_refused_change_writes_nothing_not_even_audit(hall: EngineContext) -> None:
    with hall.uow() as uow:
        before = len(org.audit_log(uow))
    with pytest.raises(FormDataInvalid) as refused:
        save_unit(hall, ADMIN, "organ", {**ORGAN, "credit_code": "11320100MB195836900"[:18]})
    assert refused.value.errors == {"credit_code": "统一社会信用代码应为 18 位，且校验位正确"}
    with pytest.raises(FormDataInvalid) as reserved:
        save_unit(hall, ADMIN, "post", {"code": "admin", "name": "x", "department_code": "csj_xk", "kind": "承办"})
    assert "系统角色名" in reserved.value.errors["code"]
    with hall.uow() as uow:
        assert len(org.audit_log(uow)) == before
        assert org.organ_by_code(uow, "csj").credit_code == ORGAN["credit_code"]  # type: ignore[union-attr]


def test_only_an_administrator_changes_the_organisation(hall: EngineContext) -> None:
    clerk = Actor("clerk", groups=frozenset({"window_clerk", "supervisor"}))
    with pytest.raises(NotAllowed, match="仅系统管理员"):
        save_unit(hall, clerk, "organ", ORGAN)
    with pytest.raises(NotAllowed):
        set_members(hall, clerk, "post", "a_cb", ["wangwu"])
    with pytest.raises(NotAllowed):
        deactivate_staff(hall, clerk, "lisi")


POSTS_CSV = ("岗位编码,岗位名称,所属科室编码,岗位类别\n"
             "a_sh,审核,csj_xk,审核\n"
             "a_cb,承办（改名）,csj_xk,承办\n"
             "a_pz,批准,nowhere,批准\n"
             "a_pz2,批准,csj_xk,签发\n")


def test_a_bad_import_row_is_refused_with_its_row_number_and_nothing_changes(hall: EngineContext) -> None:
    for dry_run in (True, False):
        with pytest.raises(ImportRefused) as refused:
            import_organisation(hall, ADMIN, POSTS_CSV.encode("utf-8"), "posts.csv", dry_run=dry_run)
        assert [str(p) for p in refused.value.problems] == [
            "第 4 行：所属科室编码：所属科室“nowhere”不存在，请先添加该科室",
            "第 5 行：岗位类别：岗位类别应为 承办、审核、批准、负责人、核查、窗口、其他 之一"]
    with hall.uow() as uow:
        assert [p.code for p in org.posts(uow)] == ["a_cb"]
        assert org.post_by_code(uow, "a_cb").name == "承办"  # type: ignore[union-attr]


def test_an_import_dry_run_says_what_would_change_then_the_import_does_it(hall: EngineContext) -> None:
    good = "\n".join(POSTS_CSV.splitlines()[:3]) + "\na_x,另一岗位,csj_xk,其他\n"
    plan = import_organisation(hall, ADMIN, good.encode("gb18030"), "posts.CSV", dry_run=True)
    assert [(o.code, o.outcome) for o in plan.outcomes] == [("a_sh", "added"), ("a_cb", "changed"), ("a_x", "added")]
    assert plan.outcomes[1].changes == {"name": ("承办", "承办（改名）")}
    with hall.uow() as uow:
        assert [p.code for p in org.posts(uow)] == ["a_cb"]
    done = import_organisation(hall, ADMIN, good.encode("utf-8-sig"), "posts.csv")
    assert (done.count("added"), done.count("changed"), done.count("unchanged")) == (2, 1, 0)
    again = import_organisation(hall, ADMIN, good.encode("utf-8"), "posts.csv")
    assert again.count("unchanged") == 3
    with hall.uow() as uow:
        assert {p.code: p.name for p in org.posts(uow)}["a_cb"] == "承办（改名）"


def test_an_import_of_an_unknown_table_is_refused(hall: EngineContext) -> None:
    with pytest.raises(TableUnreadable, match="无法识别文件类型"):
        import_organisation(hall, ADMIN, "名称,地址\n甲,乙\n".encode(), "x.csv")
    with pytest.raises(TableUnreadable, match="无法识别的列：颜色"):
        import_organisation(hall, ADMIN, "窗口编码,窗口名称,窗口类型,颜色\nw1,一号,综合,红\n".encode(), "w.csv")
    with pytest.raises(TableUnreadable, match=r"\.csv 或 \.xlsx"):
        import_organisation(hall, ADMIN, b"x", "w.txt")


def test_demo_accounts_keep_exactly_their_groups(ctx: EngineContext) -> None:
    created = ensure_demo_accounts(ctx)
    assert {a.username for a in DEMO_ACCOUNTS} <= set(created)
    for account in DEMO_ACCOUNTS:
        actor = actor_for(ctx, account.username)
        assert actor is not None and actor.groups == frozenset(account.groups), account.username
    assert ensure_demo_accounts(ctx) == []  # idempotent


def test_every_post_of_the_sample_hall_has_a_demo_holder_and_inspections_two(ctx: EngineContext) -> None:
    created = set(ensure_demo_accounts(ctx))
    assert {"demo_zj_fzr", "demo_jt_chengban", "demo_jt_hecha", "demo_jt_hecha2", "demo_jg_inspector2"} <= created
    with ctx.uow() as uow:
        holders: dict[str, int] = {}
        for member in org.post_members(uow):
            holders[member.code] = holders.get(member.code, 0) + 1
        posts = org.posts(uow)
    assert len({p.organ_code for p in posts}) >= 15
    for post in posts:
        if post.kind in ("承办", "审核", "批准", "负责人"):
            assert holders.get(post.code, 0) >= 1, post.code
        if post.kind == "核查":
            assert holders.get(post.code, 0) >= 2, post.code
    fallback = actor_for(ctx, "demo_fallback")
    assert fallback is not None and {"window_clerk", "fallback_clerk"} <= fallback.groups


def test_staff_import_gives_posts_and_windows_but_no_usable_password(hall: EngineContext) -> None:
    save_unit(hall, ADMIN, "window", {"code": "w1", "name": "综合 1 号窗口", "kind": "综合"})
    people = ("用户名,姓名,所在部门,角色,岗位,窗口,手机号,状态\n"
              "zhaoliu,赵六,许可科,,a_cb,,13800138000,在用\n"
              "qianqi,钱七,窗口,审计员,,w1,,在用\n")
    done = import_organisation(hall, ADMIN, people.encode("utf-8"), "staff.csv")
    assert [(o.username, o.outcome) for o in done.outcomes] == [("zhaoliu", "added"), ("qianqi", "added")]
    zhao, qian = actor_for(hall, "zhaoliu"), actor_for(hall, "qianqi")
    assert zhao is not None and zhao.groups == frozenset({"a_cb"})
    assert qian is not None and qian.groups == frozenset({"auditor", "window_clerk"})  # a role by its Chinese name
    from engine.services.accounts import authenticate

    assert authenticate(hall, "zhaoliu", "") is None and authenticate(hall, "zhaoliu", "!no-password") is None
    bad = "用户名,姓名,岗位\nsunba,孙八,no_such_post\n"
    with pytest.raises(ImportRefused) as refused:
        import_organisation(hall, ADMIN, bad.encode("utf-8"), "staff.csv")
    assert [str(p) for p in refused.value.problems] == ["第 2 行：岗位：岗位不存在：no_such_post"]
    assert actor_for(hall, "sunba") is None
