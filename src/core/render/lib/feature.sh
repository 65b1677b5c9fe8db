# shellcheck shell=bash
# feature.sh: ROS VPN's optional features, Docker CE and ROS 2 from their vendors' apt repositories
# (rendered only when features.docker or features.ros2 is on). Needs step.sh and file.sh.
# Embedded into the rendered scripts as text (libBody in src/core/render/bash.ts): this header, up to and
# including the first blank line, is dropped at load; everything below is copied byte for byte.
# After an edit: npm run golden:update, and review the diff of test/golden.

# ---- optional features (vendor apt repositories) ----------------------------
os_release() {
  # shellcheck source=/dev/null
  . /etc/os-release
  printf '%s %s\n' "$ID" "${VERSION_CODENAME:-}"
}
add_apt_repo() { # add_apt_repo NAME KEY_URL KEYRING DEB_LINE
  local name=$1 key_url=$2 keyring=$3 line=$4
  ensure_packages ca-certificates curl gnupg
  if [ ! -s "$keyring" ]; then
    install -d -m 755 "$(dirname "$keyring")"
    curl -fsSL "$key_url" | gpg --dearmor --yes -o "$keyring"
    chmod 644 "$keyring"
    changed "added $name signing key"
  fi
  printf '%s\n' "$line" | write_file "/etc/apt/sources.list.d/$name.list" 644
}
install_docker() {
  local id codename
  read -r id codename < <(os_release)
  case "$id" in ubuntu | debian) ;; *) die "Docker CE needs Ubuntu or Debian (this host: $id); set features.docker to false" ;; esac
  if ! command -v docker >/dev/null 2>&1; then
    add_apt_repo docker "https://download.docker.com/linux/$id/gpg" /etc/apt/keyrings/docker.gpg \
      "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.gpg] https://download.docker.com/linux/$id $codename stable"
  fi
  ensure_packages docker-ce docker-ce-cli containerd.io
  ensure_service docker.service
}
install_ros2() {
  local id codename distro
  read -r id codename < <(os_release)
  case "$id/$codename" in
    ubuntu/jammy) distro=humble ;;
    ubuntu/noble) distro=jazzy ;;
    *) die "ROS 2 packages need Ubuntu 22.04 (humble) or 24.04 (jazzy); this host is $id $codename; set features.ros2 to false" ;;
  esac
  add_apt_repo ros2 https://raw.githubusercontent.com/ros/rosdistro/master/ros.key /usr/share/keyrings/ros-archive-keyring.gpg \
    "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/ros-archive-keyring.gpg] http://packages.ros.org/ros2/ubuntu $codename main"
  ensure_packages "ros-$distro-ros-base" "ros-$distro-rmw-cyclonedds-cpp" "ros-$distro-demo-nodes-cpp"
}
