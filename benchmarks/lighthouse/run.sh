#!/usr/bin/env bash
# Lighthouse (mobile) on the portal's resident pages, served by gunicorn on a throwaway instance.
#
#   benchmarks/lighthouse/run.sh                       # /fr/, /fr/report/new/vandalism, /fr/courses/
#   benchmarks/lighthouse/run.sh /nl/ /en/report/      # other paths
#   KEEP=1 benchmarks/lighthouse/run.sh                # keep the reports (JSON) and the server log
#
# Run from anywhere; needs `npm install` once in benchmarks/lighthouse (node_modules is ignored
# by git), the project's .venv, and Debian's Chromium at /usr/bin/chromium (CHROME_PATH).
# Lighthouse runs in its default mode: mobile form factor, simulated slow 4G and 4x CPU slowdown.
# Only 127.0.0.1 is contacted. Targets: performance >= 95, accessibility 100, best practices
# 100, SEO >= 95. The exit status is 1 when a page misses a target.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY="$ROOT/.venv/bin"
LIGHTHOUSE="$HERE/node_modules/.bin/lighthouse"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
PATHS=("$@")
[ ${#PATHS[@]} -gt 0 ] || PATHS=(/fr/ /fr/report/new/vandalism /fr/courses/)

[ -x "$LIGHTHOUSE" ] || { echo "Run 'npm install' in $HERE first." >&2; exit 2; }
[ -x "$CHROME_PATH" ] || { echo "No Chromium at $CHROME_PATH (apt-get install chromium)." >&2; exit 2; }

WORK="$(mktemp -d -t portal-lighthouse-XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "Kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

# A throwaway instance: new SQLite database, migrated and seeded, router index, random secret.
# Nothing of the caller's PORTAL_* settings is used.
for name in $(env | grep -o '^PORTAL_[A-Z_]*' || true); do unset "$name"; done
export PORTAL_INSTANCE_PATH="$WORK/instance"
export PORTAL_SECRET_KEY="lighthouse-$RANDOM$RANDOM$RANDOM"
PORT="$("$PY/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PORTAL_BASE_URL="http://127.0.0.1:$PORT"
cd "$ROOT"
"$PY/pybabel" compile -d portal/translations >"$WORK/setup.log" 2>&1
"$PY/flask" --app portal db upgrade heads >>"$WORK/setup.log" 2>&1
"$PY/flask" --app portal portal seed >>"$WORK/setup.log" 2>&1
"$PY/flask" --app portal portal geo-index >>"$WORK/setup.log" 2>&1

"$PY/gunicorn" -w 2 -b "127.0.0.1:$PORT" --error-logfile "$WORK/gunicorn.log" 'portal:create_app()' &
SERVER_PID=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/fr/" && break
  sleep 0.1
done

echo "Lighthouse $("$LIGHTHOUSE" --version), $("$CHROME_PATH" --version 2>/dev/null | head -1), mobile, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %11s %13s %14s %4s\n' page performance accessibility best-practices seo
status=0
for path in "${PATHS[@]}"; do
  url="http://127.0.0.1:$PORT$path"
  code="$(curl -s -o /dev/null -w '%{http_code}' "$url")"
  if [ "$code" != 200 ]; then
    printf '%-28s skipped: HTTP %s (page not there yet)\n' "$path" "$code"
    continue
  fi
  report="$WORK/$(echo "$path" | tr '/' '_').json"
  # Debian's Chromium is newer than Lighthouse 12 knows: now and then its trace lacks the
  # navigation start (NO_NAVSTART). Such a run measures nothing, so it is run again (3 tries).
  for attempt in 1 2 3; do
    if "$LIGHTHOUSE" "$url" --quiet --output=json --output-path="$report" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run" \
        2>>"$WORK/lighthouse.log"; then
      break
    fi
    echo "  (Lighthouse run $attempt on $path failed: $(grep -o 'Runtime error encountered: .*' "$WORK/lighthouse.log" | tail -1))"
    rm -f "$report"
  done
  if [ ! -s "$report" ]; then
    printf '%-28s failed: see %s\n' "$path" "$WORK/lighthouse.log"
    status=1
    continue
  fi
  node - "$report" "$path" <<'JS' || status=1
const [report, path] = process.argv.slice(2);
const lhr = JSON.parse(require("fs").readFileSync(report, "utf8"));
const score = (id) => Math.round(lhr.categories[id].score * 100);
const s = { perf: score("performance"), a11y: score("accessibility"),
            bp: score("best-practices"), seo: score("seo") };
console.log(`${path.padEnd(28)} ${String(s.perf).padStart(11)} ${String(s.a11y).padStart(13)} ${String(s.bp).padStart(14)} ${String(s.seo).padStart(4)}`);
const missed = [];
if (s.perf < 95) missed.push("performance");
if (s.a11y < 100) missed.push("accessibility");
if (s.bp < 100) missed.push("best-practices");
if (s.seo < 95) missed.push("seo");
for (const id of missed) {
  const failing = lhr.categories[id].auditRefs
    .map((ref) => lhr.audits[ref.id])
    .filter((a) => a && a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual")
    .map((a) => `${a.id} (${a.displayValue || a.score})`);
  console.log(`    below target in ${id}: ${failing.join(", ")}`);
}
process.exit(missed.length ? 1 : 0);
JS
done
exit $status
