# shellcheck shell=bash
# client-status.sh: the body of the gateway's read-only client status script (renderClientStatus in
# src/core/render/pki.ts), after its header (PKI, CLIENT, CLIENT_NAMES, MGMT_SOCK) and mgmt.sh. Prints
#   ::cert name=NAME kind=ca|server|desktop|client status=valid|revoked|missing [not_after=YYYY-MM-DDTHH:MM:SSZ]
# for the CA, the server, the desktop, every declared client and every other client certificate issued, then
#   ::conn name=CN real=IP:PORT since=EPOCH_SECONDS
# for every client connected now (the management interface's 'status 3'). Changes nothing.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

set -u
export LC_ALL=C
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root (sudo bash $0): the PKI and the management socket are root's" >&2
  exit 1
fi
cert_line() { # cert_line NAME KIND STATUS [NOT_AFTER]
  printf '::cert name=%s kind=%s status=%s%s\n' "$1" "$2" "$3" "${4:+ not_after=$4}"
}
# The CA: its certificate.
if [ -s "$PKI/ca.crt" ]; then
  cert_line ca ca valid "$(date -u -d "$(openssl x509 -in "$PKI/ca.crt" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
else
  cert_line ca ca missing
fi
# Every other certificate from easy-rsa's index (V valid, E expired, R revoked): per name, the valid one
# that ends last, else the revoked one that ends last (a renewed name has both). Names rosvpn would never
# make are left out. Dates: UTCTime YYMMDDHHMMSSZ (years 1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ.
INDEX=$(awk -F'\t' '
  function iso(t, y) {
    if (length(t) == 13) { y = substr(t, 1, 2) + 0; y = (y < 50 ? 2000 : 1900) + y; t = y substr(t, 3) }
    return substr(t, 1, 4) "-" substr(t, 5, 2) "-" substr(t, 7, 2) "T" substr(t, 9, 2) ":" substr(t, 11, 2) ":" substr(t, 13, 2) "Z"
  }
  {
    if (!match($6, /\/CN=[^\/]*/)) next
    cn = substr($6, RSTART + 4, RLENGTH - 4)
    if (cn !~ /^[A-Za-z0-9][A-Za-z0-9._-]*$/) next
    end = iso($2)
    if ($1 == "V" || $1 == "E") { if (!(cn in valid) || end > valid[cn]) valid[cn] = end }
    else if ($1 == "R") { if (!(cn in revoked) || end > revoked[cn]) revoked[cn] = end }
    seen[cn] = 1
  }
  END {
    for (cn in seen) {
      if (cn in valid) print cn, "valid", valid[cn]
      else print cn, "revoked", revoked[cn]
    }
  }' "$PKI/index.txt" 2>/dev/null | sort)
cert_status() { # cert_status NAME KIND
  local name status end
  while read -r name status end; do
    if [ "$name" = "$1" ]; then
      cert_line "$1" "$2" "$status" "$end"
      return 0
    fi
  done <<<"$INDEX"
  cert_line "$1" "$2" missing
}
cert_status server server
cert_status "$CLIENT" desktop
for name in "${CLIENT_NAMES[@]}"; do cert_status "$name" client; done
while read -r name status end; do
  [ -n "$name" ] || continue
  case " server $CLIENT ${CLIENT_NAMES[*]} " in *" $name "*) continue ;; esac
  cert_line "$name" client "$status" "$end"
done <<<"$INDEX"
# The connected clients.
while read -r name _ real since; do
  [ -n "$name" ] && printf '::conn name=%s real=%s since=%s\n' "$name" "$real" "$since"
done < <(mgmt_clients 2>/dev/null)
