"""The words sales demo data is made from, each a (Chinese, English) pair: opportunity names
(华东区ERP升级项目), a product catalogue, sources, competitors, next steps, lost reasons.

Chinese is the default; ``crm seed --language en`` (or ``CRM_DEMO_LANGUAGE=en``) picks the
English words (``language()``).
"""

from __future__ import annotations

from functools import lru_cache

Pair = tuple[str, str]

#: Where a project is: "华东区" + "ERP升级" + "项目".
REGIONS: tuple[Pair, ...] = (
    ("华东区", "East China "), ("华南区", "South China "), ("华北区", "North China "),
    ("西南区", "Southwest "), ("华中区", "Central China "), ("东北区", "Northeast "),
    ("集团总部", "Group HQ "), ("上海分公司", "Shanghai branch "), ("深圳工厂", "Shenzhen plant "),
    ("北京研发中心", "Beijing R&D "), ("苏州园区", "Suzhou park "), ("成都基地", "Chengdu site "),
    ("杭州总部", "Hangzhou HQ "), ("武汉分公司", "Wuhan branch "), ("", ""),
)
TOPICS: tuple[Pair, ...] = (
    ("ERP升级", "ERP upgrade"), ("CRM实施", "CRM rollout"),
    ("数据中心扩容", "data centre expansion"),
    ("私有云建设", "private cloud"), ("办公软件采购", "office software purchase"),
    ("服务器更新换代", "server refresh"), ("网络安全加固", "network security hardening"),
    ("财务系统替换", "finance system replacement"), ("MES系统部署", "MES deployment"),
    ("信息化运维外包", "IT operations outsourcing"), ("视频会议系统", "video conferencing"),
    ("存储扩容", "storage expansion"), ("数字化转型咨询", "digital transformation consulting"),
    ("HR系统上线", "HR system go-live"), ("供应链协同平台", "supply chain platform"),
    ("数据仓库建设", "data warehouse"), ("终端电脑采购", "PC purchase"),
    ("灾备中心建设", "disaster recovery site"), ("OA系统升级", "OA upgrade"),
    ("年度软件续费", "annual software renewal"),
)
SUFFIXES: tuple[Pair, ...] = (
    ("项目", " project"), ("采购项目", " purchase"), ("一期", " phase 1"), ("二期", " phase 2"),
    ("年度框架", " framework agreement"), ("招标项目", " tender"),
)

#: (SKU, Chinese name, English name, category (zh, en), unit (zh, en), list price in yuan,
#: VAT basis points): software and hardware at 13 %, services at 6 %.
PRODUCTS: tuple[tuple[str, str, str, Pair, Pair, int, int], ...] = (
    ("SW-OFFICE-STD", "企业办公软件标准版", "Office suite, standard", ("软件", "Software"),
     ("套", "licence"), 1200, 1300),
    ("SW-OFFICE-PRO", "企业办公软件专业版", "Office suite, professional", ("软件", "Software"),
     ("套", "licence"), 2800, 1300),
    ("SW-ERP-USER", "ERP系统用户许可", "ERP user licence", ("软件", "Software"),
     ("用户", "user"), 3500, 1300),
    ("SW-CRM-USER", "CRM系统用户许可", "CRM user licence", ("软件", "Software"),
     ("用户", "user"), 1800, 1300),
    ("SW-DB-ENT", "数据库软件企业版", "Database, enterprise edition", ("软件", "Software"),
     ("套", "licence"), 68000, 1300),
    ("SW-SUB-YEAR", "软件年度订阅", "Software subscription, one year", ("软件", "Software"),
     ("年", "year"), 12000, 600),
    ("HW-SRV-2U", "机架式服务器 2U", "Rack server 2U", ("硬件", "Hardware"), ("台", "unit"),
     42000, 1300),
    ("HW-SRV-TOWER", "塔式服务器", "Tower server", ("硬件", "Hardware"), ("台", "unit"),
     18500, 1300),
    ("HW-STO-24T", "存储阵列 24TB", "Storage array 24 TB", ("硬件", "Hardware"),
     ("台", "unit"), 96000, 1300),
    ("HW-SW-48G", "千兆交换机 48口", "Gigabit switch, 48 ports", ("硬件", "Hardware"),
     ("台", "unit"), 6800, 1300),
    ("HW-FW-ENT", "企业级防火墙", "Enterprise firewall", ("硬件", "Hardware"), ("台", "unit"),
     25000, 1300),
    ("HW-NB-14", "商务笔记本电脑", "Business laptop", ("硬件", "Hardware"), ("台", "unit"),
     6500, 1300),
    ("HW-WS-DESK", "台式工作站", "Desktop workstation", ("硬件", "Hardware"), ("台", "unit"),
     9800, 1300),
    ("SV-IMPL-DAY", "实施服务", "Implementation services", ("服务", "Services"),
     ("人天", "person-day"), 2000, 600),
    ("SV-DEV-DAY", "定制开发服务", "Custom development", ("服务", "Services"),
     ("人天", "person-day"), 2500, 600),
    ("SV-OPS-YEAR", "年度运维服务", "Annual maintenance", ("服务", "Services"), ("年", "year"),
     36000, 600),
    ("SV-TRAIN-DAY", "技术培训", "Technical training", ("服务", "Services"),
     ("人天", "person-day"), 1500, 600),
    ("SV-CLOUD-MONTH", "云服务器租用", "Cloud server rental", ("服务", "Services"),
     ("月", "month"), 800, 600),
    ("SV-MIGRATE", "数据迁移服务", "Data migration", ("服务", "Services"), ("项", "job"),
     15000, 600),
    ("SV-ONSITE-MONTH", "驻场支持服务", "On-site support", ("服务", "Services"),
     ("人月", "person-month"), 28000, 600),
)

SOURCES: tuple[Pair, ...] = (
    ("官网", "Website"), ("展会", "Trade show"), ("转介绍", "Referral"),
    ("电话营销", "Cold call"), ("合作伙伴", "Partner"), ("老客户", "Existing customer"),
    ("招投标", "Tender"), ("网络广告", "Online ad"),
)
COMPETITORS: tuple[Pair, ...] = (
    ("用友", "Yonyou"), ("金蝶", "Kingdee"), ("浪潮", "Inspur"), ("华为", "Huawei"),
    ("新华三", "H3C"), ("SAP", "SAP"), ("Oracle", "Oracle"), ("纷享销客", "Fxiaoke"),
    ("销售易", "Xiaoshouyi"), ("联想", "Lenovo"),
)
NEXT_STEPS: tuple[Pair, ...] = (
    ("安排技术交流", "Schedule a technical session"), ("提交方案", "Send the proposal"),
    ("发送报价单", "Send the quote"), ("约见采购负责人", "Meet the purchasing lead"),
    ("现场演示", "On-site demo"), ("等待客户内部审批", "Wait for the customer's approval"),
    ("商务谈判", "Negotiate terms"), ("准备投标文件", "Prepare the tender documents"),
)
LOST_REASONS: tuple[Pair, ...] = (
    ("价格过高", "Price too high"), ("选择了竞争对手", "Chose a competitor"),
    ("预算取消", "Budget cancelled"), ("需求变更", "Requirements changed"),
    ("客户无响应", "No response from the customer"), ("产品功能不满足", "Missing features"),
)
CONTRACT_TITLES: tuple[Pair, ...] = (
    ("销售合同", "Sales contract"), ("软件许可及服务合同", "Software licence and services"),
    ("设备采购合同", "Equipment purchase"), ("年度服务合同", "Annual services"),
)
INSTALMENT_NOTES: tuple[Pair, ...] = (
    ("预付款", "Advance"), ("到货款", "On delivery"), ("验收款", "On acceptance"),
    ("质保金", "Retention"),
)
#: The demo company (Party B of contracts).
OUR_COMPANY: Pair = ("上海云帆信息技术有限公司", "Yunfan Information Technology Co., Ltd.")


def language() -> int:
    """0 for Chinese words, 1 for English: the locale ``crm seed`` runs in."""
    from flask import has_app_context

    if not has_app_context():
        return 0
    from flask_babel import get_locale

    locale = get_locale()
    return 1 if locale is not None and locale.language == "en" else 0


@lru_cache(maxsize=64)
def words(pairs: tuple[Pair, ...], which: int) -> tuple[str, ...]:
    """The words of ``pairs`` in language ``which`` (``language()``)."""
    return tuple(pair[which] for pair in pairs)
