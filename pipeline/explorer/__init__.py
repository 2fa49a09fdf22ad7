"""What the notebooks use: the queries behind the reports, plots and the player explorer.

Query functions take an open connection (``pipeline.store.read(db_path)``) and return
DataFrames; ``sql.query`` and the widgets open and close their own read-only connections.

    scores     latest_scores, filter_scores, top_suspects, score_distribution,
               newly_flagged, newly_flagged_heading, newly_unavailable, gone_accounts,
               accounts_for_readers, first_scored_at, stored_games,
               nobody_scored_advice, no_scores_message
    players    find_players, player_summary, ban_checks, factor_contributions,
               rank_history, match_history, tier_role_baselines, BaselineCache,
               co_players
    carried    carried_players, carried_for_readers, duo_partner
    quality    judged, summary_in_words, bucket_table, roc_curve, auc, rule_point,
               rule_in_words, precision_at
    jobs       executions, runs_per_day, job_summary, failed_run_logs
    sql        query, table_counts, counts_for_readers
    plots      the figures;   widgets  PlayerExplorer
"""

from pipeline.explorer import carried, jobs, players, quality, scores, sql

__all__ = ["carried", "jobs", "players", "quality", "scores", "sql"]
