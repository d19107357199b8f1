#!/usr/bin/env bash
# The Debian package, built and installed as an admin would: builds the
# .deb from this tree with `dpkg-buildpackage -b -us -uc`, makes a fresh
# Debian root (debootstrap --variant=minbase, the package's dependencies and
# systemd included), installs the .deb there with dpkg, boots the root with
# systemd-nspawn in a network namespace of its own, and checks what systemd
# makes of captived.service: started at boot (Type=notify), as captive with
# CAP_NET_ADMIN and CAP_NET_RAW only, `captivectl status`, a flushed ruleset
# loaded again from inside the sandbox, restart, reload, stop.
# CAPTIVE_DEB_BOOT=chroot: no systemd; the unit's command lines run as the
# unit would run them (setpriv), and the sd_notify messages are checked on a
# socket of the test's own (docs/debian.md).
#
# Needs root, network namespaces and the Debian mirror. Each phase's time
# is printed. CAPTIVE_DEB=FILE uses a .deb built already; CAPTIVE_DEB_CACHE=DIR
# keeps the debootstrap tarball and the finished root there for the next
# run. Everything else made here is under one temporary directory and one
# network namespace, removed at the end.
# --prepare (scripts/test, in the background beside the e2e scenarios): only
# the slow first half, the .deb (in CAPTIVE_BUILD/package-deb) and the
# finished root (in CAPTIVE_DEB_CACHE); the test run after it is given both.
set -euo pipefail
prepare=
case ${1:-} in
  --prepare)
    prepare=1
    [ -n "${CAPTIVE_BUILD:-}" ] && [ -n "${CAPTIVE_DEB_CACHE:-}" ] ||
      { echo "--prepare needs CAPTIVE_BUILD and CAPTIVE_DEB_CACHE (where the .deb and the root are kept)" >&2; exit 2; } ;;
  "") ;;
  *) echo "usage: $0 [--prepare]" >&2; exit 2 ;;
esac
source_dir=${CAPTIVE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
suite=${CAPTIVE_DEB_SUITE:-bookworm}
mirror=${CAPTIVE_DEB_MIRROR:-http://deb.debian.org/debian}
# nspawn: boot the root with systemd and `systemctl start captived`;
# chroot: no systemd, run the unit's command lines as it would (setpriv).
# auto (default): nspawn where systemd can run a container, that is where
# this machine has a cgroup hierarchy mounted (not in a bare chroot such as
# a fresh-root check, where nspawn stops at "Failed to determine whether
# the unified cgroups hierarchy is used"); chroot otherwise, said so.
boot=${CAPTIVE_DEB_BOOT:-auto}
case $boot in nspawn|chroot|auto) ;; *) echo "CAPTIVE_DEB_BOOT: nspawn, chroot or auto" >&2; exit 2 ;; esac
if [ "$boot" = auto ]; then
  if command -v systemd-nspawn >/dev/null 2>&1 &&
     { [ -e /sys/fs/cgroup/cgroup.controllers ] || [ -d /sys/fs/cgroup/systemd ]; }; then
    boot=nspawn
  else
    boot=chroot
    echo "# no cgroup hierarchy here (/sys/fs/cgroup): systemd-nspawn cannot boot the root; the unit's commands run in a chroot"
  fi
fi

skip_or_fail() {
  if [ "${CI:-}" = true ]; then echo "FAIL: cannot run: $*" >&2; exit 1; fi
  echo "SKIP: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root (debootstrap, chroot, network namespace)"
for tool in dpkg-buildpackage dh debootstrap setpriv python3 ip nsenter $([ "$boot" = nspawn ] && echo systemd-nspawn); do
  command -v "$tool" >/dev/null 2>&1 || skip_or_fail "needs $tool (scripts/install-deps)"
done

work=$(mktemp -d /tmp/captive-deb.XXXXXX)
ns=capdeb$$
pid=
listener=
nspawn=
cleanup() {
  local status=$?
  set +e
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  if [ -n "$nspawn" ]; then
    kill -TERM "$nspawn" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$nspawn" 2>/dev/null
  fi
  [ -n "$listener" ] && kill "$listener" 2>/dev/null
  wait 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  # The proc mount lives in the namespace's own mount table (ip netns
  # exec unshares it), gone with its last process; make sure anyway.
  umount "$work/root/proc" 2>/dev/null
  if [ $status -eq 0 ]; then rm -rf "$work"; else echo "kept $work for inspection" >&2; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "FAIL: $*" >&2; [ -f "$work/captived.log" ] && tail -20 "$work/captived.log" >&2; exit 1; }
ok() { echo "ok - $*"; }
t0=$SECONDS
phase() { echo "# $1: $((SECONDS - t0)) s"; t0=$SECONDS; }

# 1. The .deb, from a copy of the tree (dpkg-buildpackage writes into it and
# its parent). Tracked and untracked files, not build trees or .git.
# CAPTIVE_DEB=FILE: a .deb built already (a CI step of its own); else built here.
build_deb() {
  # In the build tree when there is one: the same path at every run, so
  # ccache hits (dpkg-buildflags puts -ffile-prefix-map=PWD=. into the flags).
  src=${CAPTIVE_BUILD:+$CAPTIVE_BUILD/package-deb}
  src=${src:-$work/src}
  rm -rf "$src"
  mkdir -p "$src/captive"
  if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
    # --ignore-failed-read: a tracked file deleted in the work tree.
    (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard |
      tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src/captive"
  else
    (cd "$source_dir" && tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - .) | tar -xf - -C "$src/captive"
  fi
  if command -v ccache >/dev/null 2>&1; then
    export CC="ccache gcc" CXX="ccache g++"
    export CCACHE_BASEDIR=$src/captive CCACHE_NOHASHDIR=1
  fi
  # noopt (-O0) by default: this tests the packaging, and GCC builds the
  # Beast/Asio-heavy files three times faster; CAPTIVE_DEB_OPT= builds the
  # package as released (-O2).
  (cd "$src/captive" && DEB_BUILD_OPTIONS="parallel=${CAPTIVE_DEB_JOBS:-2} nocheck ${CAPTIVE_DEB_OPT-noopt}" dpkg-buildpackage -b -us -uc) \
    >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; fail "dpkg-buildpackage"; }
  deb=$(ls "$src"/captive_*.deb)
  ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
}
if [ -n "${CAPTIVE_DEB:-}" ]; then
  deb=$CAPTIVE_DEB
  [ -f "$deb" ] || fail "CAPTIVE_DEB=$deb: no such file"
else
  build_deb
fi
phase "dpkg-buildpackage"

# What the package must hold.
dpkg-deb -c "$deb" >"$work/contents"
for f in ./usr/sbin/captived ./usr/sbin/captivectl ./usr/sbin/install-ruleset ./usr/share/captive/captive.nft \
    ./usr/share/captive/probes ./lib/systemd/system/captived.service ./usr/lib/sysusers.d/captive.conf \
    ./usr/lib/modules-load.d/captive.conf ./usr/lib/sysctl.d/60-captive.conf ./etc/captive/captived.conf \
    ./usr/share/man/man8/captived.8.gz; do
  grep -q " $f\$" "$work/contents" || fail "$f not in the package"
done
ok "the package holds the programs, ruleset, unit, sysusers/modules-load/sysctl files, config and man pages"

# 2. A fresh root with the package's dependencies (from its Depends field,
# without versions and alternatives' second choices).
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g' | grep -v '^$' | paste -sd, -)
# nspawn: the root boots, so it needs systemd as its init.
[ "$boot" = nspawn ] && depends=$depends,systemd,systemd-sysv
tarball=
if [ -n "${CAPTIVE_DEB_CACHE:-}" ]; then
  mkdir -p "$CAPTIVE_DEB_CACHE"
  tarball=$CAPTIVE_DEB_CACHE/$suite-minbase-$(echo "$depends" | md5sum | cut -c1-8).tgz
fi
rootcache=${tarball%.tgz}.root.tar
if [ -n "$tarball" ] && [ -s "$rootcache" ]; then
  # A root debootstrap made before, untouched since: unpacked, not
  # configured again (the second stage is most of debootstrap's time).
  mkdir -p "$work/root"
  tar -xpf "$rootcache" -C "$work/root" || fail "unpacking $rootcache"
elif [ -n "$tarball" ] && [ -s "$tarball" ]; then
  debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap (from $tarball)"; }
else
  if [ -n "$tarball" ]; then
    debootstrap --variant=minbase --include="$depends" --make-tarball="$tarball" "$suite" "$work/tarball-tmp" "$mirror" \
      >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap --make-tarball"; }
    debootstrap --variant=minbase --unpack-tarball="$tarball" "$suite" "$work/root" "$mirror" >>"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap (from $tarball)"; }
  else
    debootstrap --variant=minbase --include="$depends" "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
  fi
fi
if [ -n "$tarball" ] && [ ! -s "$rootcache" ]; then
  tar -cpf "$rootcache.tmp" -C "$work/root" . && mv "$rootcache.tmp" "$rootcache"
fi
ok "fresh $suite root (minbase + $depends)"
phase "debootstrap"
if [ -n "$prepare" ]; then
  echo "prepared: $deb, the root in $rootcache"
  exit 0
fi

# 3. dpkg -i, as on a real system (postinst makes the user).
cp "$deb" "$work/root/tmp/"
chroot "$work/root" dpkg -i "/tmp/$(basename "$deb")" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
chroot "$work/root" getent passwd captive >/dev/null || fail "postinst made no user captive"
captive_uid=$(chroot "$work/root" id -u captive)
captive_gid=$(chroot "$work/root" id -g captive)
[ "$captive_uid" -lt 1000 ] || fail "captive is no system user (uid $captive_uid)"
ok "dpkg -i: installed; user captive (uid $captive_uid), a system user"
unit=$work/root/lib/systemd/system/captived.service
phase "dpkg -i"

run_like_the_unit() {
  # 4. As the unit starts it. The unit's settings, read from the unit itself.
  unit_value() { sed -n "s/^$1=//p" "$unit" | head -n1; }
  [ "$(unit_value Type)" = notify ] || fail "Type=$(unit_value Type)"
  [ "$(unit_value User)" = captive ] || fail "User=$(unit_value User)"
  ambient=$(unit_value AmbientCapabilities)
  [ "$ambient" = "CAP_NET_ADMIN CAP_NET_RAW" ] || fail "AmbientCapabilities=$ambient"
  caps=$(echo "$ambient" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
  pre=$(unit_value ExecStartPre)
  start=$(unit_value ExecStart)
  # StateDirectory=captive, RuntimeDirectory=captive (0700, the user's).
  install -d -m 0700 -o "$captive_uid" -g "$captive_gid" "$work/root/var/lib/captive" "$work/root/run/captive"

  # The service manager's end of $NOTIFY_SOCKET: a path (abstract names
  # belong to a network namespace), inside the root.
  notify_path=/run/captive-notify.sock
  python3 - "$work/root$notify_path" "$work/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    log.write("LISTENING\n")
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
PY
  listener=$!
  for _ in $(seq 1 50); do grep -q LISTENING "$work/notify.log" 2>/dev/null && break; sleep 0.1; done
  chmod 0777 "$work/root$notify_path"  # systemd's is writable by every service user too

  as_unit() {  # as_unit CMD...: in the namespace and the root, as the unit's user with its capabilities
    ip netns exec "$ns" unshare --mount --propagation private sh -c \
      'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$work/root" \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET=$notify_path WATCHDOG_USEC=2000000 \
      setpriv --reuid=captive --regid=captive --init-groups --inh-caps="-all,$caps" --ambient-caps="$caps" \
      --bounding-set="-all,$caps" --no-new-privs "$@"
  }
  # shellcheck disable=SC2086
  as_unit $pre >"$work/captived.log" 2>&1 || fail "ExecStartPre ($pre) failed"
  grep -q 'table inet captive loaded' "$work/captived.log" || fail "ExecStartPre did not load the table"
  ip netns exec "$ns" nft list table inet captive >/dev/null || fail "no table after ExecStartPre"
  ok "ExecStartPre as captive: $pre loaded table inet captive"
  # shellcheck disable=SC2086
  as_unit $start >>"$work/captived.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    grep -q '^READY=1' "$work/notify.log" && break
    kill -0 "$pid" 2>/dev/null || fail "captived exited at start"
    sleep 0.1
  done
  grep -q '^READY=1' "$work/notify.log" || fail "no READY=1 on NOTIFY_SOCKET: $(cat "$work/notify.log")"
  ok "ExecStart as captive: READY=1 on \$NOTIFY_SOCKET ($(grep '^READY=1' "$work/notify.log" | head -1))"
  phase "start"

  # The captived in our namespace (the only one there).
  daemon=
  for p in $(ip netns pids "$ns"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = captived ] && daemon=$p
  done
  [ -n "$daemon" ] || fail "captived's process not found"
  status=/proc/$daemon/status
  [ "$(awk '$1 == "Uid:" {print $2}' "$status")" = "$captive_uid" ] || fail "captived runs as uid $(awk '$1 == "Uid:" {print $2}' "$status")"
  for c in CapEff CapPrm CapAmb CapBnd; do
    [ "$(awk -v k="$c:" '$1 == k {print $2}' "$status")" = 0000000000003000 ] || fail "$c: $(grep "^$c" "$status")"
  done
  ok "captived runs as captive with CAP_NET_ADMIN and CAP_NET_RAW only"

  ip netns exec "$ns" chroot "$work/root" captivectl status >"$work/status.out" 2>&1 ||
    fail "captivectl status: $(cat "$work/status.out")"
  ok "captivectl status (root, in the root): $(tr '\n' ' ' <"$work/status.out" | cut -c1-120)"

  for _ in $(seq 1 30); do grep -q '^WATCHDOG=1' "$work/notify.log" && break; sleep 0.1; done
  grep -q '^WATCHDOG=1' "$work/notify.log" || fail "no WATCHDOG=1 within 3 s of WATCHDOG_USEC=2 s"
  ok "WATCHDOG=1 every half WATCHDOG_USEC"

  kill -HUP "$daemon"
  for _ in $(seq 1 30); do [ "$(grep -c '^READY=1' "$work/notify.log")" -ge 2 ] && break; sleep 0.1; done
  grep -q '^RELOADING=1 MONOTONIC_USEC=' "$work/notify.log" || fail "no RELOADING=1 after SIGHUP: $(cat "$work/notify.log")"
  [ "$(grep -c '^READY=1' "$work/notify.log")" -ge 2 ] || fail "no READY=1 after the reload"
  ok "ExecReload (SIGHUP): RELOADING=1, then READY=1"

  kill -TERM "$daemon"
  rc=0
  wait "$pid" || rc=$?
  pid=
  [ $rc -eq 0 ] || fail "captived exited $rc after SIGTERM"
  grep -q '^STOPPING=1' "$work/notify.log" || fail "no STOPPING=1"
  ok "SIGTERM: STOPPING=1 and a clean exit"
}

# 4b. The real thing: the root boots under systemd-nspawn (in our network
# namespace), and systemd itself starts captived.service with all of its
# sandboxing.
boot_with_systemd() {
  # --capability: nspawn keeps CAP_NET_ADMIN out of the container's
  # bounding set unless it makes the network namespace itself; a real
  # host's systemd has it.
  systemd-nspawn -q --register=no --keep-unit --network-namespace-path="/run/netns/$ns" --capability=CAP_NET_ADMIN \
    -D "$work/root" -b --console=passive >"$work/boot.log" 2>&1 &
  nspawn=$!
  local leader=
  for _ in $(seq 1 100); do
    leader=$(pgrep -P "$nspawn" | head -n1 || true)
    [ -n "$leader" ] && [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ] && break
    kill -0 "$nspawn" 2>/dev/null || { cat "$work/boot.log" >&2; fail "systemd-nspawn exited"; }
    sleep 0.1
  done
  [ "$(cat "/proc/$leader/comm" 2>/dev/null)" = systemd ] || fail "no systemd in the container"
  in_ct() { nsenter -t "$leader" -a -r -w env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
  local state
  # Until systemd has its socket, systemctl cannot connect; then it says
  # initializing/starting until the boot is done.
  for _ in $(seq 1 300); do
    state=$(in_ct systemctl is-system-running 2>&1 || true)
    case $state in running|degraded) break ;; esac
    kill -0 "$nspawn" 2>/dev/null || { cat "$work/boot.log" >&2; fail "systemd-nspawn exited"; }
    sleep 0.2
  done
  case $state in running|degraded) ;; *) tail -20 "$work/boot.log" >&2; fail "the container's systemd: $state" ;; esac
  ok "the root boots under systemd-nspawn: $state"
  phase "boot"

  # Enabled by the package (not started by dpkg: --no-start), so the boot
  # starts it: multi-user.target wants it.
  [ "$(in_ct systemctl is-enabled captived)" = enabled ] || fail "captived.service not enabled by the package"
  local active=
  for _ in $(seq 1 100); do
    active=$(in_ct systemctl is-active captived || true)
    case $active in active|failed) break ;; esac
    sleep 0.1
  done
  [ "$active" = active ] || { in_ct journalctl -u captived --no-pager | tail -20 >&2; fail "captived at boot: $active"; }
  ok "captived started at boot: active (Type=notify: after READY=1; ExecStartPre loaded the table)"
  in_ct journalctl -u captived --no-pager >"$work/captived.log" 2>&1
  grep -q 'table inet captive loaded from' "$work/captived.log" || fail "ExecStartPre did not load the table"
  local main
  main=$(in_ct systemctl show -p MainPID --value captived)
  in_ct cat "/proc/$main/status" >"$work/status"
  [ "$(awk '$1 == "Uid:" {print $2}' "$work/status")" = "$captive_uid" ] || fail "captived runs as uid $(awk '$1 == "Uid:" {print $2}' "$work/status")"
  for c in CapEff CapPrm CapAmb CapBnd; do
    [ "$(awk -v k="$c:" '$1 == k {print $2}' "$work/status")" = 0000000000003000 ] || fail "$c: $(grep "^$c" "$work/status")"
  done
  [ "$(awk '$1 == "NoNewPrivs:" {print $2}' "$work/status")" = 1 ] || fail "NoNewPrivs not set"
  ok "captived runs as captive with CAP_NET_ADMIN and CAP_NET_RAW only, NoNewPrivs"
  in_ct captivectl status >"$work/status.out" 2>&1 || fail "captivectl status: $(cat "$work/status.out")"
  ok "captivectl status: $(tr '\n' ' ' <"$work/status.out" | tr -s ' ' | cut -c1-100)"
  # The nft child under the unit's sandbox (SystemCallFilter, ambient caps).
  in_ct nft flush ruleset
  for _ in $(seq 1 50); do
    in_ct journalctl -u captived --no-pager 2>/dev/null | grep -q 'table inet captive loaded in' && break
    sleep 0.2
  done
  in_ct journalctl -u captived --no-pager >"$work/captived.log" 2>&1
  grep -q 'table inet captive loaded in' "$work/captived.log" || fail "no restore after nft flush ruleset"
  in_ct nft list table inet captive >/dev/null 2>&1 || fail "table not back after the flush"
  ok "nft flush ruleset: captived's nft child loaded the table again inside the sandbox"
  # A restart: ExecStartPre finds the table and leaves it (and the sessions
  # in it) alone.
  in_ct systemctl restart captived || fail "systemctl restart captived"
  [ "$(in_ct systemctl is-active captived)" = active ] || fail "captived not active after a restart"
  in_ct journalctl -u captived --no-pager | grep -q 'table inet captive already loaded' ||
    fail "ExecStartPre at the restart did not leave the table alone"
  ok "systemctl restart captived: active; ExecStartPre left the loaded table alone"
  in_ct systemctl reload captived || fail "systemctl reload captived"
  [ "$(in_ct systemctl is-active captived)" = active ] || fail "captived not active after the reload"
  ok "systemctl reload captived (RELOADING=1/READY=1): active"
  in_ct systemctl stop captived || fail "systemctl stop captived"
  [ "$(in_ct systemctl show -p Result --value captived)" = success ] || fail "stop: Result=$(in_ct systemctl show -p Result --value captived)"
  in_ct journalctl -u captived --no-pager >"$work/captived.log" 2>&1
  ok "systemctl stop captived: Result=success"
  kill -TERM "$nspawn"
  for _ in $(seq 1 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$nspawn" 2>/dev/null && fail "the container did not halt"
  nspawn=
}

# The router: its LAN (br-lan, as /etc/captive/captived.conf says) in a
# namespace of our own; a documentation address.
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add br-lan type bridge
ip -n "$ns" addr add 192.0.2.1/24 dev br-lan
ip -n "$ns" link set br-lan up
grep -q '^lan br-lan' "$work/root/etc/captive/captived.conf" || fail "the shipped config does not say lan br-lan"
case $boot in
  nspawn) boot_with_systemd ;;
  chroot) run_like_the_unit ;;
esac
phase "checks"
echo "PASS"
