"""Offline evaluation: query sets with gold labels, IR metrics, configurations side by side."""
