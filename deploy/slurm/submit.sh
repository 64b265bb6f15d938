#!/bin/bash
set -euo pipefail
cd "$(dirname "$0")"
# Submits the shards and the merge that waits for them all (e.g. from the login node's crontab at 02:30 UTC)
export IOTMAP_DATE=$(date -u +%F)
array=$(sbatch --parsable --export=ALL iotmap-shards.sbatch)
sbatch --dependency=afterok:$array --export=ALL iotmap-merge.sbatch
