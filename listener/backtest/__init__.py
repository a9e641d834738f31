"""`fangsiang backtest`: what the shipped pipeline would have done, replayed on a simulated clock.

- `threads.py`: growth curves (the `thread-growth` JSONL format) replayed as Pantip threads through the real
  store, tracker, growth, risk, incidents and dispatcher into a recording sink;
- `rules.py`: an edited watchlist re-run over the posts already stored, counted per day and tier;
- `command.py`: the command line of both.
Nothing is ever sent to Slack.
"""
