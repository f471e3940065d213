#!/usr/bin/env bash
# Builds the local container images the container-mode tests need (no registry is reachable,
# so nothing can be pulled) and prints their references on stdout, one a line; logs to stderr;
# exits non-zero if an image cannot be built. Run .ci/podman.sh first. Runs as root (CI) or
# with passwordless sudo.
#
#   localhost/kafkaingestion-test/postgres:15           Debian's PostgreSQL 15, speaking the
#                                                       official image's environment contract
#                                                       (.ci/images/postgres/entrypoint.sh)
#   localhost/kafkaingestion-test/kafka-standin:test    KafkaIngestion.Testing.KafkaStandIn,
#                                                       published self-contained (skipped, with
#                                                       a message, while that project is absent)
#
# Every image is a Debian bookworm minbase root filesystem (debootstrap, from the Debian mirror
# this machine's own apt sources name, or DEBIAN_MIRROR) plus what it needs, imported with
# `podman import`. Fast when nothing changed: each image carries a label with a hash of its
# inputs (this script's recipe, the files copied in, the project's sources) and is rebuilt only
# when the hash differs; the root filesystems are cached as tarballs under $CACHE.
#
#   bash .ci/images.sh --dotnet-image PROJECT.csproj REF   makes any .NET project into image REF
#                                                          (the same step), and nothing else
set -euo pipefail

log() { echo "images.sh: $*" >&2; }
fail() { log "error: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "needs root (or passwordless sudo)"
  exec sudo -n --preserve-env=DEBIAN_MIRROR bash "$0" "$@"
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KAFKAINGESTION_CI_CACHE:-/var/cache/kafkaingestion-ci}
SUITE=bookworm
LABEL=org.kafkaingestion.ci.inputs
mkdir -p "$CACHE"

for tool in podman debootstrap chroot tar sha256sum flock; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing: run .ci/podman.sh first"
done

# One run at a time per machine. On a developer's shared machine CPU-heavy steps also queue behind
# other heavy jobs (benchmarks), for at most 10 minutes; CI runs alone and takes no such lock (a
# process left holding it, such as a server started under it, would stall CI for good).
exec 9>"$CACHE/.lock"
flock 9
heavy() {
  if [ -n "${CI:-}" ]; then "$@"; return; fi
  exec 8>/tmp/heavy.lock
  flock -w 600 8 || log "the heavy-job lock is still held after 10 minutes: going on without it"
  "$@" 8>&-; local status=$?
  flock -u 8; exec 8>&-
  return "$status"
}

work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

hash() { sha256sum | cut -c1-32; }
# Hash of files (paths relative to $1, then contents), for cache keys.
hash_tree() {
  local dir=$1; shift
  (cd "$dir" && find "$@" -type f -not -path '*/bin/*' -not -path '*/obj/*' -print0 \
    | LC_ALL=C sort -z | xargs -0r sha256sum) | hash
}
seconds_since() { echo $(( $(date +%s) - $1 )); }

# --- apt, as this machine uses it ------------------------------------------------------------

# The Debian mirror: DEBIAN_MIRROR, else the URI of this machine's own apt source for $SUITE
# (deb822 *.sources first, then sources.list). Read at run time, never stored in the repo.
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local f line uris="" suites="" types="" found=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    while :; do
      IFS= read -r line || line=EOF
      case "$line" in
        ""|EOF)
          if [ -z "$found" ] && [[ " $types " == *" deb "* ]] && [[ " $suites " == *" $SUITE "* ]]; then
            found=${uris%% *}
          fi
          uris="" suites="" types=""
          [ "$line" = EOF ] && break ;;
        URIs:*) read -r uris <<<"${line#URIs:}" ;;
        Suites:*) read -r suites <<<"${line#Suites:}" ;;
        Types:*) read -r types <<<"${line#Types:}" ;;
      esac
    done < "$f"
    [ -n "$found" ] && break
  done
  if [ -z "$found" ] && [ -e /etc/apt/sources.list ]; then
    found=$(sed -nE "s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+${SUITE}[[:space:]].*/\2/p" \
      /etc/apt/sources.list | head -n 1)
  fi
  [ -n "$found" ] || fail "no apt source for Debian $SUITE on this machine: set DEBIAN_MIRROR to the URI of a Debian mirror"
  echo "$found"
}

# This machine's apt proxy and Release-date settings, passed to debootstrap and to apt in the
# chroot so that they reach the mirror the way the machine's own apt does.
apt_opts=()
eval "$(apt-config shell http_proxy Acquire::http::Proxy valid_until Acquire::Check-Valid-Until 2>/dev/null || true)"
if [ -n "${http_proxy:-}" ]; then export http_proxy; apt_opts+=(-o "Acquire::http::Proxy=$http_proxy"); fi
if [ -n "${valid_until:-}" ]; then apt_opts+=(-o "Acquire::Check-Valid-Until=$valid_until"); fi

# apt-get install in a root filesystem, then leave no caches, lists or host files behind.
chroot_install() {
  local root=$1; shift
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"   # start no services
  chmod 755 "$root/usr/sbin/policy-rc.d"
  local env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8)
  chroot "$root" "${env[@]}" apt-get "${apt_opts[@]}" -qq update >&2
  heavy chroot "$root" "${env[@]}" apt-get "${apt_opts[@]}" -qq -y --no-install-recommends install "$@" >&2
  rootfs_clean "$root"
}
rootfs_clean() {
  local root=$1
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root/usr/sbin/policy-rc.d" \
    "$root"/var/log/apt/* "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log
  : > "$root/etc/resolv.conf"          # Podman mounts its own; keep no host's nameserver
  echo localhost > "$root/etc/hostname"
}

# --- root filesystems (cached tarballs) ------------------------------------------------------

make_base() {
  local root=$1 mirror
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase $SUITE from this machine's Debian mirror"
  heavy debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >&2 \
    || fail "debootstrap failed (see above)"
  rootfs_clean "$root"
}

# Prints the path of a cached rootfs tarball NAME built by "make_base" and then MAKER (a
# function given the directory), building it when its recipe changed.
rootfs_tarball() {
  local name=$1 maker=$2 key file start root
  key=$( { echo "$SUITE $(dpkg --print-architecture)"; declare -f make_base rootfs_clean chroot_install "$maker"; } | hash)
  file="$CACHE/rootfs-$name-$key.tar"
  if [ ! -s "$file" ]; then
    start=$(date +%s)
    root="$work/rootfs-$name"
    if [ "$maker" = make_base ]; then
      make_base "$root"
    else
      mkdir "$root"
      tar --numeric-owner -C "$root" -xf "$(rootfs_tarball base make_base)"
      "$maker" "$root"
    fi
    tar --numeric-owner -C "$root" -cf "$file.tmp" .
    mv "$file.tmp" "$file"
    rm -rf --one-file-system "$root"
    find "$CACHE" -maxdepth 1 -name "rootfs-$name-*.tar" ! -name "rootfs-$name-$key.tar" -delete
    log "rootfs '$name' built in $(seconds_since "$start") s: $(du -h "$file" | cut -f1)"
  fi
  echo "$file"
}

# --- images ----------------------------------------------------------------------------------

image_current() {  # REF KEY: is REF there, built from inputs with hash KEY?
  [ "$(podman image inspect --format "{{index .Labels \"$LABEL\"}}" "$1" 2>/dev/null)" = "$2" ]
}

# podman import of a root filesystem directory as REF, labelled with KEY; further arguments are
# --change instructions. Removes the image REF named before, if nothing else names it.
import_image() {
  local root=$1 ref=$2 key=$3; shift 3
  local old changes=()
  old=$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  for c in "$@" "LABEL $LABEL=$key"; do changes+=(--change "$c"); done
  tar --numeric-owner -C "$root" -cf - . | podman import -q "${changes[@]}" - "$ref" >/dev/null \
    || fail "podman import of $ref failed"
  if [ -n "$old" ] && [ "$(podman image inspect --format '{{len .RepoTags}}' "$old" 2>/dev/null)" = 0 ]; then
    podman rmi "$old" >/dev/null 2>&1 || true
  fi
}

# PostgreSQL 15 from Debian, with our entrypoint (the official image's environment contract).
make_postgres() {
  local root=$1
  # Debian's postgresql package would create and configure a cluster "main"; the entrypoint
  # makes the one the container uses, in PGDATA.
  mkdir -p "$root/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' > "$root/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
  chroot_install "$root" postgresql-15
}
postgres_image() {
  local ref=localhost/kafkaingestion-test/postgres:15 key start root
  local entry="$repo/.ci/images/postgres/entrypoint.sh"
  key=$( { declare -f make_base rootfs_clean chroot_install make_postgres postgres_image import_image; sha256sum < "$entry"; } | hash)
  if image_current "$ref" "$key"; then log "$ref is up to date"; echo "$ref"; return; fi
  start=$(date +%s)
  root="$work/postgres"
  mkdir "$root"
  tar --numeric-owner -C "$root" -xf "$(rootfs_tarball postgres make_postgres)"
  [ -x "$root/usr/lib/postgresql/15/bin/postgres" ] || fail "no PostgreSQL 15 in the postgres rootfs"
  install -m 755 "$entry" "$root/entry.sh"
  install -d -m 700 -o "$(chroot "$root" id -u postgres)" -g "$(chroot "$root" id -g postgres)" \
    "$root/var/lib/postgresql/data"
  install -d -m 755 "$root/docker-entrypoint-initdb.d"
  import_image "$root" "$ref" "$key" \
    'ENTRYPOINT ["/entry.sh"]' 'CMD ["postgres"]' \
    'ENV PGDATA=/var/lib/postgresql/data' 'ENV LANG=C.UTF-8' \
    'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'EXPOSE 5432' 'STOPSIGNAL SIGINT'
  rm -rf --one-file-system "$root"
  log "$ref built in $(seconds_since "$start") s: $(podman image inspect --format '{{.Size}}' "$ref" | numfmt --to=iec)"
  echo "$ref"
}

# What a self-contained .NET app needs from the system besides glibc (InvariantGlobalization:
# no ICU): OpenSSL for System.Security.Cryptography and TLS, CA certificates, time zones.
make_dotnet() {
  chroot_install "$1" libssl3 ca-certificates tzdata
}

# The .NET project CSPROJ, published self-contained for linux-x64, as image REF: the published
# folder under /app, run as the non-root user app (uid 10001), CMD ["/app/<AssemblyName>"],
# ASPNETCORE_HTTP_PORTS=8080 as in Microsoft's .NET images (Kestrel's default is localhost only).
# The cache key covers the sources of the project and of the projects it references, the
# repository's build files and the SDK version.
dotnet_image() {
  local csproj=$1 ref=$2 key start root projects=() queue dir p ref_dir name
  if [ ! -f "$csproj" ]; then
    log "skipping $ref: project $csproj does not exist (yet)"
    return 0
  fi
  command -v dotnet >/dev/null 2>&1 || fail "dotnet is missing: $ref needs the .NET SDK"
  csproj=$(realpath "$csproj")
  queue=("$csproj")
  while [ "${#queue[@]}" -gt 0 ]; do          # the project and, transitively, its ProjectReferences
    p=${queue[0]}; queue=("${queue[@]:1}")
    [[ " ${projects[*]} " == *" $p "* ]] && continue
    projects+=("$p")
    while IFS= read -r ref_dir; do
      [ -n "$ref_dir" ] && queue+=("$(realpath -m "$(dirname "$p")/${ref_dir//\\//}")")
    done < <(grep -o '<ProjectReference[^>]*Include="[^"]*"' "$p" | sed 's/.*Include="\([^"]*\)"/\1/')
  done
  key=$( {
    declare -f make_base rootfs_clean chroot_install make_dotnet dotnet_image import_image
    dotnet --version
    for p in "${projects[@]}"; do echo "${p#"$repo"/}"; hash_tree "$(dirname "$p")" .; done
    for f in Directory.Build.props Directory.Build.targets Directory.Packages.props global.json NuGet.config nuget.config; do
      [ -f "$repo/$f" ] && { echo "$f"; sha256sum < "$repo/$f"; }
    done
    true
  } | hash)
  if image_current "$ref" "$key"; then log "$ref is up to date"; echo "$ref"; return; fi

  start=$(date +%s)
  log "publishing $(basename "$csproj") for $ref"
  # bin/ and obj/ under $work, not in the source tree: this runs as root, and a developer's own
  # builds must not find root-owned output in their checkout afterwards.
  heavy dotnet publish "$csproj" -c Release -r linux-x64 --self-contained -o "$work/publish" \
    --artifacts-path "$work/artifacts" -nologo -v quiet >&2 \
    || fail "dotnet publish of $csproj failed"
  name=$(dotnet msbuild "$csproj" -nologo -getProperty:AssemblyName -p:Configuration=Release)
  [ -x "$work/publish/$name" ] || fail "the publish output has no executable $name"
  grep -q '"System.Globalization.Invariant": true' "$work/publish/$name.runtimeconfig.json" \
    || fail "$name does not set InvariantGlobalization: the image has no ICU"

  root="$work/dotnet"
  mkdir "$root"
  tar --numeric-owner -C "$root" -xf "$(rootfs_tarball dotnet make_dotnet)"
  chroot "$root" groupadd --gid 10001 app
  chroot "$root" useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin app
  cp -a "$work/publish" "$root/app"
  chown -R 0:0 "$root/app"
  chmod -R a+rX "$root/app"
  rm -rf --one-file-system "$work/publish"
  import_image "$root" "$ref" "$key" \
    "CMD [\"/app/$name\"]" 'WORKDIR /app' 'USER 10001:10001' 'ENV DOTNET_RUNNING_IN_CONTAINER=true' \
    'ENV ASPNETCORE_HTTP_PORTS=8080'
  rm -rf --one-file-system "$root"
  log "$ref built in $(seconds_since "$start") s: $(podman image inspect --format '{{.Size}}' "$ref" | numfmt --to=iec)"
  echo "$ref"
}

if [ "${1:-}" = --dotnet-image ]; then
  [ "$#" -eq 3 ] || fail "usage: $0 --dotnet-image PROJECT.csproj REF"
  dotnet_image "$2" "$3"
  exit 0
fi

postgres_image
dotnet_image "$repo/KafkaIngestion.Testing.KafkaStandIn/KafkaIngestion.Testing.KafkaStandIn.csproj" \
  localhost/kafkaingestion-test/kafka-standin:test
