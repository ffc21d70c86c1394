#!/bin/sh
# Chaos suite: a sweep of simulator seeds (each a different swarm of fault rates) must hold every
# invariant and converge; one seed run twice must give the same trace hash; the planted canary
# (overruns hidden from the core) must be caught by the oracle; a trap in the core must print the
# reproducer; every seed in tests/chaos/regressions must pass; the alert scenario must pass on 20
# seeds and give one seed the same alert trace twice, and its canary (early-fire) must be caught.
# The sweep's summary counts how often each fault kind was hit across all seeds. Seeds run JOBS at
# once (the processors by default) and are reported in seed order.
# Usage: [SIM=...] run.sh SEEDS [STEPS]
cd "$(dirname "$0")/../.." || exit 1
SEEDS=${1:-300}
STEPS=${2:-600}
SIM=${SIM:-build/psd-sim} # SIM=build/asan/psd-sim: the same sweep under ASan+UBSan
JOBS=${JOBS:-$(nproc)} # seeds run at once; their results are read in seed order
passed=0
failed=0
hits=$(mktemp)
runs=$(mktemp -d)
# run_seeds FROM TO ARG...: $SIM --seed N ARG... for every seed N, JOBS at once; seed N's output
# in $runs/N, its exit status in $runs/N.rc
run_seeds() {
	local from=$1 to=$2
	shift 2
	rm -f "$runs"/*
	seq "$from" "$to" | xargs -P "$JOBS" -I{} sh -c \
		'sim=$1; dir=$2; seed=$3; shift 3; "$sim" --seed "$seed" "$@" > "$dir/$seed" 2>&1
		echo $? > "$dir/$seed.rc"' sh "$SIM" "$runs" {} "$@"
}
run_seeds 1 "$SEEDS" --ports 16 --steps "$STEPS"
for seed in $(seq 1 "$SEEDS"); do
	if [ "$(cat "$runs/$seed.rc")" = 0 ]; then
		passed=$((passed + 1))
		sed -n 's/^psd-sim: faults: //p' "$runs/$seed" >> "$hits"
	else
		failed=$((failed + 1))
		tail -n 20 "$runs/$seed"
	fi
done
echo "chaos: $SEEDS seeds x $STEPS steps: $passed ok"
echo "chaos: fault hits:$(awk '{ for (i = 1; i < NF; i += 2) { if (!($i in n)) o[k++] = $i; n[$i] += $(i + 1) } }
	END { for (j = 0; j < k; j++) printf " %s %d", o[j], n[o[j]] }' "$hits")"
rm -f "$hits"
# warm restarts with ports deleted, added, renamed, flapped and re-configured while the daemon is
# down, a Redis outage and an interrupted first dump inside the restore window: no write of what
# STATE_DB already held, the state sequence a path of the machine, STATE_DB exact afterwards (three
# times the steps: a warm restart is drawn at most once per 1000 steps)
warm_hits=0
run_seeds 1 $((SEEDS / 3)) --ports 16 --steps $((3 * STEPS)) \
	--faults restart-warm,delete,rename,enslave,outage,overrun,dump-interrupted
for seed in $(seq 1 $((SEEDS / 3))); do
	if [ "$(cat "$runs/$seed.rc")" = 0 ]; then
		passed=$((passed + 1))
		n=$(sed -n 's/^psd-sim: faults: .*restart-warm \([0-9]*\).*/\1/p' "$runs/$seed")
		warm_hits=$((warm_hits + ${n:-0}))
	else
		failed=$((failed + 1))
		tail -n 20 "$runs/$seed"
	fi
done
rm -rf "$runs"
if [ "$warm_hits" -gt 0 ]; then
	echo "chaos: warm sweep: $((SEEDS / 3)) seeds, $warm_hits warm restarts"
else
	failed=$((failed + 1))
	echo "chaos: FAILED: the warm sweep made no warm restart"
fi
# the seeds that once caught a defect (tests/chaos/regressions: arguments, tab, what they found)
while IFS='	' read -r args found; do
	case "$args" in '#'* | '') continue ;; esac
	# shellcheck disable=SC2086
	if out=$($SIM $args 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "chaos: FAILED: regression $args ($found)"
		echo "$out" | tail -n 20
	fi
done < tests/chaos/regressions
# same_twice WHAT KEY ARG...: the simulator run twice with ARG... prints the same KEY
same_twice() {
	local what=$1 key=$2 a b
	shift 2
	a=$($SIM "$@" | sed -n "s/.* $key \([0-9a-f]*\).*/\1/p")
	b=$($SIM "$@" | sed -n "s/.* $key \([0-9a-f]*\).*/\1/p")
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		passed=$((passed + 1))
		echo "chaos: $what twice gives $key $a"
	else
		failed=$((failed + 1))
		echo "chaos: FAILED: $what gave ${key}es '$a' and '$b'"
	fi
}
same_twice "determinism: seed 4242" "trace hash" --seed 4242 --ports 32 --steps 2000
# the alert scenario: seeded flap storms, a silence, a Redis outage (sim/scenario_alerts.c, --alerts);
# the same seed twice gives the same alert trace
for seed in $(seq 1 20); do
	if out=$($SIM --seed "$seed" --alerts --ports 32 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "chaos: FAILED: alert scenario, seed $seed:"
		echo "$out" | tail -n 20
	fi
done
same_twice "alert determinism: seed 7" "alert trace hash" --seed 7 --alerts --ports 64
# the alert canary (every `for` a second short in the core) is caught by alert-held-for
out=$($SIM --seed 1 --alerts --ports 32 --canary early-fire 2>&1)
status=$?
if [ $status -eq 1 ] && printf '%s\n' "$out" | grep -q '^psd-sim: FAILED: invariant alert-held-for: '; then
	passed=$((passed + 1))
	echo "chaos: canary early-fire caught: $(printf '%s\n' "$out" | sed -n 's/^psd-sim: FAILED: invariant //p')"
else
	failed=$((failed + 1))
	echo "chaos: FAILED: the early-fire canary was not caught by alert-held-for (status $status):"
	printf '%s\n' "$out" | tail -n 5
fi
# Caught means the oracle said so: exit status 1 and an invariant named on a FAILED line. Any
# other failure (a usage error exits 2, a crash dies by a signal) is not a catch.
caught=""
for seed in $(seq 1 50); do
	out=$($SIM --seed "$seed" --ports 16 --steps 2000 --canary drop-loss 2>&1)
	status=$?
	[ $status -eq 0 ] && continue
	if [ $status -eq 1 ] && printf '%s\n' "$out" | grep -q '^psd-sim: FAILED: invariant '; then
		caught="$seed ($(printf '%s\n' "$out" | sed -n 's/^psd-sim: FAILED: invariant //p' |
			head -n 1))"
	else
		echo "chaos: the canary run of seed $seed failed without the oracle (status $status):"
		printf '%s\n' "$out" | tail -n 5
	fi
	break
done
if [ -n "$caught" ]; then
	passed=$((passed + 1))
	echo "chaos: canary drop-loss caught by seed $caught"
else
	failed=$((failed + 1))
	echo "chaos: FAILED: the canary drop-loss was not caught in 50 seeds"
fi
# A failed core assertion traps (SIGILL): the run must still print its reproducer and die of it.
# The trap is sent once the simulator has installed its handler (SigCgt holds SIGILL, 1 << 3),
# which a loaded machine or an ASan build may take a while to reach (bounded: 10 s).
handler_installed() {
	mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	[ -n "$mask" ] && [ $((0x$mask & 0x8)) -ne 0 ]
}
out=$(mktemp)
$SIM --seed 1 --ports 16 --steps 100000000 > "$out" 2>&1 &
pid=$!
for i in $(seq 1 200); do
	handler_installed $pid && break
	sleep 0.05
done
kill -ILL $pid
wait $pid
status=$?
if [ $status -eq $((128 + 4)) ] && grep -q '^psd-sim: reproduce with: .*--seed 1 ' "$out"; then
	passed=$((passed + 1))
	echo "chaos: a trap (SIGILL) prints the reproducer"
else
	failed=$((failed + 1))
	echo "chaos: FAILED: SIGILL gave status $status and no reproducer:"
	tail -n 3 "$out"
fi
rm -f "$out"
echo "chaos: $passed passed, $failed failed"
[ $failed -eq 0 ]
