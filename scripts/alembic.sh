#!/usr/bin/env bash
# Schema migrations, under the names the job-system guide gives them (the product's
# migrations are pipeline/store/migrations/NNN_name.sql, applied by `smurf db migrate`):
#   ./scripts/alembic.sh current        the applied version (`smurf db current`)
#   ./scripts/alembic.sh upgrade head   apply pending migrations (`smurf db migrate`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"  # a relative SMURF_DB (and the default data/smurf.duckdb) is the project's
smurf="$root/.venv/bin/smurf"
[ -x "$smurf" ] || smurf=smurf  # installed elsewhere: the one on PATH
usage() {
  echo "usage: $0 current | upgrade head" >&2
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
  *)
    usage
    ;;
esac
