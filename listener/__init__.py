"""fangsiang listener package."""
