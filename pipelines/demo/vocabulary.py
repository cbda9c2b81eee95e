"""Word lists the demo data is assembled from.

Chinese and Latin names side by side (with a comma, an apostrophe and accents among
them) so that quoting and non-ASCII text are exercised on the way through the
pipeline. Weights are relative; the generator normalises them.
"""

from __future__ import annotations

from pipelines.ingest.contract import TABLES_BY_NAME


def accepted(table: str, column: str) -> tuple[str, ...]:
    """The values the contract accepts in a column."""
    return next(c.accepted for c in TABLES_BY_NAME[table].columns if c.name == column)


CUSTOMER_TYPES = accepted("customers", "customer_type")  # company, individual
ORDER_STATUSES = accepted("orders", "status")  # completed, cancelled
INTERACTION_CHANNELS = accepted("interactions", "channel")
INTERACTION_TYPES = accepted("interactions", "interaction_type")

REGIONS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    # region, share of customers, cities
    ("华东", 0.30, ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛")),
    ("华北", 0.15, ("北京", "天津", "石家庄", "太原")),
    ("华南", 0.17, ("广州", "深圳", "厦门", "福州", "南宁")),
    ("华中", 0.10, ("武汉", "长沙", "郑州", "南昌")),
    ("西南", 0.10, ("成都", "重庆", "昆明", "贵阳")),
    ("西北", 0.04, ("西安", "兰州", "乌鲁木齐")),
    ("东北", 0.05, ("沈阳", "大连", "哈尔滨", "长春")),
    (
        "海外",
        0.09,
        ("Singapore", "Hamburg", "Milano", "Rotterdam", "Los Angeles", "Dubai", "Sydney", "München"),
    ),
)
OVERSEAS_REGION = "海外"
# Telephone country code of each overseas city above, in the same order.
OVERSEAS_COUNTRY_CODES = (65, 49, 39, 31, 1, 971, 61, 49)

# industry column value, word in a Chinese company name, word in a Latin company name
INDUSTRIES: tuple[tuple[str, str, str], ...] = (
    ("批发贸易", "贸易", "Trading"),
    ("信息技术", "科技", "Technology"),
    ("制造业", "制造", "Manufacturing"),
    ("食品饮料", "食品", "Foods"),
    ("医药健康", "医药", "Pharma"),
    ("建筑建材", "建材", "Building Materials"),
    ("物流运输", "物流", "Logistics"),
    ("电子电器", "电子", "Electronics"),
    ("餐饮服务", "餐饮", "Catering"),
    ("教育培训", "教育", "Education"),
)

CHINESE_TRADE_NAMES = (
    "华东",
    "恒信",
    "永丰",
    "宏达",
    "瑞祥",
    "鑫源",
    "金桥",
    "新世纪",
    "东方",
    "长城",
    "天成",
    "盛世",
    "和泰",
    "博远",
    "中联",
    "万通",
    "嘉禾",
    "国泰",
    "联创",
    "正大",
)
CHINESE_COMPANY_SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
LATIN_BRANDS = (
    "Acme",
    "Northwind",
    "Bluestone",
    "Silverline",
    "Redwood",
    "Evergreen",
    "Brightstar",
    "Oakridge",
    "Harbour",
    "Summit",
    "Meridian",
    "Lindqvist",
    "Dubois & Fils",
    "Nordlicht",
)
# Each carries its own separator: ", Inc." makes a name that has to be quoted in CSV.
LATIN_COMPANY_SUFFIXES = (" Ltd", " GmbH", ", Inc.", " S.r.l.", " Pte. Ltd.", " B.V.", " LLC")

CHINESE_SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "欧阳",
)
CHINESE_GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
)
LATIN_FIRST_NAMES = (
    "Maria",
    "John",
    "Anna",
    "Luca",
    "Sophie",
    "David",
    "Emma",
    "Marco",
    "Laura",
    "Thomas",
    "Olivia",
    "Lukas",
    "Chloé",
    "James",
    "Sofia",
    "Noah",
)
LATIN_LAST_NAMES = (
    "Rossi",
    "Smith",
    "Müller",
    "Dubois",
    "Garcia",
    "Brown",
    "Bianchi",
    "Martin",
    "Schmidt",
    "López",
    "Johnson",
    "Weber",
    "O'Brien",
    "Nguyen",
    "Silva",
    "Jensen",
)

DOMESTIC_ACCOUNT_MANAGERS = ("王芳", "李强", "张磊", "刘洋", "陈静", "杨帆", "赵敏", "黄涛", "周婷", "吴昊")
OVERSEAS_ACCOUNT_MANAGERS = ("Anna Weber", "James Lee")

CRM_GROUP_KEY_ACCOUNTS = "大客户部"
CRM_GROUP_SMB = "中小企业部"
CRM_GROUP_RETAIL = "零售部"
CRM_GROUP_OVERSEAS = "海外部"
CRM_GROUPS = (CRM_GROUP_KEY_ACCOUNTS, CRM_GROUP_SMB, CRM_GROUP_RETAIL, CRM_GROUP_OVERSEAS)

# Lowest first: a restated customer moves one step up.
MEMBERSHIP_LEVELS = ("standard", "silver", "gold", "platinum")

ACQUISITION_CHANNELS = ("trade_show", "online_ads", "website", "cold_call", "partner", "wechat")
REFERRAL_CHANNEL = "referral"

# order channel, share of customers who prefer it
ORDER_CHANNELS: tuple[tuple[str, float], ...] = (
    ("web_shop", 0.34),
    ("sales_rep", 0.25),
    ("distributor", 0.17),
    ("wechat_mall", 0.16),
    ("phone", 0.08),
)

EMAIL_DOMAINS = ("example.com", "example.cn", "example.net", "example.org")

REPORTING_CURRENCY = "CNY"
# currency, rate to the reporting currency around which the daily rate drifts
FOREIGN_CURRENCIES: tuple[tuple[str, float], ...] = (("USD", 7.1), ("EUR", 7.8))

# product category, median list price in CNY
PRODUCT_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("办公用品", 40.0),
    ("电子产品", 900.0),
    ("工业配件", 300.0),
    ("包装材料", 60.0),
    ("清洁用品", 35.0),
    ("食品饮料", 80.0),
    ("劳保用品", 50.0),
    ("五金工具", 150.0),
    ("化工原料", 500.0),
    ("办公家具", 1200.0),
)

# CRM interaction channel, interaction type, relative frequency. Every channel and
# every type of the contract occurs; gifts mostly travel as gifts.
INTERACTION_MIX: tuple[tuple[str, str, float], ...] = (
    ("call", "contact", 18.0),
    ("visit", "contact", 8.0),
    ("sms", "contact", 10.0),
    ("email", "contact", 12.0),
    ("wechat", "contact", 18.0),
    ("event", "contact", 5.0),
    ("call", "complaint", 1.5),
    ("email", "complaint", 1.0),
    ("wechat", "complaint", 1.0),
    ("visit", "complaint", 0.3),
    ("call", "feedback", 3.0),
    ("email", "feedback", 3.0),
    ("wechat", "feedback", 3.0),
    ("sms", "feedback", 1.0),
    ("event", "feedback", 1.0),
    ("gift", "gift", 4.0),
    ("visit", "gift", 1.0),
    ("event", "gift", 1.0),
    ("wechat", "referral", 0.4),
    ("call", "referral", 0.3),
    ("event", "referral", 0.3),
    ("visit", "referral", 0.2),
)
COMPLAINT_CHANNELS = ("call", "email", "wechat")
REFERRAL_INTERACTION_CHANNELS = ("wechat", "call", "visit", "event")
