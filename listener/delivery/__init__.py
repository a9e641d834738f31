"""Delivery: the `outbox` every alert is written to first, the `dispatcher` that sends it, and the
`digests` (hourly/daily lines, quiet-hours catch-up, the daily summary). Channels live in `alerts/`."""
