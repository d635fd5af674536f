"""``onewindow catalogue export|import`` and ``onewindow org import``: the 事项库 and the organisation
as spreadsheets from the command line (the same services as the admin pages)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.actors import Actor
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from engine.tabular import ImportRefused
from engine.tabular import TableUnreadable
from engine.tabular import table_format

OUTCOMES = {"added": "新增", "changed": "修改", "unchanged": "未变"}


def _readable(path: str) -> bytes:
    """The file's bytes, after its name says it is a table (so a wrong name is refused before reading)."""
    table_format(path)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TableUnreadable(f"无法读取文件 {path}：{exc.strerror or exc}") from exc


def _run(args: argparse.Namespace, work: Any, *, changes_cases: bool = False) -> int:
    """Run ``work`` with a context; ``changes_cases``: it may write case history (e.g. an import that
    deactivates a person releases their claimed tasks, with a history row on each case), so in
    production it needs the history key, or the chain heads it saves would be unsigned."""
    from webapp.cli import CLI_ACTOR
    from webapp.keys import StartupRefused
    from webapp.keys import writing_context

    ctx = EngineContext.create(EngineSettings())
    if changes_cases:
        try:
            ctx = writing_context(ctx)
        except StartupRefused as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
    try:
        return int(work(ctx, CLI_ACTOR))
    except (ImportRefused, TableUnreadable) as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2
    finally:
        ctx.dispose()


def cmd_catalogue_export(args: argparse.Namespace) -> int:
    from engine.services.catalogue.tables import export_catalogue

    def work(ctx: EngineContext, actor: Actor) -> int:
        data = export_catalogue(ctx, table_format(args.file))
        Path(args.file).write_bytes(data)
        print(f"已导出事项库到 {args.file}（{len(data)} 字节）")
        return 0

    return _run(args, work)


def cmd_catalogue_import(args: argparse.Namespace) -> int:
    from engine.services.catalogue.tables import import_catalogue

    def work(ctx: EngineContext, actor: Actor) -> int:
        result = import_catalogue(ctx, actor, _readable(args.file), Path(args.file).name, dry_run=args.dry_run)
        for change in result.changes:
            if change.outcome == "changed":
                print(f"修改 {change.code} {change.name}")
                for column, (old, new) in change.changes.items():
                    print(f"    {column}：{old!r} → {new!r}")
            elif change.outcome == "added":
                print(f"新增 {change.code} {change.name}")
        counts = "，".join(f"{label} {result.count(key)} 项" for key, label in OUTCOMES.items())
        done = "试导入（未作修改）" if args.dry_run else "已导入"
        print(f"{done}：{counts}；文件未列入的 {len(result.not_in_file)} 项保持不变")
        return 0

    return _run(args, work)


def cmd_org_import(args: argparse.Namespace) -> int:
    from engine.services.organisation.importing import import_organisation

    def work(ctx: EngineContext, actor: Actor) -> int:
        result = import_organisation(ctx, actor, _readable(args.file), Path(args.file).name, dry_run=args.dry_run)
        counts = "，".join(f"{label} {result.count(key)} 项" for key, label in OUTCOMES.items())
        print(f"{'试导入（未作修改）' if args.dry_run else '已导入'}{result.kind_label}：{counts}")
        return 0

    return _run(args, work, changes_cases=not args.dry_run)


def add_commands(sub: Any) -> None:
    """Register ``catalogue`` and ``org`` on the ``onewindow`` parser's subcommands."""
    catalogue = sub.add_parser("catalogue", help="事项库：导出或导入（CSV / XLSX）")
    catalogue_sub = catalogue.add_subparsers(dest="catalogue_command", required=True)
    export = catalogue_sub.add_parser("export", help="导出全部事项到 FILE（.csv 或 .xlsx）")
    export.add_argument("file")
    export.set_defaults(func=cmd_catalogue_export)
    load = catalogue_sub.add_parser("import", help="从 FILE 导入事项（全部通过才导入；--dry-run 只列出差异）")
    load.add_argument("file")
    load.add_argument("--dry-run", action="store_true", help="只检查并列出将新增、修改的事项，不作修改")
    load.set_defaults(func=cmd_catalogue_import)
    org = sub.add_parser("org", help="组织机构：导入机关、科室、岗位、窗口或人员（CSV / XLSX）")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    org_load = org_sub.add_parser("import", help="从 FILE 导入一类组织机构数据（按列标题识别）")
    org_load.add_argument("file")
    org_load.add_argument("--dry-run", action="store_true")
    org_load.set_defaults(func=cmd_org_import)
