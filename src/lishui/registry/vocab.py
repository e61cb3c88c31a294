"""Kinds of organisation and type tags the policy names, with their Chinese labels."""

from __future__ import annotations

ORG_KINDS: dict[str, str] = {
    "enterprise": "企业",
    "park_operator": "园区运营方",
    "station_operator": "服务站运营商",
    "service_center": "公共服务中心",
    "logistics": "物流快递企业",
    "warehouse_center": "仓储配送中心",
    "bank": "银行",
    "training": "培训机构",
    "service_provider": "电商服务商",
    "government": "政府部门",
}

ORG_KINDS_EN: dict[str, str] = {
    "enterprise": "Enterprise",
    "park_operator": "Park operator",
    "station_operator": "Service-station operator",
    "service_center": "Public service center",
    "logistics": "Logistics / courier",
    "warehouse_center": "Warehouse center",
    "bank": "Bank",
    "training": "Training institution",
    "service_provider": "E-commerce service provider",
    "government": "Government unit",
}

ORG_TAGS: dict[str, str] = {
    "ecommerce_trading": "电商交易",
    "ecommerce_service": "电商服务",
    "manufacturer": "生产制造",
    "traditional_commerce": "传统商贸",
    "cross_border": "跨境电商",
    "above_size": "规上企业",
    "in_commerce_stats": "纳入商务统计",
}

ORG_TAGS_EN: dict[str, str] = {
    "ecommerce_trading": "E-commerce trading",
    "ecommerce_service": "E-commerce services",
    "manufacturer": "Manufacturer",
    "traditional_commerce": "Traditional commerce",
    "cross_border": "Cross-border",
    "above_size": "Above designated size",
    "in_commerce_stats": "In commerce statistics",
}

CITY_CODE = "331100"
# The development zone is a management zone, not a GB/T 2260 division: the platform gives it an
# internal code inside the city's range (see docs/decisions.md).
ZONE_CODE = "331199"
ZONE_NAME = "丽水经济技术开发区"

COUNTIES: dict[str, str] = {
    "331102": "莲都区",
    "331121": "青田县",
    "331122": "缙云县",
    "331123": "遂昌县",
    "331124": "松阳县",
    "331125": "云和县",
    "331126": "庆元县",
    "331127": "景宁畲族自治县",
    "331181": "龙泉市",
}
