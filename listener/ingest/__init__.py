"""Ingest: run each source from its cursor and store its posts (`sources`), judge each source's health
(`health`), and choose which tracked threads to re-read next (`tracker`)."""
