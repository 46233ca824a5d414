#!/usr/bin/env bash
# The manual's table of script commands is the commands' one list (app/gui/commands/command.h),
# as `latentlab gui --commands` prints it.
#   scripts/docs_commands.sh LATENTLAB [MANUAL]            check (the ctest entry docs_commands)
#   scripts/docs_commands.sh LATENTLAB [MANUAL] --update   write the table into the manual
# MANUAL defaults to docs/manual.md. The table sits between one begin and one end marker; the
# update refuses a manual without exactly one of each, and keeps the file's mode.
set -euo pipefail
exe=$1
shift
manual="$(cd "$(dirname "$0")/.." && pwd)/docs/manual.md"
[[ $# -gt 0 && "$1" != "--update" ]] && { manual=$1; shift; }
update=0
[[ "${1:-}" == "--update" ]] && update=1
begin='<!-- commands: begin'
end='<!-- commands: end -->'
[[ -f "$manual" ]] || { echo "docs_commands: $manual is not a file" >&2; exit 1; }
nb=$(grep -c "^$begin" "$manual" || true)
ne=$(grep -c "^$end" "$manual" || true)
if [[ "$nb" != 1 || "$ne" != 1 ]]; then
  echo "docs_commands: $manual needs one '$begin ...' line and one '$end' line after it (has $nb and $ne)" >&2
  exit 1
fi
if [[ $(grep -n "^$begin" "$manual" | cut -d: -f1) -ge $(grep -n "^$end" "$manual" | cut -d: -f1) ]]; then
  echo "docs_commands: in $manual the end marker comes before the begin marker" >&2
  exit 1
fi
table=$("$exe" gui --commands)
current=$(awk -v b="$begin" -v e="$end" 'index($0, e) == 1 {p = 0} p {print} index($0, b) == 1 {p = 1}' "$manual")
if ((update)); then
  # A temporary file beside it, then a rename; the table through the environment (awk -v would
  # read its backslashes as escapes); the manual's mode kept.
  tmp=$(mktemp "$manual.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  TABLE="$table" awk -v b="$begin" -v e="$end" '
    index($0, b) == 1 {print; print ENVIRON["TABLE"]; skip = 1; next}
    index($0, e) == 1 {skip = 0}
    !skip {print}' "$manual" > "$tmp"
  chmod --reference="$manual" "$tmp"
  mv "$tmp" "$(readlink -f "$manual")"
  trap - EXIT
  echo "docs_commands: wrote the table of $(grep -c '^| `' <<<"$table") commands into $manual"
  exit 0
fi
if [[ "$current" != "$table" ]]; then
  echo "docs_commands: the table in $manual is not the commands' list; run scripts/docs_commands.sh $exe --update"
  diff <(echo "$current") <(echo "$table") || true
  exit 1
fi
echo "docs_commands: the manual lists all $(grep -c '^| `' <<<"$table") commands"
