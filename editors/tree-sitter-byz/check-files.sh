#!/usr/bin/env bash
# Parses every .byz file in scenarios/, stdlib/, tests/inputs/parse/,
# tests/inputs/expect/, tests/inputs/window/ and tests/inputs/allow/ (paths
# relative to the repository root) with the tree-sitter grammar and fails if
# any tree has an ERROR or MISSING node.
#
#   editors/tree-sitter-byz/check-files.sh          (from any directory)
#
# Needs the `tree-sitter` CLI on PATH (or TREE_SITTER=/path/to/tree-sitter)
# and a C compiler; editors/ci.sh installs the CLI. Prints one line per file
# and `N passed, M failed` last.
set -euo pipefail

grammar_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$grammar_dir/../.." && pwd)
ts=${TREE_SITTER:-tree-sitter}

if ! command -v "$ts" >/dev/null 2>&1; then
  echo "check-files: the tree-sitter CLI ($ts) is not on PATH; run editors/ci.sh or see editors/README.md" >&2
  exit 2
fi

cd "$root"
mapfile -t files < <(find scenarios stdlib tests/inputs/parse tests/inputs/expect tests/inputs/window tests/inputs/allow -name '*.byz' -type f | LC_ALL=C sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "check-files: no .byz files found under $root/{scenarios,stdlib,tests/inputs/parse,tests/inputs/expect,tests/inputs/window,tests/inputs/allow}" >&2
  exit 2
fi

# Generate the parser if a fresh checkout has none yet (src/ is not committed).
if [ ! -f "$grammar_dir/src/parser.c" ]; then
  (cd "$grammar_dir" && "$ts" generate)
fi

passed=0
failed=0
for f in "${files[@]}"; do
  # The whole tree, with ranges: any ERROR or MISSING node fails the file.
  # `tree-sitter parse` also exits non-zero then; both are checked.
  if tree=$("$ts" parse --grammar-path "$grammar_dir" "$f" 2>/dev/null) \
    && ! grep -qE '\((ERROR|MISSING)' <<<"$tree"; then
    echo "ok    $f"
    passed=$((passed + 1))
  else
    echo "FAIL  $f"
    grep -nE '\((ERROR|MISSING)' <<<"$tree" | sed 's/^/        /' || true
    failed=$((failed + 1))
  fi
done

echo "check-files: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
