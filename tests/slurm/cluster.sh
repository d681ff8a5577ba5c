#!/usr/bin/env bash
# A real single-node SLURM cluster with accounting, for testing minescan's SLURM profile.
#
#   tests/slurm/cluster.sh check  [STATE_DIR]   can this machine host it? (prints why not, exit 2)
#   tests/slurm/cluster.sh up     [--gpu] [STATE_DIR]
#                                               install packages if missing, start the daemons;
#                                               --gpu: the node offers one stand-in GPU
#   tests/slurm/cluster.sh env    [STATE_DIR]   print `export SLURM_CONF=...` for the clients
#   tests/slurm/cluster.sh status [STATE_DIR]   daemons, node and partition
#   tests/slurm/cluster.sh down   [STATE_DIR]   stop the daemons this script started, restore /etc
#
# Daemons: munged, mariadbd (private datadir, 127.0.0.1 only), slurmdbd, slurmctld, slurmd, all
# running as root from Debian 12's packages (SLURM 22.05), without systemd. Everything they write
# (configs, keys, spool, state, logs, database, pid files) lives under STATE_DIR
# (default tests/slurm/.state). Outside it, the script touches only:
#   - the Debian packages it installs when missing (left installed);
#   - /usr/sbin/policy-rc.d, created during the install only if absent, then removed;
#   - /etc/slurm/slurm.conf, a copy of ours: the plugin's job step strips SLURM_CONF before
#     calling srun, so srun reads the default path. An existing file is backed up and restored.
# Ports (override with the environment): slurmctld 16817, slurmd 16818, slurmdbd 16819,
# MariaDB 13306, as MINESCAN_SLURM_{CTLD,SLURMD,DBD,DB}_PORT.
set -euo pipefail

readonly PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)
readonly CLUSTER_NAME=minescan
readonly CTLD_PORT=${MINESCAN_SLURM_CTLD_PORT:-16817}
readonly SLURMD_PORT=${MINESCAN_SLURM_SLURMD_PORT:-16818}
readonly DBD_PORT=${MINESCAN_SLURM_DBD_PORT:-16819}
readonly DB_PORT=${MINESCAN_SLURM_DB_PORT:-13306}
readonly ETC_CONF=/etc/slurm/slurm.conf
readonly MARKER="# written by minescan tests/slurm/cluster.sh for state dir"

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 64
}

die() {
    echo "cluster.sh: error: $*" >&2
    exit 1
}

log() { echo "cluster.sh: $*" >&2; }

# ---------------------------------------------------------------- checks and installation

# Prints why this machine cannot host the cluster, or nothing.
why_not() {
    if [[ $(id -u) -ne 0 ]]; then
        echo "needs root (the SLURM daemons run as root and /etc/slurm/slurm.conf is written)"
    elif [[ ! -f /etc/debian_version ]]; then
        echo "needs Debian (installs Debian's slurm packages with apt-get)"
    elif ! missing_packages >/dev/null && ! command -v apt-get >/dev/null; then
        echo "SLURM packages missing and apt-get not available"
    elif pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
        if ! owned_by_us; then
            echo "a SLURM daemon not started by this harness already runs on this machine"
        fi
    fi
}

# Prints the packages that are not installed; succeeds only when none is missing.
missing_packages() {
    local pkg missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    echo "${missing[*]}"
    [[ ${#missing[@]} -eq 0 ]]
}

install_packages() {
    local missing created_policy=0 rc=0
    missing=$(missing_packages) && return 0
    log "installing Debian packages: $missing"
    # Keep the maintainer scripts from starting the system's daemons.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, minescan tests/slurm/cluster.sh\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    # shellcheck disable=SC2086 # the package list is meant to split
    apt_install $missing || rc=$?
    if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
    if [[ $rc -ne 0 ]]; then
        echo "cluster.sh: apt-get could not install: $missing" >&2
        exit 3 # the test suite reads 3 as "apt unavailable here" and skips
    fi
}

apt_install() {
    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0)
    # Try the existing package lists first; refresh them only if that fails.
    "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null 2>&1 && return 0
    "${apt[@]}" update >/dev/null && "${apt[@]}" install -y --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------- state and processes

# The state dir: argument, or tests/slurm/.state next to this script. Made absolute.
set_state_dir() {
    local dir=${1:-"$(dirname "$(readlink -f "$0")")/.state"}
    mkdir -p "$dir"
    S=$(readlink -f "$dir")
    MUNGE_SOCKET=$S/munge/munge.socket.2
    DB_SOCKET=$S/mysql/mysqld.sock
    export SLURM_CONF=$S/etc/slurm.conf
}

# Is /etc/slurm/slurm.conf ours, for a state dir whose daemons still run?
owned_by_us() {
    local dir
    [[ -f $ETC_CONF ]] || return 1
    dir=$(sed -n "s|^$MARKER ||p" "$ETC_CONF")
    [[ -n $dir && -d $dir/run ]] || return 1
    local name
    for name in slurmctld slurmd; do alive "$dir" "$name" && return 0; done
    return 1
}

# alive STATE NAME: does the pid this script recorded for NAME still run that program?
# (Compares the process name, so a recycled pid is never mistaken for ours.)
alive() {
    local pidfile=$1/run/$2.pid pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]]
}

# start NAME COMMAND...: run a daemon in the foreground mode, detached, and record its pid.
start() {
    local name=$1
    shift
    if alive "$S" "$name"; then
        log "$name already running (pid $(<"$S/run/$name.pid"))"
        return 0
    fi
    setsid "$@" >>"$S/log/$name.out" 2>&1 </dev/null &
    echo $! >"$S/run/$name.pid"
}

# wait_for WHAT SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_for() {
    local what=$1 seconds=$2 i
    shift 2
    for ((i = 0; i < seconds * 4; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    status >&2 || true
    die "$what did not come up within ${seconds}s; logs are in $S/log"
}

# any_alive NAME...: does any of these still run?
any_alive() {
    local name
    for name in "$@"; do alive "$S" "$name" && return 0; done
    return 1
}

# stop NAME...: TERM the recorded pids together, KILL those still running after 15 s.
stop() {
    local name i running=()
    for name in "$@"; do
        if alive "$S" "$name"; then
            kill -TERM "$(<"$S/run/$name.pid")" 2>/dev/null || true
            running+=("$name")
        fi
    done
    for ((i = 0; i < 60; i++)); do
        any_alive "${running[@]}" || break
        sleep 0.25
    done
    for name in "$@"; do
        if alive "$S" "$name"; then
            log "$name (pid $(<"$S/run/$name.pid")) ignored SIGTERM; sending SIGKILL"
            kill -KILL "$(<"$S/run/$name.pid")" 2>/dev/null || true
        fi
        rm -f "$S/run/$name.pid"
    done
}

# ---------------------------------------------------------------- configuration

# write_configs GPU: GPU=1 gives the node one stand-in GPU.
write_configs() {
    local gpu=$1 node db_password gres_comment node_gres=""
    mkdir -p "$S"/{etc,run,log,spool/ctld,spool/d,munge,mysql}
    chmod 700 "$S/etc"
    # The node line exactly as slurmd measures this machine, renamed to localhost.
    node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ UpTime=.*//')
    [[ -f $S/etc/db_password ]] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$S/etc/db_password"
    db_password=$(<"$S/etc/db_password")
    if [[ $gpu -eq 1 ]]; then
        # A GPU that is no device: SLURM schedules, allocates and accounts for it like a real
        # one (CUDA_VISIBLE_DEVICES included); a program looking for CUDA finds none. slurmd
        # reads gres.conf beside the slurm.conf it was started with.
        gres_comment="This node offers one stand-in GPU (gres.conf: File=/dev/null)."
        node_gres=" Gres=gpu:1"
        echo "NodeName=localhost Name=gpu File=/dev/null" >"$S/etc/gres.conf"
    else
        gres_comment="GPUs are a known resource type, but this node has none: GPU jobs are"
        gres_comment+=" refused at submission."
        rm -f "$S/etc/gres.conf"
    fi

    cat >"$S/etc/slurm.conf" <<EOF
$MARKER $S
ClusterName=$CLUSTER_NAME
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$S/spool/ctld
SlurmdSpoolDir=$S/spool/d
SlurmctldPidFile=$S/run/slurmctld.daemon.pid
SlurmdPidFile=$S/run/slurmd.daemon.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
# No systemd or cgroups needed: track processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# Keep finished jobs visible to squeue for a while, as on a real cluster.
MinJobAge=300
# Cancelled jobs get SIGKILL 5 s after SIGTERM (default 30 s), so that "down" is quick.
KillWait=5
# $gres_comment
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$MUNGE_SOCKET
# Snakemake's slurm plugin writes "rule_<name>_wildcards_<...>" into the job comment.
AccountingStoreFlags=job_comment
# Account for GPUs too (sacct AllocTRES/ReqTRES show gres/gpu=N).
AccountingStorageTRES=gres/gpu
NodeName=localhost NodeAddr=127.0.0.1 $node$node_gres State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

    # slurmdbd refuses a config readable by others.
    (
        umask 077
        cat >"$S/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$S/run/slurmdbd.daemon.pid
LogFile=$S/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$db_password
StorageLoc=slurm_acct_db
EOF
    )
}

# Point the default config path at ours, keeping whatever was there.
install_etc_conf() {
    mkdir -p "$S/backup"
    if [[ ! -d /etc/slurm ]]; then
        mkdir /etc/slurm
        touch "$S/backup/created_etc_slurm"
    fi
    if [[ -e $ETC_CONF ]] && ! grep -q "^$MARKER" "$ETC_CONF"; then
        [[ -e $S/backup/slurm.conf ]] || cp -p "$ETC_CONF" "$S/backup/slurm.conf"
    fi
    cp "$S/etc/slurm.conf" "$ETC_CONF"
}

restore_etc_conf() {
    # Leave a config written for another (running) state dir alone.
    if [[ -f $ETC_CONF ]] && grep -q "^$MARKER $S\$" "$ETC_CONF"; then
        rm -f "$ETC_CONF"
    fi
    if [[ -e $S/backup/slurm.conf ]]; then
        mv "$S/backup/slurm.conf" "$ETC_CONF"
    fi
    if [[ -e $S/backup/created_etc_slurm ]]; then
        rmdir /etc/slurm 2>/dev/null || log "left /etc/slurm in place: not empty"
        rm -f "$S/backup/created_etc_slurm"
    fi
}

# ---------------------------------------------------------------- daemons

start_munge() {
    mkdir -p "$S/munge"
    # munged insists on a private key and a socket folder others can enter (mode 755).
    chmod 755 "$S/munge"
    [[ -f $S/munge/munge.key ]] || mungekey --create --keyfile="$S/munge/munge.key"
    chmod 600 "$S/munge/munge.key"
    # --force: the state dir may sit under a world-writable /tmp, which munged calls insecure.
    start munged munged --foreground --force --key-file="$S/munge/munge.key" \
        --socket="$MUNGE_SOCKET" --pid-file="$S/run/munged.daemon.pid" \
        --log-file="$S/log/munged.log" --seed-file="$S/munge/munge.seed"
    wait_for munged 15 bash -c "munge -n -S '$MUNGE_SOCKET' | unmunge -S '$MUNGE_SOCKET'"
}

start_mariadb() {
    local -a client=(mariadb --no-defaults --socket="$DB_SOCKET" -uroot)
    if [[ ! -d $S/mysql/data/mysql ]]; then
        mariadb-install-db --no-defaults --user=root --datadir="$S/mysql/data" \
            --auth-root-authentication-method=socket --skip-test-db \
            >>"$S/log/mariadb-install.log" 2>&1 ||
            die "mariadb-install-db failed; see $S/log/mariadb-install.log"
    fi
    start mariadbd mariadbd --no-defaults --user=root --datadir="$S/mysql/data" \
        --socket="$DB_SOCKET" --port="$DB_PORT" --bind-address=127.0.0.1 \
        --pid-file="$S/run/mariadbd.daemon.pid" --log-error="$S/log/mariadb.log" \
        --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --skip-name-resolve
    wait_for mariadbd 60 "${client[@]}" -e "SELECT 1"
    "${client[@]}" <<EOF
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$(<"$S/etc/db_password")';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
}

start_slurm() {
    start slurmdbd slurmdbd -D
    wait_for slurmdbd 60 sacctmgr --noheader list cluster
    # The cluster must exist in the database before slurmctld registers with it.
    if ! sacctmgr --noheader --parsable2 list cluster format=cluster | grep -qx "$CLUSTER_NAME"; then
        sacctmgr --immediate add cluster "$CLUSTER_NAME" >/dev/null
    fi
    start slurmctld slurmctld -D
    wait_for slurmctld 30 scontrol ping
    start slurmd slurmd -D -N localhost
    wait_for "node localhost" 60 bash -c "sinfo --noheader --nodes=localhost -o %t | grep -qx idle"
}

# ---------------------------------------------------------------- commands

cmd_check() {
    local reason
    reason=$(why_not)
    if [[ -n $reason ]]; then
        echo "$reason"
        exit 2
    fi
}

cmd_up() {
    local reason gpu=0
    while [[ ${1:-} == --* ]]; do
        case $1 in
        --gpu) gpu=1 ;;
        *) die "unknown option for up: $1" ;;
        esac
        shift
    done
    reason=$(why_not)
    [[ -z $reason ]] || die "$reason"
    install_packages
    set_state_dir "${1:-}"
    if [[ -f $ETC_CONF ]] && grep -q "^$MARKER" "$ETC_CONF" &&
        ! grep -q "^$MARKER $S\$" "$ETC_CONF" && owned_by_us; then
        local other
        other=$(sed -n "s|^$MARKER ||p" "$ETC_CONF")
        # A test run killed before its teardown leaves its cluster up; say how to stop it.
        die "another state dir's cluster is running: $other (left by an interrupted run? stop it with: $0 down $other)"
    fi
    write_configs "$gpu"
    install_etc_conf
    start_munge
    start_mariadb
    start_slurm
    local with=""
    [[ $gpu -eq 0 ]] || with=" with one stand-in GPU"
    log "up: SLURM cluster '$CLUSTER_NAME' on localhost$with, state in $S"
    log "clients need: export SLURM_CONF=$SLURM_CONF"
}

cmd_down() {
    set_state_dir "${1:-}"
    if alive "$S" slurmctld; then
        # Let no job outlive the cluster: its processes (slurmstepd) are children of slurmd.
        scancel --user=root >/dev/null 2>&1 || true
        local i
        for ((i = 0; i < 120; i++)); do
            [[ -z $(squeue --noheader --user=root 2>/dev/null) ]] && break
            sleep 0.25
        done
        if [[ -n $(squeue --noheader --user=root 2>/dev/null) ]]; then
            log "warning: jobs still running after scancel; check for slurmstepd processes:"
            squeue --user=root >&2 || true
        fi
    fi
    # SLURM first, so that slurmctld can still reach slurmdbd, and munge, while it shuts down.
    stop slurmd slurmctld
    stop slurmdbd mariadbd munged
    restore_etc_conf
    log "down: stopped the daemons started for $S"
}

cmd_status() {
    set_state_dir "${1:-}"
    local name rc=0
    for name in munged mariadbd slurmdbd slurmctld slurmd; do
        if alive "$S" "$name"; then
            echo "$name: running (pid $(<"$S/run/$name.pid"))"
        else
            echo "$name: stopped"
            rc=1
        fi
    done
    if [[ $rc -eq 0 ]]; then
        sinfo --Node --long
        sacctmgr --noheader list cluster format=cluster,controlhost,controlport
    fi
    return "$rc"
}

main() {
    [[ $# -ge 1 ]] || usage
    local command=$1
    shift
    case $command in
    check) cmd_check ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env)
        set_state_dir "${1:-}"
        echo "export SLURM_CONF=$SLURM_CONF"
        ;;
    *) usage ;;
    esac
}

main "$@"
