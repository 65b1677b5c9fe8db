# shellcheck shell=bash
# ssh-guard.sh: the SSH guard of ROS VPN's cloud hosts: SSH_IFACES lists the interfaces holding the local
# address of an established sshd connection, and `guard IFACE` refuses to change one of them.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- SSH guard ---------------------------------------------------------------
# SSH_IFACES is read at the first guard, that is before the first change to a link: a run that changes
# nothing (a rerun) does not ask ss and ip for it.
SSH_IFACES=''
SSH_IFACES_READ=0
ssh_ifaces_read() {
  SSH_IFACES=$(
    ss -Htnp state established 2>/dev/null | awk '/sshd/ { print $3 }' | while read -r local_addr; do
      a=${local_addr%:*}; a=${a#[}; a=${a%]}; a=${a#::ffff:}
      ip -o addr show to "$a" 2>/dev/null | awk '{ print $2 }'
    done | sort -u | tr '\n' ' '
  )
  SSH_IFACES_READ=1
}
# guard IFACE: refuse to change an interface that carries this SSH session. Every change passes here first,
# so the link snapshot (link.sh), if on, is read again after it.
guard() {
  link_snap_forget
  if [ "$SSH_IFACES_READ" = 0 ]; then ssh_ifaces_read; fi
  case " $SSH_IFACES " in
    *" $1 "*) die "refusing to reconfigure $1: it carries the SSH session running this script; connect over another interface (for example the cloud address) and rerun" ;;
  esac
}
