"""fangsiang scrapers package."""
