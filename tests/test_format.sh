#!/usr/bin/env bash
# test_format.sh: every C file follows the root .clang-format (STYLE.md 1)
# and stays within 80 columns.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
if ! command -v clang-format >/dev/null; then
    skip c_format "clang-format not installed"
    exit 0
fi
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]')
bad=$(for f in $files; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
check c_format "" "$bad"
wide=$(echo "$files" | xargs awk 'length($0) > 80 { print FILENAME ":" FNR }')
check c_80_columns "" "$wide"
exit $T_FAILED
