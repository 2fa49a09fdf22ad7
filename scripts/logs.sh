#!/usr/bin/env bash
# The job system's logs, under the name the job-system guide gives them:
#   ./scripts/logs.sh backend [--lines N]   the newest lines every job run captured
# (`smurf jobs logs`; one run's lines: `smurf jobs logs EXECUTION_ID`). The database is
# SMURF_DB's (default data/smurf.duckdb), as for every smurf command.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"  # a relative SMURF_DB (and the default data/smurf.duckdb) is the project's
smurf="$root/.venv/bin/smurf"
[ -x "$smurf" ] || smurf=smurf  # installed elsewhere: the one on PATH
case "${1:-}" in
  backend)
    shift
    exec "$smurf" jobs logs "$@"
    ;;
  *)
    echo "usage: $0 backend [--lines N]   (the job system's newest log lines)" >&2
    exit 2
    ;;
esac
