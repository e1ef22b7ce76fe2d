#!/usr/bin/env bash
# `npm run test:slurm`: the sweep on a real Slurm, on this machine. Starts a single-node
# Slurm (munged, slurmctld, slurmd on localhost, with their own key, configuration, state and
# logs in a temporary directory), submits job arrays of `kvmclock sweep --shard auto`, waits,
# merges the parts with `kvmclock merge` and compares each merge with the same sweep run in
# one process, byte for byte (JSON lines, CSV, the worst-points tables). Then checks that
# merge refuses a missing shard, a duplicate shard and a shard of another grid, naming each.
# Stops every daemon it started and removes its directory on any exit, and checks with ps
# that none of them is left running.
#
# Needs Debian's slurm-wlm and munge: installed with apt-get when running as root with
# apt-get available (as in CI); otherwise it prints why it skips and exits 0.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

skip() {
  echo "test:slurm: SKIPPED — $*"
  exit 0
}

have() { command -v "$1" > /dev/null 2>&1; }

if ! have sbatch || ! have slurmctld || ! have slurmd || ! have munged; then
  if [ "$(id -u)" != 0 ]; then skip "slurm-wlm and munge are not installed and this is not root (as root: apt-get install slurm-wlm munge)"; fi
  if ! have apt-get; then skip "slurm-wlm and munge are not installed and there is no apt-get to install them"; fi
  echo "test:slurm: installing slurm-wlm and munge (apt-get)…"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge; } > /tmp/kvmclock-slurm-apt.log 2>&1; then
    tail -n 20 /tmp/kvmclock-slurm-apt.log
    skip "apt-get could not install slurm-wlm and munge (log above)"
  fi
fi
for c in sbatch squeue scontrol sinfo scancel slurmctld slurmd munged munge unmunge; do have "$c" || skip "$c is missing after installing slurm-wlm and munge"; done

if [ ! -f dist/cli/main.js ] || [ -n "$(find src assembly -newer dist/cli/main.js -name '*.ts' -print -quit 2> /dev/null)" ]; then
  echo "test:slurm: building the package (npm run build)…"
  npm run -s build > /dev/null || { echo "test:slurm: FAILED — npm run build"; exit 1; }
fi

# The Slurm and munge processes already on the machine: left alone, and not counted as ours at the end.
daemons() { ps -eo pid=,comm= | awk '$2 ~ /^(munged|slurmctld|slurmd|slurmstepd)$/ {print $1}' | sort; }
BEFORE=$(daemons)

T=$(mktemp -d /tmp/kvmclock-slurm.XXXXXX)
chmod 755 "$T" # munged wants its socket's directory searchable
PIDS=()
cleanup() {
  local pid
  # Jobs still running (after a failure) are cancelled first, so that no slurmstepd outlives slurmd.
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    scancel --quiet --user="$(id -un)" 2> /dev/null
    for _ in $(seq 50); do [ -z "$(squeue -h 2> /dev/null)" ] && break; sleep 0.1; done
  fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null
  done
  PIDS=()
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  echo "test:slurm: FAILED — $*"
  for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }; done
  exit 1
}

# --- munge: a key of our own, a socket in our directory
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2> /dev/null
chmod 600 "$T/munge.key"
munged --force --foreground --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
  --log-file="$T/munged.log" --seed-file="$T/munged.seed" > "$T/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$T/munge.sock" ] && break; sleep 0.1; done
[ -S "$T/munge.sock" ] || fail "munged did not start: $(cat "$T/munged.out")"
munge -S "$T/munge.sock" -n | unmunge -S "$T/munge.sock" > /dev/null 2>&1 || fail "munge cannot encode and decode a credential"

# --- slurm: one node (this machine), one partition, ports the kernel picked as free
HOST=$(hostname -s)
read -r CTLD_PORT SLURMD_PORT < <(node -e '
const net = require("net");
const ports = [];
const next = () => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { ports.push(s.address().port); s.close(() => (ports.length < 2 ? next() : console.log(ports.join(" ")))); }); };
next();')
mkdir -p "$T/state" "$T/spool" "$T/parts" "$T/csv-parts" "$T/logs"
cat > "$T/slurm.conf" << CONF
ClusterName=kvmclocktest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=kvmclock Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -D -f "$SLURM_CONF" > "$T/slurmctld.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do scontrol ping 2> /dev/null | grep -q UP && break; sleep 0.1; done
scontrol ping 2> /dev/null | grep -q UP || fail "slurmctld did not come up: $(tail -n 5 "$T/slurmctld.out")"
slurmd -D -f "$SLURM_CONF" -N "$HOST" > "$T/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do sinfo -h -o %t 2> /dev/null | grep -qE '^idle' && break; sleep 0.2; done
sinfo -h -o %t 2> /dev/null | grep -qE '^idle' || fail "the node did not become idle: $(sinfo 2>&1; tail -n 5 "$T/slurmd.out")"
echo "test:slurm: Slurm $(sinfo -V | cut -d' ' -f2) up on $HOST (slurmctld port $CTLD_PORT, slurmd port $SLURMD_PORT; munged, slurmctld, slurmd pids ${PIDS[*]})"

KVMCLOCK="node $ROOT/bin/kvmclock.js"
# JSON: the README's second example grid (404,202 points), whose lines are pinned (test/sweep/fixtures/readme2.sha256).
GRID=(--host-khz 2000000:4000000:1000 --guest-khz 2000000:3000000:10000 --horizon 1d)
# CSV: three kernel profiles (the grid's last dimension).
KGRID=(--host-khz 2000000,2893202,3700000 --guest-khz 1000000:3500000:50000 --vendor vmx,svm --horizon 1h,1d,30d --kernel 6.18,7.4-queued,clocks-v6)

# --- the job arrays: one shard per task, the slice from Slurm's environment
cat > "$T/sweep.sbatch" << JOB
#!/bin/bash
#SBATCH --job-name=kvmclock-sweep
#SBATCH --output=$T/logs/sweep-%A_%a.out
#SBATCH --error=$T/logs/sweep-%A_%a.err
#SBATCH --cpus-per-task=1
export KVMCLOCK_PROGRESS_SECONDS=0.2
exec $KVMCLOCK sweep ${GRID[*]} --shard auto --workers 1 --json --out "$T/parts/part-\${SLURM_ARRAY_TASK_ID}.jsonl"
JOB
cat > "$T/sweep-csv.sbatch" << JOB
#!/bin/bash
#SBATCH --job-name=kvmclock-sweep-csv
#SBATCH --output=$T/logs/csv-%A_%a.out
#SBATCH --error=$T/logs/csv-%A_%a.err
#SBATCH --cpus-per-task=1
exec $KVMCLOCK sweep ${KGRID[*]} --shard auto --workers 1 --csv --out "$T/csv-parts/part-\${SLURM_ARRAY_TASK_ID}.csv"
JOB
echo "test:slurm: sbatch --array=0-3 (JSON lines, 404,202 points) and --array=1-3 (CSV, three kernel profiles) of kvmclock sweep --shard auto…"
sbatch --wait --array=0-3 "$T/sweep.sbatch" > "$T/sbatch.out" 2>&1 || fail "the JSON job array failed: $(cat "$T/sbatch.out" "$T"/logs/*.err 2> /dev/null)"
sbatch --wait --array=1-3 "$T/sweep-csv.sbatch" >> "$T/sbatch.out" 2>&1 || fail "the CSV job array failed: $(cat "$T/sbatch.out" "$T"/logs/*.err 2> /dev/null)"
[ "$(ls "$T/parts" | wc -l)" = 4 ] || fail "expected 4 JSON parts, found: $(ls "$T/parts")"
[ "$(ls "$T/csv-parts" | wc -l)" = 3 ] || fail "expected 3 CSV parts, found: $(ls "$T/csv-parts")"
head -q -n 1 "$T"/parts/*.jsonl | grep -q '"chosenBy":"slurm SLURM_ARRAY_TASK_ID=' || fail "the parts' records do not say that Slurm chose their shards"
grep -q 'shard 1/4 from the Slurm job array' "$T"/logs/sweep-*.err || fail "no shard line in the job logs: $(cat "$T"/logs/sweep-*.err)"
grep -q 'points/s' "$T"/logs/sweep-*.err || fail "no progress line in the job logs (stderr of the array tasks): $(cat "$T"/logs/sweep-*.err)"
echo "test:slurm: the job log of task 0 (its stderr):"
sed 's/^/    /' "$(ls "$T"/logs/sweep-*_0.err)"

# --- merge, and the same sweeps in one process
$KVMCLOCK merge "$T"/parts/*.jsonl --out "$T/merged.jsonl" > "$T/merged-table.txt" || fail "kvmclock merge (JSON) failed"
$KVMCLOCK merge "$T"/csv-parts/*.csv --out "$T/merged.csv" > "$T/merged-csv-table.txt" || fail "kvmclock merge (CSV) failed"
$KVMCLOCK sweep "${GRID[@]}" --workers 2 --json --out "$T/single.jsonl" 2> /dev/null || fail "the single-process sweep failed"
$KVMCLOCK sweep "${KGRID[@]}" --workers 2 --csv --out "$T/single.csv" 2> /dev/null || fail "the single-process CSV sweep failed"
$KVMCLOCK sweep "${GRID[@]}" --workers 2 > "$T/single-table.txt" || fail "the single-process table sweep failed"
$KVMCLOCK sweep "${KGRID[@]}" --workers 2 > "$T/single-csv-table.txt" || fail "the single-process table sweep (kernel profiles) failed"
cmp "$T/merged.jsonl" "$T/single.jsonl" || fail "the merged JSON lines differ from the single-process run"
cmp "$T/merged.csv" "$T/single.csv" || fail "the merged CSV differs from the single-process run"
# The tables: the same rows (their first line gives the time taken, which differs).
cmp <(tail -n +2 "$T/merged-table.txt") <(tail -n +2 "$T/single-table.txt") || fail "the merged table differs from the single-process one"
cmp <(tail -n +2 "$T/merged-csv-table.txt") <(tail -n +2 "$T/single-csv-table.txt") || fail "the merged table (kernel profiles) differs from the single-process one"
# And the lines are those printed before kernel profiles and the Wasm chain (with the kernel and hvPage members added).
want=$(head -n 1 test/sweep/fixtures/readme2.sha256 | cut -d' ' -f1)
got=$(sed -E 's/,"kernel":"6\.18","hvPage":\{("valid":true,"scale":"[0-9]+","ratePpb":\{[^{}]*\},"ratePpbExact":\{[^{}]*\}|"valid":false,"reason":"[a-z]+")\}\}$/}/' "$T/merged.jsonl" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "the merged JSON lines are not the pinned ones (sha256 $got, expected $want)"
echo "test:slurm: merge = one process, byte for byte: $(wc -l < "$T/single.jsonl") JSON lines ($(wc -c < "$T/single.jsonl") bytes; the pinned lines), $(($(wc -l < "$T/single.csv") - 1)) CSV rows under 3 kernel profiles, both tables"

# --- refusals, each naming the part or the shard
refuse() {
  local what=$1 pattern=$2
  shift 2
  local out rc
  out=$($KVMCLOCK merge "$@" --out "$T/refused.jsonl" 2>&1)
  rc=$?
  [ "$rc" = 2 ] || fail "merge with $what: exit $rc, expected 2 ($out)"
  echo "$out" | grep -qE "$pattern" || fail "merge with $what: the message does not name it: $out"
  [ ! -e "$T/refused.jsonl" ] || fail "merge with $what wrote its output"
  echo "test:slurm: refused $what: $(echo "$out" | grep -E "$pattern" | head -n 1 | sed 's/^ *//')"
}
refuse "a missing shard" 'missing shard .*3/4 \(points ' "$T/parts/part-0.jsonl" "$T/parts/part-1.jsonl" "$T/parts/part-3.jsonl"
cp "$T/parts/part-1.jsonl" "$T/part-1-copy.jsonl"
refuse "a duplicate shard" 'part-1-copy\.jsonl: shard 2/4 again' "$T"/parts/*.jsonl "$T/part-1-copy.jsonl"
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 SLURM_ARRAY_TASK_COUNT=4 \
  $KVMCLOCK sweep --host-khz 2000000:4000000:1000 --guest-khz 2000000:3000000:20000 --horizon 1d --shard auto --workers 1 --json --out "$T/foreign-2.jsonl" 2> /dev/null ||
  fail "the foreign part's sweep failed"
refuse "a shard of another grid" 'foreign-2\.jsonl: shard 3/4 of another run \(another guest kHz list' "$T/parts/part-0.jsonl" "$T/parts/part-1.jsonl" "$T/foreign-2.jsonl" "$T/parts/part-3.jsonl"

# --- stop everything, and check that nothing is left
cleanup
trap - EXIT
sleep 0.5
left=$(comm -13 <(echo "$BEFORE") <(daemons))
[ -z "$left" ] || { echo "test:slurm: FAILED — left running: $(ps -o pid=,args= -p "$left")"; exit 1; }
echo "test:slurm: passed; munged, slurmctld and slurmd stopped, none of their processes left running (ps)"
