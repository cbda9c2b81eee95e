"""The CRM source: customer rows (with a few restated later) and interactions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo import vocabulary as vocab
from pipelines.demo.draws import DAY, HOUR, Period, first_of, labels, pick, uniform_int
from pipelines.demo.population import OVERSEAS, Population
from pipelines.demo.writer import BATCH

RESTATED_SHARE = 0.01
INTERACTIONS_PER_LINE = 0.10
CHURNED_WHO_COMPLAINED = 0.6
COMPLAINT_DAYS_BEFORE_LAST_ORDER = 60
CONTACT_DAYS_AFTER_LAST_ORDER = 90  # win-back attempts
# Some lapsed customers (churned, or one-time buyers long ago) are still called in the
# last months: they are not out of touch, so the churn signals must find another cause.
STILL_CALLED_SHARE = 0.5
LAPSED_DAYS = 60  # without an order before the end of the period
STILL_CALLED_DAYS_BEFORE_END = (75, 15)  # earliest, latest: after their last order
STILL_CALLED_CHANNELS = ("call", "visit", "wechat")
ACCOUNT_MANAGERS = (*vocab.DOMESTIC_ACCOUNT_MANAGERS, *vocab.OVERSEAS_ACCOUNT_MANAGERS)
# Membership by percentile of customer weight: lower bounds of silver, gold, platinum.
MEMBERSHIP_CUTS = (0.5, 0.8, 0.95)
KEY_ACCOUNT_CUT = 0.9


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _unless(missing: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(missing), pa.scalar(None, values.type), values)


def _names(people: Population, city: pa.Array, industry: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Chinese or Latin, company or person: 上海华东贸易有限公司, Acme Trading Ltd, 张伟, Maria Rossi."""
    n = people.size

    def draw(words) -> pa.Array:
        return pc.take(pa.array(list(words)), pa.array(rng.integers(0, len(words), n)))

    chinese_word = pc.take(pa.array([w for _, w, _ in vocab.INDUSTRIES]), pa.array(industry))
    latin_word = pc.take(pa.array([w for _, _, w in vocab.INDUSTRIES]), pa.array(industry))
    city_prefix = pc.if_else(pa.array(people.overseas), pa.scalar(""), city)
    chinese_company = _join(
        city_prefix, draw(vocab.CHINESE_TRADE_NAMES), chinese_word, draw(vocab.CHINESE_COMPANY_SUFFIXES)
    )
    latin_company = _join(draw(vocab.LATIN_BRANDS), " ", latin_word, draw(vocab.LATIN_COMPANY_SUFFIXES))
    chinese_person = _join(draw(vocab.CHINESE_SURNAMES), draw(vocab.CHINESE_GIVEN_NAMES))
    latin_person = _join(draw(vocab.LATIN_FIRST_NAMES), " ", draw(vocab.LATIN_LAST_NAMES))
    latin = pa.array(np.where(people.overseas, rng.random(n) < 0.9, rng.random(n) < 0.03))
    return pc.if_else(
        pa.array(people.company),
        pc.if_else(latin, latin_company, chinese_company),
        pc.if_else(latin, latin_person, chinese_person),
    )


def _profiles(people: Population, period: Period, rng: np.random.Generator) -> dict[str, pa.Array]:
    """Every CRM column that a restatement leaves alone, one entry per customer.
    Which optional values are empty is decided here too, so a restated row repeats them."""
    n = people.size
    company = people.company

    def missing(share: float) -> np.ndarray:
        return rng.random(n) < share

    # A city of the customer's region, through one flat list with per-region offsets.
    city_counts = np.array([len(cities) for _, _, cities in vocab.REGIONS])
    city_offsets = np.cumsum(city_counts) - city_counts
    city_index = uniform_int(rng, city_offsets[people.region], city_counts[people.region])
    all_cities = [city for _, _, cities in vocab.REGIONS for city in cities]
    city = pc.take(pa.array(all_cities), pa.array(city_index))
    industry = rng.integers(0, len(vocab.INDUSTRIES), n)

    # Mainland mobile numbers; overseas ones with the country code of their city.
    mobile = pc.cast(pa.array(rng.integers(13, 20, n) * 10**9 + rng.integers(0, 10**9, n)), pa.string())
    country_code = np.zeros(len(all_cities), np.int64)
    overseas_cities = slice(city_offsets[OVERSEAS], city_offsets[OVERSEAS] + city_counts[OVERSEAS])
    country_code[overseas_cities] = vocab.OVERSEAS_COUNTRY_CODES
    international = _join(
        "+",
        pc.cast(pa.array(country_code[city_index]), pa.string()),
        " ",
        pc.cast(pa.array(rng.integers(10**7, 10**8, n)), pa.string()),
    )
    phone = pc.if_else(pa.array(people.overseas), international, mobile)
    # Reserved example domains: the shape of an address, nobody's address.
    number = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 7, "0")
    domain = pc.take(pa.array(vocab.EMAIL_DOMAINS), pa.array(rng.integers(0, len(vocab.EMAIL_DOMAINS), n)))
    email = _join("c", number, "@", domain)

    referred = people.referrer >= 0
    acquisition = np.where(
        referred, len(vocab.ACQUISITION_CHANNELS), rng.integers(0, len(vocab.ACQUISITION_CHANNELS), n)
    )
    # Overseas team first, then retail for individuals, key accounts for the biggest companies.
    group = np.select(
        [people.overseas, ~company, people.bigness >= KEY_ACCOUNT_CUT],
        [
            vocab.CRM_GROUPS.index(vocab.CRM_GROUP_OVERSEAS),
            vocab.CRM_GROUPS.index(vocab.CRM_GROUP_RETAIL),
            vocab.CRM_GROUPS.index(vocab.CRM_GROUP_KEY_ACCOUNTS),
        ],
        vocab.CRM_GROUPS.index(vocab.CRM_GROUP_SMB),
    )
    oldest_birthday = np.datetime64("1955-01-01", "D")
    birthday_days = int((np.datetime64("2004-12-31", "D") - oldest_birthday).astype(int)) + 1
    birthday = oldest_birthday + rng.integers(0, birthday_days, n).astype("timedelta64[D]")
    region_missing = missing(0.02)
    return {
        "customer_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "customer_name": _names(people, city, industry, rng),
        "customer_type": labels(~company, vocab.CUSTOMER_TYPES),
        "industry": labels(industry, first_of(vocab.INDUSTRIES), ~company),
        "region": labels(people.region, first_of(vocab.REGIONS), region_missing),
        "city": _unless(region_missing | missing(0.03), city),
        "created_at": pa.array(period.timestamps(people.created)),
        "acquisition_channel": labels(
            acquisition, (*vocab.ACQUISITION_CHANNELS, vocab.REFERRAL_CHANNEL), ~referred & missing(0.04)
        ),
        "referred_by_customer_id": pa.array(people.referrer + 1, mask=~referred),
        "crm_group": labels(group, vocab.CRM_GROUPS),
        "phone": _unless(missing(0.05), phone),
        "email": _unless(missing(0.10), email),
        "birthday": pa.array(birthday, mask=company | missing(0.1)),
    }


def _other_manager(manager: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A different account manager of the same team (domestic or overseas)."""
    n_domestic = len(vocab.DOMESTIC_ACCOUNT_MANAGERS)
    overseas = manager >= n_domestic
    offset = np.where(overseas, n_domestic, 0)
    team_size = np.where(overseas, len(vocab.OVERSEAS_ACCOUNT_MANAGERS), n_domestic)
    step = 1 + np.floor(rng.random(len(manager)) * (team_size - 1)).astype(np.int64)
    return offset + (manager - offset + step) % team_size


def customer_rows(period: Period, people: Population, rng: np.random.Generator) -> pa.Table:
    """Every customer CRM knows, in the batch of its creation month, and a few restated
    in a later batch (a membership level up, or a new account manager), so that the
    latest batch has to win."""
    n = people.size
    profiles = _profiles(people, period, rng)
    n_domestic = len(vocab.DOMESTIC_ACCOUNT_MANAGERS)
    manager = np.where(
        people.overseas,
        n_domestic + rng.integers(0, len(vocab.OVERSEAS_ACCOUNT_MANAGERS), n),
        rng.integers(0, n_domestic, n),
    )
    no_manager = ~people.company & (rng.random(n) < 0.5)
    level = np.searchsorted(MEMBERSHIP_CUTS, people.bigness, side="right")
    created_month = period.month_of(people.created)

    crm = np.flatnonzero(people.in_crm)
    last_month = len(period.months) - 1
    can_restate = crm[created_month[crm] < last_month]
    n_restated = min(len(can_restate), max(1, round(RESTATED_SHARE * len(crm))))
    restated = np.sort(rng.choice(can_restate, n_restated, replace=False))
    restated_month = (
        created_month[restated]
        + 1
        + uniform_int(rng, np.zeros(n_restated, np.int64), last_month - created_month[restated])
    )
    top_level = len(vocab.MEMBERSHIP_LEVELS) - 1
    reassigned = (level[restated] == top_level) | (rng.random(n_restated) < 0.5)

    row_customer = np.concatenate([crm, restated])
    row_batch = np.concatenate([created_month[crm], restated_month]).astype(np.int16)
    row_level = np.concatenate([level[crm], np.minimum(level[restated] + 1, top_level)])
    row_manager = np.concatenate(
        [manager[crm], np.where(reassigned, _other_manager(manager[restated], rng), manager[restated])]
    )
    # A restatement names a manager even where the first row had none.
    row_no_manager = np.concatenate([no_manager[crm], np.zeros(n_restated, bool)])

    in_order = np.lexsort((row_customer, row_batch))
    customer = pa.array(row_customer[in_order])
    columns = {name: pc.take(values, customer) for name, values in profiles.items()}
    columns["account_manager"] = labels(row_manager[in_order], ACCOUNT_MANAGERS, row_no_manager[in_order])
    columns["membership_level"] = labels(row_level[in_order], vocab.MEMBERSHIP_LEVELS)
    columns[BATCH] = pa.array(row_batch[in_order])
    return pa.table(columns)


def _channel_codes(channels) -> np.ndarray:
    return np.array([vocab.INTERACTION_CHANNELS.index(c) for c in channels])


def simulate_interactions(period: Period, people: Population, order_lines: int, rng: np.random.Generator) -> pa.Table:
    crm = np.flatnonzero(people.in_crm)
    start_day = people.created_day
    last_day = period.days - 1
    end_day = np.where(people.ordering, np.minimum(people.last_day + CONTACT_DAYS_AFTER_LAST_ORDER, last_day), last_day)
    span = end_day - start_day + 1

    # Everyday contact: at least one per customer, bigger and longer-known ones get more.
    total = max(len(crm), round(order_lines * INTERACTIONS_PER_LINE))
    engagement = people.weight[crm] ** 0.3 * span[crm]
    counts = 1 + rng.multinomial(total - len(crm), engagement / engagement.sum())
    customer = np.repeat(crm, counts)
    day = uniform_int(rng, start_day[customer], span[customer])
    mix = vocab.INTERACTION_MIX
    combo = pick(rng, [weight for _, _, weight in mix], len(customer))
    channel = _channel_codes(c for c, _, _ in mix)[combo]
    kind = np.array([vocab.INTERACTION_TYPES.index(t) for _, t, _ in mix])[combo]

    # Churned customers often complained in the weeks before their last order (unless
    # they leave for a story of their own).
    complains = people.churned & ~people.churn_story & people.in_crm
    complained = np.flatnonzero(complains & (rng.random(people.size) < CHURNED_WHO_COMPLAINED))
    complaint_customer = np.repeat(complained, rng.integers(1, 4, len(complained)))
    n_complaints = len(complaint_customer)
    complaint_day = np.maximum(
        people.last_day[complaint_customer] - rng.integers(0, COMPLAINT_DAYS_BEFORE_LAST_ORDER, n_complaints),
        start_day[complaint_customer],
    )
    complaint_channel = _channel_codes(vocab.COMPLAINT_CHANNELS)[
        rng.integers(0, len(vocab.COMPLAINT_CHANNELS), n_complaints)
    ]

    # A referral shows on the referrer's record around the day the new customer arrived.
    referred = np.flatnonzero(people.referrer >= 0)
    referrer = people.referrer[referred]
    referral_day = np.maximum(start_day[referred] - rng.integers(0, 15, len(referred)), start_day[referrer])
    referral_channel = _channel_codes(vocab.REFERRAL_INTERACTION_CHANNELS)[
        rng.integers(0, len(vocab.REFERRAL_INTERACTION_CHANNELS), len(referred))
    ]

    # Some lapsed customers are still called by their account manager near the end.
    lapsed = people.in_crm & (people.churned | people.one_time) & (people.last_day < last_day - LAPSED_DAYS)
    called = np.flatnonzero(lapsed & (rng.random(people.size) < STILL_CALLED_SHARE))
    earliest, latest = (last_day - days for days in STILL_CALLED_DAYS_BEFORE_END)
    called_day = uniform_int(rng, np.full(len(called), earliest), latest - earliest)
    called_channel = _channel_codes(STILL_CALLED_CHANNELS)[rng.integers(0, len(STILL_CALLED_CHANNELS), len(called))]

    customer = np.concatenate([customer, complaint_customer, referrer, called])
    day = np.concatenate([day, complaint_day, referral_day, called_day])
    channel = np.concatenate([channel, complaint_channel, referral_channel, called_channel])
    kind = np.concatenate(
        [
            kind,
            np.full(n_complaints, vocab.INTERACTION_TYPES.index("complaint")),
            np.full(len(referred), vocab.INTERACTION_TYPES.index("referral")),
            np.full(len(called), vocab.INTERACTION_TYPES.index("contact")),
        ]
    )
    occurred = np.maximum(day * DAY + rng.integers(8 * HOUR, 20 * HOUR, len(day)), people.created[customer] + 60)
    chronological = np.argsort(occurred, kind="stable")
    customer, occurred = customer[chronological], occurred[chronological]
    return pa.table(
        {
            "interaction_id": pa.array(np.arange(1, len(customer) + 1, dtype=np.int64)),
            "customer_id": pa.array(customer.astype(np.int64) + 1),
            "occurred_at": pa.array(period.timestamps(occurred)),
            "channel": labels(channel[chronological], vocab.INTERACTION_CHANNELS),
            "interaction_type": labels(kind[chronological], vocab.INTERACTION_TYPES),
            BATCH: pa.array(period.month_of(occurred)),
        }
    )
