-- Matches the API serves in a form that describes no possible game (no participants, a
-- time outside 1970..9999, ...). Keeping them here with the reason lets a player's history
-- move past them instead of asking for them again on every run.
CREATE TABLE rejected_matches (
    match_id        VARCHAR PRIMARY KEY,
    rejected_at     TIMESTAMP NOT NULL,
    reason          VARCHAR NOT NULL,
    execution_id    BIGINT
);
