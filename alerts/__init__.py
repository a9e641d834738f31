"""fangsiang alerts package."""
