#!/usr/bin/env python3
"""Write Tests/TokenizersTests/Golden/smollm2-tokenizer.json: llama.cpp's token ids for SmolLM2's vocabulary.

The reference is llama.cpp itself, through the llama-cpp-python 0.3.36 wheel (see /work/shared/wheels/README.md):

    python3 -m venv /tmp/venv-ref && /tmp/venv-ref/bin/pip install llama_cpp_python-0.3.36-*.whl numpy gguf jinja2
    /tmp/venv-ref/bin/python scripts/make-smollm-tokenizer-golden.py

It loads .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf (scripts/fetch-smollm2.sh fetches it) with
`Llama(vocab_only=True)` and tokenizes, without BOS and without parsing special tokens:
- every case of every fixture `.inp` file in .cache/fixtures (cases separated by "\\n__ggml_vocab_test__\\n"),
- a few chat-shaped texts and texts aimed at the digit split (Unicode digits, long numbers, spaces before digits),
- a seeded set of random mixes of tricky pieces (same seed, same texts).

The same texts, plus SPLIT_TEXTS (short texts aimed at one splitter rule each), are also tokenized with copies of
the Llama 3 fixture vocabulary (.cache/fixtures/ggml-vocab-llama-bpe.gguf) whose `tokenizer.ggml.pre` names another
pre-tokenizer (see VARIANTS), so that the splitters behind those names are checked against llama.cpp too. That
vocabulary is used rather than SmolLM2's because its 128k tokens (three-digit numbers, whole words such as
"JavaScript", contractions, Devanagari syllables) make different word splits give different ids; SmolLM2's small
vocabulary hides most of them. The copies are written to a temporary folder and deleted.

It also renders a few conversations with the file's own chat template the way llama-cpp-python's chat completion
does (`Jinja2ChatFormatter`, then `tokenize(prompt, add_bos=False, special=True)`), and stores the prompt text and
its ids under "chats".

Each case stores the text, llama.cpp's ids and, when it differs from the text, llama.cpp's detokenized text
(`llama_detokenize`). A variant stores the ids of every text of "variant_texts" (of "alias_texts" when "short"), its
detokenized texts where they differ from the text (by index) and whether llama.cpp adds BOS for that name.
"""

import argparse
import json
import os
import random
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, ".cache", "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
FIXTURES = os.path.join(ROOT, ".cache", "fixtures")
OUT = os.path.join(ROOT, "Tests", "TokenizersTests", "Golden", "smollm2-tokenizer.json")

# Other tokenizer.ggml.pre names to check with the same vocabulary (their splitters and flags, not their
# vocabularies): the names SmolLM's splitter shares, the ones Batchgate had before (a regression check on other
# text), and those of the Llama, Qwen and Mistral families.
VARIANTS = [
    "starcoder", "refact", "command-r", "qwen2", "llama-bpe", "gpt-2", "default", "pixtral", "qwen35", "tekken",
    "gpt-4o", "llama4",
]

# Names that share one of the splitters above, checked on the short texts only ("alias_texts": fixture, chat and
# SPLIT_TEXTS) for their flags: BOS default, space clean-up, ignore_merges.
ALIASES = [
    "smollm", "deepseek-r1-qwen", "megrez", "stablelm2", "llama3", "llama-v3", "falcon3", "dbrx", "smaug-bpe",
    "phi-2", "mpt", "olmo",
]

CHAT_TEXTS = [
    "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n",
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "The capital of France is Paris.",
    "Hello! How can I help you today? 😊",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "Call 555-0123 or +44 20 7946 0958 before 10:05 on 2026-12-07; pay $1,234.56 (or 1.5e-10).",
    "Version 3.14159265358979 and 0x7FFF_FFFF, 100000000000 items, 2²=4, ½ cup, ٣٤٥ and ३४५ and ⅻ.",
    "  leading spaces, trailing spaces   \n\n\n tabs\tand\r\nCRLF   ",
    "I'm sure you'll see it's THEIR car, isn't it? We've said we'd go.",
    "中文文本：价格是123元。日本語のテキスト、２０２６年。한국어 123.",
    "Ελληνικά, кириллица, עברית, العربية ١٢٣, ไทย, e\u0301te\u0301.",
    "```json\n{\"a\": [1, 2, 3], \"b\": null}\n```",
    "a1b2c3  4  5\t6\n7 8",
    "Hello , world ! Is n't it ? I 'm here , you 're there . They 've gone , 's all",
    "camelCaseWords and PascalCase, HTTPServer, iPhone, XMLHttpRequest, ÉcoleNormale, ßtraße, ǅemal, ŉ",
    "path/to/file.txt, a//b, !!/\n/x, 'S 'LL 'Re THEY'RE they'Ve, Über'S",
    "नमस्ते दुनिया, ক্ষমা, தமிழ், e\u0301\u0302, \u0301abc, x\u20dd, ก่อน",
]

PIECES = [
    " ", "  ", "\n", "\r\n", "\t", "\u00a0", "\u3000", "'s", "'LL", "'", "a", "Z", "hello", " world", "3", " 42",
    "1234567", "½", "٣", "०", "Ⅻ", "²", ".", "!?", "```", "<|im_start|>", "<s>", "我", "想在", "한국어", "ไทย",
    "кириллица", "e\u0301", "\u0300", "\u200d", "😀", "👩‍👩‍👧", "🇫🇷", "✅", "\ufffd", "Ã©", "\U0001d11e", "▁", "Ġ",
    "ÿ", "$", "+=", "->", "...", "--", "//", "#", "_x", "Über", "ÉCOLE", "naïve", "camelCase", "HTTPServer", "A",
    "bC", "É", "é", "ǅ", "\u0301", "\u093f", "न", "'S", "/",
]


# One rule each: case changes inside words, contractions, combining marks, digit runs, '/' after punctuation.
SPLIT_TEXTS = [
    "JavaScript", "YouTube", "iPhone", "GitHub", "PowerPoint", "LinkedIn", "McDonald", "eBay", "macOS", "WordPress",
    "HTTPServer", "XMLHttpRequest", "getElementById", "ÉcoleNormale", "ÜberSchall", "naïveTé", "ÉCOLE NORMALE",
    "ÜBER ALLES", "AÉB", "ĆEVAPI",
    "don't", "DON'T", "we'll", "THEY'RE", "I'm", "it's", "Über's", "o'clock", "we'reading", "they'reading",
    "नमस्ते", "हिन्दी भाषा", "ক্ষমা", "தமிழ்", "ก่อน", "e\u0301te\u0301", " \u0301abc",
    "1234567", "3.14159", "2026-12-07", "٣٤٥٦", "१२३४",
    "!!\n/x", "a/b//c", "))\n\n/", "?\r\n/",
]

CONVERSATIONS = [
    ([("user", "Hello!")], True),
    ([("system", "You are terse."), ("user", "Hello!")], True),
    ([("user", "What is 2+2?"), ("assistant", "4."), ("user", "And 3+3?")], True),
    ([("system", "Answer in French."), ("user", "Hi"), ("assistant", "Salut !"), ("user", "Bye\nnow")], True),
    ([("user", "No generation prompt")], False),
]


def fixture_texts():
    texts = []
    for name in sorted(os.listdir(FIXTURES)):
        if not name.endswith(".inp"):
            continue
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
            cases = f.read().split("\n__ggml_vocab_test__\n")
        if cases and cases[-1] == "":
            cases.pop()
        texts += cases
    return texts


def random_texts(count, seed):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.7:
                parts.append(rng.choice(PIECES))
            else:
                lo, hi = rng.choice([(0x20, 0x7E), (0xA0, 0x2FFF), (0x3000, 0xD7FF), (0x10000, 0x1FAFF)])
                parts.append(chr(rng.randint(lo, hi)))
        texts.append("".join(parts))
    return texts


def unique(texts):
    seen = set()
    out = []
    for text in texts:
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def copy_with_pre(source, destination, pre):
    """Writes a vocab-only copy of `source` (every key, no tensors) with tokenizer.ggml.pre set to `pre` and without
    tokenizer.ggml.add_bos_token, so that the name's own BOS default shows."""
    import gguf

    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(destination, arch=reader.fields["general.architecture"].contents())
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key in ("general.architecture", "tokenizer.ggml.add_bos_token"):
            continue
        value = pre if key == "tokenizer.ggml.pre" else field.contents()
        main = field.types[0]
        sub = field.types[-1] if main == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, value, main, sub_type=sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def detokenize(llm, ids):
    """llama.cpp's own `llama_detokenize` (with the vocabulary's space clean-up; `Llama.detokenize` only joins
    pieces), without removing or rendering special tokens."""
    import ctypes

    import llama_cpp

    tokens = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
    size = 64 + 8 * len(ids)
    while True:
        buffer = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_detokenize(llm._model.vocab, tokens, len(ids), buffer, size, False, False)
        if n >= 0:
            return buffer.raw[:n].decode("utf-8", errors="replace")
        size = -n + 1


def tokenize_all(path, texts):
    """The cases, and whether llama.cpp adds BOS when asked to add special tokens."""
    import llama_cpp

    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    cases = []
    for text in texts:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        decoded = detokenize(llm, ids)
        case = {"text": text, "ids": ids}
        if decoded != text:
            case["decoded"] = decoded
        cases.append(case)
    adds_bos = llm.tokenize(b"Hi", add_bos=True, special=False)[0] == llm.token_bos()
    return cases, adds_bos


def render_chats(path):
    """Conversations rendered with the file's Jinja template and tokenized as llama-cpp-python's chat completion does."""
    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    template = llm.metadata["tokenizer.chat_template"]
    bos = llm.detokenize([llm.token_bos()], special=True).decode()
    eos = llm.detokenize([llm.token_eos()], special=True).decode()
    chats = []
    for turns, add_generation_prompt in CONVERSATIONS:
        messages = [{"role": role, "content": content} for role, content in turns]
        formatter = Jinja2ChatFormatter(template, eos, bos, add_generation_prompt=add_generation_prompt)
        prompt = formatter(messages=messages).prompt
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        chats.append({"messages": messages, "add_generation_prompt": add_generation_prompt, "text": prompt, "ids": ids})
    return chats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--variant-vocab", default=os.path.join(FIXTURES, "ggml-vocab-llama-bpe.gguf"))
    ap.add_argument("--random", type=int, default=200, help="number of seeded random texts")
    ap.add_argument("--seed", type=int, default=20261207)
    args = ap.parse_args()
    if not os.path.exists(args.model):
        sys.exit(f"{args.model} is missing: run scripts/fetch-smollm2.sh")

    import llama_cpp

    texts = unique(fixture_texts() + CHAT_TEXTS + random_texts(args.random, args.seed))
    cases, adds_bos = tokenize_all(args.model, texts)
    golden = {
        "generator": "scripts/make-smollm-tokenizer-golden.py",
        "reference": f"llama-cpp-python {llama_cpp.__version__} (llama.cpp), Llama(vocab_only=True).tokenize("
        "text, add_bos=False, special=False)",
        "model": os.path.basename(args.model),
        "pre": "smollm",
        "adds_bos": adds_bos,
        "cases": cases,
        "variants": {},
        "chats": render_chats(args.model),
    }
    golden["variant_vocab"] = os.path.basename(args.variant_vocab)
    golden["variant_texts"] = unique(texts + SPLIT_TEXTS)
    golden["alias_texts"] = unique(fixture_texts() + CHAT_TEXTS + SPLIT_TEXTS)
    with tempfile.TemporaryDirectory() as tmp:
        for pre in VARIANTS + ALIASES:
            path = os.path.join(tmp, f"vocab-{pre}.gguf")
            copy_with_pre(args.variant_vocab, path, pre)
            short = pre in ALIASES
            variant, variant_bos = tokenize_all(path, golden["alias_texts" if short else "variant_texts"])
            golden["variants"][pre] = {
                "short": short,
                "adds_bos": variant_bos,
                "ids": [case["ids"] for case in variant],
                "decoded": {str(i): case["decoded"] for i, case in enumerate(variant) if "decoded" in case},
            }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    size = os.path.getsize(args.out)
    print(f"{args.out}: {len(texts)} texts, variants {VARIANTS + ALIASES}, {size} bytes")


if __name__ == "__main__":
    main()
