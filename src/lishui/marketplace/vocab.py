"""The marketplace's vocabulary with Chinese and English labels."""

from __future__ import annotations

# Service categories (what providers offer and enterprises ask for).
CATEGORIES: dict[str, tuple[str, str]] = {
    "platform": ("第三方平台入驻", "Third-party platforms"),
    "store_operation": ("店铺代运营", "Store operation"),
    "design": ("美工设计", "Design"),
    "photography": ("产品摄影", "Photography"),
    "marketing": ("营销推广", "Marketing"),
    "software": ("软件开发", "Software"),
    "logistics": ("物流仓储", "Logistics"),
    "finance": ("金融服务", "Finance"),
    "training": ("电商培训", "Training"),
}

# What showcase products are.
PRODUCT_CATEGORIES: dict[str, tuple[str, str]] = {
    "agri": ("生鲜农产品", "Fresh produce"),
    "tea": ("茶叶", "Tea"),
    "mushroom": ("食用菌", "Mushrooms"),
    "food": ("特色食品", "Local food"),
    "craft": ("工艺品", "Crafts"),
    "celadon": ("青瓷宝剑", "Celadon and swords"),
    "toys": ("木制玩具", "Wooden toys"),
    "herbal": ("中药材", "Herbal"),
    "industry": ("工业品", "Industrial goods"),
}

PLATFORMS: dict[str, str] = {"taobao": "淘宝", "tmall": "天猫", "jd": "京东", "pdd": "拼多多", "douyin": "抖音",
                             "wechat": "微信小店", "other": "其他"}

PROVIDER_STATES: dict[str, tuple[str, str]] = {
    "pending": ("待审核", "Pending review"), "verified": ("已认证", "Verified"), "rejected": ("未通过", "Rejected"),
}

DEMAND_STATES: dict[str, tuple[str, str]] = {
    "open": ("征集中", "Open"), "awarded": ("已选定", "Awarded"), "closed": ("已关闭", "Closed"),
}

ENGAGEMENT_STATES: dict[str, tuple[str, str]] = {
    "accepted": ("已接受报价", "Quote accepted"), "in_progress": ("服务中", "In progress"),
    "delivered": ("已交付", "Delivered"), "completed": ("已完成（双方已评价）", "Completed"),
    "disputed": ("争议处理中", "In dispute"),
}

# The engagement state machine: action → (states it may start from, state it leads to, who may do it).
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "start": (frozenset({"accepted"}), "in_progress", "provider"),
    "deliver": (frozenset({"in_progress"}), "delivered", "provider"),
    "dispute": (frozenset({"in_progress", "delivered"}), "disputed", "either"),
    "resolve": (frozenset({"disputed"}), "delivered", "center"),
}
