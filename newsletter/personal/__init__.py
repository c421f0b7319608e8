"""What each reader teaches their digest: their library (library.py reads it, service.py stores
it) and the ranking learned from it and from their 👍 and 👎 (ranking.py, service.py)."""
