"""The customers behind the demo data: who they are and how they will behave.

Everything later (orders, CRM rows, interactions) is drawn from this one table, so
that the tables agree with each other: a churned customer stops ordering and has
often complained, a referred customer points at one created before it, and so on.

A churned customer leaves for one story at most, so that each churn signal of the
marts has customers of its own: a complaint shortly before the last order (drawn with
the interactions), heavy returns, deep discounts it came for, or orders that thinned
out in its last year; the others just drift away, some of them still called by their
account manager near the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo import vocabulary as vocab
from pipelines.demo.draws import DAY, HOUR, Period, first_of, percentile_rank, pick, uniform_int

# Spread of the customer weights. With the other draws on top, the top fifth of the
# customers brings about three quarters of the revenue in any year.
WEIGHT_SIGMA = 1.3
COMPANY_SHARE = 0.7
INDIVIDUAL_WEIGHT = 0.35  # individuals buy less than companies
EXISTING_BOOK_SHARE = 0.25  # customers already there in the first three months
PROSPECT_SHARE = 0.03
UNKNOWN_TO_CRM_SHARE = 0.005
ONE_TIME_SHARE = 0.08
SMALL_FREQUENT_SHARE = 0.10
FOREIGN_CURRENCY_EXPORTER_SHARE = 0.15
REFERRED_SHARE = 0.10
CHURN_SHARE = 0.30
# Customers who buy mostly on deep discounts, and customers who send much back; both
# leave more often than others.
DEAL_SEEKER_SHARE = 0.05
HEAVY_RETURNER_SHARE = 0.05
STORY_CHURN_SHARE = 0.6
# Churned customers with two years of history whose orders thin out in their last year.
FADING_SHARE = 0.6
FADING_MIN_HISTORY_DAYS = 730
# A churned customer's last order is at least this long before the end, and only a
# customer whose first order is earlier than CHURN_MIN_HISTORY_DAYS before the end churns.
CHURN_MIN_SILENT_DAYS = 150
CHURN_MIN_HISTORY_DAYS = 240

REGION_NAMES = first_of(vocab.REGIONS)
OVERSEAS = REGION_NAMES.index(vocab.OVERSEAS_REGION)
# Index into CURRENCIES; the reporting currency first.
CURRENCIES = (vocab.REPORTING_CURRENCY, *first_of(vocab.FOREIGN_CURRENCIES))
TYPICAL_RATES = np.array([1.0, *(rate for _, rate in vocab.FOREIGN_CURRENCIES)])


@dataclass
class Population:
    """One entry per customer; customer number = index + 1, numbered in order of creation."""

    created: np.ndarray  # seconds
    weight: np.ndarray  # relative spend, heavy-tailed
    bigness: np.ndarray  # percentile rank of weight, 0..1
    company: np.ndarray
    region: np.ndarray  # index into vocab.REGIONS
    currency: np.ndarray  # index into CURRENCIES
    in_crm: np.ndarray
    ordering: np.ndarray  # False for prospects
    one_time: np.ndarray
    small_frequent: np.ndarray
    churned: np.ndarray
    deal_seeker: np.ndarray
    heavy_returner: np.ndarray
    fading: np.ndarray  # churned, ordering less in the year before its last order
    first_day: np.ndarray  # first and last possible order day, where ordering
    last_day: np.ndarray
    referrer: np.ndarray  # customer index, -1 when not referred

    @property
    def size(self) -> int:
        return len(self.created)

    @property
    def created_day(self) -> np.ndarray:
        return self.created // DAY

    @property
    def regular(self) -> np.ndarray:
        """Customers who order more than once."""
        return self.ordering & ~self.one_time

    @property
    def overseas(self) -> np.ndarray:
        return self.region == OVERSEAS

    @property
    def churn_story(self) -> np.ndarray:
        """Churned customers who leave for a reason of their own (not a complaint)."""
        return self.churned & (self.deal_seeker | self.heavy_returner | self.fading)


def _flags(n: int, rng: np.random.Generator, *counts: int) -> list[np.ndarray]:
    """Disjoint random sets of the given sizes, as boolean masks."""
    order = rng.permutation(n)
    masks, taken = [], 0
    for count in counts:
        mask = np.zeros(n, bool)
        mask[order[taken : taken + count]] = True
        masks.append(mask)
        taken += count
    return masks


def simulate_population(period: Period, n: int, rng: np.random.Generator) -> Population:
    days = period.days
    created_day = np.where(
        rng.random(n) < EXISTING_BOOK_SHARE, rng.integers(0, min(90, days), n), rng.integers(0, days, n)
    )
    created = np.sort(created_day * DAY + rng.integers(8 * HOUR, 18 * HOUR, n))

    n_prospects = max(1, round(PROSPECT_SHARE * n))
    n_unknown = max(1, round(UNKNOWN_TO_CRM_SHARE * (n - n_prospects)))
    n_one_time = max(1, round(ONE_TIME_SHARE * (n - n_prospects)))
    prospect, unknown, one_time = _flags(n, rng, n_prospects, n_unknown, n_one_time)
    ordering, in_crm = ~prospect, ~unknown
    regular = ordering & ~one_time

    company = rng.random(n) < COMPANY_SHARE
    region = pick(rng, [share for _, share, _ in vocab.REGIONS], n)
    # Overseas customers and some domestic exporters are invoiced in USD or EUR.
    foreign = (region == OVERSEAS) | (company & (rng.random(n) < FOREIGN_CURRENCY_EXPORTER_SHARE))
    currency = np.where(foreign, np.where(rng.random(n) < 0.6, 1, 2), 0).astype(np.int8)
    weight = rng.lognormal(0.0, WEIGHT_SIGMA, n) * np.where(company, 1.0, INDIVIDUAL_WEIGHT)
    small_frequent = regular & (rng.random(n) < SMALL_FREQUENT_SHARE)

    # The first order follows creation within days (at most two months).
    first_day = np.minimum(created // DAY + np.minimum(rng.geometric(0.1, n) - 1, 60), days - 1)
    churn_draw = rng.random(n)
    churn_day = uniform_int(rng, first_day + 30, np.maximum(days - CHURN_MIN_SILENT_DAYS - 30 - first_day, 1))

    # A referrer is a CRM customer created strictly before the referred one.
    crm_numbers = np.flatnonzero(in_crm)
    earlier = np.searchsorted(created[crm_numbers], created, side="left")
    referred = in_crm & (earlier > 0) & (rng.random(n) < REFERRED_SHARE)
    referrer_at = np.minimum(np.floor(rng.random(n) * earlier).astype(np.int64), len(crm_numbers) - 1)
    referrer = np.where(referred, crm_numbers[referrer_at], -1)

    story = rng.random(n)
    deal_seeker = ordering & (story < DEAL_SEEKER_SHARE)
    heavy_returner = ordering & (story >= DEAL_SEEKER_SHARE) & (story < DEAL_SEEKER_SHARE + HEAVY_RETURNER_SHARE)
    churn_share = np.where(deal_seeker | heavy_returner, STORY_CHURN_SHARE, CHURN_SHARE)
    churned = regular & (first_day < days - CHURN_MIN_HISTORY_DAYS) & (churn_draw < churn_share)
    last_day = np.where(churned, churn_day, np.where(one_time, first_day, days - 1))
    long_history = last_day - first_day >= FADING_MIN_HISTORY_DAYS
    fading = churned & ~deal_seeker & ~heavy_returner & long_history & (rng.random(n) < FADING_SHARE)

    return Population(
        created=created,
        weight=weight,
        bigness=percentile_rank(weight),
        company=company,
        region=region,
        currency=currency,
        in_crm=in_crm,
        ordering=ordering,
        one_time=one_time,
        small_frequent=small_frequent,
        churned=churned,
        deal_seeker=deal_seeker,
        heavy_returner=heavy_returner,
        fading=fading,
        first_day=first_day,
        last_day=last_day,
        referrer=referrer,
    )
