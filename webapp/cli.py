"""The ``onewindow`` command: init, serve, worker, deploy, matters, workdays, calendar, verify, export, backup."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

from engine.actors import Actor
from engine.errors import EngineError
from engine.services.context import EngineContext
from engine.settings import EngineSettings
from webapp.cli_catalogue import add_commands as add_catalogue_commands
from webapp.logs import configure_logging

CLI_ACTOR = Actor("cli", "命令行", frozenset({"designer", "admin"}))


def _context() -> EngineContext:
    from webapp.keys import command_context

    return command_context(EngineContext.create(EngineSettings()))


def _writing_context() -> EngineContext | None:
    """The context of a command that moves deadlines or re-signs cases; None (after saying why) in
    production without the history key."""
    from webapp.keys import StartupRefused
    from webapp.keys import writing_context

    try:
        return writing_context(EngineContext.create(EngineSettings()))
    except StartupRefused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return None


def _print_deploys(results: list, unchanged: str) -> None:  # type: ignore[type-arg]
    for result in results:
        print(f"{result.matter_code}: v{result.version}（{'新版本' if result.created else unchanged}）")


def _print_hall(result: Any) -> None:
    if result.organisation:
        print("已载入示例大厅的组织机构（processes/_catalogue/organisation）")
    if result.sample is not None:
        print(f"已载入示例事项库：{result.sample.count('added')} 个事项（数据说明：示例数据）")
    if result.seeded:
        print(f"已由 matter.toml 生成事项库条目：{'、'.join(result.seeded)}")


def cmd_init(args: argparse.Namespace) -> int:
    """Migrate, seed the calendar, deploy ``processes/``; then the demo accounts (``--demo``) or,
    by default, the one administrator of a production installation (created once)."""
    from engine.persistence.migrate import upgrade_database
    from engine.services.bootstrap import add_demo_accounts
    from engine.services.bootstrap import ensure_administrator
    from engine.services.bootstrap import is_demo_installation
    from engine.services.calendar import seed_calendar
    from engine.services.catalogue.seed import seed_catalogue
    from engine.services.deadline_backfill import backfill_deadlines
    from engine.services.deploy import deploy_path

    settings = EngineSettings()
    if not args.demo:
        # Checked before anything changes: a release's init re-signs the cases it backfills.
        probe = _writing_context()
        if probe is None:
            return 2
        probe.dispose()
    upgrade_database(settings.database_url)
    ctx = _context()
    try:
        days = seed_calendar(ctx, CLI_ACTOR)
        if days:
            print(f"工作日历已初始化（{days} 个节假日/调休日）")
        _print_deploys(deploy_path(ctx, settings.processes_dir, CLI_ACTOR), unchanged="未变化")
        derived = backfill_deadlines(ctx, CLI_ACTOR)
        if derived:
            print(f"已为 {derived} 个此前受理的办件写入期限记录（依办理记录推算）")
        _print_hall(seed_catalogue(ctx, CLI_ACTOR, with_sample=not args.no_sample))
        if args.demo:
            for username in add_demo_accounts(ctx):
                print(f"演示账号已创建：{username}")
            return 0
        admin = ensure_administrator(ctx, os.environ.get("ONEWINDOW_ADMIN_PASSWORD") or None,
                                     os.environ.get("ONEWINDOW_ADMIN_USERNAME") or "admin")
        if admin is not None and admin.generated:
            print(f"管理员账号已创建：{admin.username}")
            print(f"初始密码（只显示这一次，请立即妥善保存）：{admin.password}")
        elif admin is not None:
            print(f"管理员账号已创建：{admin.username}（密码取自 ONEWINDOW_ADMIN_PASSWORD）")
        elif is_demo_installation(ctx):
            print("这是演示数据库（含演示账号），未创建管理员；生产环境请使用新的数据库")
    finally:
        ctx.dispose()
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from engine.services.deploy import deploy_path

    ctx = _context()
    try:
        _print_deploys(deploy_path(ctx, Path(args.path), CLI_ACTOR), unchanged="内容未变化，未生成新版本")
    finally:
        ctx.dispose()
    return 0


def cmd_matters(args: argparse.Namespace) -> int:
    from engine.services.deploy import list_matters

    ctx = _context()
    try:
        matters = list_matters(ctx)
        if not matters:
            print("尚未部署任何事项")
        for m in matters:
            print(f"{m.code}\t{m.name}\t{m.department}\t{m.case_type}\t法定{m.statutory_limit_wd}/承诺"
                  f"{m.promised_limit_wd}个工作日\tv{m.version}")
    finally:
        ctx.dispose()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from engine.services.timers import run_worker
    from engine.services.timers import warm_up
    from webapp.keys import StartupRefused
    from webapp.keys import is_demo
    from webapp.keys import serving_context

    ctx = EngineContext.create(EngineSettings())
    try:
        ctx = serving_context(ctx, is_demo(ctx))
    except StartupRefused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        try:
            warm_up(ctx)  # ready before it says so: a worker taking over does not parse BPMN while timers wait
        except Exception:  # noqa: BLE001 - e.g. a database not yet initialised: the loop logs and retries
            logging.getLogger("onewindow.worker").warning("could not compile timer diagrams in advance", exc_info=True)
        print(f"定时器工作进程已启动（到期即触发，至少每 {args.interval:g} 秒检查一次）", flush=True)
        run_worker(ctx, stop, args.interval)
    finally:
        ctx.dispose()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Check the configuration once (a refusal is a clear message, not a worker crash loop), say
    where to open the app, then serve."""
    from engine.services.accounts import DEMO_PASSWORD
    from webapp.app import create_app
    from webapp.keys import StartupRefused

    try:
        app = create_app()
    except StartupRefused as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    demo = app.config["ONEWINDOW_DEMO"]
    if not args.dev:
        app.extensions["onewindow"].dispose()  # each gunicorn worker builds its own app and pool
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    print(f"一窗通办{'演示环境' if demo else ''}已启动，请在浏览器中打开 http://{shown}:{args.port}/", flush=True)
    if demo:
        print(f"演示账号（如 demo_citizen、demo_window、demo_admin）的密码均为 {DEMO_PASSWORD}", flush=True)
    worker = None
    if args.with_worker:
        worker = subprocess.Popen([sys.executable, "-m", "webapp.cli", "worker"])
    try:
        if args.dev:
            app.run(host=args.host, port=args.port, debug=False, threaded=True)
            return 0
        from webapp.wsgi_server import serve

        serve(args.host, args.port, workers=args.workers)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(10)
    return 0


def cmd_workdays(args: argparse.Namespace) -> int:
    from engine.calendar import WorkCalendar
    from engine.calendar.seed import national_days_from_chinesecalendar

    entries, years = national_days_from_chinesecalendar()
    calendar = WorkCalendar(entries, years)
    start = date.fromisoformat(args.start)
    due = calendar.add_workdays(start, args.days)
    note = "（暂定：该年度国务院放假通知尚未录入）" if calendar.is_provisional(due) else ""
    weekday = "一二三四五六日"[due.weekday()]
    print(f"{due.isoformat()} 星期{weekday}{note}")
    return 0


def cmd_calendar_add_year(args: argparse.Namespace) -> int:
    from engine.services.calendar import add_year

    ctx = _writing_context()
    if ctx is None:
        return 2
    try:
        notice = Path(args.file).read_text(encoding="utf-8")
        try:
            moved = add_year(ctx, args.year, notice, CLI_ACTOR)
        except ValueError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        print(f"{args.year} 年放假安排已录入；{len(moved)} 个办件的办结期限随之调整")
        for number, old, new in moved:
            print(f"{number}: {old.isoformat()} → {new.isoformat()}")
    finally:
        ctx.dispose()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from engine.services.audit import sign_unsigned_heads
    from engine.services.audit import verify_history

    ctx = _context()
    try:
        if args.sign_unsigned:
            signed = sign_unsigned_heads(ctx, CLI_ACTOR)
            print(f"已为 {signed} 个核验无误的办件补签记录链头")
        results = verify_history(ctx, args.case)
        keyed = bool(ctx.settings.history_key)
    finally:
        ctx.dispose()
    if not keyed:
        print("提示：未配置 ONEWINDOW_HISTORY_KEY，链头未签名，无法发现整条记录链被改写")
    broken = [r for r in results if not r.ok]
    for r in broken:
        print(f"{r.case_number}: 第 {r.first_bad_seq} 条记录异常：{r.problem}")
    print(f"已核验 {len(results)} 个办件的办理记录，{len(broken)} 个异常")
    return 1 if broken else 0


def cmd_export(args: argparse.Namespace) -> int:
    from datetime import datetime

    from engine.clock import CHINA_TZ
    from engine.services.audit import export_csv
    from engine.services.audit import export_xes
    from engine.services.audit import mining_events

    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ) if text else None

    ctx = _context()
    try:
        events = mining_events(ctx, matter_code=args.matter, since=moment(args.since), until=moment(args.until))
    finally:
        ctx.dispose()
    body = export_xes(events) if args.format == "xes" else export_csv(events)
    if args.output:
        Path(args.output).write_text(body, encoding="utf-8")
        print(f"已导出 {len(events)} 条事件到 {args.output}")
    else:
        sys.stdout.write(body)
    return 0


def cmd_calendar_close(args: argparse.Namespace) -> int:
    from engine.services.calendar import add_closure

    ctx = _writing_context()
    if ctx is None:
        return 2
    try:
        try:
            moved = add_closure(ctx, date.fromisoformat(args.day), args.name, CLI_ACTOR)
        except ValueError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        print(f"{args.day} 已设为停办日；{len(moved)} 个办件的办结期限随之调整")
    finally:
        ctx.dispose()
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from engine.persistence.backup import backup_database

    info = backup_database(EngineSettings().database_url, Path(args.file))
    print(f"已备份到 {info.path}（{info.size} 字节，数据库结构版本 {info.revision}）")
    print("上传的材料文件不在数据库中：请同时备份 instance/uploads/ 目录")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from engine.persistence.backup import restore_database

    restore_database(Path(args.file), EngineSettings().database_url, force=args.force)
    print(f"已从 {args.file} 恢复数据库；请运行 onewindow verify 核验办理记录，再启动服务")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onewindow", description="一窗通办 管理命令")
    sub = parser.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="升级数据库、部署 processes/ 中的事项；首次运行创建管理员账号")
    init.add_argument("--demo", action="store_true", help="创建演示账号（公开密码，仅供试用）而非管理员")
    init.add_argument("--no-sample", action="store_true",
                      help="不载入示例大厅（组织机构与 150 余项示例事项），用于载入本地实施清单的正式环境")
    init.set_defaults(func=cmd_init)
    serve = sub.add_parser("serve", help="启动 Web 服务")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--dev", action="store_true", help="使用 Flask 开发服务器")
    serve.add_argument("--with-worker", action="store_true", help="同时启动定时器工作进程")
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="运行定时器工作进程")
    worker.add_argument("--interval", type=float, default=5.0)
    worker.set_defaults(func=cmd_worker)
    deploy = sub.add_parser("deploy", help="校验并部署一个事项目录（或包含多个事项的目录）")
    deploy.add_argument("path")
    deploy.set_defaults(func=cmd_deploy)
    sub.add_parser("matters", help="列出已部署的事项").set_defaults(func=cmd_matters)
    workdays = sub.add_parser("workdays", help="工作日计算")
    workdays_sub = workdays.add_subparsers(dest="workdays_command", required=True)
    add = workdays_sub.add_parser("add", help="计算某日之后第 N 个工作日")
    add.add_argument("start", help="起算日期，如 2025-09-26（当日不计入）")
    add.add_argument("days", type=int)
    add.set_defaults(func=cmd_workdays)
    verify = sub.add_parser("verify", help="核验办理记录哈希链，指出第一条被修改、插入或删除的记录")
    verify.add_argument("--case", type=int, default=None)
    verify.add_argument("--sign-unsigned", action="store_true",
                        help="先为核验无误但尚无签名的办件补签链头（启用 ONEWINDOW_HISTORY_KEY 后运行一次）")
    verify.set_defaults(func=cmd_verify)
    export = sub.add_parser("export", help="导出办理记录（XES 或 CSV），供流程挖掘")
    export.add_argument("--format", choices=("xes", "csv"), default="xes")
    export.add_argument("--matter", default=None)
    export.add_argument("--since", default=None, help="起始日期，如 2025-09-01")
    export.add_argument("--until", default=None, help="截止日期（不含）")
    export.add_argument("-o", "--output", default=None)
    export.set_defaults(func=cmd_export)
    calendar = sub.add_parser("calendar", help="工作日历维护")
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    add_year = calendar_sub.add_parser("add-year", help="录入某年国务院放假通知（每行：日期[..日期] 休|班 名称）")
    add_year.add_argument("year", type=int)
    add_year.add_argument("file")
    add_year.set_defaults(func=cmd_calendar_add_year)
    close = calendar_sub.add_parser("close", help="设定本地停办日（如地方性假日、极端天气），期限顺延")
    close.add_argument("day")
    close.add_argument("name")
    close.set_defaults(func=cmd_calendar_close)
    backup = sub.add_parser("backup", help="备份数据库（运行中也可安全备份）")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="从备份恢复数据库（请先停止服务和定时器进程）")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="覆盖已有办件或账号的数据库")
    restore.set_defaults(func=cmd_restore)
    add_catalogue_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except EngineError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
