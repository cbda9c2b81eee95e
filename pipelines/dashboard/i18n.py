"""Every word the dashboard shows, in English and Chinese, and how numbers read.

Texts that the marts carry in both languages (quadrant strategies, profit-band actions,
churn reasons and their actions) come from the marts' `_en` / `_zh` columns; this
module holds everything else: titles, labels, axis titles, help texts and the names of
the codes the marts use (tiers, churn statuses, dimensions, RFM segments).
"""

from __future__ import annotations

import math
from typing import Any

LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT_LANGUAGE = "en"

# key -> (English, Chinese). `{name}` placeholders are filled by t(..., name=value).
TEXT: dict[str, tuple[str, str]] = {
    # The app
    "app.title": ("Core customers", "核心客户"),
    "app.language": ("Language / 语言", "Language / 语言"),
    "app.pages": ("Pages", "页面"),
    "app.release": (
        "As of **{as_of}** · published {published}",
        "数据截至 **{as_of}** · 发布于 {published}",
    ),
    "app.release_help": (
        "Release {release}, read from {folder}. A new release is picked up by itself.",
        "发布版本 {release}，读取自 {folder}。新版本发布后会自动读取。",
    ),
    "app.currency": ("Amounts in {currency}", "金额单位：{currency}"),
    "app.empty.title": ("Nothing published yet", "尚未发布数据"),
    "app.empty.body": (
        "There is no published set in `{folder}` yet. Run `make run` first: it builds the "
        "customer marts and publishes them there. This page shows them as soon as they are "
        "published; there is no need to restart it.",
        "`{folder}` 中还没有已发布的数据。请先运行 `make run`：它会构建客户数据集市并发布到这里。"
        "数据一经发布，本页面会自动显示，无需重启。",
    ),
    "app.missing": (
        "This published set has no {tables}. Run `make run` to publish the current marts.",
        "当前发布的数据中没有 {tables}。请运行 `make run` 发布最新的数据集市。",
    ),
    "app.no_rows": ("No rows in this published set.", "当前发布的数据中没有记录。"),
    # Page names
    "page.overview": ("Overview", "总览"),
    "page.quadrants": ("Quadrants", "客户四象限"),
    "page.profit_bands": ("Profit bands", "利润分段"),
    "page.churn": ("Churn", "客户流失"),
    "page.key_accounts": ("Key accounts", "重点客户"),
    "page.segments": ("Segments", "客户分组"),
    "page.cohorts": ("Cohorts", "同期群留存"),
    "page.customer": ("Customer card", "客户卡片"),
    # Common words
    "yes": ("yes", "是"),
    "colon": (": ", "："),
    "no": ("no", "否"),
    "none": ("–", "–"),
    "unknown": ("(unknown)", "（未知）"),
    # Overview
    "overview.title": ("Overview: who are our core customers?", "总览：谁是我们的核心客户？"),
    "overview.intro": (
        "Figures as of {as_of}. The value window is the 365 days up to that date.",
        "数据截至 {as_of}。价值窗口为截至该日的 365 天。",
    ),
    "overview.customers": ("Customers", "客户数"),
    "overview.customers_help": (
        "Every customer known to CRM or sales, prospects and inactive customers included.",
        "CRM 或销售记录中的全部客户，包括潜在客户和不活跃客户。",
    ),
    "overview.revenue": ("Window revenue ({currency})", "窗口净收入（{currency}）"),
    "overview.revenue_help": (
        "Net revenue of all orders in the value window, after discounts and returns.",
        "价值窗口内全部订单的净收入（已扣除折扣和退货）。",
    ),
    "overview.x20": ("Observed x/20", "实际的 x/20"),
    "overview.x20_help": (
        "The top {top:,} of {ranked:,} customers with window revenue ({top_share}) bring {share} "
        "of it: the rule of thumb says 80/20.",
        "在有窗口收入的 {ranked:,} 个客户中，前 {top:,} 个（{top_share}）贡献了 {share} 的收入；经验法则为 80/20。",
    ),
    "overview.x20_profit": ("Observed x/20 of profit", "毛利的 x/20"),
    "overview.x20_profit_help": (
        "The top {top:,} of {ranked:,} profitable customers bring {share} of their gross profit.",
        "在 {ranked:,} 个盈利客户中，前 {top:,} 个贡献了其毛利的 {share}。",
    ),
    "overview.core": ("Core customers", "核心客户数"),
    "overview.core_help": (
        "Tier A, still active, and loyal or an advocate (they refer others).",
        "A 级、仍然活跃，并且忠诚或乐于推荐他人的客户。",
    ),
    "overview.profit": ("Window gross profit ({currency})", "窗口毛利（{currency}）"),
    "overview.profit_help": (
        "Net revenue less the cost of the goods kept and the cost to serve, in the value window.",
        "价值窗口内净收入减去商品成本和服务成本。",
    ),
    "overview.key_accounts": ("Key accounts", "重点客户数"),
    "overview.at_risk": ("At risk", "有流失风险"),
    "overview.at_risk_help": (
        "Customers quiet for longer than usual for them, not yet churned.",
        "超过其通常下单间隔仍未下单、但尚未流失的客户。",
    ),
    "overview.curve": ("Pareto curve: how concentrated are revenue and profit?", "帕累托曲线：收入和毛利有多集中？"),
    "overview.curve_caption": (
        "Customers ranked by window revenue (or profit), largest first. The marked point is the "
        "observed x/20: the share brought by the top 20%. The dashed diagonal is an even spread.",
        "客户按窗口收入（或毛利）从高到低排列。标出的点为实际的 x/20：前 20% 客户贡献的份额。虚线对角线表示平均分布。",
    ),
    "overview.curve_x": ("Share of customers (ranked, largest first)", "客户占比（从高到低排序）"),
    "overview.curve_y": ("Cumulative share of the total", "累计占比"),
    "overview.measure": ("Measure", "指标"),
    "overview.measure.net_revenue_window": ("Window revenue", "窗口收入"),
    "overview.measure.gross_profit_window": ("Window gross profit", "窗口毛利"),
    "overview.point.net_revenue_window": (
        "Top {top_share} of customers bring {share} of revenue",
        "前 {top_share} 的客户贡献 {share} 的收入",
    ),
    "overview.point.gross_profit_window": (
        "Top {top_share} of profitable customers bring {share} of profit",
        "前 {top_share} 的盈利客户贡献 {share} 的毛利",
    ),
    "overview.tiers": ("Pareto tiers (20/80)", "帕累托等级（二八法则）"),
    "overview.tiers_caption": (
        "A: the fewest customers that bring 80% of window revenue; B: the next 15%; C: the rest; "
        "D: no revenue in the window.",
        "A：贡献 80% 窗口收入的最少客户；B：其后的 15%；C：其余；D：窗口内没有收入。",
    ),
    "overview.tier_axis": ("Pareto tier", "帕累托等级"),
    "overview.customers_axis": ("Customers", "客户数"),
    # Tiers
    "tier.A": ("A", "A 级"),
    "tier.B": ("B", "B 级"),
    "tier.C": ("C", "C 级"),
    "tier.D": ("D", "D 级"),
    # Columns (table headers and tooltips)
    "col.customer_id": ("Customer", "客户编号"),
    "col.customer_name": ("Name", "客户名称"),
    "col.tier": ("Tier", "等级"),
    "col.customers": ("Customers", "客户数"),
    "col.customer_share": ("Share of customers", "客户占比"),
    "col.revenue": ("Window revenue ({currency})", "窗口收入（{currency}）"),
    "col.revenue_share": ("Share of revenue", "收入占比"),
    "col.profit": ("Window gross profit ({currency})", "窗口毛利（{currency}）"),
    "col.margin": ("Gross margin", "毛利率"),
    "col.profit_share": ("Share of profit", "毛利占比"),
    "col.cost_to_serve": ("Cost to serve ({currency})", "服务成本（{currency}）"),
    "col.interactions_per_customer": ("Interactions per customer", "人均互动次数"),
    "col.at_risk": ("At risk", "有流失风险"),
    "col.churned": ("Churned", "已流失"),
    "col.churn_rate": ("Churn rate", "流失率"),
    "col.revenue_at_risk": ("Revenue at risk ({currency})", "风险收入（{currency}）"),
    "col.revenue_lost": ("Revenue lost ({currency})", "流失收入（{currency}）"),
    "col.quadrant": ("Quadrant", "象限"),
    "col.band": ("Profit band", "利润分段"),
    "col.reason": ("Reason", "流失原因"),
    "col.churn_status": ("Churn status", "流失状态"),
    "col.recency": ("Days since last order", "距上次下单天数"),
    "col.days_left": ("Days left before churned", "距流失剩余天数"),
    "col.p_alive": ("P(alive)", "存活概率"),
    "col.tenure": ("Tenure (days)", "客户时长（天）"),
    "col.score": ("Key-account score", "重点客户得分"),
    "col.account_manager": ("Account manager", "客户经理"),
    "col.value": ("Value", "取值"),
    "col.core": ("Core customers", "核心客户"),
    "col.key_accounts": ("Key accounts", "重点客户"),
    "col.month_end": ("Month end", "月末"),
    "col.key_account": ("Key account", "重点客户"),
    "col.field": ("Field", "字段"),
    "col.status": ("Status", "状态"),
    "col.month": ("Month", "月份"),
    # Quadrants
    "quadrants.title": ("Quadrants: old or new, big or small", "客户四象限：新老客户 × 大小客户"),
    "quadrants.intro": (
        "Old: first order at least {days} days before {as_of}. Big: Pareto tier A. Each quadrant has its own strategy.",
        "老客户：首单早于 {as_of} 至少 {days} 天。大客户：帕累托 A 级。每个象限有各自的经营策略。",
    ),
    "quadrants.chart": ("Customers by tenure and window revenue", "按客户时长和窗口收入分布的客户"),
    "quadrants.chart_caption": (
        "One dot per customer with an order in the window. The revenue axis is logarithmic "
        "(each step is ten times the one below), so small and large customers both show. Not "
        "plotted: {inactive:,} inactive customers and {prospects:,} prospects.",
        "每个点代表一个窗口内有订单的客户。收入轴为对数刻度（每一格是下一格的十倍），大小客户都能看清。"
        "未画出：{inactive:,} 个不活跃客户和 {prospects:,} 个潜在客户。",
    ),
    "quadrants.no_revenue": (
        "Nor {count:,} customers whose returns cancel their window revenue.",
        "另有 {count:,} 个客户的退货抵消了窗口收入，也未画出。",
    ),
    "quadrants.x": ("Tenure: days since the first order", "客户时长：距首单天数"),
    "quadrants.y": ("Window net revenue ({currency})", "窗口净收入（{currency}）"),
    "quadrants.old_line": ("old from {days} days", "≥ {days} 天为老客户"),
    "quadrants.big_line": ("big (tier A) from {amount}", "≥ {amount} 为大客户（A 级）"),
    "quadrants.strategies": ("What to do in each quadrant", "各象限的经营策略"),
    "quadrants.card": (
        "{customers:,} customers · {revenue_share} of window revenue · margin {margin}",
        "{customers:,} 个客户 · 占窗口收入 {revenue_share} · 毛利率 {margin}",
    ),
    "quadrants.table": ("All quadrants", "全部象限"),
    # Profit bands
    "bands.title": ("Profit bands: 20/60/20", "利润分段：20/60/20"),
    "bands.intro": (
        "Customers with an order in the window, ranked by window gross profit: the top 20% are "
        "the profit core, the middle 60% carry the scale, the bottom 20% cost more than they bring.",
        "窗口内有订单的客户按窗口毛利排序：前 20% 是利润核心，中间 60% 支撑规模，后 20% 的成本高于贡献。",
    ),
    "bands.profit_chart": ("Share of window gross profit", "窗口毛利占比"),
    "bands.effort_chart": ("Service effort per customer", "服务投入：人均互动次数"),
    "bands.effort_caption": (
        "CRM interactions in the window per customer: where the service effort goes.",
        "窗口内每个客户的 CRM 互动次数：服务资源投向了哪里。",
    ),
    "bands.actions": ("What to do in each band", "各分段的行动建议"),
    "bands.card": (
        "{customers:,} customers · {profit_share} of profit · {loss:,} loss-making",
        "{customers:,} 个客户 · 占毛利 {profit_share} · {loss:,} 个亏损",
    ),
    "bands.table": ("All bands", "全部分段"),
    # Churn
    "churn.title": ("Churn: who is slipping away, and why", "客户流失：谁在流失，为什么"),
    "churn.intro": (
        "A customer is at risk after about twice their usual gap between orders (at least 60 "
        "days), churned after three times (at least 90 days).",
        "客户超过其通常下单间隔约 2 倍（至少 60 天）未下单即为有流失风险，超过 3 倍（至少 90 天）即为已流失。",
    ),
    "churn.at_risk": ("At risk", "有流失风险"),
    "churn.revenue_at_risk": ("Revenue at risk ({currency})", "风险收入（{currency}）"),
    "churn.revenue_at_risk_help": (
        "Window net revenue of the customers at risk: what is at stake now.",
        "有流失风险客户的窗口净收入：当前面临流失的收入。",
    ),
    "churn.churned": ("Churned", "已流失"),
    "churn.revenue_lost": ("Revenue lost ({currency})", "流失收入（{currency}）"),
    "churn.revenue_lost_help": (
        "What the churned customers brought in the year up to their last order.",
        "已流失客户在最后一次下单前一年内带来的净收入。",
    ),
    "churn.by_month": ("Churned customers by month", "按月份统计的流失客户"),
    "churn.by_month_caption": (
        "The month a customer crossed their churn threshold.",
        "客户超过流失阈值的月份。",
    ),
    "churn.month_axis": ("Month churned", "流失月份"),
    "churn.customers_axis": ("Churned customers", "流失客户数"),
    "churn.by_reason": ("At risk and churned, by reason", "按原因：风险与流失客户"),
    "churn.by_reason_caption": (
        "The reason is the first churn signal found, in this order: complaints, returns, "
        "declining orders, discount dependence, no recent contact, one-time buyer.",
        "原因取首个命中的流失信号，顺序为：投诉、退货、订单减少、依赖折扣、长期未联系、仅购买一次。",
    ),
    "churn.reason_axis": ("Reason", "原因"),
    "churn.count_axis": ("Customers", "客户数"),
    "churn.status.at_risk": ("At risk", "有流失风险"),
    "churn.status.churned": ("Churned", "已流失"),
    "churn.status.active": ("Active", "活跃"),
    "churn.status.prospect": ("Prospect", "潜在客户"),
    "churn.actions": ("What to do, by reason", "按原因的行动建议"),
    "churn.p_alive": ("Rules and model side by side", "规则与模型对照"),
    "churn.p_alive_caption": (
        "Mean probability that a customer still buys (BG/NBD model), per churn status. Churned "
        "customers with a high P(alive) are candidates for a win-back.",
        "各流失状态客户仍会购买的平均概率（BG/NBD 模型）。存活概率较高的已流失客户值得尝试挽回。",
    ),
    "churn.p_alive_metric": ("Mean P(alive): {status}", "平均存活概率：{status}"),
    "churn.p_alive_help": (
        "{customers:,} customers; {likely:,} with P(alive) of 50% or more.",
        "{customers:,} 个客户，其中 {likely:,} 个存活概率不低于 50%。",
    ),
    "churn.at_risk_list": ("At-risk customers, by revenue at risk", "有流失风险的客户（按风险收入排序）"),
    "churn.at_risk_caption": (
        "{count:,} customers at risk, largest window revenue first. Act on their reason's action "
        "above before the days left run out.",
        "共 {count:,} 个有流失风险的客户，按窗口收入从高到低排列。请在剩余天数用完前按上面的行动建议跟进。",
    ),
    # Key accounts
    "key.title": ("Key accounts: this year, and who came and went", "重点客户：今年名单及进出变化"),
    "key.intro": (
        "The key-account score (0-100) weighs profit, tenure, steady ordering, growth, "
        "referrals and engagement, less a penalty for churn risk. Last year's key account need "
        "not be this year's.",
        "重点客户得分（0-100）综合毛利、合作时长、下单稳定性、增长、推荐和互动，并扣减流失风险。"
        "去年的重点客户不一定是今年的。",
    ),
    "key.this_year": ("Key accounts as of {as_of}", "截至 {as_of} 的重点客户"),
    "key.count": ("Key accounts", "重点客户数"),
    "key.then": ("Key accounts at {date}", "{date} 的重点客户数"),
    "key.entered": ("Entered", "新进入"),
    "key.left": ("Left", "退出"),
    "key.change": ("From {start} to {end}", "从 {start} 到 {end}"),
    "key.change_caption": (
        "Month ends one year apart in the month-end history: who became a key account and who stopped being one.",
        "比较月末历史中相隔一年的两个月末：哪些客户成为重点客户，哪些不再是。",
    ),
    "key.entered_list": ("Became key accounts", "新成为重点客户"),
    "key.left_list": ("No longer key accounts", "不再是重点客户"),
    "key.score_then": ("Score then", "当时得分"),
    "key.score_now": ("Score now", "现在得分"),
    "key.no_history": (
        "The month-end history spans less than a year, so there is no year-on-year change yet.",
        "月末历史不足一年，暂时无法比较年度变化。",
    ),
    # Segments
    "segments.title": ("Segments: groups and membership", "客户分组：客户群与会员等级"),
    "segments.intro": (
        "Every customer counts once in each dimension; an empty value is shown as (unknown).",
        "每个客户在每个维度中计一次；空值显示为（未知）。",
    ),
    "segments.dimension": ("Group customers by", "分组维度"),
    "segments.revenue_chart": ("Share of window revenue", "窗口收入占比"),
    "segments.churn_chart": ("Churn rate", "流失率"),
    "segments.churn_caption": (
        "Churned customers out of those with any order.",
        "已流失客户占有过订单客户的比例。",
    ),
    "dimension.crm_group": ("Customer group", "客户群"),
    "dimension.membership_level": ("Membership level", "会员等级"),
    "dimension.customer_type": ("Customer type", "客户类型"),
    "dimension.industry": ("Industry", "行业"),
    "dimension.region": ("Region", "地区"),
    "dimension.acquisition_channel": ("Acquisition channel", "获客渠道"),
    "dimension.account_manager": ("Account manager", "客户经理"),
    # Cohorts
    "cohorts.title": ("Cohorts: do new customers come back?", "同期群：新客户会回来吗？"),
    "cohorts.intro": (
        "A cohort is the month of a customer's first order. Each cell shows the cohort in a later month.",
        "同期群按客户首单月份划分。每个格子表示该群在之后某个月的情况。",
    ),
    "cohorts.measure": ("Show", "显示"),
    "cohorts.measure.retention_rate": ("Retention rate", "留存率"),
    "cohorts.measure.cumulative_net_revenue_per_customer": (
        "Cumulative revenue per customer",
        "人均累计收入",
    ),
    "cohorts.heatmap": ("Cohort heatmap", "同期群热力图"),
    "cohorts.caption.retention_rate": (
        "Share of the cohort with an order in that month. Month 0 is 100% by definition and is "
        "left out so the colours show the later months.",
        "该月有订单的客户占同期群的比例。第 0 个月按定义为 100%，不画出，以便颜色反映之后的月份。",
    ),
    "cohorts.caption.cumulative_net_revenue_per_customer": (
        "Net revenue per customer of the cohort, summed from the first month to that month.",
        "同期群人均净收入，从首月累计到该月。",
    ),
    "cohorts.x": ("Months since the first order", "距首单月数"),
    "cohorts.y": ("Cohort (month of first order)", "同期群（首单月份）"),
    "cohorts.size": ("Cohort size", "同期群人数"),
    "cohorts.active": ("Active customers", "活跃客户数"),
    "cohorts.revenue_per_customer": ("Cumulative revenue per customer ({currency})", "人均累计收入（{currency}）"),
    # Customer card
    "customer.title": ("Customer card", "客户卡片"),
    "customer.pick": ("Customer id", "客户编号"),
    "customer.pick_help": (
        "Type to search. The list is sorted by window revenue, largest first.",
        "输入以搜索。列表按窗口收入从高到低排序。",
    ),
    "customer.not_found": ("No customer {id} in this published set.", "当前发布的数据中没有客户 {id}。"),
    "customer.quadrant": ("Quadrant", "象限"),
    "customer.tier": ("Pareto tier", "帕累托等级"),
    "customer.band": ("Profit band", "利润分段"),
    "customer.churn_status": ("Churn status", "流失状态"),
    "customer.key_score": ("Key-account score", "重点客户得分"),
    "customer.key_score_help": ("Key account: {answer}", "是否重点客户：{answer}"),
    "customer.core": ("Core customer", "核心客户"),
    "customer.core_help": ("{traits} of 4 traits: {names}", "具备 4 项特征中的 {traits} 项：{names}"),
    "customer.strategy": ("Quadrant strategy", "象限策略"),
    "customer.reason": ("Churn reason: {reason}", "流失原因：{reason}"),
    "customer.rfm": ("RFM segment", "RFM 分群"),
    "customer.rfm_scores": (
        "Recency R {r} · frequency F {f} · monetary M {m} (5 best)",
        "最近购买 R {r} · 购买频率 F {f} · 消费金额 M {m}（5 为最好）",
    ),
    "customer.p_alive": ("P(alive)", "存活概率"),
    "customer.p_alive_help": (
        "Probability that the customer still buys (BG/NBD model); {orders} repeat order days "
        "expected in the next 365 days.",
        "客户仍会购买的概率（BG/NBD 模型）；预计未来 365 天有 {orders} 个复购日。",
    ),
    "customer.facts": ("Facts", "客户信息"),
    "customer.signals": ("Churn signals", "流失信号"),
    "customer.history": ("Month-end history", "月末历史"),
    "customer.history_caption": (
        "The customer's Pareto tier and key-account score at every month end, recomputed with "
        "the same rules on what was known then.",
        "客户在每个月末的帕累托等级和重点客户得分，按当时已知的数据用同样规则重新计算。",
    ),
    "customer.tier_chart": ("Pareto tier at each month end", "每个月末的帕累托等级"),
    "customer.score_chart": ("Key-account score at each month end", "每个月末的重点客户得分"),
    "customer.history_table": ("Every month end", "全部月末记录"),
    "customer.no_history": ("No month-end history for this customer.", "该客户没有月末历史记录。"),
    "trait.trait_high_value": ("high value", "高价值"),
    "trait.trait_loyal": ("loyal", "忠诚"),
    "trait.trait_advocate": ("advocate", "推荐者"),
    "trait.trait_retained": ("retained", "留存"),
    "signal.signal_complaints": ("Complaints", "投诉"),
    "signal.signal_returns": ("Frequent returns", "退货频繁"),
    "signal.signal_order_decline": ("Orders declining", "订单减少"),
    "signal.signal_discount_dependent": ("Discount dependent", "依赖折扣"),
    "signal.signal_no_contact": ("No recent contact", "长期未联系"),
    "signal.signal_one_time": ("One-time buyer", "仅购买一次"),
    "fact.customer_type": ("Customer type", "客户类型"),
    "fact.industry": ("Industry", "行业"),
    "fact.region": ("Region", "地区"),
    "fact.city": ("City", "城市"),
    "fact.acquisition_channel": ("Acquisition channel", "获客渠道"),
    "fact.channel": ("First order channel", "首单渠道"),
    "fact.account_manager": ("Account manager", "客户经理"),
    "fact.membership_level": ("Membership level", "会员等级"),
    "fact.crm_group": ("Customer group", "客户群"),
    "fact.first_order_date": ("First order", "首单日期"),
    "fact.last_order_date": ("Last order", "最近下单日期"),
    "fact.tenure_days": ("Tenure (days)", "客户时长（天）"),
    "fact.recency_days": ("Days since last order", "距上次下单天数"),
    "fact.typical_gap_days": ("Typical gap between orders (days)", "通常下单间隔（天）"),
    "fact.at_risk_after_days": ("At risk after (days)", "风险阈值（天）"),
    "fact.churn_after_days": ("Churned after (days)", "流失阈值（天）"),
    "fact.churned_on": ("Churned on", "流失日期"),
    "fact.orders_lifetime": ("Orders, lifetime", "累计订单数"),
    "fact.orders_window": ("Orders in the window", "窗口内订单数"),
    "fact.net_revenue_lifetime": ("Revenue, lifetime ({currency})", "累计净收入（{currency}）"),
    "fact.net_revenue_window": ("Revenue in the window ({currency})", "窗口净收入（{currency}）"),
    "fact.gross_profit_window": ("Gross profit in the window ({currency})", "窗口毛利（{currency}）"),
    "fact.avg_order_value": ("Average order value ({currency})", "平均订单金额（{currency}）"),
    "fact.revenue_share": ("Share of window revenue", "窗口收入占比"),
    "fact.last_contact_date": ("Last CRM contact", "最近联系日期"),
    "fact.days_since_last_contact": ("Days since last contact", "距上次联系天数"),
    "fact.interactions_window": ("CRM interactions in the window", "窗口内互动次数"),
    "fact.complaints_window": ("Complaints in the window", "窗口内投诉次数"),
    "fact.referrals_made": ("Customers referred", "推荐客户数"),
    "fact.referred_revenue_window": (
        "Window revenue of referred customers ({currency})",
        "被推荐客户的窗口收入（{currency}）",
    ),
    "fact.predicted_revenue_365d": (
        "Predicted revenue, next 365 days ({currency})",
        "未来 365 天预测收入（{currency}）",
    ),
    # RFM segments (customer_value.rfm_segment)
    "rfm.champions": ("champions", "冠军客户"),
    "rfm.loyal": ("loyal", "忠诚客户"),
    "rfm.potential loyalist": ("potential loyalist", "潜在忠诚客户"),
    "rfm.new": ("new", "新客户"),
    "rfm.promising": ("promising", "有潜力客户"),
    "rfm.needs attention": ("needs attention", "需要关注"),
    "rfm.about to sleep": ("about to sleep", "即将沉睡"),
    "rfm.at risk": ("at risk", "有流失风险"),
    "rfm.can't lose": ("can't lose", "不能失去"),
    "rfm.hibernating": ("hibernating", "休眠客户"),
    "rfm.lost": ("lost", "已流失"),
}


def t(lang: str, key: str, **values: Any) -> str:
    """The text of `key` in `lang`, with its placeholders filled."""
    english, chinese = TEXT[key]
    text = chinese if lang == "zh" else english
    return text.format(**values) if values else text


def label(lang: str, prefix: str, code: Any) -> str:
    """The name of a code the marts use (a tier, a status, a dimension); the code itself
    when there is no name for it (a value from the data, such as a region)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return t(lang, "none")
    key = f"{prefix}.{code}"
    return t(lang, key) if key in TEXT else str(code)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT, pd.NA
    except (TypeError, ValueError):
        return False


def integer(value: Any) -> str:
    return "–" if is_missing(value) else f"{round(float(value)):,}"


def money(value: Any) -> str:
    """Amounts in whole units of the reporting currency, with thousands separators."""
    return "–" if is_missing(value) else f"{float(value):,.0f}"


def percent(value: Any, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value) * 100:.{digits}f}%"


def decimal(value: Any, digits: int = 1) -> str:
    return "–" if is_missing(value) else f"{float(value):,.{digits}f}"


def yes_no(lang: str, value: Any) -> str:
    if is_missing(value):
        return t(lang, "none")
    return t(lang, "yes") if bool(value) else t(lang, "no")
