#!/usr/bin/env bash
# The net suite, ringvm against qemu-system-riscv64 with the same guest, the
# same tap setup and the same tool (nettool, perf/guest-bench/nettool.c, on
# both ends), each emulator in a private network namespace:
#  - tap TCP guest->host: the guest sends MIB MiB, the host sink times first
#    byte to EOF;
#  - tap TCP host->guest: the host sends MIB MiB and its time ends when the
#    guest's sink has replied with the byte count (everything received);
#  - tap UDP pps: the guest fires 64-byte datagrams for SECS seconds, the
#    host counts what arrives (first to last datagram);
#    the emulator's CPU time (all threads, /proc) during that send, per
#    GiB, is reported too: less sensitive to the shared host's load;
#  - VM<->VM TCP over a socket stream netdev (listen/connect on 127.0.0.1):
#    two guests, the sender's figure (ends at the receiver's reply);
#  - host loopback TCP with the same tool, as the ceiling.
# ROUNDS rounds (default 2), each ringvm and QEMU back to back (alternating
# which goes first); per metric the
# median of the per-round ratios, so load drift on the shared host cancels
# (all of them in round_ratios: on a loaded host they spread widely).
# JSON lines on stdout. Needs root and /dev/net/tun.
# Env: RINGVM_BUILD (default build/release), RINGVM_PERF_NET_MIB (64),
# RINGVM_PERF_NET_SECS (5), ROUNDS (2), RINGVM_GUEST (guest dir override),
# RINGVM_PERF_NET_KEEP (directory for the logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${RINGVM_BUILD:-$root/build/release}
mib=${RINGVM_PERF_NET_MIB:-64}
secs=${RINGVM_PERF_NET_SECS:-5}
rounds=${ROUNDS:-2}
nt="$build/perf/guest-bench/ringvm-nettool"
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] || { echo "perf/net needs root and /dev/net/tun" >&2; exit 1; }
[ -x "$nt" ] || { echo "perf/net: $nt missing (build first)" >&2; exit 1; }
guest=${RINGVM_GUEST:-$("$root/guest/build.sh" | tail -n 1)}
tmp=$(mktemp -d)
# RINGVM_PERF_NET_KEEP=DIR keeps the consoles and tool outputs there.
trap 'if [ -n "${RINGVM_PERF_NET_KEEP:-}" ]; then mkdir -p "$RINGVM_PERF_NET_KEEP"; cp "$tmp"/* "$RINGVM_PERF_NET_KEEP/"; fi; rm -rf "$tmp"' EXIT
export nt guest tmp mib secs build

# vm EMU LOG ARGS NETOPTS...: boot the guest with ringvm.run=net-perf in the
# background (its pid in $!), console to LOG.
cat >"$tmp/vm" <<'EOS'
#!/usr/bin/env bash
emu=$1 log=$2 args=$3; shift 3
app="console=ttyS0 quiet ringvm.run=net-perf ringvm.args=$args"
if [ "$emu" = qemu ]; then
	exec timeout 600 qemu-system-riscv64 -M virt -m 256M -display none -monitor none \
		-serial stdio -bios default -kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" \
		-append "$app" "$@" </dev/null >"$log" 2>&1
fi
exec timeout 600 "$build/ringvm" -accel jit -M virt -m 256M -nographic \
	-kernel "$guest/Image" -initrd "$guest/initramfs.cpio.gz" -append "$app" "$@" \
	</dev/null >"$log" 2>&1
EOS
chmod +x "$tmp/vm"

tap_round() { # EMU N -> $tmp/EMU.N.{g2h,h2g,udp,log}
	local emu=$1 n=$2
	export emu n
	unshare -n bash -c '
		ip link set lo up
		ip tuntap add dev rvtap0 mode tap
		ip addr add 10.9.0.1/24 dev rvtap0
		ip link set rvtap0 up
		o=$tmp/$emu.$n
		"$nt" sink 5001 >$o.g2h 2>&1 & sp=$!
		"$nt" -t 300 udpsink 5002 2 >$o.udp 2>&1 & up=$!
		"$tmp/vm" $emu $o.log 10.9.0.2/24,10.9.0.1,send:10.9.0.1:5001:$mib,sink:5001,udpsend:10.9.0.1:5002:64:$secs \
			-netdev tap,id=n0,ifname=rvtap0,script=no,downscript=no,vnet_hdr=on \
			-device virtio-net-device,netdev=n0 &
		vp=$!
		wait $sp
		ep=$(pgrep -P $vp | head -n 1) # the emulator (under timeout)
		cpu() { awk "{ print \$14 + \$15 }" /proc/$ep/stat 2>/dev/null || echo 0; }
		for i in $(seq 100); do
			c0=$(cpu)
			if "$nt" send 10.9.0.2 5001 $mib >$o.h2g 2>&1; then
				# emulator CPU (all threads) per GiB received: load-robust
				echo "NETTOOL cpu ms_per_gib $(( ($(cpu) - c0) * 10 * 1024 / mib ))" >$o.cpu
				break
			fi
			sleep 0.3
		done
		wait $up
		wait $vp
	' || true
}

sock_round() { # EMU N -> $tmp/EMU.N.{v2v,s1,s2}
	local emu=$1 n=$2
	export emu n
	unshare -n bash -c '
		ip link set lo up
		o=$tmp/$emu.$n
		"$tmp/vm" $emu $o.s1 10.3.0.1/24,10.3.0.2,sink:5003 \
			-netdev socket,id=n0,listen=127.0.0.1:7001 \
			-device virtio-net-device,netdev=n0,mac=52:54:00:00:03:01 &
		sleep 1
		"$tmp/vm" $emu $o.s2 10.3.0.2/24,10.3.0.1,send:10.3.0.1:5003:$mib \
			-netdev socket,id=n0,connect=127.0.0.1:7001 \
			-device virtio-net-device,netdev=n0,mac=52:54:00:00:03:02 &
		wait
	' || true
}

loopback() { # host TCP over lo with nettool, Mbit/s
	unshare -n bash -c '
		ip link set lo up
		"$nt" sink 5004 >/dev/null & sp=$!
		sleep 0.2
		"$nt" send 127.0.0.1 5004 $((mib * 8))
		wait $sp
	' | awk '$2 == "send" { print $NF }'
}

# field FILE KEY: the number after "mbps"/"pps" on the NETTOOL line of FILE.
field() { awk -v k="$2" '$1 == "NETTOOL" { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1" 2>/dev/null | tail -n 1; }

for n in $(seq "$rounds"); do
	order="ringvm qemu"; [ $((n % 2)) -eq 0 ] && order="qemu ringvm" # no order bias
	for emu in $order; do
		tap_round $emu "$n"
		sock_round $emu "$n"
		for f in g2h h2g udp cpu; do echo "$emu round $n $f: $(cat "$tmp/$emu.$n.$f" 2>/dev/null | grep NETTOOL | tail -n 1)" >&2; done
		grep -h "NETTOOL send" "$tmp/$emu.$n.s2" >&2 || { echo "$emu round $n v2v: no figure" >&2; tail -n 5 "$tmp/$emu.$n.s1" "$tmp/$emu.$n.s2" >&2; }
	done
done
lo=$(loopback)

# report METRIC UNIT FILESUFFIX KEY: median of ringvm/qemu ratios over rounds,
# with the round whose ratio is the median giving the absolute figures.
report() {
	local metric=$1 unit=$2 suf=$3 key=$4 rows="" n r q
	for n in $(seq "$rounds"); do
		r=$(field "$tmp/ringvm.$n.$suf" "$key"); q=$(field "$tmp/qemu.$n.$suf" "$key")
		[ -n "$r" ] && [ -n "$q" ] && rows+="$r $q"$'\n'
	done
	[ -n "$rows" ] || { printf '{"suite":"net","metric":"%s","value":null,"unit":"%s","anchor":"qemu-system-riscv64","anchor_value":null}\n' "$metric" "$unit"; return; }
	awk -v m="$metric" -v u="$unit" -v lo="$lo" 'NF == 2 && $2 > 0 { r[NR] = $1 / $2; a[NR] = $1; b[NR] = $2; k++ }
		END { # pick the median ratio (lower middle)
			for (i in r) { c = 0; for (j in r) if (r[j] < r[i] || (r[j] == r[i] && j < i)) c++; if (c == int((k - 1) / 2)) p = i }
			all = ""; for (i = 1; i <= NR; i++) if (i in r) all = all (all == "" ? "" : ",") sprintf("%.2f", r[i])
			printf "{\"suite\":\"net\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"anchor\":\"qemu-system-riscv64\",\"anchor_value\":%s,\"ratio\":%.2f,\"rounds\":%d,\"round_ratios\":[%s]%s}\n",
				m, a[p], u, b[p], r[p], k, all, (u == "Mbit/s" ? ",\"loopback_ceiling\":" lo : u == "ms/GiB" ? ",\"better\":\"lower\"" : "") }' <<<"$rows"
}
report tap_tcp_guest_to_host Mbit/s g2h mbps
report tap_tcp_host_to_guest Mbit/s h2g mbps
report tap_udp64_guest_to_host_pps packets/s udp pps
report tap_tcp_host_to_guest_cpu ms/GiB cpu ms_per_gib
report socket_stream_tcp_vm_to_vm Mbit/s s2 mbps
