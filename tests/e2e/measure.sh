#!/usr/bin/env bash
# Measure `./pants package` of one wasm_plugin: cold (empty Pants store + named caches, so the tool
# PEXes, protoc codegen and Go's std library for wasip1 are all built), warm (pantsd, nothing
# changed), after a one-line Go edit (warm GOCACHE), and warm without pantsd (process cache).
# Usage, from the repo root: tests/e2e/measure.sh            Prints a table.
set -euo pipefail
ROOT="$(pwd)"
W="$(mktemp -d)"; R="$W/repo"
mkdir -p "$R/src/python"
for pkg in wasmplug wasmplug_pants; do cp -r "src/python/$pkg" "$R/src/python/$pkg"; done
find "$R/src/python" -name BUILD -delete
find "$R/src/python" -depth \( -name __pycache__ -o -name testdata \) -exec rm -rf {} +
find "$R/src/python" -name '*_test.py' -delete
cp -r tests/e2e/monorepo/. "$R/"
find "$R" -name _BUILD -execdir mv _BUILD BUILD \;
cp 3rdparty/python/{default.lock,pytest.lock,requirements.txt} "$R/3rdparty/python/"
cp pants "$R/"; mkdir -p "$R/build-support"; cp build-support/bootstrap.sh "$R/build-support/"
export PANTS_BOOTSTRAP_DIR="$ROOT/.pants-bootstrap"
cd "$R"
OPTS=(--named-caches-dir="$W/named" --local-store-dir="$W/store" --no-dynamic-ui)
./pants "${OPTS[@]}" --no-pantsd tailor :: >/dev/null 2>&1
./pants "${OPTS[@]}" --no-pantsd version >/dev/null 2>&1  # bootstrap .pants.rc outside the timings
run() {
  local label="$1"; shift
  local s e; s=$(date +%s.%N)
  ./pants "${OPTS[@]}" "$@" package src/go/plugins/upper > "$W/out.txt" 2>&1 || { cat "$W/out.txt"; exit 1; }
  e=$(date +%s.%N)
  printf '| %-52s | %6.1f s |\n' "$label" "$(echo "$e - $s" | bc)"
}
echo "| \`./pants package src/go/plugins/upper\` | wall |"
echo "|---|---|"
run "cold (empty store + caches; starts pantsd)"
run "warm, nothing changed (pantsd)"
sed -i 's/strings.ToUpper(t.Value)/strings.ToUpper(t.Value) + "!"/' src/go/plugins/upper/main.go
run "one-line Go edit (pantsd, warm GOCACHE)"
sed -i 's/strings.ToUpper(t.Value) + "!"/strings.ToUpper(t.Value) + "?"/' src/go/plugins/upper/main.go
run "another one-line Go edit (pantsd)"
run "no pantsd, nothing changed (process cache)" --no-pantsd
sed -i 's/strings.ToUpper(t.Value) + "?"/strings.ToUpper(t.Value) + "."/' src/go/plugins/upper/main.go
run "no pantsd, one-line Go edit" --no-pantsd
# Stop the pantsd this script started (by its pid file), and clean up.
pid_file="$(find "$R/.pids" -path '*pantsd/pid' 2>/dev/null | head -1)"
[ -n "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null || true
rm -rf "$W"
