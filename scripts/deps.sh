#!/usr/bin/env bash
# deps.sh [build|test|guest|perf]... - install the Debian packages a job needs.
# Installs only what is missing; as root, or through sudo.
set -euo pipefail

build=(build-essential cmake pkg-config liburing-dev libaio-dev zlib1g-dev libzstd-dev libfdt-dev)
test=(clang libclang-rt-14-dev qemu-utils e2fsprogs genisoimage iproute2 device-tree-compiler qemu-system-misc)
guest=(gcc-riscv64-linux-gnu gcc-riscv64-unknown-elf linux-source-6.1 opensbi qemu-system-misc bc flex bison
       libssl-dev libelf-dev cpio xz-utils dpkg-dev kmod)
perf=(fio qemu-system-misc qemu-utils python3 linux-perf binutils)

want=()
for set in "${@:-build}"; do
  case "$set" in
    build) want+=("${build[@]}") ;;
    test) want+=("${build[@]}" "${test[@]}" "${guest[@]}") ;;
    guest) want+=("${guest[@]}") ;;
    perf) want+=("${build[@]}" "${perf[@]}" "${guest[@]}") ;;
    *) echo "deps.sh: unknown package set '$set' (build, test, guest or perf)" >&2; exit 1 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps.sh: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
