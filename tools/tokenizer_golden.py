#!/usr/bin/env python3
"""tokenizer_golden.py — reference token ids from Hugging Face transformers.

Foundry's tokenizer (src/text/) must give exactly the ids transformers gives.
This script writes those ids for a list of test strings:

    python3 tools/tokenizer_golden.py CASES_JSON OUT_JSONL [MODEL_FOLDER]

CASES_JSON is a JSON list of strings (tests/data/tokenizer/cases.json);
OUT_JSONL gets one line per case: {"text": ..., "ids": [...]} from
AutoTokenizer.from_pretrained(MODEL_FOLDER)(text)["input_ids"] with the
default add_special_tokens. MODEL_FOLDER defaults to
../shared/models/qwen2.5-0.5b-instruct-shape relative to this script's repo.

    python3 tools/tokenizer_golden.py --make-cases OUT_JSON

regenerates the case list itself (deterministic: fixed seed; needs no
transformers).
"""
import json
import os
import random
import sys


def make_cases():
    c = []
    # --- basics, hand-checkable
    c += ["Hello world", "Hello, world!", "hello", " hello", "  hello", "hello ", "hello  ", "",
          " ", "  ", "\n", "\n\n", "\t", "a", "A", "I", "The quick brown fox jumps over the lazy dog.",
          "HELLO WORLD", "hElLo WoRlD", "Hello\nworld", "Hello\r\nworld", "Hello\tworld"]
    # --- Latin with accents, other scripts
    c += ["café", "naïve façade", "Crème brûlée à la carte", "Ångström Øresund Æble", "Straße größer",
          "Łódź Kraków Gdańsk", "Señor Niño mañana", "Ça va? Très bien.", "İstanbul ığdır şişe",
          "Tiếng Việt có dấu", "Čeština řeřicha", "Português: ação, coração, pão",
          "Привет, мир!", "Съешь же ещё этих мягких французских булок", "ЗАГЛАВНЫЕ БУКВЫ",
          "Γειά σου Κόσμε", "Ελληνικά: αβγδεζηθ ΑΒΓΔ", "مرحبا بالعالم", "اللغة العربية جميلة ١٢٣",
          "שלום עולם", "עברית: אבגד", "नमस्ते दुनिया", "हिन्दी भाषा में लिखा गया", "สวัสดีชาวโลก",
          "ภาษาไทยไม่มีช่องว่าง", "你好，世界", "我爱自然语言处理。", "中文标点：，。！？、；",
          "こんにちは世界", "カタカナとひらがなと漢字", "日本語のテキストです。", "안녕하세요 세계",
          "한국어 텍스트입니다", "ქართული ენა", "Հայերեն", "አማርኛ", "தமிழ் மொழி", "বাংলা ভাষা",
          "ਪੰਜਾਬੀ", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "తెలుగు", "සිංහල", "ລາວ", "ខ្មែរ", "မြန်မာ",
          "ᠮᠣᠩᠭᠣᠯ", "ᚠᚢᚦᚨᚱᚲ", "Ⲁⲃⲅ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "𐍈𐌰𐌹", "mixed English 中文 日本語 한국어 русский"]
    # --- emoji
    c += ["😀", "😀😃😄", "I ❤️ you", "👍🏽", "👋🏻👋🏼👋🏽👋🏾👋🏿", "👨‍👩‍👧‍👦", "👩‍💻 coding", "🏳️‍🌈",
          "🇺🇸🇬🇧🇯🇵", "🇩🇪 flag", "emoji at end 🎉", "🎉 emoji at start", "a😀b", "1️⃣2️⃣3️⃣", "☺︎ ☺️",
          "🧑🏾‍🚀", "🫠🫡🫶", "❤️‍🔥", "🐈‍⬛"]
    # --- code
    c += ["def foo(x):\n    return x + 1\n",
          "import numpy as np\n\nclass A:\n    def __init__(self):\n        self.x = [1, 2, 3]\n",
          "for i in range(10):\n\tprint(i)\n",
          "#include <stdio.h>\nint main(void) {\n    printf(\"hi\\n\");\n    return 0;\n}\n",
          "int *p = &a[0]; p->x += 2; x <<= 3; y = a ? b : c;",
          '{"key": "value", "n": 1.5e-3, "list": [true, false, null]}',
          '{\n  "a": {\n    "b": [1, 2, 3]\n  }\n}',
          "<!DOCTYPE html>\n<html><head><title>T</title></head><body><p class=\"x\">Hi &amp; bye</p></body></html>",
          "<div id='main'>\n  <span>text</span>\n</div>",
          "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do echo \"$f\" | grep -v '^#' >> out.log; done\n",
          "ls -la /usr/local/bin && cd ~ || exit 1",
          "SELECT id, name FROM users WHERE age > 30 ORDER BY name;",
          "fn main() { let v: Vec<u8> = vec![1, 2]; println!(\"{:?}\", v); }",
          "const f = (a, b) => a === b ? `${a}` : null;",
          "x = 1_000_000  # comment\ny=x**2//3",
          "    indented with four spaces", "\tindented with tab", "        \n        ",
          "if (a&&b||!c) {}", "a->b", "::std::vector<int>", "@decorator\ndef f(): pass",
          "https://example.com/path?q=1&r=two#frag", "user@example.com", "C:\\Users\\name\\file.txt",
          "$ pip install -U transformers==4.44.0", "// TODO: fix this\n/* block */"]
    # --- whitespace runs
    c += ["a  b", "a   b", "a    b", "a          b", "a\t\tb", "a \t b", "a\n\nb", "a\n\n\nb",
          "a\r\n\r\nb", "a \n b", "a  \n  b", "trailing space ", "trailing spaces   ", "trailing tab\t",
          "trailing newline\n", "trailing newlines\n\n\n", "   leading spaces", "\n\nleading newlines",
          " \n \n ", "\r\n", "\r", "\r\r\n\n", "line1\rline2", "x\u00a0y", "x\u2003y", "x\u3000y",
          "x\u200by", "x\u2028y", "x\u0085y", "x\u180ey", "x\u000by\u000cz", "end with nbsp\u00a0",
          "tabs\t\t\t", "     ", "\t \t \t", "a" + " " * 40 + "b", "\n" * 20, " " * 100]
    # --- numbers
    c += ["0", "7", "42", "123", "1234", "12345678901234567890", "3.14159", "-2.5e10", "1,000,000",
          "1.000.000,50", "$1,234.56", "100%", "2024-01-15", "12:30:45", "+1 (555) 123-4567",
          "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "१२३", "Ⅻ Ⅳ", "½ ¾ ²³", "version 2.0.1-beta", "0x1F 0b1010 1e-9",
          "π ≈ 3.14", "3rd 21st 100th"]
    # --- contractions
    c += ["don't", "I'm", "you're", "we've", "he'll", "she'd", "it's", "they'RE", "IT'S", "I'LL", "WE'VE",
          "He'S", "'s", "'S", "'ll", "'LL", "don 't", "rock 'n' roll", "''", "'", "it’s (curly)",
          "O'Neil's", "can't won't shouldn't", "y'all'd've", "'re'd'm'T"]
    # --- special tokens in text
    c += ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start|>user\nHello<|im_end|>\n",
          "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
          "word<|im_end|>word", "word <|im_end|> word", "  <|endoftext|>  ", "<|endoftext|><|endoftext|>",
          "<|im_start|<|im_end|>", "<|im_end", "<|IM_END|>", "<|im_end|>>", "<<|im_end|>",
          "<tool_call>\n{\"name\": \"f\"}\n</tool_call>", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>",
          "<|vision_start|><|image_pad|><|vision_end|>", "text<|file_sep|>more", "<|repo_name|>foundry",
          "<|box_start|>(1,2)<|box_end|>", "\n<|im_end|>\n", "<|im_end|>\n\n"]
    # --- NFC
    c += ["e\u0301", "cafe\u0301", "A\u030a", "n\u0303o", "u\u0308ber", "\u1100\u1161\u11a8",
          "o\u0302\u0323", "\u212b", "\u2126", "e\u0301\u0301", "\u0301 leading combining",
          "\ufb01 ligature", "ﬀ ﬃ", "Ａｂｃ fullwidth", "x\u0338", "\u0958", "\u00c5 vs A\u030a"]
    # --- misc punctuation and symbols
    c += ["Hello!!!", "What?!", "...", "—dash–dash-", "«guillemets»", "“quotes” ‘single’", "(parens)",
          "[brackets] {braces}", "a/b\\c|d", "~`!@#$%^&*()_+-=", "* bullet\n- item\n1. first",
          "# Heading\n\n**bold** _it_ `code`", "| a | b |\n|---|---|", "→ ← ↑ ↓ ⇒", "∀x∈ℝ: x² ≥ 0",
          "©®™", "°C °F", "£€¥₹₽", "...!?", "?!?!", "--", "___", "==="]
    # --- engine corner cases: whitespace classes, case folding, NUL, long runs
    c += ["a\x1c\x1d\x1e\x1fb", "a\u2029b", "a\u2028\u2029 b", "x\u00ady", "'\u017f", "IT'\u017f", "\u212a'S",
          "\u0130'S", "a\u0000b", "\u0000", "\ufeffBOM", "zero\u200bwidth\u200cjoin\u200d", " " * 300 + "x",
          "a" * 500, "7" * 64, "\t\n", " \t\n", "x \n\n y", "x\n \ny", "<|im_end|><|im_start|>",
          "abc<|im_start|>def", "<|im_start|> ", " <|im_start|>", "\n\n<|endoftext|>\n\n", "\u3000\u3000x",
          "\u00a0\u00a0x", "x\u00a0\u00a0", "Ǆ ǅ ǆ", "ﬆ", "Σς σ", "i̇", "\U0001F600\u0301",
          "\u0915\u093c", "\u0958\u0301", "\u1100\u1161", "\uac00\u11a8", "e\u0301\u0327"]
    # --- random strings from a mixed alphabet (fixed seed)
    alphabet = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                + list(" " * 12) + ["\n", "\n", "\t", "\r\n", "  ", "'", "'s", "'LL", ".", ",", "!", "?",
                                    "-", "_", "(", ")", "{", "}", "<", ">", "\"", "#", "$", "%", "&", "*"]
                + list("éèüöäßçñøåÉÜ") + list("привет") + list("αβγ") + list("你好世界中文")
                + list("こんにちはカナ") + list("한국어") + list("مرحبا") + list("שלום") + list("नमस्ते")
                + list("สวัสดี") + ["😀", "👍🏽", "🇯🇵", "👨‍👩‍👧", "e\u0301", "\u00a0", "\u3000"]
                + ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "1,000", "3.14", "   ", "\t\t"])
    rng = random.Random(20240611)
    for _ in range(200):
        n = rng.randint(1, 40)
        c.append("".join(rng.choice(alphabet) for _ in range(n)))
    # a few longer mixed paragraphs
    for _ in range(10):
        n = rng.randint(100, 400)
        c.append("".join(rng.choice(alphabet) for _ in range(n)))
    seen, out = set(), []
    for s in c:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--make-cases":
        cases = make_cases()
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            json.dump(cases, f, ensure_ascii=False, indent=0)
            f.write("\n")
        print(f"{len(cases)} cases -> {sys.argv[2]}")
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    folder = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        here, "..", "..", "shared", "models", "qwen2.5-0.5b-instruct-shape")
    from transformers import AutoTokenizer  # only this mode needs it
    tok = AutoTokenizer.from_pretrained(folder)
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for s in cases:
            f.write(json.dumps({"text": s, "ids": tok(s)["input_ids"]}) + "\n")
    print(f"{len(cases)} cases -> {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
