// A UDP sender for the guard's netns tests (python3 -c UDP_SENDER ADDR DST PORT COUNT SIZE, inside a namespace):
// COUNT datagrams of SIZE bytes to DST:PORT (a multicast group, a broadcast or a unicast address) from ADDR,
// multicast TTL 1 and no loopback, 50 at a time every 10 ms so that a small budget is measured, not a burst.
export const UDP_SENDER = `
import socket, sys, time
addr, dst, port, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(addr))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
s.bind((addr, 0))
payload = b'x' * size
for i in range(count):
    s.sendto(payload, (dst, port))
    if i % 50 == 49:
        time.sleep(0.01)
`;
