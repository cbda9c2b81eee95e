with

source as (
    {{ latest_batch(source('sales', 'fx_rates'), ['rate_date', 'currency']) }}
),

final as (
    select
        rate_date,
        currency,
        rate_to_reporting,
        -- A rate holds from its date until the next rate of the same currency.
        lead(rate_date) over (partition by currency order by rate_date) as valid_until
    from source
    -- The reporting currency converts at 1 whatever a file says.
    where currency <> '{{ var("reporting_currency") }}'
)

select * from final
