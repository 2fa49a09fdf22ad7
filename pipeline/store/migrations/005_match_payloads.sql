-- Raw match-v5 payloads move out of `matches` into a table of their own, with no key.
-- DuckDB rewrites the last row group of a table that has an index at every checkpoint, and
-- every short-lived connection checkpoints when it closes: with ~70 KB of JSON per row in
-- `matches`, each commit grew slower as matches accumulated. An unindexed table gets new
-- row groups for new rows, so a commit writes only what it added.
-- One row per stored match: the writers add a payload only together with its new match.
CREATE TABLE match_payloads (
    match_id    VARCHAR NOT NULL,
    raw_json    JSON NOT NULL
);

INSERT INTO match_payloads
SELECT match_id, raw_json FROM matches WHERE raw_json IS NOT NULL;

ALTER TABLE matches DROP COLUMN raw_json;
