#!/usr/bin/env bash
# The main job from the project alone (issue 22): build the wheel, install it into a fresh
# venv, then run `trustlpr demo` briefly and `trustlpr recognize` on one photo with neither
# TRUSTLPR_SHARED_DIR nor TRUSTLPR_MODELS_DIR set: the packaged models and camera positions
# must be enough. The wheel must stay under 40 MB.
#   scripts/wheel-check.sh PYTHON SHARED_DIR   (the photo is read from SHARED_DIR by path)
set -euo pipefail
PYTHON=${1:-python3}
SHARED=${2:-../shared}
WORK=$(mktemp -d)
trap 'kill "${DEMO_PID:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
unset TRUSTLPR_SHARED_DIR TRUSTLPR_MODELS_DIR TRUSTLPR_DATA_DIR

"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" .
WHEEL=$(ls "$WORK"/dist/trustlpr-*.whl)
SIZE=$(stat -c %s "$WHEEL")
echo "wheel: $(basename "$WHEEL") $((SIZE / 1024 / 1024)) MB"
if [ "$SIZE" -ge $((40 * 1024 * 1024)) ]; then
  echo "the wheel is $SIZE bytes; it must stay under 40 MB" >&2
  exit 1
fi

"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet "$WHEEL"
cd "$WORK"   # nothing of the checkout on the path: only what the wheel installed

PHOTO="$SHARED/data/plates/us_photos/car12.jpg"
"$WORK/venv/bin/trustlpr" recognize "$PHOTO" > recognized.jsonl
grep -q '"plate": "5UVR090"' recognized.jsonl || { cat recognized.jsonl; echo "recognize misread" >&2; exit 1; }
echo "recognize: $(head -c 120 recognized.jsonl)…"

PORT=$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$WORK/venv/bin/trustlpr" --data-dir "$WORK/demo" demo --port "$PORT" --rate 100 > demo.log 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 90); do
  sleep 1
  if "$WORK/venv/bin/python" - "$PORT" <<'PY' 2>/dev/null; then break; fi
import json, sys, urllib.request
figures = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/figures.json", timeout=5))
sys.exit(0 if figures["reads"]["total"] > 0 else 1)
PY
  if ! kill -0 "$DEMO_PID" 2>/dev/null; then cat demo.log; echo "the demo died" >&2; exit 1; fi
done
"$WORK/venv/bin/python" - "$PORT" <<'PY' || { tail -40 demo.log; echo "the demo shows no reads" >&2; exit 1; }
import json, sys, urllib.request
figures = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/figures.json", timeout=5))
assert figures["reads"]["total"] > 0, figures["reads"]
print("demo:", figures["reads"]["total"], "reads on the portal")
PY
kill -TERM "$DEMO_PID"
wait "$DEMO_PID" || true
echo "wheel check passed"
