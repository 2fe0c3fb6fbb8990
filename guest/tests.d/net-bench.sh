#!/bin/sh
# net-bench ADDR/PREFIX HOST PORT MIB: TCP throughput with busybox nc + dd.
# First sends MIB MiB of zeros to HOST:PORT (the host times it), then
# listens on PORT and discards what the host sends. Prints NET-BENCH-DONE.
addr=$1 host=$2 port=$3 mib=$4
ip link set eth0 up && ip addr add "$addr" dev eth0 || exit 1
i=0
until ping -c 1 -W 1 "$host" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 60 ] || { echo "NET-BENCH-FAIL no host"; exit 1; }
done
i=0
until dd if=/dev/zero bs=64k count=$((mib * 16)) 2>/dev/null | nc "$host" "$port"; do
	i=$((i + 1)); [ $i -lt 30 ] || { echo "NET-BENCH-FAIL send"; exit 1; }
	sleep 1
done
echo "NET-BENCH-LISTEN"
nc -l -p "$port" >/dev/null
echo "NET-BENCH-DONE"
