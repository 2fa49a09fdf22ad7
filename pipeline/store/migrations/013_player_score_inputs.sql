-- The analyzer's one row per player of score inputs (pipeline/analysis/inputs.py), folded
-- from the sums rows appended since its last run, so that a run reads the new rows and one
-- narrow row per player instead of every sums row of the players it scores.
-- ``folded``: whether a row's games are already in player_score_inputs. Writers append
-- rows unfolded; the analyzer folds them in and marks them in one transaction. (No column
-- default: a lake cannot add a column with one.)
ALTER TABLE player_game_sums ADD COLUMN folded BOOLEAN;
ALTER TABLE player_champions ADD COLUMN folded BOOLEAN;
ALTER TABLE player_game_weeks ADD COLUMN folded BOOLEAN;
UPDATE player_game_sums SET folded = false;
UPDATE player_champions SET folded = false;
UPDATE player_game_weeks SET folded = false;

-- Per player, over their games in the scored queues: the sums of features.py's ``player``
-- step (totals, and the sums scored against ``tier``'s baselines and the lobby), the games
-- stored in any queue, the games per champion and the weeks played. Appended: a run adds a
-- player's new row with the next ``version`` (their newest row counts), as deleting rows
-- scattered over the table makes DuckDB rewrite it at the next checkpoint; the analyzer
-- drops the older rows once the table has doubled.
CREATE TABLE player_score_inputs (
    puuid                        VARCHAR NOT NULL,
    version                      BIGINT NOT NULL,
    tier                         VARCHAR NOT NULL,     -- the tier the perf sums compare with
    matches_stored               BIGINT NOT NULL,
    games                        BIGINT,
    wins                         BIGINT,
    kills                        BIGINT,
    deaths                       BIGINT,
    assists                      BIGINT,
    t_sum                        DOUBLE,
    t_sq                         DOUBLE,
    win_t_sum                    DOUBLE,
    lobby_t_sum                  DOUBLE,
    lobby_t_sq                   DOUBLE,
    t_first                      DOUBLE,
    t_last                       DOUBLE,
    level_at_last_game           INTEGER,
    stomps                       BIGINT,
    perf_sum                     DOUBLE,
    perf_t                       DOUBLE,
    lobby_games                  BIGINT,
    lobby_sum                    DOUBLE,
    lobby_t                      DOUBLE,
    lobby_wins                   BIGINT,
    lobby_win_sum                DOUBLE,
    lobby_losses                 BIGINT,
    lobby_loss_sum               DOUBLE,
    loss_deaths_sum              DOUBLE,
    champion_ids                 INTEGER[],
    champion_games               BIGINT[],
    weeks                        DATE[]
);

-- What player_score_inputs was built for; no row: it must be built again from the sums
-- (the baselines, the lobby reference or the sums' layout changed).
CREATE TABLE score_inputs_state (
    queues                       VARCHAR NOT NULL,     -- the scored queues, comma-separated
    built_at                     TIMESTAMP NOT NULL,
    compacted_rows               BIGINT NOT NULL       -- rows after the last build or compaction
);
