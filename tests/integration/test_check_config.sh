# --check-config: the shipped settings file and database configs are accepted; each bad file is
# rejected with its message (file and line, or field) and exit status 1.

# check_ok ARG...: exit 0 and "configuration OK"
check_ok() {
	"$PSD_BIN" --check-config "$@" > "$T/out" 2>&1 || fail "--check-config $*: $(cat "$T/out")"
	grep -q "configuration OK" "$T/out" || fail "--check-config $*: $(cat "$T/out")"
}

# check_bad TEXT ARG...: exit 1 and TEXT in the output
check_bad() {
	local text=$1 status
	shift
	"$PSD_BIN" --check-config "$@" > "$T/out" 2>&1
	status=$?
	[ "$status" = 1 ] || fail "--check-config $*: exit $status, expected 1: $(cat "$T/out")"
	grep -qF -- "$text" "$T/out" || fail "--check-config $*: no '$text' in: $(cat "$T/out")"
}

it_check_config_shipped_files() {
	local shipped="$here/../../adapters/systemd/portsyncd.conf"
	check_ok -c "$shipped" --db-config "$T/database_config.json"
	# SONiC's database_config.json as a switch has it (more databases, host and port too)
	cat > "$T/sonic.json" <<JSON
{"INSTANCES": {"redis": {"hostname": "127.0.0.1", "port": 6379,
                         "unix_socket_path": "/var/run/redis/redis.sock", "persistence_for_warm_boot": "yes"}},
 "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"},
               "ASIC_DB": {"id": 1, "separator": ":", "instance": "redis"},
               "COUNTERS_DB": {"id": 2, "separator": ":", "instance": "redis"},
               "CONFIG_DB": {"id": 4, "separator": "|", "instance": "redis"},
               "STATE_DB": {"id": 6, "separator": "|", "instance": "redis"}},
 "VERSION": "1.0"}
JSON
	check_ok -c "$shipped" --db-config "$T/sonic.json"
	# no settings file at all: the defaults
	check_ok --db-config "$T/sonic.json"
}

it_check_config_rejects_bad_files() {
	local db="$T/database_config.json"
	printf '[daemon]\nbogus = 1\n' > "$T/a.conf"
	check_bad "$T/a.conf:2: unknown key 'bogus' in section [daemon]" -c "$T/a.conf" --db-config "$db"
	printf '[daemon]\nports_max = 4096\n[log]\nlevel = LOUD\n' > "$T/b.conf"
	check_bad "$T/b.conf:4: level 'LOUD': expected EMERG" -c "$T/b.conf" --db-config "$db"
	printf '[daemon\n' > "$T/c.conf"
	check_bad "$T/c.conf:1: not an INI line" -c "$T/c.conf" --db-config "$db"
	printf '[metrics]\naddress = 192.0.2.1\n' > "$T/d.conf"
	check_bad "metrics address '192.0.2.1' is not loopback" -c "$T/d.conf" --db-config "$db"
	printf '[metrics]\nport = 0\n' > "$T/e.conf"
	check_bad "$T/e.conf:2: port '0': expected a whole number from 1 to 65535" -c "$T/e.conf" \
		--db-config "$db"
	printf '[redis]\nreconnect_min_ms = 500\nreconnect_max_ms = 100\n' > "$T/f.conf"
	check_bad "reconnect_min_ms (500) must not exceed reconnect_max_ms (100)" -c "$T/f.conf" \
		--db-config "$db"
	check_bad "$T/missing.conf: No such file or directory" -c "$T/missing.conf" --db-config "$db"
	# the database config
	check_bad "$T/none.json: No such file or directory" --db-config "$T/none.json"
	printf '{"INSTANCES": ' > "$T/g.json"
	check_bad "$T/g.json: line 1" --db-config "$T/g.json"
	printf '{"INSTANCES": {"redis": {"unix_socket_path": "/x"}}, "DATABASES": {"APPL_DB": {"id": 0, "separator": ":", "instance": "redis"}}}' > "$T/h.json"
	check_bad "$T/h.json: DATABASES.CONFIG_DB is missing" --db-config "$T/h.json"
	# both at once: every error is printed
	check_bad "unknown key 'bogus'" -c "$T/a.conf" --db-config "$T/h.json"
	grep -qF "DATABASES.CONFIG_DB is missing" "$T/out" || fail "only one error: $(cat "$T/out")"
}
