"""fangsiang sentiment package."""
