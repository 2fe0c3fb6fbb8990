# hping.py ADDR: 3 ICMP echoes from the host (raw socket; no ping(8) needed).
import os, select, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ok = 0
for seq in range(3):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x5256, seq) + b"ringvm-ping-0123"
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    s.sendto(body, (sys.argv[1], 0))
    end = time.monotonic() + 2
    while time.monotonic() < end:
        if not select.select([s], [], [], end - time.monotonic())[0]:
            break
        pkt = s.recv(2048)
        icmp = pkt[(pkt[0] & 15) * 4:]
        if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (0x5256, seq):
            ok += 1
            break
print("%d/3 echo replies from %s" % (ok, sys.argv[1]))
sys.exit(0 if ok == 3 else 1)
