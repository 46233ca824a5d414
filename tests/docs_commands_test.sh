#!/usr/bin/env bash
# scripts/docs_commands.sh on copies of the manual: it writes the table between the markers and
# keeps the rest and the file's mode; it refuses (and leaves whole) a manual without both markers.
set -u
ll=$1
script="$(dirname "$0")/../scripts/docs_commands.sh"
manual="$(dirname "$0")/../docs/manual.md"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# A stale table is replaced; the text around it and the mode stay.
awk '/^<!-- commands: begin/ {print; print "| `old` | stale | |"; skip = 1; next} /^<!-- commands: end -->/ {skip = 0} !skip' \
  "$manual" > "$tmp/m.md"
chmod 640 "$tmp/m.md"
bash "$script" "$ll" "$tmp/m.md" >/dev/null 2>&1 && fail "a stale table passed the check"
bash "$script" "$ll" "$tmp/m.md" --update >/dev/null || fail "--update failed"
bash "$script" "$ll" "$tmp/m.md" >/dev/null || fail "the updated table does not pass the check"
cmp -s "$tmp/m.md" "$manual" || fail "the update changed more than the table"
[[ $(stat -c %a "$tmp/m.md") == 640 ]] || fail "the mode became $(stat -c %a "$tmp/m.md")"
# No end marker, no markers, two begin markers: refused, the file untouched.
grep -v '^<!-- commands: end -->' "$manual" > "$tmp/noend.md"
grep -v '^<!-- commands: ' "$manual" > "$tmp/none.md"
{ cat "$manual"; grep '^<!-- commands: begin' "$manual"; } > "$tmp/twice.md"
for f in noend none twice; do
  cp "$tmp/$f.md" "$tmp/$f.before"
  out=$(bash "$script" "$ll" "$tmp/$f.md" --update 2>&1) && fail "$f: --update succeeded"
  grep -q "needs one" <<<"$out" || fail "$f: message: $out"
  cmp -s "$tmp/$f.md" "$tmp/$f.before" || fail "$f: the manual was changed"
done
echo "docs_commands.sh: updates in place, refuses manuals without their markers"
