#!/usr/bin/env bash
# Makes sure Debian's python3-azure (Microsoft's Python SDK v2, azure-ai-ml 1.4) is installed for
# the interop tests (tests/interop), installing it with apt-get when it is missing (~1 min, ~540 MB).
# Exit 0 when it is importable, or when apt cannot be reached (then the reason is printed and the
# interop suites skip themselves, printing it again); exit 1 when apt was reachable but the install
# failed. Used by `npm run test:interop` and .ci/run.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON=${AZUREML_INTEROP_PYTHON:-/usr/bin/python3}
# azure-ai-ml imports pydash, which Debian lacks: the tests put a stand-in on the path.
probe() { PYTHONPATH=tests/interop/python PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -c 'import azure.ai.ml' 2>/dev/null; }

if probe; then
  echo "python3-azure: azure-ai-ml is installed"
  exit 0
fi

skip() {
  echo "python3-azure is missing and cannot be installed: $1. The interop tests will be skipped."
  exit 0
}

command -v apt-get >/dev/null || skip "apt-get is not available on this machine"
if [ "$(id -u)" = 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  skip "apt-get needs root and sudo is not available without a password"
fi

# Another install may hold the dpkg lock for a few minutes: wait for it rather than fail.
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=2)
echo "python3-azure: installing with apt-get (about a minute)"
if ! "${APT[@]}" update -qq; then
  skip "apt-get update failed (the package repositories cannot be reached)"
fi
if ! apt-cache show python3-azure >/dev/null 2>&1; then
  skip "no python3-azure package in this machine's apt sources"
fi
if ! "${APT[@]}" install -y -qq python3-azure >/dev/null; then
  echo "apt-get install python3-azure failed"
  exit 1
fi
if ! probe; then
  echo "python3-azure was installed but azure.ai.ml still does not import with $PYTHON"
  exit 1
fi
echo "python3-azure: installed"
