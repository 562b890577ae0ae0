#!/usr/bin/env bash
# Installs the real metrics backends that the end-to-end tests start
# (test/support/backends.ts):
#   - Prometheus + promtool from the system's Debian release (bookworm: 2.42), via apt.
#     Used for the scrape path and for `promtool check/test rules`.
#   - Alertmanager + amtool from the same release (prometheus-alertmanager, 0.25 on bookworm), via apt;
#     Debian's package does not start the service in a container (policy-rc.d) and the tests never use it.
#     Used for `amtool check-config` and the Prometheus -> Alertmanager -> webhook end-to-end test.
#   - VictoriaMetrics from Debian *trixie* (1.112), because bookworm's 1.79 has no
#     OTLP receiver (added in 1.92). Downloaded with a private apt configuration into
#     .cache/backends/ and unpacked with dpkg-deb -x; the system's apt sources,
#     lists and dpkg database are never touched for it.
#
# Idempotent: a second run with everything in place only checks and exits (<1 s).
# Run as root (CI does). Network steps are retried; any missing piece at the end
# is a non-zero exit with a message saying what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/backends"
VM_DIR="$CACHE/victoria-metrics"           # dpkg-deb -x target
VM_BIN="$VM_DIR/usr/bin/victoria-metrics"  # the path test/support/backends.ts looks for
APT_PRIV="$CACHE/apt-trixie"               # private apt state for the trixie download
VM_SUITE="${ZDX_VM_SUITE:-trixie}"

# Wait for another apt/dpkg user (another engineer, unattended upgrades) rather than fail.
APT_LOCK_OPTS=(-o DPkg::Lock::Timeout=120)

log() { printf '[install-backends] %s\n' "$*" >&2; }
die() { printf '[install-backends] ERROR: %s\n' "$*" >&2; exit 1; }

# retry N CMD...: transient mirror/network failures should not fail CI outright.
retry() {
  local n="$1"; shift
  local i
  for ((i = 1; i <= n; i++)); do
    if "$@"; then return 0; fi
    if ((i < n)); then log "attempt $i/$n failed: $*; retrying in $((i * 5))s"; sleep $((i * 5)); fi
  done
  return 1
}

need_root() {
  [[ "$(id -u)" == 0 ]] || die "must run as root to apt-get install prometheus (CI runs .ci/run as root)"
}

have_prometheus() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

# The binary must run here (it is a trixie build on a possibly older system) and must
# know the OTLP naming flag the tests rely on.
vm_ok() {
  [[ -x "$VM_BIN" ]] || return 1
  # Capture first: `-help | grep -q` would SIGPIPE the binary and fail under pipefail.
  local help
  help="$("$VM_BIN" -help 2>&1)" || true
  [[ "$help" == *-opentelemetry.usePrometheusNaming* ]]
}

mkdir -p "$CACHE"
# Serialise concurrent runs (two test shells, CI + a developer) on the shared cache.
exec 9>"$CACHE/.install.lock"
flock -w 600 9 || die "timed out waiting for another install-backends.sh run (lock $CACHE/.install.lock)"

start=$SECONDS

# ---------------------------------------------------------------- Prometheus
install_prometheus() {
  DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_OPTS[@]}" install -y -q --no-install-recommends prometheus
}

if have_prometheus; then
  log "prometheus already installed: $(command -v prometheus)"
else
  need_root
  command -v apt-get >/dev/null || die "apt-get not found: this script needs a Debian-based machine"
  # apt-get update only if the package isn't known yet (no lists, or lists without it).
  cand="$(apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [[ -z "$cand" || "$cand" == "(none)" ]]; then
    log "apt lists have no prometheus candidate: apt-get update"
    retry 3 apt-get "${APT_LOCK_OPTS[@]}" update -q || die "apt-get update failed"
  fi
  log "installing prometheus (gives prometheus + promtool)"
  if ! retry 2 install_prometheus; then
    # Stale lists give 404s on download: refresh once, then try again.
    log "install failed; refreshing apt lists and retrying"
    retry 3 apt-get "${APT_LOCK_OPTS[@]}" update -q || die "apt-get update failed"
    retry 2 install_prometheus || die "apt-get install prometheus failed"
  fi
fi

# ---------------------------------------------------------------- Alertmanager
# Debian names the server binary prometheus-alertmanager (upstream: alertmanager); the tests accept both.
alertmanager_bin() { command -v prometheus-alertmanager 2>/dev/null || command -v alertmanager 2>/dev/null; }
have_alertmanager() { alertmanager_bin >/dev/null && command -v amtool >/dev/null 2>&1; }

install_alertmanager() {
  DEBIAN_FRONTEND=noninteractive apt-get "${APT_LOCK_OPTS[@]}" install -y -q --no-install-recommends prometheus-alertmanager
}

if have_alertmanager; then
  log "alertmanager already installed: $(alertmanager_bin)"
else
  need_root
  command -v apt-get >/dev/null || die "apt-get not found: this script needs a Debian-based machine"
  cand="$(apt-cache policy prometheus-alertmanager 2>/dev/null | awk '/Candidate:/ {print $2}')"
  if [[ -z "$cand" || "$cand" == "(none)" ]]; then
    log "apt lists have no prometheus-alertmanager candidate: apt-get update"
    retry 3 apt-get "${APT_LOCK_OPTS[@]}" update -q || die "apt-get update failed"
  fi
  log "installing prometheus-alertmanager (gives alertmanager + amtool)"
  if ! retry 2 install_alertmanager; then
    log "install failed; refreshing apt lists and retrying"
    retry 3 apt-get "${APT_LOCK_OPTS[@]}" update -q || die "apt-get update failed"
    retry 2 install_alertmanager || die "apt-get install prometheus-alertmanager failed"
  fi
fi

# ---------------------------------------------------------------- VictoriaMetrics
# Use the same Debian mirror as the system (whatever it is configured to be, including
# any proxy in apt.conf.d, which still applies) instead of naming a host here.
debian_mirror() {
  local codename uri
  codename="$(. /etc/os-release 2>/dev/null && printf '%s' "${VERSION_CODENAME:-}")"
  uri="$(apt-get indextargets --no-release-info --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
    awk -v c="$codename" '$1 == c {print $2; exit}')"
  if [[ -z "$uri" ]]; then
    # Not bookworm-like naming: take the first non-security Debian repository.
    uri="$(apt-get indextargets --no-release-info --format '$(REPO_URI)' 2>/dev/null | grep -v -- '-security' | head -n1)"
  fi
  printf '%s' "${ZDX_DEBIAN_MIRROR:-$uri}"
}

fetch_vm_deb() {
  local mirror arch signed=""
  mirror="$(debian_mirror)"
  [[ -n "$mirror" ]] || die "cannot find the system's Debian mirror in its apt sources (set ZDX_DEBIAN_MIRROR)"
  arch="$(dpkg --print-architecture)"
  mkdir -p "$APT_PRIV/lists/partial" "$APT_PRIV/cache/archives/partial" "$APT_PRIV/debs"
  # The system keyring also holds the trixie keys on bookworm (debian-archive-keyring).
  [[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] &&
    signed=" signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
  printf 'deb [arch=%s%s] %s %s main\n' "$arch" "$signed" "${mirror%/}" "$VM_SUITE" >"$APT_PRIV/sources.list"
  : >"$APT_PRIV/preferences"
  # Everything apt reads or writes for this download is redirected into $APT_PRIV;
  # the system's sources, pins and lists stay as they are. (apt.conf.d still applies.)
  local -a o=(
    -o "Dir::Etc::SourceList=$APT_PRIV/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::Preferences=$APT_PRIV/preferences"
    -o "Dir::Etc::PreferencesParts=/dev/null"
    -o "Dir::State::Lists=$APT_PRIV/lists"
    -o "Dir::Cache=$APT_PRIV/cache"
    -o "APT::Architecture=$arch"
    # The cache dir may not be readable by the _apt sandbox user (e.g. a checkout under
    # a private home); download as root rather than print a warning about it.
    -o "APT::Sandbox::User=root"
  )
  log "fetching victoria-metrics from Debian $VM_SUITE ($mirror) into $APT_PRIV"
  retry 3 apt-get -q "${o[@]}" update || return 1
  rm -f "$APT_PRIV"/debs/victoria-metrics_*.deb
  # apt-get download writes into the current directory and needs no dpkg lock.
  (cd "$APT_PRIV/debs" && retry 3 apt-get -q "${o[@]}" download "victoria-metrics/$VM_SUITE") || return 1
}

if vm_ok; then
  log "victoria-metrics already unpacked: $VM_BIN"
else
  command -v dpkg-deb >/dev/null || die "dpkg-deb not found: this script needs a Debian-based machine"
  deb="$(ls -1 "$APT_PRIV"/debs/victoria-metrics_*.deb 2>/dev/null | tail -n1 || true)"
  if [[ -z "$deb" ]] || ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
    fetch_vm_deb || die "could not download victoria-metrics from Debian $VM_SUITE"
    deb="$(ls -1 "$APT_PRIV"/debs/victoria-metrics_*.deb 2>/dev/null | tail -n1 || true)"
    [[ -n "$deb" ]] || die "apt-get download left no victoria-metrics .deb in $APT_PRIV/debs"
  fi
  log "unpacking $(basename "$deb")"
  rm -rf "$VM_DIR.tmp" && mkdir -p "$VM_DIR.tmp"
  dpkg-deb -x "$deb" "$VM_DIR.tmp"
  # Swap in atomically-ish so a half-extracted tree is never taken for a good one.
  rm -rf "$VM_DIR" && mv "$VM_DIR.tmp" "$VM_DIR"
  basename "$deb" >"$VM_DIR/.deb"
fi

# ---------------------------------------------------------------- final check
missing=()
command -v prometheus >/dev/null 2>&1 || missing+=("prometheus (apt package prometheus)")
command -v promtool >/dev/null 2>&1 || missing+=("promtool (apt package prometheus)")
alertmanager_bin >/dev/null || missing+=("prometheus-alertmanager (apt package prometheus-alertmanager)")
command -v amtool >/dev/null 2>&1 || missing+=("amtool (apt package prometheus-alertmanager)")
if ! vm_ok; then
  if [[ -x "$VM_BIN" ]]; then
    missing+=("working victoria-metrics with -opentelemetry.usePrometheusNaming at $VM_BIN (it does not run here or lacks the flag: $("$VM_BIN" -help 2>&1 | head -n3 | tr '\n' ' '))")
  else
    missing+=("victoria-metrics at $VM_BIN")
  fi
fi
if ((${#missing[@]})); then
  for m in "${missing[@]}"; do log "missing: $m"; done
  die "backends are not installed completely"
fi

log "ok in $((SECONDS - start))s: $(prometheus --version 2>&1 | head -n1); $("$(alertmanager_bin)" --version 2>&1 | head -n1); victoria-metrics $(cat "$VM_DIR/.deb" 2>/dev/null || echo '?')"
