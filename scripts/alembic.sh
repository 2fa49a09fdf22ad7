#!/usr/bin/env bash
# Schema migrations, under the names the job-system guide gives them (the product's
# migrations are pipeline/store/migrations/NNN_name.sql, applied by `smurf db migrate`):
#   ./scripts/alembic.sh current        the applied version (`smurf db current`)
#   ./scripts/alembic.sh upgrade head   apply pending migrations (`smurf db migrate`)
#   ./scripts/alembic.sh revision -m "add my_job config"
#                                       a new migration file, numbered after the last
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"  # a relative SMURF_DB (and the default data/smurf.duckdb) is the project's
smurf="$root/.venv/bin/smurf"
[ -x "$smurf" ] || smurf=smurf  # installed elsewhere: the one on PATH
usage() {
  echo "usage: $0 current | upgrade head | revision -m \"what it does\"" >&2
  exit 2
}
case "${1:-}" in
  current)
    exec "$smurf" db current
    ;;
  upgrade)
    [ "${2:-}" = head ] || usage
    exec "$smurf" db migrate
    ;;
  revision)
    [ "${2:-}" = -m ] && [ -n "${3:-}" ] || usage
    dir="$root/pipeline/store/migrations"
    last="$(cd "$dir" && ls -1 | grep -E '^[0-9]{3}_[a-z0-9_]+[.]sql$' | sort | tail -n 1 || true)"
    number="${last:0:3}"
    next="$(printf '%03d' $((10#${number:-0} + 1)))"
    slug="$(printf '%s' "$3" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/_/g; s/^_+//; s/_+$//')"
    [ -n "$slug" ] || usage
    file="$dir/${next}_${slug}.sql"
    {
      printf -- '-- %s\n' "$3"
      cat <<'SQL'
-- Applied once, in file-name order, by `smurf db migrate` (./scripts/alembic.sh upgrade head),
-- in one transaction with its version number. Plain DuckDB SQL: the tables have no `app.`
-- schema and config_json is JSON, so the guide's seed of a job configuration reads
--   INSERT INTO job_configurations (job_type, name, schedule, is_active, config_json)
--   VALUES ('MY_JOB', 'My Job', 'interval(seconds=300)', true, '{"my_setting": 100}');
-- Replace the next line with the migration's SQL: until then, applying it fails (an empty
-- migration would be recorded as applied, and the SQL written later never run).
SELECT error('This migration is not written yet: replace its SELECT error(...) line.');
SQL
    } > "$file"
    echo "Created $file: write its SQL, then run ./scripts/alembic.sh upgrade head"
    ;;
  *)
    usage
    ;;
esac
