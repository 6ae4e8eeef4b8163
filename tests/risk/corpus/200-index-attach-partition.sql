-- expect: (none)
ALTER INDEX events_at_idx ATTACH PARTITION events_2026_at_idx;
