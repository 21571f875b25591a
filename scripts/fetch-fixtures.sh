#!/usr/bin/env bash
# Puts llama.cpp's vocab-only GGUF files and their tokenizer cases into .cache/fixtures/.
# Source: ../shared/fixtures/ when that folder exists (it saves the download on the team's machines),
# otherwise the llama-cpp-python 0.3.36 source distribution on PyPI (vendor/llama.cpp/models/).
# Idempotent: does nothing when every file is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/fixtures"
vocabs="qwen2 llama-spm llama-bpe gpt-2"
files=""
for v in $vocabs; do files="$files ggml-vocab-$v.gguf ggml-vocab-$v.gguf.inp ggml-vocab-$v.gguf.out"; done

complete=yes
for f in $files; do [ -s "$dest/$f" ] || complete=no; done
[ "$complete" = yes ] && exit 0
mkdir -p "$dest"

shared="$root/../shared/fixtures"
if [ -d "$shared" ]; then
    for f in $files; do cp -f "$shared/$f" "$dest/$f"; done
    echo "fixtures: copied from $shared"
    exit 0
fi

python=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps --no-binary llama-cpp-python llama-cpp-python==0.3.36 -d "$tmp"
sdist=$(ls "$tmp"/llama_cpp_python-0.3.36.tar.gz)
members=""
for f in $files; do members="$members llama_cpp_python-0.3.36/vendor/llama.cpp/models/$f"; done
# shellcheck disable=SC2086
tar -xzf "$sdist" -C "$tmp" $members
for f in $files; do cp -f "$tmp/llama_cpp_python-0.3.36/vendor/llama.cpp/models/$f" "$dest/$f"; done
echo "fixtures: extracted from the llama-cpp-python 0.3.36 sdist"
