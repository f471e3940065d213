#!/usr/bin/env bash
# Installs Podman (Debian's, with runc) and the tools .ci/images.sh needs (debootstrap, kcat),
# configures Podman the way it works on our machines, and proves it by running a container.
# Prints "podman" on success; logs to stderr; exits non-zero if it cannot.
# Runs as root (CI) or with passwordless sudo. Safe to run again: it changes only what is missing.
#
# Why the configuration (see the build-machine notes): Debian's default runtime crun stops with
# "cgroups in hybrid mode not supported" here, and Podman's default ulimits exceed the hard
# limits our sessions get (nofile 20000; CAP_SYS_RESOURCE is dropped), so every container fails
# at setrlimit. runc and ulimits of 20000 work.
set -uo pipefail

log() { echo "podman.sh: $*" >&2; }
fail() { log "$*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "needs root (or passwordless sudo)"
  exec sudo -n bash "$0" "$@"
fi

packages=(podman runc debootstrap kcat)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2 \
    || fail "apt-get could not install ${missing[*]}"
fi

# The two settings, in force whatever else is configured. A machine with no
# /etc/containers/containers.conf gets exactly this file; one that already has its own keeps it
# and gets a drop-in instead (Podman 4.3 merges /etc/containers/containers.conf.d/*.conf after
# containers.conf, so the drop-in wins for these two keys only).
settings='# Written by .ci/podman.sh (KafkaIngestion CI): see that script for why.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]

[engine]
runtime = "runc"'
conf=/etc/containers/containers.conf
dropin=/etc/containers/containers.conf.d/50-kafkaingestion-ci.conf
mkdir -p /etc/containers
if [ ! -e "$conf" ] || [ "$(cat "$conf")" = "$settings" ]; then
  [ -e "$conf" ] || log "writing $conf"
  printf '%s\n' "$settings" > "$conf"
else
  if [ ! -e "$dropin" ] || [ "$(cat "$dropin")" != "$settings" ]; then
    log "$conf exists with settings of its own: writing $dropin"
    mkdir -p "$(dirname "$dropin")"
    printf '%s\n' "$settings" > "$dropin"
  fi
fi

podman info >/dev/null 2>&1 || { podman info >&2; fail "podman info failed"; }
runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null)
[ "$runtime" = runc ] || fail "Podman's OCI runtime is '$runtime', not runc: another containers.conf drop-in overrides ours?"

# A real container: a throwaway image of the host's own /bin/sh and the libraries it loads
# (a few hundred KB, imported in a second; nothing to pull), which reports its limits.
probe=localhost/kafkaingestion-test/podman-probe:latest
if ! podman image exists "$probe"; then
  dir=$(mktemp -d) || fail "mktemp failed"
  trap 'rm -rf "$dir"' EXIT
  mkdir -p "$dir/bin" "$dir/proc" "$dir/dev" "$dir/sys" "$dir/etc"
  cp -L /bin/sh "$dir/bin/sh"
  for lib in $(ldd /bin/sh | grep -o '/[^ ]*'); do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
  tar -C "$dir" -cf - . | podman import -q --change 'CMD ["/bin/sh"]' - "$probe" >/dev/null \
    || fail "podman import of the probe image failed"
fi
out=$(podman run --rm "$probe" /bin/sh -c 'echo ok; while read -r l; do echo "$l"; done < /proc/self/limits' 2>&1) \
  || { printf '%s\n' "$out" >&2; fail "podman run failed"; }
printf '%s\n' "$out" | grep -q '^ok$' || { printf '%s\n' "$out" >&2; fail "the probe container did not run"; }
printf '%s\n' "$out" | grep -Eq '^Max open files +20000 +20000 ' \
  || { printf '%s\n' "$out" >&2; fail "the containers' nofile limit is not 20000: default_ulimits not in force"; }

log "Podman works: $(podman --version), runtime runc"
echo podman
