"""The sample hall's organisation: the organs of 临江县 (a fictional county of the fictional 江州市) whose
matters the hall accepts, their departments and posts, and the hall's windows.

Data for ``generate.py``, which writes it to ``organisation/*.csv``; never imported by the app.
Credit codes are made up but carry valid check characters; the five drawn matters' implementation
codes start with the codes of their organs here. Posts keep the candidate-group names the drawn
diagrams already use (``zj_chengban``, ``scjg_review``, ``ws_chief``, …); every other organ gets the
regular four: ``<organ>_chengban`` 承办, ``<organ>_shenhe`` 审核, ``<organ>_pizhun`` 批准, ``<organ>_fzr``
负责人 (who approves extensions and signs for the organ).
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.cn import uscc

COUNTY = "临江县"
CITY = "江州市"
COUNTY_GOVERNMENT = f"{COUNTY}人民政府"
COURT = f"{COUNTY}人民法院"
HALL_ADDRESS = f"{COUNTY}政务服务中心（临江大道 88 号）"


def credit_code(serial: int, prefix: str = "11") -> str:
    """A made-up 统一社会信用代码 of an organ (机关 ``11``, 事业单位 ``12``) with a valid check character."""
    base = f"{prefix}320100MB{serial:07d}"
    return base + uscc.calc_check_digit(base)


@dataclass(frozen=True)
class Post:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Organ:
    code: str
    name: str
    short_name: str
    credit_code: str
    departments: tuple[Department, ...]
    review_organ: str = COUNTY_GOVERNMENT
    phone: str = ""
    #: (承办, 审核, 批准, 负责人) posts the general pattern uses for this organ's matters.
    chain: tuple[str, str, str, str] = ("", "", "", "")
    #: Post of the two officers of a 现场核查.
    inspectors: str = ""
    address: str = HALL_ADDRESS


def regular(code: str, short_name: str, name: str, serial: int, licensing_department: str, *, phone: str,
            review_organ: str = COUNTY_GOVERNMENT, prefix: str = "11") -> Organ:
    """An organ with one licensing department holding the regular 承办/审核/批准 posts and a 局领导 department."""
    chain = (f"{code}_chengban", f"{code}_shenhe", f"{code}_pizhun", f"{code}_fzr")
    return Organ(code, name, short_name, credit_code(serial, prefix), (
        Department(f"{code}_xk", licensing_department, (
            Post(chain[0], f"{short_name}承办", "承办"), Post(chain[1], f"{short_name}审核", "审核"),
            Post(chain[2], f"{short_name}批准", "批准"), Post(f"{code}_hecha", f"{short_name}现场核查", "核查"))),
        Department(f"{code}_ld", "局领导", (Post(chain[3], f"{short_name}负责人", "负责人"),)),
    ), review_organ=review_organ, phone=phone, chain=chain, inspectors=f"{code}_hecha")


def leaders(code: str, short_name: str) -> Department:
    return Department(f"{code}_ld", "局领导", (Post(f"{code}_fzr", f"{short_name}负责人", "负责人"),))


ORGANS: tuple[Organ, ...] = (
    Organ("xzsp", f"{COUNTY}行政审批局", "审批局", "11320100MB03946214", (
        Department("xzsp_zwfw", "政务服务科", (
            Post("supervisor", "窗口督办", "负责人"), Post("window_supervisor", "窗口负责人", "负责人"))),
        Department("xzsp_tzxm", "投资项目服务科", (Post("project_agent", "项目代办员", "其他"),)),
        leaders("xzsp", "审批局")), phone="0000-6010000"),
    Organ("zj", f"{COUNTY}住房和城乡建设局", "住建局", "11320100MB1958247M", (
        Department("zj_sgxk", "施工许可科", (
            Post("zj_chengban", "施工许可承办", "承办"), Post("zj_shenhe", "施工许可审核", "审核"),
            Post("zj_pizhun", "施工许可批准", "批准"), Post("zj_hecha", "施工许可现场核查", "核查"),
            Post("zj_review", "工程审查", "审核"))),
        Department("zj_fcjy", "房地产交易管理所", (Post("fc_trade", "交易核验", "承办"),)),
        leaders("zj", "住建局")), phone="0000-6010101",
        chain=("zj_chengban", "zj_shenhe", "zj_pizhun", "zj_fzr"), inspectors="zj_hecha"),
    Organ("cg", f"{COUNTY}城市管理局", "城管局", credit_code(1958301), (
        Department("cg_ztb", "市政市容管理科（渣土管理办公室）", (
            Post("cg_chengban", "渣土处置承办", "承办"), Post("cg_shenhe", "渣土处置审核", "审核"),
            Post("cg_pizhun", "渣土处置批准", "批准"), Post("cg_hecha", "渣土处置现场核查", "核查"))),
        leaders("cg", "城管局")), phone="0000-6010102",
        chain=("cg_chengban", "cg_shenhe", "cg_pizhun", "cg_fzr"), inspectors="cg_hecha"),
    Organ("rf", f"{COUNTY}人民防空办公室", "人防办", credit_code(1958314), (
        Department("rf_gc", "工程管理科", (
            Post("rf_review", "人防审查", "承办"), Post("rf_shenhe", "人防审核", "审核"),
            Post("rf_pizhun", "人防批准", "批准"), Post("rf_hecha", "人防现场核查", "核查"))),
        leaders("rf", "人防办")), phone="0000-6010103",
        chain=("rf_review", "rf_shenhe", "rf_pizhun", "rf_fzr"), inspectors="rf_hecha"),
    Organ("fg", f"{COUNTY}发展和改革委员会", "发改委", credit_code(1958327), (
        Department("fg_tz", "投资科", (
            Post("fg_review", "投资审查", "承办"), Post("fg_shenhe", "投资审核", "审核"),
            Post("fg_pizhun", "投资批准", "批准"), Post("fg_hecha", "投资现场核查", "核查"))),
        leaders("fg", "发改委")), phone="0000-6010104",
        chain=("fg_review", "fg_shenhe", "fg_pizhun", "fg_fzr"), inspectors="fg_hecha"),
    Organ("zrgh", f"{COUNTY}自然资源和规划局", "自然资源和规划局", credit_code(1958330), (
        Department("zrgh_gh", "规划许可科", (
            Post("zrgh_review", "规划审查", "承办"), Post("zrgh_shenhe", "规划审核", "审核"),
            Post("zrgh_pizhun", "规划批准", "批准"), Post("zrgh_hecha", "规划现场核查", "核查"))),
        leaders("zrgh", "自然资源和规划局")), phone="0000-6010105",
        chain=("zrgh_review", "zrgh_shenhe", "zrgh_pizhun", "zrgh_fzr"), inspectors="zrgh_hecha"),
    Organ("zhzf", f"{COUNTY}综合行政执法局", "综合执法局", credit_code(1958343), (
        Department("zhzf_jg", "监管执法科", (Post("jg_inspector", "监管核查", "核查"),)),
        leaders("zhzf", "综合执法局")), phone="0000-6010106"),
    Organ("scjg", f"{COUNTY}市场监督管理局", "市场监管局", "11320100MB19574039", (
        Department("scjg_xk", "行政许可科", (
            Post("scjg_review", "许可审查员", "承办"), Post("scjg_shenhe", "许可审核", "审核"),
            Post("scjg_chief", "许可科长", "批准"), Post("scjg_hecha", "许可现场核查", "核查"))),
        leaders("scjg", "市场监管局")), phone="0000-6010107",
        chain=("scjg_review", "scjg_shenhe", "scjg_chief", "scjg_fzr"), inspectors="scjg_hecha"),
    Organ("ws", f"{COUNTY}卫生健康委员会", "卫健委", "11320100MB1957416K", (
        Department("ws_xk", "行政许可科", (
            Post("ws_review", "许可审查员", "承办"), Post("ws_shenhe", "许可审核", "审核"),
            Post("ws_chief", "许可科长", "批准"))),
        Department("ws_jd", "卫生监督所", (Post("wsjd_inspector", "卫生监督员", "核查"),)),
        leaders("ws", "卫健委")), phone="0000-6010108",
        chain=("ws_review", "ws_shenhe", "ws_chief", "ws_fzr"), inspectors="wsjd_inspector"),
    Organ("tax", f"国家税务总局{COUNTY}税务局", "税务局", credit_code(1958356), (
        Department("tax_zh", "第一税务分局", (
            Post("tax_assess", "核税", "承办"), Post("tax_shenhe", "税务审核", "审核"), Post("tax_pizhun", "税务批准", "批准"))),
        leaders("tax", "税务局")), review_organ=f"国家税务总局{CITY}税务局", phone="0000-6010109",
        chain=("tax_assess", "tax_shenhe", "tax_pizhun", "tax_fzr")),
    Organ("djjg", f"{COUNTY}不动产登记中心", "不动产登记中心", "12320100MB1957428P", (
        Department("djjg_dj", "登记科", (
            Post("djjg_review", "登记审核", "承办"), Post("djjg_shenhe", "登记复审", "审核"),
            Post("djjg_register", "登簿", "批准"), Post("djjg_certify", "缮证", "其他"),
            Post("djjg_hecha", "实地查看", "核查"))),
        leaders("djjg", "不动产登记中心")), phone="0000-6010110",
        chain=("djjg_review", "djjg_shenhe", "djjg_register", "djjg_fzr"), inspectors="djjg_hecha"),
    regular("jt", "交通运输局", f"{COUNTY}交通运输局", 1958369, "运输管理科", phone="0000-6010111"),
    regular("ny", "农业农村局", f"{COUNTY}农业农村局", 1958372, "行政许可科", phone="0000-6010112"),
    regular("sl", "水利局", f"{COUNTY}水利局", 1958385, "水政水资源科", phone="0000-6010113"),
    regular("sthj", "生态环境局", f"{CITY}{COUNTY}生态环境局", 1958398, "环评与排污许可科",
            phone="0000-6010114", review_organ=f"{CITY}生态环境局"),
    regular("wgl", "文广旅局", f"{COUNTY}文化广电和旅游局", 1958400, "文化市场管理科", phone="0000-6010115"),
    regular("jy", "教育局", f"{COUNTY}教育局", 1958413, "政策法规科", phone="0000-6010116"),
    regular("mz", "民政局", f"{COUNTY}民政局", 1958426, "社会组织管理科", phone="0000-6010117"),
    regular("rs", "人社局", f"{COUNTY}人力资源和社会保障局", 1958439, "劳动关系科", phone="0000-6010118"),
    regular("ga", "公安局", f"{COUNTY}公安局", 1958442, "治安管理大队", phone="0000-6010119"),
    regular("yj", "应急管理局", f"{COUNTY}应急管理局", 1958455, "危险化学品监管科", phone="0000-6010120"),
    regular("sw", "商务局", f"{COUNTY}商务局", 1958468, "市场体系建设科", phone="0000-6010121"),
    regular("ly", "林业局", f"{COUNTY}林业局", 1958471, "林政资源科", phone="0000-6010122"),
    regular("qx", "气象局", f"{COUNTY}气象局", 1958484, "防雷减灾科", phone="0000-6010123",
            review_organ=f"{CITY}气象局"),
    regular("xf", "消防救援大队", f"{COUNTY}消防救援大队", 1958497, "防火监督科", phone="0000-6010124",
            review_organ=f"{CITY}消防救援支队"),
    regular("tyjr", "退役军人事务局", f"{COUNTY}退役军人事务局", 1958509, "优抚安置科", phone="0000-6010125"),
    regular("yb", "医保局", f"{COUNTY}医疗保障局", 1958512, "医药服务管理科", phone="0000-6010126"),
)

#: The hall's windows: code, name, kind (综合 / 兜底 / 专项).
WINDOWS: tuple[tuple[str, str, str], ...] = (
    *((f"zh{n:02d}", f"综合受理 {n} 号窗口", "综合") for n in range(1, 9)),
    ("dd01", "兜底窗口（办不成事反映窗口）", "兜底"),
    ("bdc01", "不动产登记专窗", "专项"),
    ("tzxm01", "投资项目综合窗口", "专项"),
)


def organ(code: str) -> Organ:
    return next(o for o in ORGANS if o.code == code)
