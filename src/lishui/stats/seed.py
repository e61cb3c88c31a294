# ruff: noqa: E501  (a table of data: one field per line reads best)
"""The report forms the platform ships with (issue 5, 数据采集). Administrators change them on the form admin
page; the migration loads these once. Plain data: no imports from the application."""

from __future__ import annotations

from typing import Any

# A field: key, label, label_en, type, unit, and options: required (default True), min, max, part_of, outlier.
# Types: money (元, two decimals, stored in fen), usd (美元, stored in cents), integer, decimal, bool, year, text.
FORMS: list[dict[str, Any]] = [
    {
        "code": "ENT_MONTHLY_RETAIL", "title": "企业网络零售额月报", "title_en": "Enterprise monthly online retail",
        "period_type": "month", "subject": "enterprise", "reported_by": "self", "deadline_days": 10,
        "lock_days": 90, "jump_factor": "10", "z_threshold": "3",
        "description": "按统计局口径填报本月网络零售额（实物商品、非实物商品），按平台分列；农产品、跨境出口另列。",
        "fields": [
            ("online_retail", "网络零售额合计", "Online retail, total", "money", "元", {"min": "0", "outlier": True}),
            ("physical_goods", "其中：实物商品", "of which physical goods", "money", "元",
             {"min": "0", "part_of": "online_retail/goods"}),
            ("non_physical_goods", "其中：非实物商品（虚拟商品和服务）", "of which non-physical goods", "money", "元",
             {"min": "0", "part_of": "online_retail/goods"}),
            ("retail_tmall_taobao", "按平台：天猫/淘宝", "By platform: Tmall/Taobao", "money", "元",
             {"min": "0", "required": False, "part_of": "online_retail/platform"}),
            ("retail_jd", "按平台：京东", "By platform: JD", "money", "元",
             {"min": "0", "required": False, "part_of": "online_retail/platform"}),
            ("retail_own_site", "按平台：自建网站/小程序", "By platform: own site", "money", "元",
             {"min": "0", "required": False, "part_of": "online_retail/platform"}),
            ("retail_other_platforms", "按平台：其他平台", "By platform: other", "money", "元",
             {"min": "0", "required": False, "part_of": "online_retail/platform"}),
            ("agricultural_retail", "其中：农产品网络零售额", "of which agricultural products", "money", "元",
             {"min": "0", "part_of": "online_retail/agri"}),
            ("cross_border_export_usd", "跨境电商出口额", "Cross-border exports", "usd", "美元",
             {"min": "0", "required": False}),
            ("active_shops", "在营网店数", "Active online shops", "integer", "个", {"min": "0", "required": False}),
        ],
    },
    {
        "code": "PARK_QUARTERLY", "title": "电商园区季报", "title_en": "E-commerce park quarterly report",
        "period_type": "quarter", "subject": "park_operator", "reported_by": "self", "deadline_days": 15,
        "lock_days": 120, "jump_factor": "10", "z_threshold": "3",
        "description": "园区面积、电商企业入驻面积、入驻企业数和园区电子商务零售额。",
        "fields": [
            ("usable_area", "园区使用面积", "Usable area", "decimal", "平方米", {"min": "0"}),
            ("operating_area", "园区营业面积", "Operating area", "decimal", "平方米", {"min": "0", "part_of": "usable_area"}),
            ("ecommerce_occupied_area", "电商企业入驻的营业面积", "Area occupied by e-commerce firms", "decimal", "平方米",
             {"min": "0", "part_of": "operating_area"}),
            ("tenants", "入驻企业数", "Tenants", "integer", "家", {"min": "0"}),
            ("ecommerce_tenants", "其中：电商企业", "of which e-commerce firms", "integer", "家",
             {"min": "0", "part_of": "tenants"}),
            ("ecommerce_retail", "园区电子商务零售额（本季度）", "Park online retail (quarter)", "money", "元",
             {"min": "0", "outlier": True}),
            ("agri_ecommerce_retail", "其中：农产品", "of which agricultural", "money", "元",
             {"min": "0", "part_of": "ecommerce_retail"}),
        ],
    },
    {
        "code": "STATION_MONTHLY", "title": "电子商务服务站月度运营报表", "title_en": "Service station monthly operations",
        "period_type": "month", "subject": "station_operator", "reported_by": "self", "deadline_days": 10,
        "lock_days": 90, "jump_factor": "10", "z_threshold": "3",
        "description": "服务站运营商按月汇总各站点代买、代卖和快递收发情况。",
        "fields": [
            ("stations_operating", "在运营站点数", "Stations operating", "integer", "个", {"min": "0"}),
            ("rural_stations", "其中：农村服务站", "of which rural", "integer", "个", {"min": "0", "part_of": "stations_operating"}),
            ("community_stations", "其中：社区服务站", "of which community", "integer", "个",
             {"min": "0", "part_of": "stations_operating"}),
            ("purchase_orders", "代买单数", "Buy-for-you orders", "integer", "单", {"min": "0", "outlier": True}),
            ("purchase_value", "代买金额", "Buy-for-you value", "money", "元", {"min": "0"}),
            ("sales_orders", "代卖单数", "Sell-for-you orders", "integer", "单", {"min": "0"}),
            ("sales_value", "代卖金额", "Sell-for-you value", "money", "元", {"min": "0", "outlier": True}),
            ("parcels", "快递收发件数", "Parcels handled", "integer", "件", {"min": "0"}),
        ],
    },
    {
        "code": "WAREHOUSE_DAILY", "title": "公共仓储配送中心日报", "title_en": "Warehouse center daily report",
        "period_type": "day", "subject": "warehouse_center", "reported_by": "self", "deadline_days": 3,
        "lock_days": 60, "jump_factor": "20", "z_threshold": "4",
        "description": "当日发货单数和服务的客户企业数。",
        "fields": [
            ("orders_shipped", "当日发货单数", "Orders shipped", "integer", "单", {"min": "0", "outlier": True}),
            ("clients_served", "当日服务的客户企业数", "Client enterprises served", "integer", "家", {"min": "0"}),
            ("clients_total", "签约客户企业总数", "Client enterprises under contract", "integer", "家", {"min": "0"}),
        ],
    },
    {
        "code": "COUNTY_QUARTERLY", "title": "县（区）电子商务季报", "title_en": "County quarterly e-commerce report",
        "period_type": "quarter", "subject": "division", "reported_by": "officer", "deadline_days": 20,
        "lock_days": 120, "jump_factor": "10", "z_threshold": "3",
        "description": "行政村宽带和 4G 覆盖、免费 Wi-Fi、规上企业电子商务应用、电子商务专业村镇及其佐证。",
        "fields": [
            ("villages", "行政村总数", "Administrative villages", "integer", "个", {"min": "0"}),
            ("villages_broadband", "通宽带的行政村数", "Villages with broadband", "integer", "个",
             {"min": "0", "part_of": "villages/broadband"}),
            ("villages_4g", "4G 覆盖的行政村数", "Villages with 4G", "integer", "个", {"min": "0", "part_of": "villages/4g"}),
            ("free_wifi_sites", "免费 Wi-Fi 场所数", "Free Wi-Fi sites", "integer", "个", {"min": "0"}),
            ("above_size_enterprises", "规上企业数", "Enterprises above designated size", "integer", "家", {"min": "0"}),
            ("above_size_applying_ecommerce", "其中：应用电子商务的规上企业", "of which applying e-commerce", "integer", "家",
             {"min": "0", "part_of": "above_size_enterprises"}),
            ("ecommerce_villages", "电子商务专业村数", "E-commerce villages", "integer", "个", {"min": "0"}),
            ("ecommerce_towns", "电子商务专业镇数", "E-commerce towns", "integer", "个", {"min": "0"}),
            ("evidence", "专业村镇佐证（名单、来源）", "Evidence for villages and towns", "text", "",
             {"required": False, "max": "2000"}),
        ],
    },
    {
        "code": "STATS_INCLUSION", "title": "纳入统计局网络零售统计的企业名录", "title_en": "Enterprises in the statistics bureau's system",
        "period_type": "year", "subject": "enterprise", "reported_by": "officer", "deadline_days": 60,
        "lock_days": None, "jump_factor": "10", "z_threshold": "3",
        "description": "县（区）商务部门按年度登记本辖区企业网络零售额是否纳入统计局统计系统及首次纳统年度。",
        "fields": [
            ("included", "网络零售额已纳入统计局统计系统", "Online retail included in the bureau's system", "bool", "", {}),
            ("first_included_year", "首次纳入统计的年度", "Year of first inclusion", "year", "年",
             {"min": "2000", "required": False}),
        ],
    },
    {
        "code": "DEMO_RECOGNITION", "title": "电子商务示范认定名录", "title_en": "E-commerce demonstration recognitions",
        "period_type": "year", "subject": "organisation", "reported_by": "officer", "deadline_days": 60,
        "lock_days": None, "jump_factor": "10", "z_threshold": "3",
        "description": "商务部门按年度登记本辖区单位获得的电子商务示范认定（二(六)）：示范企业、平台、基地、"
                       "电子商务村镇，级别 1 = 市级，2 = 省级，3 = 国家级；同一年同一类别多次认定时填最高级别。",
        "fields": [
            ("enterprise_level", "示范企业认定级别（1 市级 2 省级 3 国家级）", "Demonstration enterprise: level", "integer",
             "级", {"min": "1", "max": "3", "required": False}),
            ("platform_level", "示范平台认定级别", "Demonstration platform: level", "integer", "级",
             {"min": "1", "max": "3", "required": False}),
            ("base_level", "示范基地（园区）认定级别", "Demonstration base: level", "integer", "级",
             {"min": "1", "max": "3", "required": False}),
            ("village_town_level", "电子商务示范村镇认定级别", "Demonstration village or town: level", "integer", "级",
             {"min": "1", "max": "3", "required": False}),
            ("document", "认定文件（发文机关、文号）", "Recognition document", "text", "", {"max": "200"}),
        ],
    },
]


def form_rows() -> list[dict[str, Any]]:
    """Rows of stats_forms (without ids), in order."""
    return [{k: v for k, v in form.items() if k != "fields"} for form in FORMS]


def field_rows(form_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Rows of stats_form_fields for forms whose ids are given by code."""
    rows = []
    for form in FORMS:
        if form["code"] not in form_ids:
            continue
        for order, (key, label, label_en, type_, unit, opts) in enumerate(form["fields"]):
            rows.append({"form_id": form_ids[form["code"]], "key": key, "label": label, "label_en": label_en,
                         "type": type_, "unit": unit, "required": opts.get("required", True),
                         "min_value": opts.get("min", ""), "max_value": opts.get("max", ""),
                         "part_of": opts.get("part_of", ""), "outlier_check": opts.get("outlier", False),
                         "sort_order": order * 10})
    return rows
