-- file only: a lake has no keys to drop.
-- The participants without their key index: DuckDB writes a table's whole key index back
-- to the file at every checkpoint, and the writers checkpoint about every commit, so at
-- 6.2 M stored game rows the index took most of each commit of new matches (0.5-0.7 s for
-- 100 matches, 0.06-0.26 s without it). The writers keep the key themselves, as on a lake:
-- a match's participants are stored only with the match, once per (match_id, puuid).
-- Same columns, same order.
CREATE TEMP TABLE match_participants_kept AS SELECT * FROM match_participants;
DROP TABLE match_participants;
CREATE TABLE match_participants (
    match_id                VARCHAR NOT NULL,
    puuid                   VARCHAR NOT NULL,
    queue_id                INTEGER,
    game_start              TIMESTAMP,
    game_duration_s         INTEGER,
    participant_id          INTEGER,
    team_id                 INTEGER,
    champion_id             INTEGER,
    champion_name           VARCHAR,
    team_position           VARCHAR,
    individual_position     VARCHAR,
    win                     BOOLEAN,
    placement               INTEGER,
    kills                   INTEGER,
    deaths                  INTEGER,
    assists                 INTEGER,
    cs                      INTEGER,
    gold_earned             INTEGER,
    damage_to_champions     INTEGER,
    vision_score            INTEGER,
    summoner_level          INTEGER,
    champ_level             INTEGER,
    time_played_s           INTEGER,
    riot_id_game_name       VARCHAR,
    riot_id_tagline         VARCHAR,
    kill_participation      DOUBLE,
    kda                     DOUBLE,
    damage_per_minute       DOUBLE,
    gold_per_minute         DOUBLE,
    team_damage_percentage  DOUBLE,
    vision_score_per_minute DOUBLE,
    solo_kills              INTEGER,
    early_surrender         BOOLEAN
);
INSERT INTO match_participants SELECT * FROM match_participants_kept;
DROP TABLE match_participants_kept;
