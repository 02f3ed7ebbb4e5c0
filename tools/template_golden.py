#!/usr/bin/env python3
"""template_golden.py — reference chat-template renderings for Foundry's
Jinja interpreter (src/text/jinja_*.c, tests/test_template_golden.c).

    python3 tools/template_golden.py OUT_JSONL [--templates DIR] [--backend auto|transformers|jinja2]

renders every template in DIR (default tests/data/templates: the *.jinja files
and */tokenizer_config.json) with every conversation below and writes one JSON
line per case:

    {"template": "Qwen-Qwen3-0.6B.jinja", "case": "think", "messages": [...],
     "add_generation_prompt": true, "tools": null, "vars": {...}, "now": 1764493507,
     "output": "..."}           (or "error": "the exception's message")

and then one line per unit template (UNITS: one construct or a few each), with
"source": the template text in place of "template".

The renderer is transformers' own (transformers.utils.chat_template_utils:
_compile_jinja_template + render_jinja_template, as apply_chat_template uses
them) when transformers imports, else jinja2 with transformers' environment
replicated (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, {% generation %}, tojson = json.dumps(ensure_ascii=False, ...), raise_exception,
strftime_now). --backend forces one. strftime_now is pinned to NOW (UTC) in
both, so dated templates (Llama 3.2) render the same on every day. Needs no
network. Prints a summary; exit status 1 if the backend could not be set up.

Special tokens: a *.jinja template gets the strings of its model's
tokenizer_config.json (the table SPECIALS below); a tokenizer_config.json gets
its own, read the way fd_template_load reads them.
"""
import argparse
import datetime
import glob
import inspect
import json
import os
import sys
import types

NOW = 1764493507  # 2025-11-30 09:05:07 UTC

SPECIALS = {
    "Qwen-Qwen2.5-7B-Instruct.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "Qwen-Qwen3-0.6B.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "meta-llama-Llama-3.1-8B-Instruct.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "meta-llama-Llama-3.2-3B-Instruct.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "google-gemma-2-2b-it.jinja": {"bos_token": "<bos>", "eos_token": "<eos>", "unk_token": "<unk>",
                                   "pad_token": "<pad>"},
    "HuggingFaceTB-SmolLM3-3B.jinja": {"eos_token": "<|im_end|>", "pad_token": "<|im_end|>"},
}

TOOLS = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city — «quoted», naïve.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}]

U = "user"
A = "assistant"
S = "system"


def m(role, content, **kw):
    d = {"role": role, "content": content}
    d.update(kw)
    return d


# (name, messages, add_generation_prompt, extra vars, tools)
CASES = [
    ("basic", [m(U, "Hello!")], True, {}, None),
    ("system", [m(S, "You are a terse assistant."), m(U, "What is 2+2?")], True, {}, None),
    ("multi_turn", [m(S, "Answer briefly."), m(U, "Hi"), m(A, "Hello! How can I help?"), m(U, "Name a color."),
                    m(A, "Blue."), m(U, "Another one?")], True, {}, None),
    ("multi_turn_no_system", [m(U, "Hi"), m(A, "Hello."), m(U, "Bye")], True, {}, None),
    ("final_assistant", [m(U, "Write a haiku."), m(A, "Autumn moonlight—\na worm digs silently\ninto the chestnut.")],
     False, {}, None),
    ("final_assistant_system", [m(S, "Be kind."), m(U, "Hi"), m(A, "Hi there!")], False, {}, None),
    ("unicode", [m(U, "Grüße aus Köln — 你好，世界 🌍👋🏽 ¿Qué tal? Привет! \u00a0nbsp and \u2028 separators"),
                 m(A, "مرحبا! こんにちは 🎉"), m(U, "e\u0301 vs \u00e9, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢")], True, {}, None),
    ("template_syntax", [m(U, "{{ messages }} {% if true %}x{% endif %} {# not a comment #} <|im_end|> "
                              "<|start_header_id|> {%- raw -%} \\n '\" }} %}"),
                         m(A, "{{ bos_token }}{% for x in y %}"), m(U, "{{'a'|upper}}")], True, {}, None),
    ("think", [m(U, "What is 17*3?"), m(A, "<think>\n17*3 = 51.\n</think>\n\n51."), m(U, "And 17*4?")],
     True, {}, None),
    ("think_last", [m(U, "What is 17*3?"), m(A, "<think>\nLet me compute: 17*3 = 51.\n</think>\n\nIt is 51.")],
     False, {}, None),
    ("reasoning_content", [m(U, "Hi"), m(A, "Hello!", reasoning_content="The user greets me.")], False, {}, None),
    ("no_thinking", [m(U, "Quick answer: capital of France?")], True, {"enable_thinking": False}, None),
    ("empty_message", [m(U, ""), m(A, ""), m(U, "Are you there?")], True, {}, None),
    ("empty_system", [m(S, ""), m(U, "Hi")], True, {}, None),
    ("whitespace", [m(S, "  padded system  \n"), m(U, "\n\n  leading and trailing  \n\t"),
                    m(A, "  spaced answer \n"), m(U, " ok ")], True, {}, None),
    ("tools", [m(S, "You can call tools."), m(U, "Weather in Zürich?")], True, {}, TOOLS),
    ("tool_calls", [m(U, "Weather in Zürich?"),
                    m(A, "", tool_calls=[{"type": "function", "function": {
                        "name": "get_weather", "arguments": {"city": "Zürich", "days": 2, "precise": True,
                                                             "ratio": 0.5, "none": None, "list": [1, "two"]}}}]),
                    m("tool", "{\"temperature\": 21.5, \"sky\": \"clear\"}"),
                    m(A, "It is 21.5 °C and clear.")], False, {}, TOOLS),
    ("long_conversation", [m(U if i % 2 == 0 else A, "Turn %d: %s" % (i, "word " * (i % 7))) for i in range(24)],
     True, {}, None),
]

# Small templates of our own, one or a few constructs each, rendered with the
# variables UNIT_VARS (messages included); they land in the same file with
# "source" (the template text) instead of "template" (a file name).
UNIT_VARS = {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": " Yo \n"}],
     "s": "héllo wörld", "n": 7, "f": 2.5, "l": [3, 1, 2], "d": {"b": 1, "a": [1, 2], "c": None}, "e": "", "t": True}
UNITS = [
 # literals and printing
 "{{ 'a' }}{{ \"b\" }}{{ 1 }}{{ 1.5 }}{{ true }}{{ none }}{{ [1, 'x', none] }}{{ {'k': 'v'} }}{{ (1, 2) }}{{ (1,) }}",
 "{{ 1e20 }} {{ 0.1 + 0.2 }} {{ 1/3 }} {{ 10/2 }} {{ 1e-5 }} {{ 123456789012345678.0 }} {{ -0.0 }}",
 "{{ 'it''s' }}{{ \"q'\" }}{{ ['it\\'s', 'a\"b', 'c\\nd'] }}",
 "{{ '\\u00e9\\x41\\t|' }}{{ 'a' 'b' }}",
 # arithmetic
 "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 2 * 3 + 1 }} {{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }}",
 "{{ 'ab' * 3 }}{{ [1] * 2 }}{{ 'a' + 'b' }}{{ [1] + [2] }}{{ 1 ~ 'x' ~ none }}{{ -n }} {{ +f }} {{ n - f }}",
 # comparisons and logic
 "{{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' in 'cat' }} {{ 2 in l }} {{ 'a' in d }} {{ 'z' not in d }}",
 "{{ true and 'x' }} {{ false or 'y' }} {{ not e }} {{ e or 'empty' }} {{ n if t else 0 }} {{ n if not t }}|",
 # strings
 "{{ s|length }} {{ s[1] }} {{ s[1:4] }} {{ s[::-1] }} {{ s[-3:] }} {{ s[::2] }} {{ l[::-1] }} {{ l[1:] }} {{ s[100:] }}|",
 "{{ '  x y  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nabc\\n'.lstrip('\\n') }}|{{ 'abc  '.rstrip() }}|",
 "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a<t>b<t>c'.split('<t>')[-1] }} {{ 'a b c'.split(' ', 1) }}",
 "{{ s.startswith('hé') }} {{ s.endswith('x') }} {{ s.startswith(('x', 'h')) }} {{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 1) }} {{ 'ab'.replace('', '-') }}",
 "{{ s.upper() }} {{ 'ÀB'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ s.find('w') }} {{ 'aaa'.count('a') }} {{ '-'.join(['a', 'b']) }}",
 # filters
 "{{ '  x  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ l|length }} {{ d|length }} {{ l|join('-') }} {{ l|first }} {{ l|last }} {{ s|first }}",
 "{{ undefined_var|default('dflt') }} {{ e|default('dflt') }} {{ e|default('dflt', true) }} {{ none|default('x') }} {{ n|d(1) }}",
 "{{ d|list }} {{ 'abc'|list }} {{ d|items|list }} {{ l|reverse|list }} {{ 'abc'|reverse }} {{ s|upper }} {{ 'AbC'|lower }} {{ 'ab cd'|title }} {{ 'ab'|capitalize }}",
 "{{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ messages|map(attribute='role')|join(',') }} {{ messages|rejectattr('role', 'eq', 'user')|map(attribute='content')|list }}",
 "{{ [1, 0, 2, none]|select|list }} {{ [1, 2, 3, 4]|reject('odd')|list }} {{ ['a', 'B']|map('upper')|list }} {{ messages|selectattr('missing')|list }}",
 "{{ 3|string }}{{ 1.0|string }}{{ '5'|int + 1 }} {{ '2.5'|float }} {{ 'x'|int }} {{ -3|abs }} {{ (-3)|abs }} {{ '<a>'|e }} {{ '<a>'|safe }}",
 "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|",
 # tojson
 "{{ d|tojson }} {{ l|tojson }} {{ s|tojson }} {{ 'q\"\\\\\\n\\t\\u0001'|tojson }} {{ f|tojson }} {{ none|tojson }} {{ t|tojson }}",
 "{{ d|tojson(indent=2) }}|{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ s|tojson(ensure_ascii=true) }}|{{ {}|tojson(indent=4) }}|{{ [[]]|tojson(indent=1) }}",
 "{{ {'x': {'y': [1, {'z': 'é'}]}}|tojson(indent=4) }}|{{ {1: 'a', true: 'b'}|tojson }}|{{ 1e100|tojson }}|{{ '🌍'|tojson(ensure_ascii=true) }}",
 # tests
 "{{ x is defined }} {{ n is defined }} {{ none is none }} {{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ n is iterable }} {{ s is iterable }}",
 "{{ n is number }} {{ n is integer }} {{ f is float }} {{ t is boolean }} {{ t is true }} {{ t is false }} {{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ n is not none }}",
 "{{ 'a' is in 'abc' }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ raise_exception is callable }} {{ x is undefined }} {{ l is sequence }}",
 # statements
 "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}|{% if false %}a{% elif false %}b{% endif %}|",
 "{% for x in l %}{{ loop.index }}:{{ x }}{{ ',' if not loop.last }}{% endfor %}|{% for x in [] %}no{% else %}empty{% endfor %}",
 "{% for x in l %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
 "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in 'héy' %}[{{ c }}]{% endfor %}",
 "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{% for x in range(6) if x is odd %}{{ x }}{{ loop.length }}{% endfor %} {% for i in range(2, 10, 3) %}{{ i }}{% endfor %} {{ range(5, 0, -2)|list }}",
 "{% for a in [[1, 2], [3, 4]] %}{% for b in a %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}|{% endfor %}",
 "{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}",
 "{% set ns = namespace(total=0, seen=[]) %}{% for i in l %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
 "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = (3, 4) %}{{ c[1] }}{% set msgs = messages[1:] %}{{ msgs|length }}",
 "{% set block %}inner {{ n }}{% endset %}[{{ block }}]{% set up | upper | replace('X', 'y') %}x{{ s }}{% endset %}{{ up }}",
 "{{ 'a\nb\n'|indent }}|{{ 'a\n\nb'|indent(width='> ', blank=true) }}|{{ 'a\fb\x85c'|indent(1) }}|{{ ''|indent(first=true) }}|",
 "{{ 'ab //cd(ef [gh-ij'|title }} {{ 'ab //cd(ef'.title() }} {{ () * 2 }} {{ (1,) * 2 }} {{ [none, x] }} {{ strftime_now('%f|%%f') }}",
 "{% if n > 3: %}yes{% else: %}no{% endif %}{% for i in l: %}{{ i }}{% endfor %}",
 "{{ not (messages|selectattr('role', 'equalto', 'nobody')) }} {{ messages|selectattr('role', 'equalto', 'nobody')|list|length }} {{ range(5, true, -2)|list }} {{ (messages|map(attribute='role'))|first }}",
 "{% generation %}kept {{ n }}{% endgeneration %}|{% macro m() %}{% endmacro %}{{ m }}",
 "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Z') }}",
 "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * fact(k - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}",
 "{{ messages[0].role }} {{ messages[0]['content'] }} {{ messages[-1].content|trim }} {{ d.a[1] }} {{ d.get('a') }} {{ d.get('zz', 'no') }} {{ d.get('zz') }} {{ l.0 }}",
 "{{ d.keys()|list }} {{ d.values()|list }} {{ messages[0].missing is defined }} {{ messages[5] is defined }} {{ dict(a=1) }} {{ namespace(a=1).a }}",
 "{{ strftime_now('%Y-%m-%d %H:%M:%S %b %A') }}",
 # whitespace control
 "a\n  {% if true %}\n  b\n  {% endif %}\n  c",
 "a  {%- if true -%}  b  {%- endif -%}  c {{- ' d ' -}} e",
 "x {# comment #} y\n  {#- c2 -#}  \nz",
 "a\n  {#+ kept blanks +#}\nb\n  {# c #}\nc{#-#}  d",
 "  {%+ if true %}keep{% endif %}\n{% if true +%}\nkept newline{% endif %}",
 "{% raw %}{{ not }} {% evaluated %}{% endraw %}|",
 "a\n  {% raw %}\n  x {{ y }}\n  {% endraw %}\nb {% raw -%}  \n z {%- endraw %} c {%+ raw %}\n w\n  {%+ endraw +%}\nd",
 "line1\r\nline2\r{{ 'x' }}\n",
 "{{ {'a': {'b': 1}}['a']['b'] }}{{ {'a': {'b': 1}}}}",
]
UNITS += [
    # scoping: a loop body's set stays in the iteration; if has no scope; macros see the template's top level
    "{% set x = 1 %}{% for i in [1] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}",
    "{% set x = 'top' %}{% macro m() %}{{ x }}{{ y }}{% endmacro %}{% set y = 'later' %}{{ m() }}",
    "{% for a in [1] %}{% for b in [2] %}{% set a = 5 %}{{ a }}{% endfor %}{{ a }}{% endfor %}",
    "{% macro m(a) %}{{ a }}{{ loop is defined }}{% endmacro %}{% for i in [1] %}{{ m(i) }}{% endfor %}",
    "{% for i in [1,2,3] %}{% if loop.first %}{% set first = i %}{% endif %}{{ first }}{% endfor %}",
    "{{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }} {% for i in 'abc' %}{{ loop.cycle('x', 'y') }}{% endfor %}",
    "{{ 'ß'.upper() }} {{ 'İ'.lower()|length }} {{ 'ﬁne straße'|title }} {{ 'ΟΔΟΣ ΣΑΣ'.lower() }} {{ 'ǆemal'.capitalize() }}",
    "{{ [1,2,3][1:] == [2,3] }} {{ (1, 2) == [1, 2] }} {{ {'a': 1} == {'a': 1.0} }}",
    "{{ 'abc' * 0 }}|{{ -1 * 'ab' }}|{{ 3 // -2 }} {{ 3 % -2 }} {{ -3.5 // 2 }} {{ 7.5 % 2 }} {{ 2 ** -1 }} {{ 2 ** 0.5 }}",
    "{{ 'a b'.split(none, 1) }} {{ '  '.split() }} {{ ''.split(',') }} {{ 'x'.startswith('') }} {{ 'abc'.endswith(('c', 'z')) }}",
    "{{ raise_exception('boom: ' ~ n) }}",
    "{{ nothing.attr }}",
    "{{ messages[0].nope.x }}",
    "{{ messages[7].role }}",
    "{{ 'a' + 1 }}",
    "{{ messages + 'x' }}",
]


def specials_from_config(cfg):
    out = {}
    for k in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        v = cfg.get(k)
        if isinstance(v, dict):
            v = v.get("content")
        if isinstance(v, str):
            out[k] = v
    extra = cfg.get("additional_special_tokens")
    if isinstance(extra, list):
        out["additional_special_tokens"] = [x.get("content") if isinstance(x, dict) else x for x in extra
                                            if isinstance(x, (str, dict))]
    return out


def template_of_config(cfg):
    ct = cfg.get("chat_template")
    if isinstance(ct, list):
        named = {e.get("name"): e.get("template") for e in ct if isinstance(e, dict)}
        return named.get("default") or next(iter(named.values()))
    return ct


def fixed_strftime(fmt):
    return datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).strftime(fmt)


def jinja2_renderer():
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    class Generation(jinja2.ext.Extension):
        """transformers' {% generation %} (AssistantTracker) when no mask is asked for: the body as is."""
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

        def _body(self, caller):
            return caller()

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = fixed_strftime

    def render(template, messages, agp, tools, variables):
        return env.from_string(template).render(messages=messages, tools=tools, documents=None,
                                                add_generation_prompt=agp, **variables)
    return "jinja2 %s (transformers' environment replicated)" % jinja2.__version__, render


def transformers_renderer():
    import transformers
    from transformers.utils import chat_template_utils as ctu

    class FixedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(NOW, tz or datetime.timezone.utc).replace(
                tzinfo=None if tz is None else tz)

    # strftime_now calls datetime.now() at render time: pin it, whichever way the module imported datetime
    if getattr(ctu, "datetime", None) is datetime.datetime:
        ctu.datetime = FixedDatetime
    elif getattr(ctu, "datetime", None) is datetime:
        shim = types.SimpleNamespace(**{k: getattr(datetime, k) for k in dir(datetime) if not k.startswith("__")})
        shim.datetime = FixedDatetime
        ctu.datetime = shim
    via = "render_jinja_template" if hasattr(ctu, "render_jinja_template") else "_compile_jinja_template().render"

    def render(template, messages, agp, tools, variables):
        compiled = ctu._compile_jinja_template(template)
        compiled.environment.globals["strftime_now"] = fixed_strftime   # the cached environment
        if hasattr(ctu, "render_jinja_template"):
            params = inspect.signature(ctu.render_jinja_template).parameters
            kw = dict(conversations=[messages], chat_template=template, add_generation_prompt=agp, tools=tools)
            if "documents" in params:
                kw["documents"] = None
            res = ctu.render_jinja_template(**kw, **variables)
            rendered = res[0] if isinstance(res, tuple) else res
            return rendered[0]
        return compiled.render(messages=messages, tools=tools, documents=None, add_generation_prompt=agp, **variables)
    return "transformers %s (chat_template_utils.%s)" % (transformers.__version__, via), render


def load_templates(folder):
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jinja"))):
        name = os.path.basename(path)
        with open(path, encoding="utf-8", newline="") as f:
            out.append((name, f.read(), SPECIALS.get(name, {})))
    for path in sorted(glob.glob(os.path.join(folder, "*", "tokenizer_config.json"))):
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        name = os.path.relpath(path, folder)
        out.append((name, template_of_config(cfg), specials_from_config(cfg)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="the JSONL file to write")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--templates", default=os.path.join(here, "tests", "data", "templates"))
    ap.add_argument("--backend", choices=["auto", "transformers", "jinja2"], default="auto")
    args = ap.parse_args()
    renderer = None
    if args.backend in ("auto", "transformers"):
        try:
            renderer = transformers_renderer()
        except ImportError as e:
            if args.backend == "transformers":
                print("template_golden: transformers is not usable: %s" % e, file=sys.stderr)
                return 1
    if renderer is None:
        renderer = jinja2_renderer()
    label, render = renderer
    templates = load_templates(args.templates)
    n_ok = n_err = 0
    date_seen = False
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        for name, text, specials in templates:
            for case, messages, agp, extra, tools in CASES:
                variables = dict(specials)
                variables.update(extra)
                rec = {"template": name, "case": case, "messages": messages, "add_generation_prompt": agp,
                       "tools": tools, "vars": variables, "now": NOW}
                try:
                    rec["output"] = render(text, json.loads(json.dumps(messages)), agp,
                                           json.loads(json.dumps(tools)) if tools else None, variables)
                    n_ok += 1
                    date_seen |= any(fixed_strftime(f) in rec["output"] for f in ("%d %b %Y", "%Y-%m-%d"))
                except Exception as e:  # the template's own errors (raise_exception) are golden too
                    rec["error"] = str(e)
                    n_err += 1
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        unit_vars = {k: v for k, v in UNIT_VARS.items() if k != "messages"}
        for i, text in enumerate(UNITS):
            rec = {"source": text, "case": "unit %d" % i, "messages": UNIT_VARS["messages"],
                   "add_generation_prompt": False, "tools": None, "vars": unit_vars, "now": NOW}
            try:
                rec["output"] = render(text, json.loads(json.dumps(UNIT_VARS["messages"])), False, None,
                                       json.loads(json.dumps(unit_vars)))
                n_ok += 1
            except Exception as e:
                rec["error"] = str(e)
                n_err += 1
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("template_golden: %s: %d templates x %d conversations + %d unit templates = %d cases "
          "(%d rendered, %d errors) -> %s" % (label, len(templates), len(CASES), len(UNITS),
                                              len(templates) * len(CASES) + len(UNITS), n_ok, n_err, args.out))
    if any("strftime_now" in t for _, t, _ in templates) and not date_seen:
        print("template_golden: strftime_now was not pinned to NOW (no fixed date in any output)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
