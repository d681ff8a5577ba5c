#!/usr/bin/env bash
# The gallery comparison on a GPU machine, with the gallery copied to .gpu/amw_gallery (a copy
# of ../shared/data/chips/amw_gallery inside the checkout) and the results written to $OUT.
set -uo pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, sklearn, pandas, PIL; print(torch.__version__, torch.cuda.is_available())"
python3 experiments/chips_gallery/run.py --gallery .gpu/amw_gallery --out "$OUT" \
    --workers "${WORKERS:-15}" --deadline "${DEADLINE:-470}" ${EXTRA:-} 2>&1 | tee "$OUT/run.log" | grep -v "INFO minescan"
