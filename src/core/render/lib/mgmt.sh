# shellcheck shell=bash
# mgmt.sh: one command to the OpenVPN server's management interface, a root-only unix socket
# (management MGMT_SOCK unix + management-client-user root in the server config), through python3.
# Needs MGMT_SOCK. Part of the gateway's scripts (gateway.sh, pki.sh) and of its client status script.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- OpenVPN management -------------------------------------------------------
# mgmt COMMAND: prints the server's reply (up to SUCCESS:, ERROR: or END; real-time >… lines skipped).
# Exit 0 on a reply, 1 on an ERROR: reply, 2 when there is no socket (the server is not running), other
# when the server did not answer within 10 s. The interface takes one client at a time: a second waits.
mgmt() {
  [ -S "$MGMT_SOCK" ] || return 2
  python3 - "$MGMT_SOCK" "$1" <<'PY'
import socket, sys

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(sys.argv[1])
reader = sock.makefile('rb')


def line():
    raw = reader.readline()
    if not raw:
        sys.exit('the management interface closed the connection')
    return raw.decode('utf-8', 'replace').rstrip('\r\n')


while not line().startswith('>INFO:'):
    pass
sock.sendall(sys.argv[2].encode() + b'\n')
status = 0
while True:
    reply = line()
    if reply.startswith('>'):
        continue
    print(reply)
    if reply.startswith('ERROR:'):
        status = 1
    if reply.startswith(('SUCCESS:', 'ERROR:')) or reply == 'END':
        break
sock.sendall(b'quit\n')
sys.exit(status)
PY
}
# mgmt_clients: one line "CN CLIENT_ID REAL_ADDRESS SINCE_EPOCH" per connected client ('status 3', found by
# the column names of its tab-separated CLIENT_LIST header). A real address may carry OpenVPN's address
# family prefix or an IPv4-mapped IPv6 form: both are dropped. Names rosvpn would never make are left out.
mgmt_clients() {
  local out
  out=$(mgmt 'status 3') || return
  printf '%s\n' "$out" | awk -F'\t' '
    $1 == "HEADER" && $2 == "CLIENT_LIST" { for (i = 3; i <= NF; i++) col[$i] = i - 1; next }
    $1 == "CLIENT_LIST" && ("Common Name" in col) {
      cn = $(col["Common Name"]); cid = $(col["Client ID"]); real = $(col["Real Address"]); since = $(col["Connected Since (time_t)"])
      sub(/^\[AF_INET6?\]/, "", real); sub(/^::ffff:/, "", real)
      if (cn ~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/ && cid ~ /^[0-9]+$/ && since ~ /^[0-9]+$/) print cn, cid, real, since
    }'
}
