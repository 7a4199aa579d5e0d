#!/usr/bin/env bash
# The editor-support tests, from any directory:
#
#   editors/ci.sh
#
# 1. the tree-sitter parser in editors/tree-sitter-byz/src is what grammar.js
#    generates (nobody forgot `tree-sitter generate`);
# 2. `tree-sitter test`: the corpus tests (test/corpus/*.txt) and the
#    highlight assertions (test/highlight/*.byz); every query file compiles;
# 3. check-files.sh: every .byz file of scenarios/, stdlib/,
#    tests/inputs/parse/, tests/inputs/expect/, tests/inputs/window/ and
#    tests/inputs/allow/ parses without ERROR or MISSING nodes;
# 4. with a byz binary ($BYZ, else target/release/byz), check-against-pest.js:
#    byz's own parser agrees with tree-sitter on every corpus input;
# 5. the VS Code extension's TextMate grammar tests (vscode-tmgrammar-test),
#    compare-highlights.js (on every .byz file of the repository and of the
#    tests, each tree-sitter capture has the matching TextMate scope) and the
#    extension's unit tests (node --test);
# 6. with nvim and a byz binary, the Neovim setup (editors/nvim) in a real
#    headless Neovim: :ByzBuildParser, highlighting, diagnostics, completion,
#    hover, definition and formatting, and that with no parser and no byz a
#    .byz file still opens and says why.
#
# Needs node 20 with npm, a C compiler and the Rust toolchain. It installs
# what else it needs: the npm packages from editors/vscode/package-lock.json
# (`npm ci`), and the tree-sitter CLI with `cargo install tree-sitter-cli
# --locked` (the npm package tree-sitter-cli downloads its binary from GitHub
# at install time, which CI cannot reach), cached in
# ${XDG_CACHE_HOME:-~/.cache}/byz-editors so that only the first run on a
# machine builds it (about 2.5 minutes on 2 cores).
#
# Exits non-zero if anything fails; the last line is `N passed, M failed`.
set -uo pipefail

editors=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
grammar="$editors/tree-sitter-byz"
vscode_dir="$editors/vscode"
TS_VERSION=0.27.1
TS_ABI=14 # Neovim 0.10 and Helix load ABI 14 parsers; 15 needs newer ones
cache=${BYZ_EDITORS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/byz-editors}
start=$(date +%s)

passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

step() { printf '\n==== %s\n' "$*"; }
# count N_PASSED N_FAILED NAME: add a step's results to the totals.
count() {
  passed=$((passed + $1))
  failed=$((failed + $2))
  echo "---- $3: $1 passed, $2 failed"
}
die() {
  echo "editors/ci.sh: $*" >&2
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}

# ---- tools ------------------------------------------------------------------
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"
command -v cc >/dev/null || command -v gcc >/dev/null || command -v clang >/dev/null ||
  die "no C compiler (cc): tree-sitter compiles the generated parser with it"

ts_ok() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -q "^tree-sitter $TS_VERSION\b"; }
ts=""
if [ -n "${TREE_SITTER:-}" ] && ts_ok "$TREE_SITTER"; then
  ts=$TREE_SITTER
elif ts_ok "$(command -v tree-sitter 2>/dev/null || true)"; then
  ts=$(command -v tree-sitter)
elif ts_ok "$cache/tree-sitter-$TS_VERSION/bin/tree-sitter"; then
  ts="$cache/tree-sitter-$TS_VERSION/bin/tree-sitter"
else
  step "installing tree-sitter-cli $TS_VERSION with cargo (once per machine)"
  command -v cargo >/dev/null || die "cargo is not installed (needed to build tree-sitter-cli)"
  mkdir -p "$cache"
  build=$(mktemp -d "$cache/build.XXXXXX")
  t0=$(date +%s)
  if CARGO_TARGET_DIR="$build" cargo install tree-sitter-cli --version "$TS_VERSION" --locked \
    --root "$cache/tree-sitter-$TS_VERSION" >"$log/cargo.txt" 2>&1; then
    rm -rf "$build"
    echo "built in $(($(date +%s) - t0)) s"
  else
    tail -30 "$log/cargo.txt"
    rm -rf "$build"
    die "cargo install tree-sitter-cli failed"
  fi
  ts="$cache/tree-sitter-$TS_VERSION/bin/tree-sitter"
fi
export TREE_SITTER=$ts
echo "tree-sitter: $ts ($("$ts" --version))"
# tree-sitter looks up grammars through its config; the commands below point
# at the grammar directory themselves, so an empty config keeps the output
# free of warnings about it.
export TREE_SITTER_DIR="$log/ts-config"
mkdir -p "$TREE_SITTER_DIR"
echo '{"parser-directories": []}' >"$TREE_SITTER_DIR/config.json"
# The compiled parser goes to this run's own directory. By default it is
# ~/.cache/tree-sitter/lib/byz.so, shared by every checkout on the machine and
# reused while it is newer than src/parser.c: a run could then test another
# checkout's parser (or a stale one) instead of this one.
export TREE_SITTER_LIBDIR="$log/ts-lib"
mkdir -p "$TREE_SITTER_LIBDIR"
export NO_COLOR=1

# ---- 1. the committed parser is up to date ----------------------------------
step "tree-sitter generate: src/ matches grammar.js"
fresh="$log/generated"
mkdir -p "$fresh"
cp "$grammar/grammar.js" "$grammar/tree-sitter.json" "$fresh/"
if (cd "$fresh" && "$ts" generate --abi "$TS_ABI" >"$log/generate.txt" 2>&1) &&
  diff -r -q "$fresh/src" "$grammar/src" >"$log/diff.txt" 2>&1; then
  echo "src/ is up to date"
  count 1 0 "generate"
else
  cat "$log/generate.txt" "$log/diff.txt"
  echo "src/ is stale: run (cd editors/tree-sitter-byz && tree-sitter generate --abi $TS_ABI) and commit src/"
  count 0 1 "generate"
fi

# ---- 2. corpus and highlight tests --------------------------------------------
step "tree-sitter test (corpus and highlights)"
(cd "$grammar" && "$ts" test) >"$log/ts-test.txt" 2>&1
rc=$?
cat "$log/ts-test.txt"
ok=$(grep -c '✓' "$log/ts-test.txt")
bad=$(grep -c '✗' "$log/ts-test.txt")
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi # ran nothing
count "$ok" "$bad" "tree-sitter test"

step "queries compile (queries/*.scm)"
ok=0 bad=0
for q in "$grammar"/queries/*.scm; do
  if (cd "$grammar" && "$ts" query "$q" test/highlight/scenario.byz) >"$log/query.txt" 2>&1; then
    echo "ok    queries/$(basename "$q") ($(grep -c 'capture:' "$log/query.txt") captures on test/highlight/scenario.byz)"
    ok=$((ok + 1))
  else
    echo "FAIL  queries/$(basename "$q")"
    cat "$log/query.txt"
    bad=$((bad + 1))
  fi
done
count "$ok" "$bad" "queries"

# ---- 3. every .byz file of the repository parses ------------------------------
step "check-files.sh"
"$grammar/check-files.sh" >"$log/check-files.txt" 2>&1
rc=$?
cat "$log/check-files.txt"
line=$(grep -E '^check-files: [0-9]+ passed, [0-9]+ failed$' "$log/check-files.txt" | tail -1)
if [ -n "$line" ]; then
  ok=$(sed -E 's/^check-files: ([0-9]+) passed.*/\1/' <<<"$line")
  bad=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
else
  ok=0 bad=0
fi
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
count "$ok" "$bad" "check-files"

# ---- 3b. tree-sitter and byz's pest parser agree on the corpus ----------------
# Only with a byz binary: $BYZ, else target/release/byz of the repository.
root=$(cd "$editors/.." && pwd)
byz_bin=${BYZ:-$root/target/release/byz}
if [ -x "$byz_bin" ]; then
  step "check-against-pest.js ($byz_bin)"
  node "$grammar/check-against-pest.js" "$byz_bin" >"$log/pest.txt" 2>&1
  rc=$?
  cat "$log/pest.txt"
  line=$(grep -E '^check-against-pest: [0-9]+ passed, [0-9]+ failed$' "$log/pest.txt" | tail -1)
  ok=$(sed -nE 's/^check-against-pest: ([0-9]+) passed.*/\1/p' <<<"$line")
  bad=$(sed -nE 's/.* ([0-9]+) failed$/\1/p' <<<"$line")
  ok=${ok:-0} bad=${bad:-0}
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
  count "$ok" "$bad" "check-against-pest"
else
  step "check-against-pest.js skipped: no byz binary (set BYZ or cargo build --release)"
fi

# ---- 3c. Neovim: the setup in editors/nvim, in a real headless Neovim -------------
# Needs `nvim` (Debian 12's is 0.7.2, the oldest the setup supports) and a byz
# binary; BYZ_REQUIRE_NVIM=1 (set by .ci/run) makes a missing one a failure.
# Each run's last line is `nvim: N passed, M failed`.
nvim_run() { # nvim_run LOG PLUGIN_DIR [ENV...]: run test/run.lua with PLUGIN_DIR on the runtimepath
  local out=$1 dir=$2
  shift 2
  env "$@" timeout 120 nvim --headless --clean --cmd "set rtp^=$dir" \
    -c "luafile $editors/nvim/test/run.lua" >"$out" 2>&1
  local rc=$?
  cat "$out"
  echo
  local line ok bad
  line=$(grep -E '^nvim: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
  ok=$(sed -nE 's/^nvim: ([0-9]+) passed.*/\1/p' <<<"$line")
  bad=$(sed -nE 's/^nvim: [0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$line")
  ok=${ok:-0} bad=${bad:-0}
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
  count "$ok" "$bad" "Neovim $(basename "$out" .txt)"
}
if command -v nvim >/dev/null && [ -x "$byz_bin" ]; then
  step "Neovim $(nvim --version | head -1): build the parser with :ByzBuildParser"
  rm -f "$editors/nvim/parser/byz.so"
  nvim --headless --clean --cmd "set rtp^=$editors/nvim" -c ByzBuildParser -c "qall!" >"$log/nvim-build.txt" 2>&1
  cat "$log/nvim-build.txt"
  echo
  if [ -f "$editors/nvim/parser/byz.so" ]; then count 1 0 "ByzBuildParser"; else count 0 1 "ByzBuildParser"; fi
  step "Neovim: highlighting and the language server (byz lsp) on .byz files"
  nvim_run "$log/nvim.txt" "$editors/nvim" PATH="$(dirname "$byz_bin"):$PATH"
  step "Neovim: with no parser and no byz on PATH, a .byz file opens and says why"
  plain="$log/nvim-plain"
  cp -rL "$editors/nvim" "$plain" && rm -rf "$plain/parser"
  nvim_run "$log/nvim-plain.txt" "$plain" PATH=/usr/bin:/bin BYZ_NVIM_EXPECT_MISSING=1
elif [ -n "${BYZ_REQUIRE_NVIM:-}" ]; then
  step "Neovim tests: nvim or the byz binary is missing, and BYZ_REQUIRE_NVIM is set"
  count 0 1 "Neovim"
else
  step "Neovim tests skipped: needs nvim (apt-get install neovim) and a byz binary (cargo build --release)"
fi

# ---- 4. VS Code extension -------------------------------------------------------
step "npm ci (editors/vscode)"
if ! (cd "$vscode_dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log/npm.txt" 2>&1; then
  cat "$log/npm.txt"
  die "npm ci failed in editors/vscode"
fi
grep -v 'npm warn' "$log/npm.txt" || true

step "TextMate grammar tests (vscode-tmgrammar-test)"
(cd "$vscode_dir" && node_modules/.bin/vscode-tmgrammar-test --grammar syntaxes/byz.tmLanguage.json \
  'test/**/*.byz') >"$log/tm.txt" 2>&1
rc=$?
cat "$log/tm.txt"
ok=$(grep -c 'run successfuly' "$log/tm.txt")
bad=$(grep -c 'failed$' "$log/tm.txt")
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
asserts=$(cat "$vscode_dir"/test/*.byz | grep -cE '^//\s*(\^|<)')
echo "($asserts scope assertions)"
count "$ok" "$bad" "TextMate grammar tests"

step "compare-highlights.js: tree-sitter captures and TextMate scopes agree"
node "$editors/compare-highlights.js" >"$log/compare.txt" 2>&1
rc=$?
cat "$log/compare.txt"
line=$(grep -E '^compare-highlights: [0-9]+ passed, [0-9]+ failed$' "$log/compare.txt" | tail -1)
ok=$(sed -nE 's/^compare-highlights: ([0-9]+) passed.*/\1/p' <<<"$line")
bad=$(sed -nE 's/.* ([0-9]+) failed$/\1/p' <<<"$line")
ok=${ok:-0} bad=${bad:-0}
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
count "$ok" "$bad" "compare-highlights"

step "extension unit tests (node --test)"
(cd "$vscode_dir" && node --test test/extension.test.js) >"$log/unit.txt" 2>&1
rc=$?
grep -E '^(not )?ok |^# (tests|pass|fail)' "$log/unit.txt"
ok=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log/unit.txt" | tail -1)
bad=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log/unit.txt" | tail -1)
ok=${ok:-0} bad=${bad:-0}
if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
  cat "$log/unit.txt"
  bad=1
fi
count "$ok" "$bad" "unit tests"

echo
echo "editors/ci.sh took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
