#!/bin/sh
# Writes the Graphviz diagram of every machine in a Ragel source to docs/fsm/<machine>.dot.
# Usage: ragel-dot.sh SRC.rl
set -eu
src=$1
for machine in $(sed -n 's/^[[:space:]]*machine \([a-z_]*\);.*/\1/p' "$src"); do
	ragel -V -p -S "$machine" -o "docs/fsm/$machine.dot" "$src"
	echo "docs/fsm/$machine.dot"
done
