#!/bin/sh
# Stress suite. In the simulator: start-up with 100K CONFIG_DB ports, flap storms over all of
# them, and the fault swarm at 100K ports; every run holds every invariant and converges. Then
# the real daemon with at least 1,000 veth ports (test_stress.sh). Usage: run.sh quick|full
# (quick is the size `make test` runs; full is `make stress`).
cd "$(dirname "$0")/../.." || exit 1
MODE=${1:-quick}
SIM=build/psd-sim
case $MODE in
quick) STORMS=2 STEPS=5000 SEEDS="1 2" PORTS_REAL=1000 ROUNDS=3 ;;
full) STORMS=20 STEPS=200000 SEEDS="1 2 3" PORTS_REAL=2000 ROUNDS=10 ;;
*) echo "usage: run.sh quick|full" >&2; exit 2 ;;
esac
passed=0
failed=0
run() { # run NAME ARGS...: one simulator load
	name=$1
	shift
	if out=$($SIM "$@" 2>&1); then
		passed=$((passed + 1))
		echo "stress: ok   $name: $(echo "$out" | tail -n 1 | sed 's/^psd-sim: ok: //')"
	else
		failed=$((failed + 1))
		echo "stress: FAIL $name"
		echo "$out" | tail -n 25
	fi
}
run "start-up, 100K CONFIG_DB ports" --seed 1 --ports 100000 --steps 0 --faults none
run "flap storms x$STORMS over 100K ports" --seed 1 --ports 100000 --steps 0 --storm "$STORMS" \
	--faults none
for seed in $SEEDS; do
	run "fault swarm, 100K ports, $STEPS steps, seed $seed" --seed "$seed" --ports 100000 \
		--steps "$STEPS" --storm 1
done
if STRESS_PORTS=$PORTS_REAL STRESS_ROUNDS=$ROUNDS IT_EXTRA="$PWD/tests/stress/test_stress.sh" \
	tests/integration/run.sh build/portsyncd it_stress_many_ports; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
fi
echo "stress: $passed passed, $failed failed"
[ $failed -eq 0 ]
