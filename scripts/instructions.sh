#!/usr/bin/env bash
# Counts CPU instructions per operation for each impl= sub-benchmark of a
# benchmark, with valgrind's callgrind: repeatable on a shared, noisy
# machine where ns/op drifts by a few percent between runs. Each benchmark
# runs twice, with N and 3N operations; the difference divided by 2N cancels
# start-up and set-up costs.
#
#	scripts/instructions.sh GetComments [N]   (from the repository root)
set -euo pipefail
bench=${1:?usage: $0 BenchmarkName [N]}
n=${2:-100000}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/micro.test" .
for impl in nethttp micro; do
	counts=()
	for ops in "$n" "$((3 * n))"; do
		GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$dir/cg" "$dir/micro.test" \
			-test.run '^$' -test.bench "^Benchmark$bench/impl=$impl\$" -test.benchtime "${ops}x" -test.cpu 1 \
			>/dev/null 2>"$dir/log"
		counts+=("$(grep -o 'Collected : [0-9]*' "$dir/log" | grep -o '[0-9]*$')")
	done
	echo "$bench impl=$impl: $(((counts[1] - counts[0]) / (2 * n))) instructions/op"
done
