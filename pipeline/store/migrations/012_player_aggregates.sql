-- Per-player sums of the stored games, kept current by the writers in the same transaction
-- as the games (see pipeline/store/aggregates.py, which also fills them here from the games
-- already stored). Sums are DECIMAL so that the order games arrive in cannot change them.
-- A key (puuid, queue_id, role, win) may have several rows: writers append each batch's sums
-- and readers add them up; compaction merges them.
CREATE TABLE player_game_sums (
    puuid                        VARCHAR NOT NULL,
    queue_id                     INTEGER NOT NULL,     -- -1: unknown
    role                         VARCHAR NOT NULL,     -- team_position, UNKNOWN when empty
    win                          BOOLEAN NOT NULL,
    games                        BIGINT NOT NULL,
    first_start                  TIMESTAMP,
    last_start                   TIMESTAMP,
    max_level                    INTEGER,
    kills                        BIGINT NOT NULL,
    deaths                       BIGINT NOT NULL,
    assists                      BIGINT NOT NULL,
    t_sum                        DECIMAL(18, 6) NOT NULL,
    t_sq                         DECIMAL(18, 6) NOT NULL,
    lobby_games                  BIGINT NOT NULL,
    lobby_t_sum                  DECIMAL(18, 6) NOT NULL,
    lobby_t_sq                   DECIMAL(18, 6) NOT NULL,
    lobby_stomps                 BIGINT NOT NULL,
    cs_pm_n                      BIGINT NOT NULL,
    cs_pm_sum                    DECIMAL(18, 6) NOT NULL,
    cs_pm_sq                     DECIMAL(18, 6) NOT NULL,
    cs_pm_t                      DECIMAL(18, 6) NOT NULL,
    lobby_cs_pm_sum              DECIMAL(18, 6) NOT NULL,
    lobby_cs_pm_t                DECIMAL(18, 6) NOT NULL,
    gold_pm_n                    BIGINT NOT NULL,
    gold_pm_sum                  DECIMAL(18, 6) NOT NULL,
    gold_pm_sq                   DECIMAL(18, 6) NOT NULL,
    gold_pm_t                    DECIMAL(18, 6) NOT NULL,
    lobby_gold_pm_sum            DECIMAL(18, 6) NOT NULL,
    lobby_gold_pm_t              DECIMAL(18, 6) NOT NULL,
    damage_pm_n                  BIGINT NOT NULL,
    damage_pm_sum                DECIMAL(18, 6) NOT NULL,
    damage_pm_sq                 DECIMAL(18, 6) NOT NULL,
    damage_pm_t                  DECIMAL(18, 6) NOT NULL,
    lobby_damage_pm_sum          DECIMAL(18, 6) NOT NULL,
    lobby_damage_pm_t            DECIMAL(18, 6) NOT NULL,
    kill_participation_n         BIGINT NOT NULL,
    kill_participation_sum       DECIMAL(18, 6) NOT NULL,
    kill_participation_sq        DECIMAL(18, 6) NOT NULL,
    kill_participation_t         DECIMAL(18, 6) NOT NULL,
    lobby_kill_participation_sum DECIMAL(18, 6) NOT NULL,
    lobby_kill_participation_t   DECIMAL(18, 6) NOT NULL,
    deaths_pm_n                  BIGINT NOT NULL,
    deaths_pm_sum                DECIMAL(18, 6) NOT NULL,
    deaths_pm_sq                 DECIMAL(18, 6) NOT NULL,
    deaths_pm_t                  DECIMAL(18, 6) NOT NULL,
    lobby_deaths_pm_sum          DECIMAL(18, 6) NOT NULL,
    lobby_deaths_pm_t            DECIMAL(18, 6) NOT NULL,
    vision_pm_n                  BIGINT NOT NULL,
    vision_pm_sum                DECIMAL(18, 6) NOT NULL,
    vision_pm_sq                 DECIMAL(18, 6) NOT NULL,
    vision_pm_t                  DECIMAL(18, 6) NOT NULL,
    lobby_vision_pm_sum          DECIMAL(18, 6) NOT NULL,
    lobby_vision_pm_t            DECIMAL(18, 6) NOT NULL,
    kda_n                        BIGINT NOT NULL,
    kda_sum                      DECIMAL(18, 6) NOT NULL,
    kda_sq                       DECIMAL(18, 6) NOT NULL,
    kda_t                        DECIMAL(18, 6) NOT NULL,
    lobby_kda_sum                DECIMAL(18, 6) NOT NULL,
    lobby_kda_t                  DECIMAL(18, 6) NOT NULL
);

CREATE TABLE player_champions (
    puuid                        VARCHAR NOT NULL,
    queue_id                     INTEGER NOT NULL,
    champion_id                  INTEGER NOT NULL,     -- -1: unknown
    games                        BIGINT NOT NULL
);

-- The weeks a player played (Mondays), for long breaks between games.
CREATE TABLE player_game_weeks (
    puuid                        VARCHAR NOT NULL,
    queue_id                     INTEGER NOT NULL,
    week                         DATE NOT NULL,
    PRIMARY KEY (puuid, queue_id, week)
);

-- The role norms a stored game's lobby z is judged with (aggregates.lobby_z), so that each
-- game's stomp is decided once; refreshed from all stored games when they outgrow it.
CREATE TABLE lobby_reference (
    role                         VARCHAR PRIMARY KEY,
    rows                         BIGINT NOT NULL,      -- participants it was computed from
    cs_pm_mean                   DOUBLE NOT NULL,
    cs_pm_sd                     DOUBLE NOT NULL,
    gold_pm_mean                 DOUBLE NOT NULL,
    gold_pm_sd                   DOUBLE NOT NULL,
    damage_pm_mean               DOUBLE NOT NULL,
    damage_pm_sd                 DOUBLE NOT NULL,
    kill_participation_mean      DOUBLE NOT NULL,
    kill_participation_sd        DOUBLE NOT NULL,
    deaths_pm_mean               DOUBLE NOT NULL,
    deaths_pm_sd                 DOUBLE NOT NULL,
    vision_pm_mean               DOUBLE NOT NULL,
    vision_pm_sd                 DOUBLE NOT NULL,
    kda_mean                     DOUBLE NOT NULL,
    kda_sd                       DOUBLE NOT NULL
);

-- Players whose score may have changed since they were last scored (new games, a new
-- profile or rank): the analyzer scores them and takes them off in the same transaction.
CREATE TABLE players_to_score (
    puuid                        VARCHAR PRIMARY KEY,
    queued_at                    TIMESTAMP NOT NULL
);

-- The tier x role baselines scores were last computed against, and when; the analyzer
-- refreshes them as the games grow, and rescores everyone only when they moved enough.
CREATE TABLE scoring_baselines (
    tier                         VARCHAR NOT NULL,
    role                         VARCHAR NOT NULL,
    n                            DOUBLE NOT NULL,
    cs_pm_mean                   DOUBLE NOT NULL,
    cs_pm_sd                     DOUBLE NOT NULL,
    gold_pm_mean                 DOUBLE NOT NULL,
    gold_pm_sd                   DOUBLE NOT NULL,
    damage_pm_mean               DOUBLE NOT NULL,
    damage_pm_sd                 DOUBLE NOT NULL,
    kill_participation_mean      DOUBLE NOT NULL,
    kill_participation_sd        DOUBLE NOT NULL,
    deaths_pm_mean               DOUBLE NOT NULL,
    deaths_pm_sd                 DOUBLE NOT NULL,
    vision_pm_mean               DOUBLE NOT NULL,
    vision_pm_sd                 DOUBLE NOT NULL,
    kda_mean                     DOUBLE NOT NULL,
    kda_sd                       DOUBLE NOT NULL,
    PRIMARY KEY (tier, role)
);
CREATE TABLE scoring_state (
    model_version                VARCHAR NOT NULL,
    games                        BIGINT NOT NULL,     -- stored games when refreshed
    refreshed_at                 TIMESTAMP NOT NULL,
    compacted_rows               BIGINT NOT NULL      -- player_game_sums rows after compaction
);
