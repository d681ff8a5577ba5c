#!/usr/bin/env bash
# Headless Chromium for the browser test of the map and the report (tests/e2e/test_map_and_report.py).
#
#   tests/e2e/browser.sh check     is a browser there, or can one be installed? (prints why not, exit 2)
#   tests/e2e/browser.sh install   install Debian's chromium and chromium-driver if missing
#                                  (root on Debian only; exit 3 when apt cannot install them)
#
# Run by .ci/run before the test command and by the test's fixture, as tests/slurm/cluster.sh
# installs the SLURM packages. Nothing else on the machine is touched; the packages stay.
set -euo pipefail

readonly PACKAGES=(chromium chromium-driver)

missing_packages() {
    local pkg missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] || { echo "${missing[*]}"; return 1; }
}

# Prints why no browser can be had here, or nothing.
why_not() {
    if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
        return 0
    elif [[ ! -f /etc/debian_version ]]; then
        echo "no /usr/bin/chromium and /usr/bin/chromedriver, and not Debian (install Chromium and its driver there)"
    elif [[ $(id -u) -ne 0 ]]; then
        echo "chromium and chromium-driver are not installed, and installing them needs root"
    elif ! command -v apt-get >/dev/null; then
        echo "chromium and chromium-driver are not installed, and apt-get is not available"
    fi
}

install_packages() {
    local missing
    missing=$(missing_packages) && return 0
    echo "browser.sh: installing Debian packages: $missing" >&2
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0)
    # Try the existing package lists first; refresh them only if that fails.
    # shellcheck disable=SC2086 # the package list is meant to split
    if ! "${apt[@]}" install -y --no-install-recommends $missing >/dev/null 2>&1; then
        if ! { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y --no-install-recommends $missing >/dev/null; }; then
            echo "browser.sh: apt-get could not install: $missing" >&2
            exit 3
        fi
    fi
}

case "${1:-}" in
    check)
        reason=$(why_not)
        [[ -z $reason ]] || { echo "$reason"; exit 2; }
        ;;
    install)
        reason=$(why_not)
        [[ -z $reason ]] || { echo "$reason" >&2; exit 2; }
        [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]] || install_packages
        ;;
    *)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 64
        ;;
esac
