"""Incidents: a thread's `growth`, its `risk`, the incident decisions (`engine`) and what each decision
deserves in Slack (`planner`); `thread_batch` loads what one evaluation batch needs about its threads."""
