#!/usr/bin/env bash
# Builds a Debian base image from Debian packages alone, for machines that reach a Debian mirror but no image
# registry: debootstrap --variant=minbase, then podman import. The result is the BASE build argument of
# docker/Dockerfile (and of docker/Dockerfile.cuda's build stage).
#
# Usage: docker/local-base.sh [--force] [--image NAME] [--suite SUITE] [--mirror URL]
#   --force    rebuild even when the image exists
#   --image    image name (default localhost/protospark-base:SUITE; env PROTOSPARK_BASE_IMAGE)
#   --suite    Debian suite (default bookworm), or an Ubuntu one (focal = Ubuntu 20.04, the OS of the CUDA image)
#   --mirror   mirror (default http://deb.debian.org/debian, or http://archive.ubuntu.com/ubuntu for Ubuntu suites;
#              env DEBIAN_MIRROR)
# The image's apt sources are the suite, its -updates and its -security (Ubuntu: main and universe, as the ubuntu
# images have). Needs root (debootstrap), podman and debootstrap: apt-get install podman runc debootstrap
set -euo pipefail
prog=$(basename -- "$0")

image=${PROTOSPARK_BASE_IMAGE:-}
suite=bookworm
mirror=${DEBIAN_MIRROR:-}
force=0

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }
while (($# > 0)); do
  case $1 in
    --force) force=1; shift ;;
    --image) (($# >= 2)) || die "--image needs a name"; image=$2; shift 2 ;;
    --suite) (($# >= 2)) || die "--suite needs a name"; suite=$2; shift 2 ;;
    --mirror) (($# >= 2)) || die "--mirror needs a URL"; mirror=$2; shift 2 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

case $suite in
  bionic | focal | jammy | noble)
    mirror=${mirror:-http://archive.ubuntu.com/ubuntu}
    sources="deb $mirror $suite main universe
deb $mirror $suite-updates main universe
deb http://security.ubuntu.com/ubuntu $suite-security main universe"
    include=--components=main,universe ;;
  *)
    mirror=${mirror:-http://deb.debian.org/debian}
    sources="deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main"
    include= ;;
esac
image=${image:-localhost/protospark-base:$suite}

command -v podman > /dev/null || die "podman is not installed (apt-get install podman runc)"
if ((force == 0)) && podman image exists "$image"; then
  printf '%s: %s exists (--force rebuilds it)\n' "$prog" "$image" >&2
  printf '%s\n' "$image"
  exit 0
fi
command -v debootstrap > /dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
(($(id -u) == 0)) || die "debootstrap needs root"

start=$(date +%s)
root=$(mktemp -d "${TMPDIR:-/var/tmp}/protospark-base.XXXXXX")
trap 'rm -rf -- "$root"' EXIT
printf '%s: debootstrap --variant=minbase %s from %s ...\n' "$prog" "$suite" "$mirror" >&2
debootstrap --variant=minbase ${include:+"$include"} "$suite" "$root" "$mirror" > "$root.log" 2>&1 \
  || { tail -n 20 "$root.log" >&2; rm -f -- "$root.log"; die "debootstrap failed (see above)"; }
rm -f -- "$root.log"
# no package lists or downloaded .debs in the image: every Dockerfile runs apt-get update itself
printf '%s\n' "$sources" > "$root/etc/apt/sources.list"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*
printf '%s: importing into podman as %s ...\n' "$prog" "$image" >&2
tar --numeric-owner -C "$root" -c . \
  | podman import --quiet --change 'CMD ["/bin/bash"]' --message "debootstrap --variant=minbase $suite $mirror" - "$image" > /dev/null
size=$(podman image inspect --format '{{.Size}}' "$image")
printf '%s: built %s in %d s (%d MB)\n' "$prog" "$image" $(($(date +%s) - start)) $((size / 1000000)) >&2
printf '%s\n' "$image"
