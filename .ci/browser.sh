#!/usr/bin/env bash
# Browser tests: the library and the drift explorer in Debian's Chromium, headless
# (`npm run test:browser`). Installs the chromium package with apt-get where this runs as
# root and it is missing; elsewhere, or when the install fails, says why and skips.
# Prints a closing line; exits non-zero if a browser test failed.
set -uo pipefail
cd "$(dirname "$0")/.."

work=node_modules/.cache/kvmclock-ci
mkdir -p "$work"
chromium=${KVMCLOCK_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "browser tests: skipped — $chromium is missing and this is not root (uid $(id -u)), so apt-get cannot install Debian's chromium"
    exit 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "browser tests: skipped — $chromium is missing and there is no apt-get to install Debian's chromium"
    exit 0
  fi
  echo "--- installing Debian's chromium (apt-get)"
  if ! { timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y -qq chromium; } >"$work/apt-chromium.log" 2>&1; then
    echo "browser tests: skipped — apt-get could not install chromium: $(tail -n 3 "$work/apt-chromium.log" | tr '\n' ' ')"
    exit 0
  fi
  if [ ! -x "$chromium" ]; then
    echo "browser tests: skipped — the chromium package installed no $chromium"
    exit 0
  fi
fi
echo "--- browser tests in $("$chromium" --version 2>/dev/null | head -n 1)"

report="$work/vitest-browser.json"
rm -f "$report"
KVMCLOCK_CHROMIUM="$chromium" npm run -s test:browser -- --reporter=default --reporter=json --outputFile.json="$report"
rc=$?
node -e '
  try {
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`browser tests (Chromium): ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (r.numTotalTests === 0 || r.numFailedTests > 0) process.exit(1);
  } catch (e) { console.log("browser tests (Chromium): no report (" + e.message + ")"); process.exit(1); }' "$report" || rc=1
exit "$rc"
