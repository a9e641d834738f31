"""Triage: watchlists (`watchlists`, their boolean `query` syntax and word-segment `matching`), then the
scoring and evaluation stages (`stages`) and the stand-alone `fangsiang score` command (`score_command`)."""
