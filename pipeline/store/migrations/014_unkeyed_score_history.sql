-- The score history without its key index: DuckDB writes a table's whole key index back to
-- the file at every checkpoint, and smurf_scores grows by a row per player scored, so its
-- index cost each analyzer run about a second at 100,000 scores (and more as the history
-- grew) against 0.04 s without it. Ids still come from smurf_scores_id_seq, unique without
-- an index (as on a lake, which has none). Same columns, same order.
CREATE TEMP TABLE smurf_scores_kept AS SELECT * FROM smurf_scores;
DROP VIEW latest_smurf_scores;
DROP TABLE smurf_scores;
CREATE TABLE smurf_scores (
    id                  BIGINT DEFAULT nextval('smurf_scores_id_seq'),  -- a lake's writer numbers it
    puuid               VARCHAR NOT NULL,
    scored_at           TIMESTAMP NOT NULL,
    model_version       VARCHAR NOT NULL,
    smurf_score         DOUBLE,                -- probability 0..1
    boosted_score       DOUBLE,                -- probability 0..1
    label               VARCHAR NOT NULL,      -- SMURF | BOOSTED | NORMAL | INSUFFICIENT_DATA
    confidence          DOUBLE,
    games_analyzed      INTEGER NOT NULL,
    matches_stored      INTEGER NOT NULL,      -- participant rows when scored (rescore on change)
    tier                VARCHAR,
    contributions       JSON,                  -- factor -> contribution, per score
    features            JSON,
    reason              VARCHAR                -- why INSUFFICIENT_DATA, in words
);
INSERT INTO smurf_scores SELECT * FROM smurf_scores_kept;
DROP TABLE smurf_scores_kept;
CREATE VIEW latest_smurf_scores AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) AS rn
    FROM smurf_scores
) WHERE rn = 1;
