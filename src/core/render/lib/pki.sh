# shellcheck shell=bash
# pki.sh: the gateway's identities. The CA (its key encrypted with a passphrase that never touches the disk),
# one certificate per declared identity (the server, the desktop gateway, each client), revocation of any
# other, the CRL published without restarting OpenVPN, the client-config-dir files and the profiles.
# Needs step.sh, file.sh, mgmt.sh, the variables of the rendered header (PKI, EASYRSA_DIR, TOPOLOGY, CLIENT,
# CLIENT_NAMES, CLIENT_IPS, CLIENT_MASKS, ROTATE, CCD_DIR, CRL_PUBLIC, TLS_CRYPT_KEY, MGMT_SOCK, PROFILE_DIR,
# CLIENT_PROFILES_DIR) and a function profile_options printing the profile's options.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.
# shellcheck disable=SC2034 # OPENVPN_DIRTY is read by the callers of pki_certs, which this file does not contain

# ---- the CA passphrase --------------------------------------------------------
# rosvpn uploads the passphrase of the CA key for one run to a file in RAM, /dev/shm/rosvpn-ca.<random>
# (never the disk, never a command line), and passes --ca-pass-file PATH. The file is removed as soon as
# the CA key is no longer needed, and when the script ends whatever happens: after die, a failed command,
# or HUP (the SSH session lost), INT and TERM, which exit through the EXIT trap.
CA_PASS_FILE=''
ca_pass_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --ca-pass-file)
        [ $# -ge 2 ] || die "--ca-pass-file needs a path"
        # Only a file of this name is ever removed: a mistyped path must not delete someone's file.
        [[ $2 =~ ^/dev/shm/rosvpn-ca\.[A-Za-z0-9]+$ ]] ||
          die "--ca-pass-file must name a file /dev/shm/rosvpn-ca.<letters or digits> (in RAM, removed when the script ends), not $2"
        CA_PASS_FILE=$2
        trap ca_pass_forget EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
        shift 2
        ;;
      *) die "unknown argument '$1'; usage: sudo bash $0 [--ca-pass-file /dev/shm/rosvpn-ca.XXXX]" ;;
    esac
  done
  if [ -n "$CA_PASS_FILE" ] && { [ -L "$CA_PASS_FILE" ] || [ ! -f "$CA_PASS_FILE" ]; }; then
    die "the CA passphrase file $CA_PASS_FILE does not exist (or is not a regular file)"
  fi
}
CA_PASS_OUT=''
ca_pass_forget() {
  if [ -n "$CA_PASS_FILE" ]; then rm -f -- "$CA_PASS_FILE"; fi
  if [ -n "$CA_PASS_OUT" ]; then rm -f -- "$CA_PASS_OUT"; fi
  CA_PASS_FILE=''
  CA_PASS_OUT=''
}

# ---- certificates ---------------------------------------------------------------
# Lifetimes in days: the CA 10 years (it cannot be renewed in place), the server 825 (the longest every TLS
# client accepts), the desktop and the clients one year; the CRL 10 years, made again when under 180 days
# remain (OpenVPN refuses everyone once it has expired). A certificate within 30 days of its end is renewed.
CA_DAYS=3650
SERVER_DAYS=825
CLIENT_DAYS=365
CRL_DAYS=3650
CRL_REFRESH_DAYS=180
RENEW_DAYS=30

# easyrsa_days DAYS COMMAND...: easy-rsa in batch mode with EC keys (fast, no dh.pem), quiet unless it fails,
# DAYS the lifetime of a certificate it issues. The CA passphrase reaches it only as file:PATH in
# EASYRSA_PASSIN/EASYRSA_PASSOUT, never on a command line.
easyrsa_days() {
  local days=$1 out
  shift
  if ! out=$(
    export EASYRSA="$EASYRSA_DIR" EASYRSA_PKI="$PKI" EASYRSA_BATCH=1 EASYRSA_ALGO=ec EASYRSA_CURVE=prime256v1 \
      EASYRSA_CA_EXPIRE="$CA_DAYS" EASYRSA_CERT_EXPIRE="$days" EASYRSA_CRL_DAYS="$CRL_DAYS"
    if [ -n "$CA_PASS_FILE" ]; then export EASYRSA_PASSIN="file:$CA_PASS_FILE"; fi
    # openssl reads the second line of a file named by both -passin and -passout: a copy for the output.
    if [ -n "$CA_PASS_OUT" ]; then export EASYRSA_PASSOUT="file:$CA_PASS_OUT"; fi
    "$EASYRSA_DIR/easyrsa" "$@" 2>&1
  ); then
    printf '%s\n' "$out" >&2
    die "easy-rsa $1 failed: $(grep -v '^[[:space:]]*$' <<<"$out" | tail -n 3 | tr '\n' ' ')"
  fi
}
easyrsa() { easyrsa_days "$CLIENT_DAYS" "$@"; }
in_list() { # in_list WORD LIST...
  local w=$1 x
  shift
  for x in "$@"; do [ "$x" = "$w" ] && return 0; done
  return 1
}
# A name rosvpn may hand to easy-rsa, the management interface and a file name.
safe_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; }
# ca_state: CA_STATE=none (no CA yet), plain (an unencrypted key, from an older rosvpn) or encrypted. (A
# variable, not output: die in a command substitution would end only the subshell, its message swallowed.)
ca_state() {
  local crt=0 key=0
  [ -s "$PKI/ca.crt" ] && crt=1
  [ -s "$PKI/private/ca.key" ] && key=1
  case "$crt$key" in
    00) CA_STATE=none ;;
    11) if [[ $(print_file "$PKI/private/ca.key") == *ENCRYPTED* ]]; then CA_STATE=encrypted; else CA_STATE=plain; fi ;;
    *) die "the PKI in $PKI is damaged: it has $([ $crt = 1 ] && echo 'ca.crt but no private/ca.key' || echo 'private/ca.key but no ca.crt'). Move it aside (mv $PKI $PKI.broken-$(date +%F)) and provision again: a new CA, after which every profile must be downloaded again and the desktop and client hosts provisioned again" ;;
  esac
}
# cert_state NAME: ok, missing, broken (its key is gone) or expiring (within RENEW_DAYS).
cert_state() {
  if [ ! -s "$PKI/issued/$1.crt" ]; then
    echo missing
  elif [ ! -s "$PKI/private/$1.key" ]; then
    echo broken
  elif ! lasts "$PKI/issued/$1.crt" x509 $((RENEW_DAYS * 86400)); then
    echo expiring
  else
    echo ok
  fi
}
not_after() { openssl x509 -in "$1" -noout -enddate | cut -d= -f2; }
# pki_end FILE x509|crl: PKI_END= the second (since 1970) a certificate ends (notAfter) or a CRL wants its
# successor (nextUpdate); '' when openssl cannot read it. OpenSSL 3 takes some 30 ms to start, so the answer is
# kept in $PKI/rosvpn-dates/ (easy-rsa leaves other files alone), next to the text of the file it is for, and
# reused while the file holds exactly that text: a rerun reads no certificate with openssl.
pki_end() {
  local memo text cached out
  memo=$PKI/rosvpn-dates/${1##*/}
  PKI_END=''
  IFS= read -r -d '' text <"$1" || true
  if [ -f "$memo" ]; then
    IFS= read -r -d '' cached <"$memo" || true
    if [ "${cached#*$'\n'}" = "$text" ] && [[ ${cached%%$'\n'*} =~ ^[0-9]+$ ]]; then
      PKI_END=${cached%%$'\n'*}
      return 0
    fi
  fi
  if [ "$2" = crl ]; then
    out=$(openssl crl -in "$1" -noout -nextupdate 2>/dev/null) || return 0
  else
    out=$(openssl x509 -in "$1" -noout -enddate 2>/dev/null) || return 0
  fi
  PKI_END=$(date -u -d "${out#*=}" +%s) || { PKI_END=''; return 0; }
  install -d -m 700 "${memo%/*}"
  printf '%s\n%s' "$PKI_END" "$text" >"$memo"
}
# lasts FILE x509|crl SECONDS: FILE is good for more than SECONDS from now (openssl x509 -checkend SECONDS).
lasts() {
  local now
  pki_end "$1" "$2"
  printf -v now '%(%s)T' -1
  [ -n "$PKI_END" ] && [ $((PKI_END - now)) -gt "$3" ]
}
# plan_cert KIND NAME: what the certificate NAME (KIND server, desktop or client) needs, into ISSUE, REVOKE and
# NEEDS (the reasons to unlock the CA key).
plan_cert() {
  local kind=$1 name=$2 state
  state=$(cert_state "$name")
  if in_list "$name" "${ROTATE[@]}"; then
    NEEDS+=("rotate $name")
    if [ "$state" != missing ]; then REVOKE+=("$name superseded rotated"); fi
  else
    case "$state" in
      ok) return 0 ;;
      missing) NEEDS+=("issue $name") ;;
      broken)
        NEEDS+=("issue $name again (its key is missing)")
        REVOKE+=("$name superseded replaced")
        ;;
      expiring)
        NEEDS+=("renew $name (it expires $(not_after "$PKI/issued/$name.crt"))")
        REVOKE+=("$name superseded renewed")
        ;;
    esac
  fi
  ISSUE+=("$kind $name")
}
# The CRL is made again when it is missing or near its end (nextUpdate). Asked twice a run (the plan, then
# before gen-crl): the first answer is kept until something remakes the PKI or revokes (CRL_STALE='').
CRL_STALE=''
crl_stale() {
  if [ -z "$CRL_STALE" ]; then
    CRL_STALE=1
    if [ -s "$PKI/crl.pem" ] && lasts "$PKI/crl.pem" crl $((CRL_REFRESH_DAYS * 86400 - 1)); then CRL_STALE=0; fi
  fi
  [ "$CRL_STALE" = 1 ]
}
# pki_plan: fills ISSUE ("KIND NAME"), REVOKE ("NAME REASON WHY") and NEEDS; nothing is changed.
pki_plan() {
  local crt name
  ISSUE=()
  REVOKE=()
  NEEDS=()
  plan_cert server server
  plan_cert desktop "$CLIENT"
  for name in "${CLIENT_NAMES[@]}"; do plan_cert client "$name"; done
  for crt in "$PKI"/issued/*.crt; do
    [ -f "$crt" ] || continue
    name=${crt##*/}
    name=${name%.crt}
    in_list "$name" server "$CLIENT" "${CLIENT_NAMES[@]}" && continue
    if ! safe_name "$name"; then
      warn "certificate $crt is not one rosvpn makes (its name has odd characters): left alone"
      continue
    fi
    NEEDS+=("revoke $name (no longer in rosvpn.json)")
    REVOKE+=("$name cessationOfOperation undeclared")
  done
  if [ ${#REVOKE[@]} -eq 0 ] && crl_stale; then NEEDS+=("make the CRL"); fi
}
# ca_unlock STATE WHY: fails with a code rosvpn acts on when the passphrase is missing or does not open the key.
ca_unlock() {
  local state=$1 why=$2
  case "$state" in
    none)
      [ -n "$CA_PASS_FILE" ] || die_code CA_NEW "there is no CA yet: a passphrase for the new CA key is needed (to $why)"
      [ -n "$(head -n 1 "$CA_PASS_FILE")" ] || die_code CA_NEW "the passphrase for the new CA key is empty"
      ;;
    plain)
      [ -n "$CA_PASS_FILE" ] || die_code CA_NEW "the CA key $PKI/private/ca.key is not encrypted (made by an older rosvpn): a new passphrase is needed to encrypt it"
      [ -n "$(head -n 1 "$CA_PASS_FILE")" ] || die_code CA_NEW "the passphrase for the CA key is empty"
      ;;
    encrypted)
      [ -n "$CA_PASS_FILE" ] || die_code CA_LOCKED "the CA key is encrypted: its passphrase is needed to $why"
      openssl pkey -in "$PKI/private/ca.key" -passin "file:$CA_PASS_FILE" -pubout -out /dev/null 2>/dev/null ||
        die_code CA_BAD_PASSPHRASE "the passphrase given does not open the CA key $PKI/private/ca.key (needed to $why)"
      ;;
  esac
}
# The CA key of an older rosvpn, encrypted in place with the new passphrase (checked before it replaces the
# plain key, whose blocks are overwritten first where the file system allows).
ca_encrypt() {
  local tmp
  tmp=$(mktemp "$PKI/private/.ca.key.XXXXXX")
  openssl pkey -in "$PKI/private/ca.key" -aes256 -passout "file:$CA_PASS_FILE" -out "$tmp"
  openssl pkey -in "$tmp" -passin "file:$CA_PASS_FILE" -pubout -out /dev/null
  shred -z -n 1 -- "$PKI/private/ca.key" 2>/dev/null || true
  mv -f -- "$tmp" "$PKI/private/ca.key"
  changed "encrypted the CA key with the passphrase (rosvpn keeps it nowhere: keep it in a password manager)"
}
pki_join() { local IFS=','; printf '%s' "$*" | sed 's/,/, /g'; }

# pki_certs: the CA, every declared certificate valid, every other revoked, the CRL current and published.
# Sets OPENVPN_DIRTY=1 when the server must restart (its certificate or the tls-crypt key changed); the CRL
# needs no restart: OpenVPN reads crl-verify again at the next TLS handshake once the file has changed.
# Connected clients whose certificate was revoked are disconnected through the management socket.
pki_certs() {
  local state entry name reason why kind
  REVOKED_CNS=()
  ca_state
  state=$CA_STATE
  pki_plan
  if [ "$state" = none ]; then NEEDS=("create the CA rosvpn-$TOPOLOGY-ca" "${NEEDS[@]}"); fi
  if [ "$state" = plain ] || [ ${#NEEDS[@]} -gt 0 ]; then ca_unlock "$state" "$(pki_join "${NEEDS[@]}")"; fi
  if [ "$state" = none ]; then
    easyrsa init-pki
    CRL_STALE=''
    CA_PASS_OUT=$(mktemp /dev/shm/rosvpn-ca.XXXXXXXXXX)
    cat -- "$CA_PASS_FILE" >"$CA_PASS_OUT"
    EASYRSA_REQ_CN="rosvpn-$TOPOLOGY-ca" easyrsa build-ca
    rm -f -- "$CA_PASS_OUT"
    CA_PASS_OUT=''
    changed "created CA rosvpn-$TOPOLOGY-ca in $PKI, its key encrypted with the passphrase (rosvpn keeps it nowhere: keep it in a password manager)"
    OPENVPN_DIRTY=1
  elif [ "$state" = plain ]; then
    ca_encrypt
  fi
  for entry in "${REVOKE[@]}"; do
    read -r name reason why <<<"$entry"
    easyrsa revoke "$name" "$reason"
    # easy-rsa moves the revoked files aside; what an interrupted run left is removed so that the name can be issued again.
    rm -f -- "$PKI/issued/$name.crt" "$PKI/private/$name.key" "$PKI/reqs/$name.req"
    REVOKED_CNS+=("$name")
    case "$why" in
      undeclared) changed "revoked client $name (no longer in rosvpn.json)" ;;
      *) info "revoked the old certificate of $name ($why)" ;;
    esac
  done
  for entry in "${ISSUE[@]}"; do
    read -r kind name <<<"$entry"
    rm -f -- "$PKI/issued/$name.crt" "$PKI/private/$name.key" "$PKI/reqs/$name.req"
    if [ "$kind" = server ]; then
      easyrsa_days "$SERVER_DAYS" build-server-full "$name" nopass
      OPENVPN_DIRTY=1
    else
      easyrsa build-client-full "$name" nopass
    fi
    if in_list "$name" "${ROTATE[@]}"; then
      changed "issued a new certificate for $name (rotated: the old one is revoked)"
    elif in_list "$name" "${REVOKED_CNS[@]}"; then
      changed "renewed $kind certificate $name (new one until $(not_after "$PKI/issued/$name.crt"))"
    else
      changed "issued $kind certificate $name (until $(not_after "$PKI/issued/$name.crt"))"
    fi
  done
  if [ ${#REVOKED_CNS[@]} -gt 0 ] || crl_stale; then
    easyrsa gen-crl
    changed "made the CRL (until $(openssl crl -in "$PKI/crl.pem" -noout -nextupdate | cut -d= -f2))"
  fi
  ca_pass_forget
  # OpenVPN reads the CRL after dropping privileges to nobody, and the PKI is root's: a public copy.
  if ! files_same "$PKI/crl.pem" "$CRL_PUBLIC"; then
    install -m 644 "$PKI/crl.pem" "$CRL_PUBLIC"
    changed "published the CRL (OpenVPN reads it at the next connection, without a restart)"
  fi
  for name in "${REVOKED_CNS[@]}"; do mgmt_kill "$name" "(its certificate was revoked)"; done
  if [ ! -s "$TLS_CRYPT_KEY" ]; then
    openvpn --genkey secret "$TLS_CRYPT_KEY"
    chmod 600 "$TLS_CRYPT_KEY"
    changed "created the tls-crypt key"
    OPENVPN_DIRTY=1
  fi
  # What this run issued is read now, so that the next run finds it in pki-dates.
  for name in server "$CLIENT" "${CLIENT_NAMES[@]}"; do
    if [ -s "$PKI/issued/$name.crt" ]; then pki_end "$PKI/issued/$name.crt" x509; fi
  done
  if [ -s "$PKI/crl.pem" ]; then pki_end "$PKI/crl.pem" crl; fi
  if ! lasts "$PKI/ca.crt" x509 $((RENEW_DAYS * 86400)); then
    warn "the CA certificate expires $(not_after "$PKI/ca.crt") and cannot be renewed in place: move $PKI aside and provision again (a new CA; every profile downloaded again)"
  fi
}
# mgmt_kill CN WHY: disconnects CN now when it is connected. Each of its connections gets the management
# 'client-kill ID', which tells the client RESTART before the server drops it, so that it tries again at
# once (and is refused when its certificate was revoked). 'kill CN' would drop it on the server only, the
# client noticing some 60 s later (ping-restart).
mgmt_kill() {
  local list rc=0 cn cid _ out
  list=$(mgmt_clients 2>&1) || rc=$?
  case "$rc" in
    0) ;;
    2) return 0 ;; # no socket: OpenVPN is not running, nobody is connected
    *)
      warn "could not ask $MGMT_SOCK who is connected (${list:-no answer}): if $1 is, it stays connected until its next TLS renegotiation, within the hour"
      return 0
      ;;
  esac
  while read -r cn cid _; do
    [ "$cn" = "$1" ] || continue
    if out=$(mgmt "client-kill $cid" 2>&1); then
      changed "disconnected $1 $2"
    else
      warn "could not disconnect $1 through $MGMT_SOCK (${out:-no answer}): it stays connected until its next TLS renegotiation, within the hour"
    fi
  done <<<"$list"
}

# ---- client-config-dir ---------------------------------------------------------------
# With ccd-exclusive the server admits only a certificate name that has a file here (OpenVPN reads it as
# nobody at each connection, so no restart): the desktop's is empty, as it is bridged into the robot LAN;
# a client's pushes its robot-subnet address to its tap.
ccd_sync() {
  local i name existed f
  snap_files "$CCD_DIR" "$CCD_DIR"/*
  ensure_dir "$CCD_DIR" 755
  # (write_file reads a heredoc, not a pipe: in a pipeline it would run in a subshell, its WROTE and the
  # step's changed state lost.)
  write_file "$CCD_DIR/$CLIENT" 644 <<EOF
# ROS VPN (generated by rosvpn): $CLIENT, the desktop gateway, is bridged into the robot LAN: nothing to push.
EOF
  for i in "${!CLIENT_NAMES[@]}"; do
    name=${CLIENT_NAMES[$i]}
    existed=0
    [ -f "$CCD_DIR/$name" ] && existed=1
    write_file "$CCD_DIR/$name" 644 <<EOF
# ROS VPN (generated by rosvpn): the address of client $name on its tap.
ifconfig-push ${CLIENT_IPS[$i]} ${CLIENT_MASKS[$i]}
EOF
    # A changed address reaches a connected client only when it connects again.
    if [ "$WROTE" = 1 ] && [ "$existed" = 1 ]; then mgmt_kill "$name" "(to take its new address)"; fi
  done
  for f in "$CCD_DIR"/*; do
    [ -f "$f" ] || continue
    name=${f##*/}
    in_list "$name" "$CLIENT" "${CLIENT_NAMES[@]}" && continue
    rm -f -- "$f"
    changed "removed $f ($name is not in rosvpn.json)"
  done
}

# ---- profiles ---------------------------------------------------------------------
# profile NAME: the profile of certificate NAME, options plus inline CA, certificate, key and tls-crypt key.
# Made here so that private keys never leave the gateway except inside this one file. (Run in a command
# substitution, where a failed cat would not stop the script: profile_parts checks first.)
profile_parts() {
  local f
  for f in "$PKI/ca.crt" "$PKI/issued/$1.crt" "$PKI/private/$1.key" "$TLS_CRYPT_KEY"; do
    [ -s "$f" ] || die "cannot make the profile of $1: $f is missing"
  done
}
profile() {
  profile_options
  printf '<ca>\n'
  pem_certs "$PKI/ca.crt"
  printf '</ca>\n<cert>\n'
  pem_certs "$PKI/issued/$1.crt"
  printf '</cert>\n<key>\n'
  print_file "$PKI/private/$1.key"
  printf '</key>\n<tls-crypt>\n'
  print_file "$TLS_CRYPT_KEY"
  printf '</tls-crypt>\n'
}
# pem_certs FILE: its CERTIFICATE blocks (easy-rsa's .crt files open with a text dump), read by bash.
pem_certs() {
  local line in=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$in" = 1 ]; then
      printf '%s\n' "$line"
      if [[ $line == *'END CERTIFICATE'* ]]; then in=0; fi
    elif [[ $line == *'BEGIN CERTIFICATE'* ]]; then
      printf '%s\n' "$line"
      in=1
    fi
  done <"$1"
}
print_file() { local text; IFS= read -r -d '' text <"$1" || true; printf '%s' "$text"; } # a text file, as cat
ensure_owned_dir() { # ensure_owned_dir PATH MODE OWNER:GROUP
  [ -L "$1" ] && die "$1 is a symbolic link: remove it and rerun"
  if [ ! -d "$1" ]; then
    install -d -m "$2" -o "${3%:*}" -g "${3#*:}" "$1"
    changed "created $1"
  elif ! meta_is "$1" "$2 $3"; then
    chmod "$2" "$1"
    chown "$3" "$1"
    snap_file_forget "$1"
    changed "set mode $2 and owner $3 on $1"
  fi
}
# Every profile twice: in PROFILE_DIR (root's) and in the SSH login user's home, where rosvpn downloads it
# (the desktop's ~/ros_local_gateway.ovpn as in the guide, a client's ~/rosvpn-clients/NAME.ovpn).
profiles_sync() {
  local owner home group name f text
  owner=${SUDO_USER:-root}
  home=$(getent passwd "$owner")
  home=${home#*:*:*:*:*:}
  home=${home%%:*}
  group=$(id -gn "$owner")
  [ -d "$home" ] || die "the home directory of $owner ($home) does not exist"
  snap_files "$PROFILE_DIR" "$PROFILE_DIR"/*.ovpn "$PROFILE_DIR/clients" "$PROFILE_DIR/clients"/*.ovpn \
    "$home/$CLIENT.ovpn" "$home/$CLIENT_PROFILES_DIR" "$home/$CLIENT_PROFILES_DIR"/*.ovpn
  ensure_dir "$PROFILE_DIR" 755
  # The profile through a variable, not a pipe (see ccd_sync); $(…) drops the last newline, <<< adds it back.
  profile_parts "$CLIENT"
  text=$(profile "$CLIENT")
  write_file "$PROFILE_DIR/$CLIENT.ovpn" 600 <<<"$text"
  write_file "$home/$CLIENT.ovpn" 600 "$owner:$group" <<<"$text"
  if [ ${#CLIENT_NAMES[@]} -gt 0 ]; then
    ensure_dir "$PROFILE_DIR/clients" 700
    ensure_owned_dir "$home/$CLIENT_PROFILES_DIR" 700 "$owner:$group"
  fi
  for name in "${CLIENT_NAMES[@]}"; do
    profile_parts "$name"
    text=$(profile "$name")
    write_file "$PROFILE_DIR/clients/$name.ovpn" 600 <<<"$text"
    write_file "$home/$CLIENT_PROFILES_DIR/$name.ovpn" 600 "$owner:$group" <<<"$text"
  done
  for f in "$PROFILE_DIR/clients"/*.ovpn "$home/$CLIENT_PROFILES_DIR"/*.ovpn; do
    [ -f "$f" ] || continue
    name=${f##*/}
    name=${name%.ovpn}
    in_list "$name" "${CLIENT_NAMES[@]}" && continue
    rm -f -- "$f"
    changed "removed $f ($name is not in rosvpn.json)"
  done
}
