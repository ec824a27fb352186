"""Demo data: named personas and generated residents across the cities, as real rows."""
