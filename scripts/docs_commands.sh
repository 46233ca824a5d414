#!/usr/bin/env bash
# The manual's table of script commands is the commands' one list (app/gui/commands/command.h),
# as `latentlab gui --commands` prints it.
#   scripts/docs_commands.sh LATENTLAB            check docs/manual.md (the ctest entry docs_commands)
#   scripts/docs_commands.sh LATENTLAB --update   write the table into docs/manual.md
set -euo pipefail
exe=$1
manual="$(cd "$(dirname "$0")/.." && pwd)/docs/manual.md"
begin='<!-- commands: begin'
end='<!-- commands: end -->'
table=$("$exe" gui --commands)
current=$(awk -v b="$begin" -v e="$end" 'index($0, e) == 1 {p = 0} p {print} index($0, b) == 1 {p = 1}' "$manual")
if [[ "${2:-}" == "--update" ]]; then
  tmp=$(mktemp "$manual.XXXXXX")
  # The table through the environment: awk -v would read its backslashes as escapes.
  TABLE="$table" awk -v b="$begin" -v e="$end" '
    index($0, b) == 1 {print; print ENVIRON["TABLE"]; skip = 1; next}
    index($0, e) == 1 {skip = 0}
    !skip {print}' "$manual" > "$tmp"
  mv "$tmp" "$manual"
  echo "docs_commands: wrote the table of $(grep -c '^| `' <<<"$table") commands into $manual"
  exit 0
fi
if [[ "$current" != "$table" ]]; then
  echo "docs_commands: the table in $manual is not the commands' list; run scripts/docs_commands.sh $exe --update"
  diff <(echo "$current") <(echo "$table") || true
  exit 1
fi
echo "docs_commands: the manual lists all $(grep -c '^| `' <<<"$table") commands"
