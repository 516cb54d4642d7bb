#!/bin/sh
# The pipeline test: run mock_source -> jsonl_archive in a real tickcastd,
# then check the archive with `tickcastd test`.
# Usage: run.sh TICKCASTD PLUGIN_FOLDER
set -eu
tickcastd=$1
here=$(cd "$(dirname "$0")" && pwd)
TICKCAST_PLUGIN_PATH=$(cd "$2" && pwd)
export TICKCAST_PLUGIN_PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/jsonl_archive_pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
"$tickcastd" --log-level warn run "$here/archive.yaml"
"$tickcastd" --log-level warn test "$here/replay_test.yaml"
