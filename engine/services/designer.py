"""流程设计: designers edit a matter's files as a draft, check and deploy them, compare versions and
move running cases to a newer version when that is safe; Camunda Modeler 7 bundles can be imported.

A draft is the matter's files (main BPMN, ``matter.toml``, ``forms/<key>.form`` …) as edited, kept in
``definition_drafts`` until deployed. Deploying goes through ``deploy_files``: a new version is stored
and running cases keep the version they started on. Moving a case to a newer version is a separate,
explicit step (``plan_migration`` / ``migrate_cases``) that uses SpiffWorkflow's spec diff and refuses
whenever work already done, or work waiting for someone, would change underneath the case.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff
from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.actors import Actor
from engine.definitions.catalog import BPMN_NS
from engine.definitions.catalog import CAMUNDA_NS
from engine.definitions.catalog import COMMON_PREFIX
from engine.definitions.catalog import DOCUMENTS_PREFIX
from engine.definitions.catalog import FORMS_PREFIX
from engine.definitions.catalog import METADATA_FILE
from engine.definitions.catalog import SPIFF_NS
from engine.definitions.catalog import CompiledDefinition
from engine.definitions.catalog import compile_definition
from engine.definitions.catalog import files_to_json
from engine.definitions.catalog import main_bpmn_file
from engine.definitions.catalog import referenced_documents
from engine.definitions.catalog import referenced_form_keys
from engine.definitions.safexml import parse_xml
from engine.errors import ConcurrentUpdate
from engine.errors import DefinitionInvalid
from engine.errors import DefinitionProblem
from engine.errors import EngineError
from engine.errors import MatterNotFound
from engine.errors import NotAllowed
from engine.errors import UnsafeXml
from engine.forms import FormDefinition
from engine.forms import FormError
from engine.forms import load_form
from engine.history import to_json
from engine.persistence import repositories as repo
from engine.persistence.records import DefinitionDraftRecord
from engine.persistence.records import DefinitionRecord
from engine.runtime.case import CaseRuntime
from engine.runtime.spiff.serializer import dump_state
from engine.runtime.spiff.serializer import restore_state
from engine.runtime.spiff.serializer import spec_diff
from engine.runtime.spiff.timer_clock import clock_bound
from engine.services.context import EngineContext
from engine.services.deploy import deploy_files
from engine.services.steps import save_runtime
from engine.services.steps import with_retries
from engine.services.views import DeployResult

DESIGNER_GROUPS = frozenset({"designer", "admin", "system"})
LIMIT_KEYS = ("statutory_limit_wd", "promised_limit_wd", "extension_limit_wd")
LIMIT_LABELS = {"statutory_limit_wd": "法定办结时限", "promised_limit_wd": "承诺办结时限",
                "extension_limit_wd": "可延长时限"}
FORM_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

ELEMENT_TYPES = {
    "userTask": "人工任务", "manualTask": "手工任务", "scriptTask": "脚本任务", "serviceTask": "服务任务",
    "sendTask": "发送任务", "receiveTask": "接收任务", "businessRuleTask": "业务规则任务", "task": "任务",
    "callActivity": "调用活动", "subProcess": "子流程", "transaction": "事务子流程", "adHocSubProcess": "自由子流程",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "complexGateway": "复杂网关", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件", "boundaryEvent": "边界事件",
    "sequenceFlow": "连线", "dataObjectReference": "数据对象", "dataStoreReference": "数据存储",
    "dataObject": "数据对象定义",
}
ATTRIBUTE_LABELS = {
    "camunda:formKey": "表单", "camunda:candidateGroups": "办理角色", "camunda:assignee": "办理人",
    "camunda:candidateUsers": "候选人", "default": "默认分支", "sourceRef": "起点", "targetRef": "终点",
    "calledElement": "调用的流程", "attachedToRef": "附着的环节", "cancelActivity": "是否中断",
    "scriptFormat": "脚本语言", "camunda:dueDate": "到期时间", "camunda:priority": "优先级",
}
TEXT_LABELS = {"condition": "条件表达式", "script": "脚本", "documentation": "说明", "timeDuration": "定时器（时长）",
               "timeDate": "定时器（日期）", "timeCycle": "定时器（周期）", "loopCardinality": "多实例数量",
               "completionCondition": "多实例完成条件"}
SPEC_KEY_LABELS = {
    "bpmn_name": "名称", "outputs": "出口连线", "inputs": "入口连线", "script": "脚本", "cond_task_specs": "分支条件",
    "default_task_spec": "默认分支", "event_definition": "事件定义（定时器、消息等）", "typename": "元素类型",
    "lane": "泳道", "documentation": "说明", "extensions": "扩展属性", "prescript": "前置脚本",
    "postscript": "后置脚本", "operation_name": "服务操作", "operation_params": "服务参数", "spec": "调用的流程",
    "cancel_activity": "是否中断", "manual": "人工/自动", "decision_table": "决策表", "cardinality": "多实例数量",
    "condition": "多实例完成条件", "result_var": "结果变量",
}
METADATA_LABELS = {
    "code": "事项代码", "name": "事项名称", "department": "实施部门", "implementation_code": "实施编码",
    "process_id": "流程 id", "case_type": "办件类型", **LIMIT_LABELS, "legal_basis": "设定依据",
    "conditions": "申请条件", "materials": "申请材料", "fee": "收费", "description": "说明",
    "lane_roles": "泳道角色", "starter_groups": "可申办的角色",
}
STATE_LABELS = {"READY": "待办", "WAITING": "等待中", "STARTED": "进行中", "COMPLETED": "已完成", "ERROR": "出错"}
#: Tasks in these states pin a case to its version if their spec is removed or changed.
_PINNING = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING | TaskState.ERROR
#: A task nobody has worked on yet may get new outgoing/incoming wiring: migration re-predicts its branch.
_WIRING = frozenset({"inputs", "outputs"})
#: Spec keys whose change the element's BPMN comparison also shows (in more detail).
_SHOWN_IN_BPMN = frozenset({"bpmn_name", "documentation", "script", "typename"})
_FLOW_CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
_NOT_FLOW = frozenset({"laneSet", "extensionElements", "documentation", "ioSpecification", "property",
                       "textAnnotation", "association", "group", "incoming", "outgoing"})


# -- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftView:
    """A matter's files as the designer edits them (a saved draft, or the newest version's files)."""

    matter_code: str
    files: dict[str, str]
    main_bpmn: str
    base_version: int | None
    latest_version: int | None
    saved: bool
    updated_at: datetime | None
    updated_by: str
    limits: dict[str, int]
    form_keys: tuple[str, ...]

    @property
    def bpmn_xml(self) -> str:
        return self.files.get(self.main_bpmn, "")

    @property
    def matter_toml(self) -> str:
        return self.files.get(METADATA_FILE, "")

    @property
    def outdated(self) -> bool:
        """A newer version was deployed after this draft was opened."""
        return self.saved and self.base_version != self.latest_version

    def form_text(self, key: str) -> str | None:
        return self.files.get(f"{FORMS_PREFIX}{key}.form")


@dataclass(frozen=True)
class VersionInfo:
    version: int
    definition_id: int
    name: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int


@dataclass(frozen=True)
class DesignerMatter:
    code: str
    name: str
    department: str
    versions: tuple[VersionInfo, ...]
    draft_updated_at: datetime | None = None
    draft_updated_by: str = ""

    @property
    def latest(self) -> VersionInfo:
        return self.versions[-1]


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    kind: str
    file: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyChange:
    key: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class VersionDiff:
    matter_code: str
    from_version: int
    to_version: int
    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]
    metadata_changes: tuple[KeyChange, ...]
    forms_added: tuple[str, ...]
    forms_removed: tuple[str, ...]
    forms_changed: tuple[str, ...]
    other_files_changed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.metadata_changes or self.forms_added
                    or self.forms_removed or self.forms_changed or self.other_files_changed)


@dataclass(frozen=True)
class MigrationPlan:
    """Whether one running case can move to the target version, and why (in Chinese)."""

    case_id: int
    case_number: str
    title: str
    from_version: int
    to_version: int
    can_migrate: bool
    reasons: tuple[str, ...]
    waiting_on: tuple[str, ...] = ()
    migrated: bool = False


@dataclass(frozen=True)
class FormCheck:
    """A form schema as the server understands it: the parsed form, or the problems found."""

    form: FormDefinition | None
    errors: tuple[str, ...] = field(default_factory=tuple)


# -- helpers -------------------------------------------------------------------------------------


def _require_designer(actor: Actor) -> None:
    if not actor.in_any(DESIGNER_GROUPS):
        raise NotAllowed("只有流程设计人员或管理员可以修改流程定义")


class VersionNotFound(MatterNotFound):
    def __init__(self, matter_code: str, version: int) -> None:
        super().__init__(matter_code)
        self.version = version
        self.message = f"事项“{matter_code}”没有第 {version} 版"
        self.args = (self.message,)


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def main_bpmn_name(files: Mapping[str, str], matter_code: str = "") -> str:
    """The matter's own diagram: the top-level ``.bpmn`` holding ``process_id``."""
    process_id = str(_toml(files.get(METADATA_FILE, "")).get("process_id", ""))
    found = main_bpmn_file(files, process_id)
    if found:
        return found
    candidates = sorted(name for name in files if name.endswith(".bpmn") and "/" not in name)
    return candidates[0] if candidates else f"{matter_code or process_id or 'process'}.bpmn"


def limits_of(toml_text: str) -> dict[str, int]:
    raw = _toml(toml_text)
    return {key: raw[key] for key in LIMIT_KEYS if isinstance(raw.get(key), int) and not isinstance(raw[key], bool)}


def _parse_limits(limits: Mapping[str, Any]) -> tuple[dict[str, int], list[DefinitionProblem]]:
    values: dict[str, int] = {}
    problems: list[DefinitionProblem] = []
    for key, raw in limits.items():
        if key not in LIMIT_KEYS:
            problems.append(DefinitionProblem(METADATA_FILE, key, f"不能在时限表单中修改“{key}”"))
            continue
        text = str(raw if raw is not None else "").strip()
        if text == "":
            continue  # left empty: keep what matter.toml says
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            values[key] = raw
        elif text.isdigit() and len(text) <= 4:
            values[key] = int(text)
        else:
            problems.append(DefinitionProblem(METADATA_FILE, key, f"{LIMIT_LABELS[key]}应为非负整数（工作日），"
                                                                  f"而不是“{text}”"))
    return values, problems


def set_limits(toml_text: str, limits: Mapping[str, Any]) -> str:
    """Write the limits into ``matter.toml`` text, keeping every other line (and comment) as it was.

    :raise DefinitionInvalid: a value is not a non-negative whole number of working days.
    """
    values, problems = _parse_limits(limits)
    if problems:
        raise DefinitionInvalid(problems)
    lines = toml_text.splitlines(keepends=True)
    # Top-level keys end where the first table header starts.
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    for key, value in values.items():
        pattern = re.compile(rf"^(\s*{key}\s*=\s*)([^#\r\n]*?)(\s*(#[^\r\n]*)?)(\r?\n)?$")
        for index in range(end):
            match = pattern.match(lines[index])
            if match:
                lines[index] = f"{match.group(1)}{value}{match.group(3)}{match.group(5) or ''}"
                break
        else:
            if end > 0 and not lines[end - 1].endswith("\n"):
                lines[end - 1] += "\n"
            lines.insert(end, f"{key} = {value}\n")
            end += 1
    text = "".join(lines)
    parsed = _toml(text)
    if any(parsed.get(key) != value for key, value in values.items()):
        raise DefinitionInvalid([DefinitionProblem(METADATA_FILE, "",
                                                   "matter.toml 格式有误，无法写入时限，请先修正文件")])
    return text


def _form_keys(files: Mapping[str, str]) -> tuple[str, ...]:
    keys = {name[len(FORMS_PREFIX):-len(".form")] for name in files
            if name.startswith(FORMS_PREFIX) and name.endswith(".form")}
    keys |= referenced_form_keys([text for name, text in files.items() if name.endswith(".bpmn")])
    return tuple(sorted(keys))


def _draft_view(code: str, files: dict[str, str], base: DefinitionRecord | None, latest: DefinitionRecord | None,
                draft: DefinitionDraftRecord | None) -> DraftView:
    return DraftView(matter_code=code, files=files, main_bpmn=main_bpmn_name(files, code),
                     base_version=base.version if base is not None else None,
                     latest_version=latest.version if latest is not None else None, saved=draft is not None,
                     updated_at=draft.updated_at if draft is not None else None,
                     updated_by=draft.updated_by if draft is not None else "",
                     limits=limits_of(files.get(METADATA_FILE, "")), form_keys=_form_keys(files))


def _load_draft(session: Any, code: str) -> tuple[dict[str, str], DefinitionDraftRecord | None,
                                                  DefinitionRecord | None, DefinitionRecord | None]:
    """(files, draft record, version the files came from, newest version)."""
    latest = repo.latest_definition(session, code)
    draft = repo.latest_definition_draft(session, code)
    if draft is not None:
        base = session.get(DefinitionRecord, draft.base_definition_id) if draft.base_definition_id else None
        return dict(json.loads(draft.files_json)), draft, base, latest
    if latest is None:
        raise MatterNotFound(code)
    return dict(json.loads(latest.files_json)), None, latest, latest


def _check_patch(files: Mapping[str, str], code: str, patch: Mapping[str, Any], max_bytes: int) -> None:
    main = main_bpmn_name(files, code)
    problems: list[DefinitionProblem] = []
    for name, text in patch.items():
        key = name[len(FORMS_PREFIX):-len(".form")] if name.startswith(FORMS_PREFIX) and name.endswith(".form") else ""
        if not isinstance(text, str):
            problems.append(DefinitionProblem(str(name), "", "文件内容应为文本"))
        elif name not in (main, METADATA_FILE) and not (key and FORM_KEY.match(key)):
            problems.append(DefinitionProblem(str(name), "", f"设计器只能修改主流程图（{main}）、matter.toml 和 "
                                                             "forms/<表单标识>.form"))
        elif len(text.encode("utf-8")) > max_bytes:
            problems.append(DefinitionProblem(name, "", f"文件超过 {max_bytes // 1024} KiB 上限"))
    if problems:
        raise DefinitionInvalid(problems)


# -- drafts --------------------------------------------------------------------------------------


def open_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> DraftView:
    """The matter's saved draft, or (unsaved) the newest deployed version's files to start one from.

    :raise MatterNotFound: neither a draft nor a deployed version exists.
    """
    _require_designer(actor)
    with ctx.uow() as uow:
        files, draft, base, latest = _load_draft(uow.session, matter_code)
        return _draft_view(matter_code, files, base, latest, draft)


def save_draft(ctx: EngineContext, matter_code: str, files_patch: Mapping[str, str], actor: Actor,
               limits: Mapping[str, Any] | None = None) -> DraftView:
    """Replace the given files of the draft (creating it from the newest version if needed).

    ``limits`` (statutory/promised/extension working days) are written into ``matter.toml``. Nothing
    is checked beyond the file names here: ``validate_draft`` reports problems, ``deploy_draft`` refuses them.

    :raise DefinitionInvalid: a file the designer may not change, or limits that are not whole numbers.
    """
    _require_designer(actor)
    with ctx.uow() as uow:
        files, draft, base, latest = _load_draft(uow.session, matter_code)
        _check_patch(files, matter_code, files_patch, ctx.settings.max_xml_bytes)
        files.update(files_patch)
        if limits:
            files[METADATA_FILE] = set_limits(files.get(METADATA_FILE, ""), limits)
        now = ctx.clock.now()
        if draft is None:
            draft = DefinitionDraftRecord(matter_code=matter_code, files_json="{}",
                                          base_definition_id=base.id if base is not None else None,
                                          updated_at=now, updated_by=actor.user_id)
            uow.session.add(draft)
        draft.files_json = files_to_json(files)
        draft.updated_at = now
        draft.updated_by = actor.user_id
        uow.session.flush()
        view = _draft_view(matter_code, files, base, latest, draft)
        uow.commit()
        return view


def discard_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> None:
    """Throw the draft away; the next ``open_draft`` starts from the newest version again."""
    _require_designer(actor)
    with ctx.uow() as uow:
        repo.delete_definition_drafts(uow.session, matter_code)
        uow.commit()


def _complete_bundle(ctx: EngineContext, files: Mapping[str, str]) -> dict[str, str]:
    """Add what the diagrams reference but the bundle lacks: shared forms, document templates, ``_common``.

    The same things ``collect_matter_files`` copies when deploying from a folder.
    """
    bundle = dict(files)
    bpmn = [text for name, text in bundle.items() if name.endswith(".bpmn")]
    forms_dir = ctx.settings.forms_dir
    for key in sorted(referenced_form_keys(bpmn)):
        name = f"{FORMS_PREFIX}{key}.form"
        if name not in bundle and FORM_KEY.match(key) and (forms_dir / f"{key}.form").is_file():
            bundle[name] = (forms_dir / f"{key}.form").read_text(encoding="utf-8")
    documents_dir = ctx.settings.processes_dir / DOCUMENTS_PREFIX.rstrip("/")
    needed = {key for key in referenced_documents(bpmn) if FORM_KEY.match(key)}
    if needed and f"{DOCUMENTS_PREFIX}_layout.html" not in bundle and (documents_dir / "_layout.html").is_file():
        bundle[f"{DOCUMENTS_PREFIX}_layout.html"] = (documents_dir / "_layout.html").read_text(encoding="utf-8")
    for key in sorted(needed):
        name = f"{DOCUMENTS_PREFIX}{key}.html"
        if name not in bundle and (documents_dir / f"{key}.html").is_file():
            bundle[name] = (documents_dir / f"{key}.html").read_text(encoding="utf-8")
    common_dir = ctx.settings.processes_dir / COMMON_PREFIX.rstrip("/")
    if any("callActivity" in text for text in bpmn) and common_dir.is_dir() \
            and not any(name.startswith(COMMON_PREFIX) for name in bundle):
        for path in sorted(common_dir.iterdir()):
            if path.is_file() and path.suffix in (".bpmn", ".dmn"):
                bundle[COMMON_PREFIX + path.name] = path.read_text(encoding="utf-8")
    return bundle




def check_bundle(ctx: EngineContext, files: Mapping[str, str],
                 matter_code: str | None = None) -> list[DefinitionProblem]:
    """Every problem of a bundle (empty list: it would deploy). Never raises for bad content."""
    problems: list[DefinitionProblem] = []
    replaced: dict[tuple[str, str], set[str]] = {}
    for name, text in files.items():
        if name.endswith(".bpmn"):
            try:
                root = parse_xml(text, name, ctx.settings.max_xml_bytes).getroot()
            except UnsafeXml:
                continue  # the catalog reports it
            for problem, replaces in _camunda_findings(name, root):
                problems.append(problem)
                replaced.setdefault((problem.file, problem.element_id), set()).update(replaces)
    try:
        compile_definition(files, services=ctx.services, max_bytes=ctx.settings.max_xml_bytes)
    except DefinitionInvalid as exc:
        # A catalog message about the same thing as a more specific Camunda message is left out.
        problems.extend(p for p in exc.problems
                        if not any(text in p.problem for text in replaced.get((p.file, p.element_id), ())))
    except EngineError as exc:
        problems.append(DefinitionProblem("", "", exc.message))
    except Exception as exc:  # noqa: BLE001 - a checker must report, never crash the designer's page
        problems.append(DefinitionProblem("", "", f"校验时出错：{type(exc).__name__}: {exc}"))
    if matter_code is not None:
        code = _toml(files.get(METADATA_FILE, "")).get("code")
        if isinstance(code, str) and code and code != matter_code:
            problems.append(DefinitionProblem(METADATA_FILE, "code",
                                              f"事项代码不能在设计器中修改：应为“{matter_code}”，而不是“{code}”"))
    return problems


def validate_draft(ctx: EngineContext, matter_code: str, actor: Actor,
                   files_patch: Mapping[str, str] | None = None) -> list[DefinitionProblem]:
    """Check the draft (with ``files_patch`` applied, unsaved) exactly as deploying would; [] means fine."""
    _require_designer(actor)
    with ctx.uow() as uow:
        files, _draft, _base, _latest = _load_draft(uow.session, matter_code)
    if files_patch:
        _check_patch(files, matter_code, files_patch, ctx.settings.max_xml_bytes)
        files.update(files_patch)
    return check_bundle(ctx, _complete_bundle(ctx, files), matter_code)


def deploy_draft(ctx: EngineContext, matter_code: str, actor: Actor) -> DeployResult:
    """Deploy the draft as the matter's next version; running cases keep the version they run on.

    :raise DefinitionInvalid: the draft has problems; nothing is stored.
    """
    _require_designer(actor)
    with ctx.uow() as uow:
        files, draft, _base, _latest = _load_draft(uow.session, matter_code)
        deployed_draft = (draft.id, draft.updated_at) if draft is not None else None
    bundle = _complete_bundle(ctx, files)
    problems = check_bundle(ctx, bundle, matter_code)
    if problems:
        raise DefinitionInvalid(problems)
    result = deploy_files(ctx, bundle, actor)
    if deployed_draft is not None:
        with ctx.uow() as uow:
            record = uow.session.get(DefinitionDraftRecord, deployed_draft[0])
            # A colleague's save after we read the draft is kept (it is not what was deployed).
            if record is not None and record.updated_at == deployed_draft[1]:
                uow.session.delete(record)
                uow.commit()
    return result


# -- forms ---------------------------------------------------------------------------------------


def check_form(schema_text: str, key: str) -> FormCheck:
    """Parse a form-js schema the way the server renders and validates it."""
    if not FORM_KEY.match(key or ""):
        return FormCheck(None, (f"表单标识“{key}”无效：只能使用字母、数字、下划线、点和连字符",))
    try:
        return FormCheck(load_form(schema_text, key, f"{key}.form"))
    except FormError as exc:
        return FormCheck(None, tuple(str(p) for p in getattr(exc, "problems", (exc,))))


def open_form(ctx: EngineContext, matter_code: str, key: str, actor: Actor) -> str:
    """A form's schema text for the form editor: the draft's, else the shared ``forms/`` one, else a blank form."""
    if not FORM_KEY.match(key or ""):
        raise DefinitionInvalid([DefinitionProblem(f"{FORMS_PREFIX}{key}.form", "",
                                                   "表单标识只能使用字母、数字、下划线、点和连字符")])
    text = open_draft(ctx, matter_code, actor).form_text(key)
    if text is not None:
        return text
    shared = ctx.settings.forms_dir / f"{key}.form"
    if shared.is_file():
        return shared.read_text(encoding="utf-8")
    return json.dumps({"type": "default", "id": f"Form_{key}", "schemaVersion": 16, "components": []},
                      ensure_ascii=False, indent=2)


def save_form(ctx: EngineContext, matter_code: str, key: str, schema_text: str, actor: Actor) -> FormCheck:
    """Store a form of the draft if the server accepts its schema; otherwise return the problems, store nothing."""
    _require_designer(actor)
    checked = check_form(schema_text, key)
    if checked.form is not None:
        save_draft(ctx, matter_code, {f"{FORMS_PREFIX}{key}.form": schema_text}, actor)
    return checked


# -- versions and diffs --------------------------------------------------------------------------


def designer_overview(ctx: EngineContext) -> list[DesignerMatter]:
    """Every matter with its versions (and running cases per version) and draft status."""
    with ctx.uow() as uow:
        counts = repo.running_case_counts(uow.session)
        rows = repo.definition_summaries(uow.session)
        drafts: dict[str, tuple[datetime, str]] = {}
        for draft in repo.definition_drafts(uow.session):
            drafts.setdefault(draft.matter_code, (draft.updated_at, draft.updated_by))
    grouped: dict[str, list[tuple[VersionInfo, dict[str, Any]]]] = {}
    for definition_id, code, version, metadata_json, deployed_at, deployed_by in rows:
        meta = json.loads(metadata_json)
        grouped.setdefault(code, []).append((VersionInfo(version, definition_id, meta.get("name", code), deployed_at,
                                                         deployed_by, counts.get(definition_id, 0)), meta))
    matters = []
    for code, items in sorted(grouped.items()):
        meta = items[-1][1]
        draft = drafts.get(code)
        matters.append(DesignerMatter(code=code, name=meta.get("name", code), department=meta.get("department", ""),
                                      versions=tuple(info for info, _ in items),
                                      draft_updated_at=draft[0] if draft is not None else None,
                                      draft_updated_by=draft[1] if draft is not None else ""))
    return matters


def matter_versions(ctx: EngineContext, matter_code: str) -> DesignerMatter:
    for matter in designer_overview(ctx):
        if matter.code == matter_code:
            return matter
    raise MatterNotFound(matter_code)


def _qname(name: str) -> str:
    if not name.startswith("{"):
        return name
    namespace, local = name[1:].split("}", 1)
    prefix = {BPMN_NS: "", CAMUNDA_NS: "camunda:", SPIFF_NS: "spiffworkflow:", XSI_NS: "xsi:"}.get(namespace)
    return f"{prefix}{local}" if prefix is not None else f"{{{namespace}}}{local}"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _is_flow_element(element: etree._Element) -> bool:
    parent = element.getparent()
    return (isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and parent is not None
            and parent.tag in {f"{{{BPMN_NS}}}{c}" for c in _FLOW_CONTAINERS} and bool(element.get("id"))
            and _local(element) not in _NOT_FLOW)


def _attributes_text(element: etree._Element) -> str:
    return ",".join(f"{_qname(k)}={v}" for k, v in sorted(element.attrib.items()))


def _canonical(element: etree._Element) -> str:
    if not isinstance(element.tag, str):
        return ""
    children = "".join(_canonical(child) for child in element)
    return f"<{_qname(element.tag)} {_attributes_text(element)}>{(element.text or '').strip()}{children}</>"


@dataclass(frozen=True)
class _Signature:
    """What a designer can change on one flow element, in a comparable form."""

    kind: str
    name: str
    file: str
    attributes: dict[str, str]
    texts: dict[str, str]
    properties: dict[str, str]
    other: str


#: BPMN attribute defaults: writing or omitting them is the same diagram (bpmn-js drops some when saving).
_DEFAULT_ATTRIBUTES = {"cancelActivity": "true", "isInterrupting": "true", "parallelMultiple": "false",
                       "isForCompensation": "false", "startQuantity": "1", "completionQuantity": "1",
                       "gatewayDirection": "Unspecified", "instantiate": "false", "triggeredByEvent": "false"}


def _signature(element: etree._Element, file: str) -> _Signature:
    attributes = {_qname(k): v for k, v in element.attrib.items()
                  if k not in ("id", "name") and _DEFAULT_ATTRIBUTES.get(k) != v}
    texts: dict[str, str] = {}
    properties: dict[str, str] = {}
    other: list[str] = []
    for child in element:
        local = _local(child)
        if not local or local in ("incoming", "outgoing") or _is_flow_element(child) or local == "laneSet":
            continue
        if local == "conditionExpression":
            texts["condition"] = (child.text or "").strip()
            other.append(f"<condition {_attributes_text(child)}>")
        elif local == "script" or local == "documentation":
            texts[local] = (child.text or "").strip()
        elif local == "timerEventDefinition":
            for timer in child:
                if _local(timer):
                    texts[_local(timer)] = (timer.text or "").strip()
        elif local == "multiInstanceLoopCharacteristics":
            for part in child:
                if _local(part) in ("loopCardinality", "completionCondition"):
                    texts[_local(part)] = (part.text or "").strip()
            other.append(f"<multiInstance {_attributes_text(child)}>")
        elif local == "extensionElements":
            for extension in child:
                if extension.tag == f"{{{CAMUNDA_NS}}}properties":
                    for prop in extension:
                        if isinstance(prop.tag, str) and prop.get("name"):
                            properties[prop.get("name") or ""] = prop.get("value") or ""
                else:
                    other.append(_canonical(extension))
        else:
            other.append(_canonical(child))
    return _Signature(kind=_local(element), name=element.get("name") or "", file=file, attributes=attributes,
                      texts=texts, properties=properties, other="".join(other))


def _signatures(files: Mapping[str, str], max_bytes: int) -> dict[str, _Signature]:
    """Flow element id -> signature over every diagram of a version (the matter's own first)."""
    found: dict[str, _Signature] = {}
    for name in sorted(files, key=lambda n: (n.startswith(COMMON_PREFIX), n)):
        if not name.endswith(".bpmn"):
            continue
        try:
            root = parse_xml(files[name], name, max_bytes).getroot()
        except UnsafeXml:
            continue
        for element in root.iter():
            if _is_flow_element(element):
                found.setdefault(element.get("id") or "", _signature(element, name))
    return found


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(old: _Signature, new: _Signature) -> list[str]:
    details: list[str] = []
    if old.kind != new.kind:
        details.append(f"类型：{ELEMENT_TYPES.get(old.kind, old.kind)} → {ELEMENT_TYPES.get(new.kind, new.kind)}")
    if old.name != new.name:
        details.append(f"名称：“{old.name}” → “{new.name}”")
    for key in sorted(set(old.attributes) | set(new.attributes)):
        before, after = old.attributes.get(key, ""), new.attributes.get(key, "")
        if before != after:
            details.append(f"{ATTRIBUTE_LABELS.get(key, key)}：“{_short(before)}” → “{_short(after)}”")
    for key in sorted(set(old.texts) | set(new.texts)):
        before, after = old.texts.get(key, ""), new.texts.get(key, "")
        if before != after:
            details.append(f"{TEXT_LABELS.get(key, key)}：“{_short(before)}” → “{_short(after)}”")
    for key in sorted(set(old.properties) | set(new.properties)):
        before, after = old.properties.get(key, ""), new.properties.get(key, "")
        if before != after:
            details.append(f"元素属性 {key}：“{before}” → “{after}”")
    if old.other != new.other:
        details.append("其他定义（扩展元素、事件定义等）已修改")
    return details


def _element_change(element_id: str, sig: _Signature, details: Iterable[str] = ()) -> ElementChange:
    return ElementChange(element_id=element_id, name=sig.name, kind=ELEMENT_TYPES.get(sig.kind, sig.kind),
                         file=sig.file, details=tuple(details))


def _metadata_changes(before_text: str, after_text: str) -> list[KeyChange]:
    before, after = _toml(before_text), _toml(after_text)
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k not in METADATA_LABELS, k)):
        if before.get(key) != after.get(key):
            def show(value: Any) -> str:
                return "（无）" if value is None else json.dumps(value, ensure_ascii=False)

            changes.append(KeyChange(key, METADATA_LABELS.get(key, key), show(before.get(key)), show(after.get(key))))
    return changes


def _version_record(session: Any, matter_code: str, version: int) -> DefinitionRecord:
    record = repo.definition_version(session, matter_code, version)
    if record is None:
        if repo.latest_definition(session, matter_code) is None:
            raise MatterNotFound(matter_code)
        raise VersionNotFound(matter_code, version)
    return record


def diff_versions(ctx: EngineContext, matter_code: str, v_from: int, v_to: int) -> VersionDiff:
    """What changed between two versions: flow elements (by id), ``matter.toml`` keys, forms, other files."""
    with ctx.uow() as uow:
        old_files = json.loads(_version_record(uow.session, matter_code, v_from).files_json)
        new_files = json.loads(_version_record(uow.session, matter_code, v_to).files_json)
    return diff_files(matter_code, v_from, v_to, old_files, new_files, ctx.settings.max_xml_bytes)


def diff_files(matter_code: str, v_from: int, v_to: int, old_files: Mapping[str, str], new_files: Mapping[str, str],
               max_bytes: int = 2 * 1024 * 1024) -> VersionDiff:
    old_sigs, new_sigs = _signatures(old_files, max_bytes), _signatures(new_files, max_bytes)
    added = [_element_change(i, s) for i, s in new_sigs.items() if i not in old_sigs]
    removed = [_element_change(i, s) for i, s in old_sigs.items() if i not in new_sigs]
    changed = []
    for element_id, old in old_sigs.items():
        new = new_sigs.get(element_id)
        if new is not None:
            details = _describe(old, new)
            if details:
                changed.append(_element_change(element_id, new, details))

    def form_names(files: Mapping[str, str]) -> dict[str, str]:
        return {name[len(FORMS_PREFIX):-len(".form")]: text for name, text in files.items()
                if name.startswith(FORMS_PREFIX) and name.endswith(".form")}

    old_forms, new_forms = form_names(old_files), form_names(new_files)
    others = sorted(name for name in set(old_files) | set(new_files)
                    if not name.startswith(FORMS_PREFIX) and name != METADATA_FILE and not name.endswith(".bpmn")
                    and old_files.get(name) != new_files.get(name))
    return VersionDiff(
        matter_code=matter_code, from_version=v_from, to_version=v_to, added=tuple(added), removed=tuple(removed),
        changed=tuple(changed),
        metadata_changes=tuple(_metadata_changes(old_files.get(METADATA_FILE, ""), new_files.get(METADATA_FILE, ""))),
        forms_added=tuple(sorted(set(new_forms) - set(old_forms))),
        forms_removed=tuple(sorted(set(old_forms) - set(new_forms))),
        forms_changed=tuple(sorted(k for k in set(old_forms) & set(new_forms) if old_forms[k] != new_forms[k])),
        other_files_changed=tuple(others))


# -- migrating running cases ---------------------------------------------------------------------


@dataclass
class _Assessment:
    reasons: list[str]
    top: WorkflowDiff
    subprocesses: dict[Any, WorkflowDiff | None]


def _task_label(task: Task) -> str:
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"“{name}”（{bpmn_id}）" if name else f"“{bpmn_id}”"


def _state_label(task: Task) -> str:
    state = TaskState.get_name(task.state)
    return STATE_LABELS.get(state, state)


def _assess(workflow: BpmnWorkflow, new: CompiledDefinition, old_sigs: Mapping[str, _Signature],
            new_sigs: Mapping[str, _Signature]) -> _Assessment:
    """Why the case cannot move (empty: it can), following spiff-example-cli's ``can_migrate``.

    A case is pinned to its version when a completed, started, ready or waiting task's spec is removed
    or changed in the target version. Ready tasks may get new incoming/outgoing wiring: migration
    re-predicts what follows them. Besides SpiffWorkflow's spec comparison, the element's BPMN (form,
    roles, element properties …, which SpiffWorkflow does not parse) must be unchanged too.
    """
    reasons: list[str] = []
    top_spec_diff = spec_diff(workflow.spec, new.spec)
    top = WorkflowDiff(workflow, top_spec_diff)
    diffs: list[tuple[WorkflowDiff, SpecDiff]] = [(top, top_spec_diff)]
    subprocesses: dict[Any, WorkflowDiff | None] = {}
    for sp_id, sub in workflow.subprocesses.items():
        target = new.subprocess_specs.get(sub.spec.name)
        if target is None:
            subprocesses[sp_id] = None
            reasons.append(f"正在运行的子流程“{sub.spec.name}”在新版本中已不存在")
            continue
        sub_spec_diff = spec_diff(sub.spec, target)
        subprocesses[sp_id] = WorkflowDiff(sub, sub_spec_diff)
        diffs.append((subprocesses[sp_id], sub_spec_diff))  # type: ignore[arg-type]
    seen: set[str] = set()
    for workflow_diff, specs_diff in diffs:
        for task in workflow_diff.removed:
            if task.has_state(_PINNING) and task.task_spec.name not in seen:
                seen.add(task.task_spec.name)
                reasons.append(f"{_state_label(task)}环节{_task_label(task)}在新版本中已删除")
        changed = specs_diff.changed
        for task in workflow_diff.alignment:
            if not task.has_state(_PINNING) or task.task_spec.name in seen:
                continue
            keys = set(changed.get(task.task_spec, ()))
            if task.state == TaskState.READY:
                keys -= _WIRING
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            described = _describe(old_sigs[bpmn_id], new_sigs[bpmn_id]) \
                if bpmn_id and bpmn_id in old_sigs and bpmn_id in new_sigs else []
            if described:
                keys -= _SHOWN_IN_BPMN  # already described, with before and after
            details = [SPEC_KEY_LABELS.get(key, key) for key in sorted(keys)] + described
            if details:
                seen.add(task.task_spec.name)
                reasons.append(f"{_state_label(task)}环节{_task_label(task)}在新版本中有改动：{'；'.join(details)}")
    return _Assessment(reasons, top, subprocesses)


def _migrate_in_memory(workflow: BpmnWorkflow, assessment: _Assessment, new: CompiledDefinition) -> None:
    # Only READY branches are reset: a WAITING timer keeps the due time it already has.
    migrate_workflow(assessment.top, workflow, new.spec, reset_mask=TaskState.READY)
    for sp_id, sub in workflow.subprocesses.items():
        sub_diff = assessment.subprocesses.get(sp_id)
        if sub_diff is not None:
            migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name], reset_mask=TaskState.READY)
    workflow.subprocess_specs = dict(new.subprocess_specs)


@dataclass
class _Move:
    reasons: list[str]
    runtime: CaseRuntime | None
    waiting_on: tuple[str, ...]


def _try_move(ctx: EngineContext, blob: bytes, old: CompiledDefinition, new: CompiledDefinition,
              sigs: tuple[Mapping[str, _Signature], Mapping[str, _Signature]]) -> _Move:
    """Migrate a fresh copy of the case's workflow: why it cannot move, or the moved runtime."""
    with clock_bound(ctx.clock):
        workflow = restore_state(blob, old.spec, old.subprocess_specs, ctx.script_engine)
        waiting = _waiting_on(workflow)
        assessment = _assess(workflow, new, *sigs)
        if assessment.reasons:
            return _Move(assessment.reasons, None, waiting)
        try:
            _migrate_in_memory(workflow, assessment, new)
            runtime = CaseRuntime(new, workflow)
            restore_state(dump_state(workflow), new.spec, new.subprocess_specs, ctx.script_engine)
            missing = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                       if t.task_spec.bpmn_id not in new.human_tasks]
        except Exception as exc:  # noqa: BLE001 - any failure means "do not move this case"
            return _Move([f"迁移后流程状态无法恢复：{type(exc).__name__}: {exc}"], None, waiting)
    if missing:
        return _Move([f"迁移后待办环节 {'、'.join(missing)} 在新版本中不是人工任务"], None, waiting)
    return _Move([], runtime, waiting)


def _waiting_on(workflow: BpmnWorkflow) -> tuple[str, ...]:
    """Names of the tasks the case waits on (people's work and timers/messages)."""
    return tuple(dict.fromkeys(getattr(t.task_spec, "bpmn_name", None) or t.task_spec.bpmn_id
                               for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
                               if getattr(t.task_spec, "bpmn_id", None)))


def _target(session: Any, matter_code: str, to_version: int) -> tuple[DefinitionRecord, dict[int, int]]:
    target = _version_record(session, matter_code, to_version)
    versions = {record.id: record.version for record in repo.definition_versions(session, matter_code)}
    return target, versions


def plan_migration(ctx: EngineContext, matter_code: str, to_version: int, actor: Actor) -> list[MigrationPlan]:
    """Dry run: for each running case on an older version, whether it can move to ``to_version`` and why."""
    _require_designer(actor)
    plans = []
    with ctx.uow() as uow:
        target, versions = _target(uow.session, matter_code, to_version)
        new = ctx.compiled(target)
        new_sigs = _signatures(new.files, ctx.settings.max_xml_bytes)
        old_sigs: dict[int, dict[str, _Signature]] = {}
        for case in repo.running_cases_of_matter(uow.session, matter_code):
            if versions.get(case.definition_id, to_version) >= to_version:
                continue
            old = ctx.compiled(repo.definition_of_case(uow.session, case))
            if case.definition_id not in old_sigs:
                old_sigs[case.definition_id] = _signatures(old.files, ctx.settings.max_xml_bytes)
            move = _try_move(ctx, case.state, old, new, (old_sigs[case.definition_id], new_sigs))
            plans.append(MigrationPlan(
                case_id=case.id, case_number=case.case_number, title=case.title,
                from_version=versions[case.definition_id], to_version=to_version,
                can_migrate=move.runtime is not None,
                reasons=tuple(move.reasons) or ("已办和待办环节在新版本中均未改动，可以迁移",),
                waiting_on=move.waiting_on))
    return plans


def migrate_cases(ctx: EngineContext, matter_code: str, to_version: int, actor: Actor) -> list[MigrationPlan]:
    """Move every movable running case to ``to_version``, each in its own transaction under the case lock.

    The case is checked again under the lock (it may have moved on since the dry run); cases that
    cannot move stay on their version and are reported with the reasons.
    """
    _require_designer(actor)
    results: list[MigrationPlan] = []
    for plan in plan_migration(ctx, matter_code, to_version, actor):
        if not plan.can_migrate:
            results.append(plan)
            continue
        try:
            results.append(with_retries(ctx.settings.conflict_retries,
                                        lambda plan=plan: _migrate_one(ctx, matter_code, to_version, plan, actor)))
        except ConcurrentUpdate:
            results.append(MigrationPlan(plan.case_id, plan.case_number, plan.title, plan.from_version, to_version,
                                         False, ("办件正在被他人办理，本次未迁移，请稍后重试",), plan.waiting_on))
    return results


def _migrate_one(ctx: EngineContext, matter_code: str, to_version: int, plan: MigrationPlan,
                 actor: Actor) -> MigrationPlan:
    with ctx.uow() as uow:
        target, versions = _target(uow.session, matter_code, to_version)
        case = repo.lock_case(uow.session, plan.case_id)
        if case is None or case.status != "running" or versions.get(case.definition_id, to_version) >= to_version:
            return MigrationPlan(plan.case_id, plan.case_number, plan.title, plan.from_version, to_version, False,
                                 ("办件已办结、已迁移或状态已变化，未迁移",), plan.waiting_on)
        old_record = repo.definition_of_case(uow.session, case)
        old, new = ctx.compiled(old_record), ctx.compiled(target)
        sigs = (_signatures(old.files, ctx.settings.max_xml_bytes), _signatures(new.files, ctx.settings.max_xml_bytes))
        move = _try_move(ctx, case.state, old, new, sigs)
        runtime = move.runtime
        if runtime is None:
            return MigrationPlan(plan.case_id, plan.case_number, plan.title, old_record.version, to_version, False,
                                 tuple(move.reasons), move.waiting_on)
        ctx.take_runtime(case.id, -1)  # drop any cached copy of the old workflow
        now = ctx.clock.now()
        case.definition_id = target.id
        repo.append_history(uow.session, case, occurred_at=now, event_type="case_migrated", actor_id=actor.user_id,
                            actor_role=actor.role_label,
                            data_before=to_json({"definition_version": old_record.version}),
                            data_after=to_json({"from_version": old_record.version, "to_version": target.version}))
        save_runtime(uow.session, case, runtime, [], actor, now)
        uow.session.flush()
        uow.commit()
        return MigrationPlan(plan.case_id, plan.case_number, plan.title, old_record.version, to_version, True,
                             (f"已从第 {old_record.version} 版迁移到第 {target.version} 版",),
                             _waiting_on(runtime.workflow), migrated=True)


# -- Camunda Modeler 7 bundles -------------------------------------------------------------------


def _label(element: etree._Element) -> str:
    kind = ELEMENT_TYPES.get(_local(element), _local(element))
    name = element.get("name")
    return f"{kind}“{name}”" if name else kind


def _owner(element: etree._Element) -> etree._Element:
    """The BPMN element (with an id) an extension or expression belongs to."""
    current: etree._Element | None = element
    while current is not None:
        if isinstance(current.tag, str) and current.tag.startswith(f"{{{BPMN_NS}}}") and current.get("id") \
                and _local(current) not in ("conditionExpression", "timerEventDefinition", "extensionElements"):
            return current
        current = current.getparent()
    return element


_JAVA_ATTRIBUTES = {"class": "Java 类", "delegateExpression": "委托表达式（Java Bean）", "expression": "JUEL 表达式"}


_UNPARSED = ("BPMN 校验失败", "BPMN 解析失败")


def _camunda_findings(file: str, root: etree._Element) -> list[tuple[DefinitionProblem, tuple[str, ...]]]:
    """Each Camunda problem with the catalog messages (substrings) it makes redundant for its element."""
    problems: list[tuple[DefinitionProblem, tuple[str, ...]]] = []

    def add(element: etree._Element, message: str, replaces: tuple[str, ...] = ()) -> None:
        owner = _owner(element)
        problems.append((DefinitionProblem(file, owner.get("id", ""), f"{_label(owner)}：{message}"), replaces))

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = _local(element)
        in_bpmn = element.tag.startswith(f"{{{BPMN_NS}}}")
        in_camunda = element.tag.startswith(f"{{{CAMUNDA_NS}}}")
        if in_bpmn:
            for attribute, what in _JAVA_ATTRIBUTES.items():
                if element.get(f"{{{CAMUNDA_NS}}}{attribute}") is not None:
                    add(element, f"使用了 camunda:{attribute}（{what}），本系统不运行 Java 代码或 JUEL 表达式；"
                                 "请改用脚本任务（Python）或已注册的服务任务（spiffworkflow:serviceTaskOperator）",
                        (f"不支持 camunda:{attribute}", *_UNPARSED))
            if element.get(f"{{{CAMUNDA_NS}}}type") == "external" or element.get(f"{{{CAMUNDA_NS}}}topic"):
                add(element, "是外部任务（camunda:type=\"external\"），本系统没有外部任务工作者；"
                             "请改用已注册的服务任务", ("不支持 camunda:type", "不支持 camunda:topic", *_UNPARSED))
            if element.get(f"{{{CAMUNDA_NS}}}candidateUsers"):
                add(element, "不支持 camunda:candidateUsers，请用 camunda:candidateGroups 指定办理角色",
                    ("没有办理角色",))
            if element.get(f"{{{CAMUNDA_NS}}}decisionRef"):
                add(element, "使用了 camunda:decisionRef；请改用 spiffworkflow:calledDecisionId 并附上 .dmn 文件",
                    _UNPARSED)
            if element.get(f"{{{CAMUNDA_NS}}}formRef") and not element.get(f"{{{CAMUNDA_NS}}}formKey"):
                add(element, "使用了 camunda:formRef，但上传的 .form 文件中没有该 id 的表单", ("没有表单",))
            form_key = element.get(f"{{{CAMUNDA_NS}}}formKey") or ""
            if form_key.startswith("embedded:") or form_key.endswith((".html", ".htm")):
                add(element, f"表单“{form_key}”是嵌入式 HTML 表单，本系统只支持 form-js 表单（.form 文件）",
                    ("在 forms/ 中不存在",))
            if local == "conditionExpression":
                text = (element.text or "").strip()
                language = (element.get("language") or "").strip().lower()
                if "${" in text or "#{" in text:
                    add(element, f"条件“{_short(text)}”是 Camunda 的 JUEL/FEEL 表达式（${{...}}），"
                                 "请改写为 Python 表达式，例如 decision == 'approve'", ("条件表达式", *_UNPARSED))
                elif language and language != "python":
                    add(element, f"条件表达式语言“{language}”不受支持，只支持 Python", ("条件表达式",))
                elif element.get(f"{{{CAMUNDA_NS}}}resource"):
                    add(element, "条件表达式引用了外部脚本文件（camunda:resource），请直接写 Python 表达式",
                        ("条件表达式",))
            elif local in ("timeDuration", "timeDate", "timeCycle", "loopCardinality", "completionCondition"):
                text = (element.text or "").strip()
                if "${" in text or "#{" in text:
                    add(element, f"表达式“{_short(text)}”是 Camunda 的 JUEL 表达式（${{...}}），请改写为 Python，"
                                 "定时器例如 \"P5D\" 或 workday_deadline(5, received_at)",
                        ("定时器", "多实例表达式", *_UNPARSED))
            elif local == "scriptTask":
                script_format = (element.get("scriptFormat") or "").strip().lower()
                if script_format and script_format != "python":
                    add(element, f"脚本语言“{element.get('scriptFormat')}”不受支持，只支持 Python",
                        ("脚本不合规", *_UNPARSED))
                if element.get(f"{{{CAMUNDA_NS}}}resource"):
                    add(element, "脚本引用了外部文件（camunda:resource），请把 Python 脚本直接写在任务中",
                        ("脚本", *_UNPARSED))
        elif in_camunda:
            if local in ("executionListener", "taskListener"):
                kind = "执行监听器" if local == "executionListener" else "任务监听器"
                add(element, f"使用了 Camunda {kind}（camunda:{local}），本系统不运行监听器；"
                             "请把逻辑改为流程中的脚本任务")
            elif local == "connector":
                add(element, "使用了 Camunda Connector（camunda:connector），请改用已注册的服务任务")
            elif local == "inputOutput":
                add(element, "使用了输入/输出映射（camunda:inputOutput），本系统不支持；请在脚本任务中赋值")
            elif local == "formData":
                add(element, "使用了 Camunda 生成式表单（camunda:formData），请改用 form-js 表单（.form 文件）")
            elif local in ("in", "out") and (element.get("sourceExpression") or "").find("${") >= 0:
                add(element, "调用活动的变量映射使用了 JUEL 表达式，请删除或改写")
    return problems


def _decode(name: str, data: bytes | str, problems: list[DefinitionProblem]) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(DefinitionProblem(name, "", "文件不是 UTF-8 编码的文本"))
        return None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def build_matter_toml(metadata: Mapping[str, Any], process_id: str) -> str:
    """``matter.toml`` from import form fields; ``parse_metadata`` checks the result."""
    lines = ["# 由 Camunda Modeler 文件导入生成"]
    for key in ("code", "name", "department", "implementation_code"):
        value = str(metadata.get(key) or "").strip()
        if value:
            lines.append(f"{key} = {_toml_value(value)}")
    lines.append(f"process_id = {_toml_value(process_id)}")
    case_type = str(metadata.get("case_type") or "").strip()
    if case_type:
        lines.append(f"case_type = {_toml_value(case_type)}")
    for key in LIMIT_KEYS:
        raw = metadata.get(key)
        text = str(raw if raw is not None else "").strip()
        if text.isdigit():
            lines.append(f"{key} = {int(text)}")
        elif text:
            lines.append(f"{key} = {_toml_value(text)}")
    for key in ("fee", "description"):
        value = str(metadata.get(key) or "").strip()
        if value:
            lines.append(f"{key} = {_toml_value(value)}")
    for key in ("legal_basis", "conditions", "starter_groups"):
        raw = metadata.get(key)
        items = [str(x).strip() for x in raw] if isinstance(raw, list | tuple) else \
            [line.strip() for line in str(raw or "").replace(",", "\n").splitlines()] if key == "starter_groups" else \
            [line.strip() for line in str(raw or "").splitlines()]
        items = [item for item in items if item]
        if items:
            lines.append(f"{key} = {_toml_value(items)}")
    return "\n".join(lines) + "\n"


def _resolve_form_refs(root: etree._Element, forms: Mapping[str, str]) -> bool:
    """Turn Camunda 7.19+ ``camunda:formRef`` (a form's id) into our ``camunda:formKey`` (its file name)."""
    ids: dict[str, str] = {}
    for key, text in forms.items():
        try:
            form_id = json.loads(text).get("id")
        except (ValueError, AttributeError):
            continue
        if isinstance(form_id, str):
            ids[form_id] = key
    changed = False
    for element in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}startEvent"):
        ref = element.get(f"{{{CAMUNDA_NS}}}formRef")
        if ref and not element.get(f"{{{CAMUNDA_NS}}}formKey"):
            key = ids.get(ref) or (ref if ref in forms else None)
            if key is not None:
                element.set(f"{{{CAMUNDA_NS}}}formKey", f"camunda-forms:app:{key}.form")
                for attribute in ("formRef", "formRefBinding", "formRefVersion"):
                    element.attrib.pop(f"{{{CAMUNDA_NS}}}{attribute}", None)
                changed = True
    return changed


def import_camunda_bundle(ctx: EngineContext, files: Mapping[str, bytes | str], metadata: Mapping[str, Any],
                          actor: Actor) -> DeployResult:
    """Check and deploy a Camunda Modeler 7 bundle: one ``.bpmn`` and the ``.form`` files it uses.

    ``matter.toml`` is built from ``metadata`` (code, name, department, implementation code, case type,
    limits) with ``process_id`` taken from the diagram's executable process. Form keys may be
    ``camunda-forms:app:<file>.form`` or plain keys; ``camunda:formRef`` is resolved by form id.

    :raise DefinitionInvalid: every problem found, each naming file and element; nothing is stored.
    """
    _require_designer(actor)
    problems: list[DefinitionProblem] = []
    bpmn: list[tuple[str, str]] = []
    forms: dict[str, str] = {}
    for raw_name, data in files.items():
        name = Path(str(raw_name).replace("\\", "/")).name
        lower = name.lower()
        if lower.endswith(".bpmn"):
            text = _decode(name, data, problems)
            if text is not None:
                bpmn.append((name, text))
        elif lower.endswith(".form"):
            key = name[: -len(".form")]
            text = _decode(name, data, problems)
            if not FORM_KEY.match(key):
                problems.append(DefinitionProblem(name, "", "表单文件名只能包含字母、数字、下划线、点和连字符"))
            elif text is not None:
                checked = check_form(text, key)
                problems.extend(DefinitionProblem(f"{FORMS_PREFIX}{name}", "", error) for error in checked.errors)
                forms[key] = text
        else:
            problems.append(DefinitionProblem(name, "", "不支持的文件类型：只接受一个 .bpmn 文件和它使用的 .form 文件"))
    if len(bpmn) != 1:
        problems.append(DefinitionProblem("", "", "请上传且只上传一个 .bpmn 文件" if bpmn else "没有上传 .bpmn 文件"))
        raise DefinitionInvalid(problems)
    bpmn_name, bpmn_text = bpmn[0]
    try:
        tree = parse_xml(bpmn_text, bpmn_name, ctx.settings.max_xml_bytes)
    except UnsafeXml as exc:
        raise DefinitionInvalid([*problems, DefinitionProblem(bpmn_name, "", exc.message)]) from exc
    root = tree.getroot()
    processes = root.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable") == "true"] or (processes if len(processes) == 1 else [])
    process_id = ""
    if len(executable) != 1:
        problems.append(DefinitionProblem(bpmn_name, "", "流程图中应有且只有一个可执行流程（isExecutable=\"true\"）"
                                          if executable or not processes else "流程图中没有流程（bpmn:process）"))
    else:
        process_id = executable[0].get("id", "")
    if _resolve_form_refs(root, forms):
        bpmn_text = etree.tostring(tree, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    bundle = {bpmn_name: bpmn_text, METADATA_FILE: build_matter_toml(metadata, process_id)}
    bundle.update({f"{FORMS_PREFIX}{key}.form": text for key, text in forms.items()})
    bundle = _complete_bundle(ctx, bundle)
    code = str(metadata.get("code") or "").strip()
    problems.extend(p for p in check_bundle(ctx, bundle) if not (process_id == "" and p.element_id == "process_id"))
    if problems:
        raise DefinitionInvalid(_unique(problems))
    with ctx.uow() as uow:
        latest = repo.latest_definition(uow.session, code)
        existing = json.loads(latest.metadata_json).get("process_id") if latest is not None else process_id
        if existing != process_id:
            raise DefinitionInvalid([DefinitionProblem(
                METADATA_FILE, "code", f"事项“{code}”已存在且流程 id 不同（现有：{existing}），"
                                       "请换一个事项代码或使用相同的流程 id")])
    return deploy_files(ctx, bundle, actor)


def _unique(problems: Iterable[DefinitionProblem]) -> list[DefinitionProblem]:
    seen: set[DefinitionProblem] = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result
