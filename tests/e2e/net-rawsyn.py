#!/usr/bin/env python3
# Run inside a container (CAP_NET_RAW): sends a hand-made TCP SYN to
# DADDR:DPORT out of eth0, addressed at the link layer to the gateway (so
# the host routes it whatever DADDR is, 127.0.0.1 too), and prints "synack"
# when a SYN-ACK from DADDR:DPORT comes back within two seconds, else "none".
# DADDR "gateway": the gateway's own address.
# Used by 081-network-ports.bats to check that route_localnet on box's
# bridge does not open the host's loopback services to containers
# (CVE-2020-8558).
import os
import random
import socket
import struct
import sys
import time

daddr, dport = sys.argv[1], int(sys.argv[2])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


gw = next(l.split()[2] for l in open("/proc/net/route") if l.split()[1] == "00000000")
gw = socket.inet_ntoa(struct.pack("<I", int(gw, 16)))
if daddr == "gateway":
    daddr = gw
# our address, and the gateway's MAC in the ARP table (a datagram to it
# makes the kernel resolve it)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect((gw, 9))
saddr = u.getsockname()[0]
mac = None
for _ in range(50):
    try:
        u.send(b"x")
    except OSError:
        pass
    for l in list(open("/proc/net/arp"))[1:]:
        f = l.split()
        if f[0] == gw and f[3] != "00:00:00:00:00:00":
            mac = bytes.fromhex(f[3].replace(":", ""))
    if mac:
        break
    time.sleep(0.1)
if not mac:
    sys.exit("no ARP entry for the gateway " + gw)

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0x0800))
own = s.getsockname()[4]
sport = random.randrange(40000, 60000)
src, dst = socket.inet_aton(saddr), socket.inet_aton(daddr)
tcp = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), os.getpid() & 0xFFFF, 0, 64, 6, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s.send(mac + own + b"\x08\x00" + ip + tcp)

s.settimeout(0.2)
end = time.time() + 2
while time.time() < end:
    try:
        pkt, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 14 + 40:
        continue
    h = pkt[14:]
    ihl = (h[0] & 15) * 4
    if h[9] != 6 or h[12:16] != dst:
        continue
    sp, dp = struct.unpack("!HH", h[ihl:ihl + 4])
    if sp == dport and dp == sport and h[ihl + 13] & 0x12 == 0x12:
        print("synack")
        sys.exit(0)
print("none")
