"""The sales source: orders, order lines, returns and daily FX rates.

Ids, amounts and times stay numbers here (money in integer cents of the order's
currency, so that a refund can never exceed its line by rounding); the writer turns
them into contract text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.demo import vocabulary as vocab
from pipelines.demo.draws import DAY, HOUR, Period, first_of, group_positions, labels, pick, uniform_int
from pipelines.demo.population import CURRENCIES, TYPICAL_RATES, Population
from pipelines.demo.writer import BATCH

LINES_PER_ORDER = 2.5
SMALL_FREQUENT_ORDER_RATE = 4.0  # times as many orders as a customer of the same weight
CANCELLED_SHARE = 0.05
SHIPPING_MISSING_SHARE = 0.15
FREE_SHIPPING_SHARE = 0.10
N_PRODUCTS = 1_200
BIG_CUSTOMER_PRICE_CUT = 0.12  # the biggest customer's discount off list
LOW_MARGIN_SHARE = 0.04
BELOW_COST_SHARE = 0.02
DISCOUNTED_LINE_SHARE = 0.20
DISCOUNT_RANGE = (0.02, 0.15)  # of the line's list amount
# A deal seeker buys most lines at a deep discount: about a third off over its lifetime.
DEAL_SEEKER_DISCOUNTED_SHARE = 0.85
DEAL_SEEKER_DISCOUNT_RANGE = (0.30, 0.55)
RETURNED_LINE_SHARE = 0.03
HEAVY_RETURNER_LINE_SHARE = 0.40  # whole lines sent back
RETURN_WITHIN_DAYS = 45
# A fading customer's orders of its last year before the last order move a year back
# with this chance, so that the year has fewer than half the orders of the one before.
FADING_MOVED_SHARE = 0.7


@dataclass
class Orders:
    """One entry per order, in order of time; order number = index + 1."""

    customer: np.ndarray
    placed: np.ndarray  # seconds
    currency: np.ndarray
    cancelled: np.ndarray


@dataclass
class Lines:
    """One entry per order line, ordered by order and line number."""

    order: np.ndarray  # order index
    line_number: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray  # cents of the order's currency
    discount: np.ndarray  # cents, for the whole line


def simulate_orders(
    period: Period, people: Population, order_lines: int, rng: np.random.Generator
) -> tuple[Orders, pa.Table]:
    # One-time buyers order once, everybody else who orders at least twice.
    floor_counts = np.where(people.one_time, 1, np.where(people.regular, 2, 0))
    n_orders = max(round(order_lines / LINES_PER_ORDER), int(floor_counts.sum()))
    span = people.last_day - people.first_day + 1
    # Weight drives how often (here) and how much (simulate_lines) a customer buys,
    # so revenue grows with weight x time as a customer.
    frequency = people.weight**0.6 * np.where(people.small_frequent, SMALL_FREQUENT_ORDER_RATE, 1.0)
    intensity = np.where(people.regular, frequency * span, 0.0)
    counts = floor_counts + rng.multinomial(n_orders - int(floor_counts.sum()), intensity / intensity.sum())

    customer = np.repeat(np.arange(people.size, dtype=np.int32), counts)
    position = group_positions(counts)
    day = uniform_int(rng, people.first_day[customer], span[customer])
    # The first order on the first day; a churned customer's second on its churn day,
    # so that its last order is exactly then.
    day = np.where(position == 0, people.first_day[customer], day)
    day = np.where((position == 1) & people.churned[customer], people.last_day[customer], day)
    fading = (position >= 2) & people.fading[customer] & (day > people.last_day[customer] - 365)
    day = np.where(fading & (rng.random(len(day)) < FADING_MOVED_SHARE), day - 365, day)
    placed = np.maximum(day * DAY + rng.integers(8 * HOUR, 22 * HOUR, len(day)), people.created[customer] + 600)

    chronological = np.argsort(placed, kind="stable")
    customer, placed = customer[chronological], placed[chronological]
    currency = people.currency[customer]
    cancelled = rng.random(n_orders) < CANCELLED_SHARE

    channel_shares = [share for _, share in vocab.ORDER_CHANNELS]
    preferred = pick(rng, channel_shares, people.size)
    channel = np.where(rng.random(n_orders) < 0.8, preferred[customer], pick(rng, channel_shares, n_orders))
    shipping_cny = np.where(rng.random(n_orders) < FREE_SHIPPING_SHARE, 0.0, rng.lognormal(np.log(25.0), 0.5, n_orders))
    shipping = np.round(shipping_cny * 100 / TYPICAL_RATES[currency]).astype(np.int64)

    table = pa.table(
        {
            "order_id": pa.array(np.arange(1, n_orders + 1, dtype=np.int64)),
            "customer_id": pa.array(customer.astype(np.int64) + 1),
            "ordered_at": pa.array(period.timestamps(placed)),
            "channel": labels(channel, first_of(vocab.ORDER_CHANNELS)),
            "currency": labels(currency, CURRENCIES),
            "status": labels(cancelled, vocab.ORDER_STATUSES),
            "shipping_cost": pa.array(shipping, mask=rng.random(n_orders) < SHIPPING_MISSING_SHARE),
            BATCH: pa.array(period.month_of(placed)),
        }
    )
    return Orders(customer, placed, currency, cancelled), table


def simulate_lines(
    period: Period, people: Population, orders: Orders, order_lines: int, rng: np.random.Generator
) -> tuple[Lines, pa.Table]:
    n_orders = len(orders.customer)
    n_lines = max(order_lines, n_orders)
    # Every order has a line; big customers' orders get more of the rest, small frequent ones hardly any.
    line_appetite = np.where(people.small_frequent, 0.1, people.weight**0.15)[orders.customer]
    lines_per_order = 1 + rng.multinomial(n_lines - n_orders, line_appetite / line_appetite.sum())
    order = np.repeat(np.arange(n_orders, dtype=np.int32), lines_per_order)
    line_number = (group_positions(lines_per_order) + 1).astype(np.int32)
    customer = orders.customer[order]
    rate = TYPICAL_RATES[orders.currency[order]]

    category = rng.integers(0, len(vocab.PRODUCT_CATEGORIES), N_PRODUCTS)
    median_price = np.array([price for _, price in vocab.PRODUCT_CATEGORIES])
    list_price = np.round(median_price[category] * rng.lognormal(0.0, 0.5, N_PRODUCTS) * 100)  # CNY cents
    cost_ratio = rng.uniform(0.55, 0.85, N_PRODUCTS)
    # Low product numbers sell most.
    product = np.minimum((N_PRODUCTS * rng.random(n_lines) ** 2.2).astype(np.int32), N_PRODUCTS - 1)

    mean_quantity = np.where(people.small_frequent, 1.2, np.clip(3.0 * people.weight**0.4, 1.0, 60.0))
    quantity = 1 + rng.poisson(mean_quantity[customer] - 1.0).astype(np.int32)
    # Big customers buy below list: volume without much margin.
    price_factor = (1.0 - BIG_CUSTOMER_PRICE_CUT * people.bigness)[customer] * rng.uniform(0.97, 1.03, n_lines)
    unit_price = np.round(list_price[product] * price_factor / rate).astype(np.int64)

    ratio = cost_ratio[product]
    margin_draw = rng.random(n_lines)
    low = np.flatnonzero(margin_draw < LOW_MARGIN_SHARE)
    ratio[low] = rng.uniform(0.92, 1.0, len(low))
    below = np.flatnonzero((margin_draw >= LOW_MARGIN_SHARE) & (margin_draw < LOW_MARGIN_SHARE + BELOW_COST_SHARE))
    ratio[below] = rng.uniform(1.02, 1.25, len(below))
    unit_cost = np.round(list_price[product] * ratio / rate).astype(np.int64)

    discount = np.zeros(n_lines, np.int64)
    seeker = people.deal_seeker[customer]
    share = np.where(seeker, np.float32(DEAL_SEEKER_DISCOUNTED_SHARE), np.float32(DISCOUNTED_LINE_SHARE))
    discounted = np.flatnonzero(rng.random(n_lines, dtype=np.float32) < share)
    del share
    deep = seeker[discounted]
    low = np.where(deep, DEAL_SEEKER_DISCOUNT_RANGE[0], DISCOUNT_RANGE[0])
    high = np.where(deep, DEAL_SEEKER_DISCOUNT_RANGE[1], DISCOUNT_RANGE[1])
    gross = quantity[discounted] * unit_price[discounted]
    discount[discounted] = np.floor(gross * (low + (high - low) * rng.random(len(discounted))))

    table = pa.table(
        {
            "order_id": pa.array(order.astype(np.int64) + 1),
            "line_number": pa.array(line_number),
            "product_id": pa.array(product + 1),
            "product_category": labels(category[product], first_of(vocab.PRODUCT_CATEGORIES)),
            "quantity": pa.array(quantity),
            "unit_price": pa.array(unit_price),
            "discount_amount": pa.array(discount),
            "unit_cost": pa.array(unit_cost),
            BATCH: pa.array(period.month_of(orders.placed)[order]),
        }
    )
    return Lines(order, line_number, quantity, unit_price, discount), table


def simulate_returns(
    period: Period, people: Population, orders: Orders, lines: Lines, rng: np.random.Generator
) -> pa.Table:
    days = period.days
    order_day = orders.placed[lines.order] // DAY
    # Completed orders only, and not from the last day: a return comes a day or more later.
    eligible = ~orders.cancelled[lines.order] & (order_day <= days - 2)
    returner = people.heavy_returner[orders.customer[lines.order]]
    share = np.where(returner, np.float32(HEAVY_RETURNER_LINE_SHARE), np.float32(RETURNED_LINE_SHARE))
    picked = np.flatnonzero(eligible & (rng.random(len(lines.order), dtype=np.float32) < share))
    del share, eligible
    n = len(picked)
    quantity = lines.quantity[picked]
    partly = np.minimum(1 + np.floor(rng.random(n) ** 2 * quantity).astype(np.int32), quantity)
    returned_quantity = np.where(returner[picked], quantity, partly)
    net = quantity.astype(np.int64) * lines.unit_price[picked] - lines.discount[picked]
    refund = np.floor(net * (returned_quantity / quantity) * rng.uniform(0.85, 1.0, n)).astype(np.int64)
    days_left = days - 1 - order_day[picked]
    delay = 1 + uniform_int(rng, np.zeros(n, np.int64), np.minimum(RETURN_WITHIN_DAYS, days_left))
    returned = (order_day[picked] + delay) * DAY + rng.integers(9 * HOUR, 18 * HOUR, n)

    chronological = np.argsort(returned, kind="stable")
    line = picked[chronological]
    returned = returned[chronological]
    return pa.table(
        {
            "return_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "order_id": pa.array(lines.order[line].astype(np.int64) + 1),
            "line_number": pa.array(lines.line_number[line]),
            "returned_at": pa.array(period.timestamps(returned)),
            "quantity": pa.array(returned_quantity[chronological]),
            "refund_amount": pa.array(refund[chronological]),
            BATCH: pa.array(period.month_of(returned)),
        }
    )


def simulate_fx_rates(period: Period, rng: np.random.Generator) -> pa.Table:
    """A rate for every date and foreign currency, drifting a few percent around its
    typical rate. The reporting currency has none: its rate is 1 by definition."""
    days = period.days
    rates = []
    for _, typical in vocab.FOREIGN_CURRENCIES:
        walk = np.cumsum(rng.normal(0.0, 1.0, days))
        drift = walk / max(np.abs(walk).max(), 1e-9) * rng.uniform(0.02, 0.04)
        rates.append(np.round(typical * (1.0 + drift) * 10_000).astype(np.int64))
    n_foreign = len(vocab.FOREIGN_CURRENCIES)
    day = np.repeat(np.arange(days, dtype=np.int64), n_foreign)
    return pa.table(
        {
            "rate_date": pa.array(period.dates(day)),
            "currency": labels(np.tile(np.arange(n_foreign), days), first_of(vocab.FOREIGN_CURRENCIES)),
            "rate_to_reporting": pa.array(np.stack(rates, axis=1).reshape(-1)),
            BATCH: pa.array(period.month_of(day * DAY)),
        }
    )
