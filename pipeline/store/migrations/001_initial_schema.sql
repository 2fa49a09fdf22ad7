-- The first schema: everything the product stores.
-- Times are UTC TIMESTAMPs; durations carry their unit in the name.

CREATE TABLE players (
    puuid                   VARCHAR PRIMARY KEY,
    game_name               VARCHAR,            -- Riot ID name, latest known
    tag_line                VARCHAR,            -- Riot ID tag, latest known
    platform                VARCHAR,            -- lower case: euw1, na1, kr, ...
    summoner_level          INTEGER,
    profile_icon_id         INTEGER,
    is_tracked              BOOLEAN NOT NULL DEFAULT false,
    tracked_at              TIMESTAMP,
    discovered_at           TIMESTAMP NOT NULL DEFAULT current_timestamp,
    discovered_from_match   VARCHAR,
    summoner_checked_at     TIMESTAMP,          -- last summoner-v4 / league-v4 refresh
    last_updated_at         TIMESTAMP,          -- TRACKED_PLAYER_UPDATER bookkeeping
    last_fetched_at         TIMESTAMP,          -- MATCH_FETCHER bookkeeping
    history_start_index     INTEGER NOT NULL DEFAULT 0,  -- next `start` for older pages
    history_exhausted       BOOLEAN NOT NULL DEFAULT false,
    exhausted_reason        VARCHAR,            -- HISTORY_END | TARGET_REACHED
    updated_at              TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A new row only when something about the entry changed.
CREATE TABLE rank_snapshots (
    puuid           VARCHAR NOT NULL,
    queue_type      VARCHAR NOT NULL,          -- RANKED_SOLO_5x5 | RANKED_FLEX_SR | UNRANKED
    tier            VARCHAR,                   -- IRON .. CHALLENGER; NULL when unranked
    division        VARCHAR,                   -- I .. IV
    league_points   INTEGER,
    wins            INTEGER,
    losses          INTEGER,
    hot_streak      BOOLEAN,
    veteran         BOOLEAN,
    fresh_blood     BOOLEAN,
    inactive        BOOLEAN,
    observed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (puuid, queue_type, observed_at)
);

CREATE TABLE matches (
    match_id            VARCHAR PRIMARY KEY,   -- e.g. EUW1_6511808246
    platform            VARCHAR,               -- lower case platform id
    queue_id            INTEGER,
    game_creation       TIMESTAMP,
    game_start          TIMESTAMP,
    game_end            TIMESTAMP,
    game_duration_s     INTEGER,
    game_version        VARCHAR,
    patch               VARCHAR,               -- major.minor, e.g. 14.3
    game_mode           VARCHAR,
    game_type           VARCHAR,
    map_id              INTEGER,
    end_of_game_result  VARCHAR,
    participant_count   INTEGER NOT NULL,
    raw_json            JSON,                  -- NULL only for rows exported straight from the simulator
    ingested_at         TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE match_participants (
    match_id                    VARCHAR NOT NULL,
    puuid                       VARCHAR NOT NULL,
    -- Copied from the match so features filter by queue and time without a join.
    queue_id                    INTEGER,
    game_start                  TIMESTAMP,
    game_duration_s             INTEGER,
    participant_id              INTEGER,
    team_id                     INTEGER,
    champion_id                 INTEGER,
    champion_name               VARCHAR,
    team_position               VARCHAR,
    individual_position         VARCHAR,
    win                         BOOLEAN,
    placement                   INTEGER,       -- Arena
    kills                       INTEGER,
    deaths                      INTEGER,
    assists                     INTEGER,
    cs                          INTEGER,       -- minions + neutral minions
    gold_earned                 INTEGER,
    damage_to_champions         INTEGER,
    vision_score                INTEGER,
    summoner_level              INTEGER,
    champ_level                 INTEGER,
    time_played_s               INTEGER,
    riot_id_game_name           VARCHAR,       -- the Riot ID at the time of the game
    riot_id_tagline             VARCHAR,
    kill_participation          DOUBLE,        -- from `challenges`
    kda                         DOUBLE,
    damage_per_minute           DOUBLE,
    gold_per_minute             DOUBLE,
    team_damage_percentage      DOUBLE,
    vision_score_per_minute     DOUBLE,
    solo_kills                  INTEGER,
    early_surrender             BOOLEAN,
    PRIMARY KEY (match_id, puuid)
);

-- Ban evidence: one row per check, with the status concluded from it.
CREATE SEQUENCE account_checks_id_seq;
CREATE TABLE account_checks (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('account_checks_id_seq'),
    puuid               VARCHAR NOT NULL,
    checked_at          TIMESTAMP NOT NULL,
    status              VARCHAR NOT NULL,      -- ACTIVE | RENAMED | INACTIVE | UNAVAILABLE
    account_found       BOOLEAN,               -- account-v1 answered (not 404)
    summoner_found      BOOLEAN,               -- summoner-v4 answered (not 404)
    riot_id             VARCHAR,               -- name#tag now, when found
    previous_riot_id    VARCHAR,
    summoner_level      INTEGER,
    ranked_entries      INTEGER,
    newest_match_id     VARCHAR,
    newest_match_at     TIMESTAMP,
    evidence            JSON,
    execution_id        BIGINT
);

CREATE SEQUENCE smurf_scores_id_seq;
CREATE TABLE smurf_scores (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('smurf_scores_id_seq'),
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
    features            JSON
);

CREATE VIEW latest_smurf_scores AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY puuid ORDER BY scored_at DESC, id DESC) AS rn
    FROM smurf_scores
) WHERE rn = 1;

CREATE SEQUENCE job_configurations_id_seq;
CREATE TABLE job_configurations (
    id              INTEGER PRIMARY KEY DEFAULT nextval('job_configurations_id_seq'),
    job_type        VARCHAR NOT NULL,
    name            VARCHAR NOT NULL UNIQUE,
    schedule        VARCHAR NOT NULL,          -- interval(seconds=N) | cron(<crontab>)
    is_active       BOOLEAN NOT NULL DEFAULT true,
    config_json     JSON NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at      TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE SEQUENCE job_executions_id_seq;
CREATE TABLE job_executions (
    id                  BIGINT PRIMARY KEY DEFAULT nextval('job_executions_id_seq'),
    job_config_id       INTEGER NOT NULL,
    job_type            VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,      -- PENDING | RUNNING | SUCCESS | FAILED | RATE_LIMITED
    trigger             VARCHAR NOT NULL DEFAULT 'SCHEDULE',  -- SCHEDULE | MANUAL | API
    created_at          TIMESTAMP NOT NULL DEFAULT current_timestamp,
    started_at          TIMESTAMP,
    finished_at         TIMESTAMP,
    api_requests_made   INTEGER NOT NULL DEFAULT 0,
    records_created     INTEGER NOT NULL DEFAULT 0,
    records_updated     INTEGER NOT NULL DEFAULT 0,
    error_message       VARCHAR,
    correlation_id      VARCHAR NOT NULL,
    host_pid            INTEGER,
    details             JSON
);

CREATE TABLE job_execution_logs (
    execution_id    BIGINT NOT NULL,
    seq             INTEGER NOT NULL,
    logged_at       TIMESTAMP NOT NULL,
    level           VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,
    fields          JSON,
    PRIMARY KEY (execution_id, seq)
);
