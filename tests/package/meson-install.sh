#!/usr/bin/env bash
# `meson install` puts everything a package needs where captived looks for
# it: the programs in sbin, the ruleset at captived's default --ruleset, the
# probe table, the dnsmasq lines, the man pages and, with -Dsystemd=enabled,
# the unit and its sysusers.d, modules-load.d and sysctl.d files. Installs
# the build tree into a temporary DESTDIR (no root needed; nothing outside
# it is touched) and checks the file list.
set -euo pipefail
build=${CAPTIVE_BUILD:?CAPTIVE_BUILD: the build directory}
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok - $*"; }

dest=$(mktemp -d /tmp/captive-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --no-rebuild --destdir "$dest" >"$dest.log" 2>&1 || {
  cat "$dest.log" >&2
  rm -f "$dest.log"
  echo "FAIL: meson install" >&2
  exit 1
}
rm -f "$dest.log"

option() {  # the configured value of a built-in or project option
  python3 -c "import json,sys
for o in json.load(open(sys.argv[1])):
    if o['name'] == sys.argv[2]: print(str(o['value']).lower() if isinstance(o['value'], bool) else o['value'])" "$build/meson-info/intro-buildoptions.json" "$1"
}
prefix=$(option prefix)
sbindir=$(option sbindir)
datadir=$(option datadir)
mandir=$(option mandir)
case $sbindir in /*) ;; *) sbindir=$prefix/$sbindir ;; esac
case $datadir in /*) ;; *) datadir=$prefix/$datadir ;; esac
case $mandir in /*) ;; *) mandir=$prefix/$mandir ;; esac
root=$dest

for prog in captived captivectl install-ruleset; do
  [ -x "$root$sbindir/$prog" ] && ok "$sbindir/$prog, executable" || fail "$sbindir/$prog missing or not executable"
done
# -Dmulticall=true: captivectl is a link to captived beside it, and runs as
# captivectl through it (src/daemon/multicall.cpp); otherwise a program of
# its own. Either way the installed name answers as captivectl.
if [ "$(option multicall)" = true ]; then
  [ -L "$root$sbindir/captivectl" ] && [ "$(readlink "$root$sbindir/captivectl")" = captived ] &&
    ok "-Dmulticall=true: $sbindir/captivectl -> captived" ||
    fail "-Dmulticall=true: $sbindir/captivectl is not a link to captived: $(ls -l "$root$sbindir/captivectl")"
else
  [ -f "$root$sbindir/captivectl" ] && [ ! -L "$root$sbindir/captivectl" ] &&
    ok "$sbindir/captivectl, a program of its own" || fail "$sbindir/captivectl is not a program of its own"
fi
"$root$sbindir/captivectl" --help | grep -q '^Usage: captivectl' &&
  ok "installed captivectl --help is captivectl's" ||
  fail "installed captivectl --help: $("$root$sbindir/captivectl" --help 2>&1 | head -1)"
for f in captive/captive.nft captive/probes captive/dnsmasq/captive.conf doc/captive/captived.conf; do
  [ -s "$root$datadir/$f" ] && ok "$datadir/$f" || fail "$datadir/$f missing"
done
for page in man8/captived.8 man8/captivectl.8; do
  [ -s "$root$mandir/$page" ] && ok "$mandir/$page" || fail "$mandir/$page missing"
done

# captived's default --ruleset and --probes are the installed files (not a
# path meson did not install to).
help=$("$root$sbindir/captived" --help)
grep -qF "(default $datadir/captive/captive.nft)" <<<"$help" &&
  ok "captived's default --ruleset is the installed $datadir/captive/captive.nft" ||
  fail "captived --help does not name $datadir/captive/captive.nft as --ruleset's default: $(grep -A1 -- '--ruleset' <<<"$help")"
grep -aqF "$datadir/captive/probes" "$root$sbindir/captived" &&
  ok "captived's default --probes is the installed $datadir/captive/probes" ||
  fail "captived does not look for $datadir/captive/probes"

units=$(find "$root" -name 'captived.service')
if [ "$(option systemd)" = enabled ]; then
  [ -n "$units" ] && ok "unit: ${units#"$root"}" || fail "-Dsystemd=enabled but no captived.service installed"
  for unit in $units; do
    for exe in $(sed -n 's/^Exec[A-Za-z]*=[-+!@]*\([^ ]*\).*/\1/p' "$unit"); do
      case $exe in
        /bin/kill) ;;
        *) [ -x "$root$exe" ] && ok "unit runs $exe, installed" || fail "unit runs $exe, not installed" ;;
      esac
    done
    grep -q '^Type=notify$' "$unit" && ok "Type=notify" || fail "unit is not Type=notify"
  done
  for f in sysusers.d/captive.conf modules-load.d/captive.conf sysctl.d/60-captive.conf; do
    [ -n "$(find "$root" -path "*/$f")" ] && ok "$f" || fail "$f missing"
  done
else
  [ -z "$units" ] && ok "-Dsystemd=disabled: no unit installed" || fail "-Dsystemd=disabled but a unit was installed: $units"
fi
# Nothing lands outside the prefix but /etc and the directories systemd.pc
# names (where systemd looks, whatever the prefix).
outside=$(cd "$root" && find . -type f | sed 's/^\.//' | grep -v "^$prefix/" |
  grep -Ev '^/(lib/systemd/system|usr/lib/(sysusers|modules-load|sysctl)\.d|etc)/' || true)
[ -z "$outside" ] && ok "nothing installed outside $prefix" || fail "installed outside $prefix: $outside"

[ $fails -eq 0 ] || { echo "$fails check(s) failed" >&2; exit 1; }
echo "PASS"
