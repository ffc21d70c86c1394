# The field-bug fixtures against the real daemon, a real redis-server and veth netdevs, each one
# whose events can be made real (fixture_real.sh), in each of its modes; one test per fixture and
# mode. A fixture that cannot be made real says why in it_fx_unrealizable_say_why.

. "$(dirname "${BASH_SOURCE[0]}")/fixture_real.sh"

for fx_file in "$FIXTURES"/field/*.fixture; do
	fx_name=$(basename "$fx_file" .fixture | tr -c 'A-Za-z0-9\n' '_')
	fixture_realizable "$fx_file" >/dev/null || continue
	eval "it_fx_${fx_name}_field() { fixture_run_real '$fx_file' field; }"
	grep -q '^compat:' "$fx_file" &&
		eval "it_fx_${fx_name}_compat() { fixture_run_real '$fx_file' compat; }"
done

it_fx_unrealizable_say_why() {
	local f why n=0
	for f in "$FIXTURES"/field/*.fixture; do
		why=$(fixture_realizable "$f") && continue
		[ -n "$why" ] || fail "$f cannot be made real, without a reason"
		note "$(basename "$f"): simulator only: $why"
		n=$((n + 1))
	done
	[ $n -lt "$(ls "$FIXTURES"/field/*.fixture | wc -l)" ] || fail "no fixture can be made real"
}
