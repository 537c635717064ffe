#!/usr/bin/env bash
# One command on a real GPU machine (issue 11, item 5): the cuda tests for real, the MLP/CNN
# training step of dpt-cupy against torch-cuda, an NCCL all-reduce sweep, one summary table.
#   bash benchmarks/gpu_check.sh            (from the repository root, in dpt's environment)
# Needs cupy with a visible GPU; downloads nothing; about 5-8 minutes. GPU_CHECK_STEPS and
# GPU_CHECK_PYTEST_ARGS adjust it. Without a GPU it stops at once with a clear message.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
out=$(mktemp -d /tmp/gpu_check.XXXXXX)

if [ "${DPT_CUDA_STANDIN:-}" = "1" ]; then
    echo "gpu_check.sh: DPT_CUDA_STANDIN=1 is set: that is the test double, not a GPU; unset it." >&2
    exit 2
fi
info=$($PY - <<'PY' 2>&1
import sys
try:
    import cupy
    n = cupy.cuda.runtime.getDeviceCount()
except Exception as e:  # no cupy, no driver, no device
    print(f"NOGPU {type(e).__name__}: {e}"); sys.exit(0)
if n < 1:
    print("NOGPU cupy sees 0 devices"); sys.exit(0)
p = cupy.cuda.runtime.getDeviceProperties(0)
name = p["name"].decode() if isinstance(p["name"], bytes) else p["name"]
print(f"GPU {n} x {name} ({p['totalGlobalMem'] >> 30} GiB), cupy {cupy.__version__}, "
      f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()}")
PY
)
case "$info" in
    GPU*) ;;
    *) echo "gpu_check.sh: no usable GPU here (${info#NOGPU }). Run it on a machine where" \
            "'python -c \"import cupy; print(cupy.cuda.runtime.getDeviceCount())\"' prints >= 1." >&2
       exit 2 ;;
esac
ngpu=$(echo "$info" | sed -E 's/^GPU ([0-9]+) x.*/\1/')
echo "== ${info#GPU }"

echo "== 1/3 pytest -m cuda (real cupy)"
t0=$SECONDS
timeout 300 $PY -m pytest -m cuda -q -p no:cacheprovider ${GPU_CHECK_PYTEST_ARGS:-} > "$out/pytest.txt" 2>&1
prc=$?
tail -3 "$out/pytest.txt"
ptests=$(grep -E "passed|failed" "$out/pytest.txt" | tail -1)

echo "== 2/3 training steps (MLP batch 512, CNN batch 256; dpt-cupy vs torch-cuda when installed)"
timeout 150 $PY benchmarks/gpu_step.py --steps "${GPU_CHECK_STEPS:-30}" --amp > "$out/step.txt" 2>&1
cat "$out/step.txt"

echo "== 3/3 NCCL all-reduce sweep on $ngpu GPU(s)"
if [ "$ngpu" -ge 2 ]; then
    timeout 120 mpiexec -n "$ngpu" $PY benchmarks/gpu_allreduce.py --max-mb 256 > "$out/nccl.txt" 2>&1
    cat "$out/nccl.txt" | grep RESULT || tail -5 "$out/nccl.txt"
else
    echo "one GPU: no all-reduce to measure" > "$out/nccl.txt"
    cat "$out/nccl.txt"
fi

echo
echo "== summary: ${info#GPU } (took $((SECONDS - t0)) s)"
printf '%-28s %s\n' "check" "result"
printf '%-28s %s\n' "pytest -m cuda" "${ptests:-no result} (exit $prc)"
grep -h '^RESULT' "$out/step.txt" "$out/nccl.txt" 2>/dev/null | while read -r _ key val rest; do
    case "$key" in
        allreduce-*) printf '%-28s %s GB/s bus %s\n' "$key" "$val" "$rest" ;;
        *) printf '%-28s %s ms/step %s\n' "$key" "$val" "$rest" ;;
    esac
done
$PY - "$out/step.txt" <<'PY'
import re, sys
r = dict(re.findall(r"^RESULT (\S+) ([0-9.]+)$", open(sys.argv[1]).read(), re.M))
for k in sorted(r):
    if k.endswith("-dpt") and k[:-4] + "-torch" in r:
        ratio = float(r[k]) / float(r[k[:-4] + "-torch"])
        print(f"{k[:-4] + ' dpt/torch':<28} {ratio:.2f}x (target <= 1.5x: {'met' if ratio <= 1.5 else 'not met'})")
PY
echo "(logs in $out)"
exit $prc
