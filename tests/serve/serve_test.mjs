// serve_test.mjs — `foundry serve` against the official OpenAI client (npm
// `openai`), plain fetch and curl, on the tiny random model on the CPU.
//   node serve_test.mjs FOUNDRY_BIN
// Starts two servers on 127.0.0.1 with free ports (--port 0; the port is read
// from the "listening on" line): A (4 sequences, an API key, CORS) for the API
// and B (1 sequence, a queue of 1) for queue-full, disconnect and SIGTERM.
// Bounded: everything is killed and the test fails after LIMIT_MS. Prints one
// line per check; exit status 0 when all pass.
import { spawn, execFile } from 'node:child_process';
import OpenAI from 'openai';

const BIN = process.argv[2];
// SERVE_TEST_CLIENTS: the concurrent clients (16; test_serve passes 4 under the sanitizers, whose CPU
// kernels are several times slower); SERVE_TEST_LIMIT_S: the whole test's bound.
const CLIENTS = Number(process.env.SERVE_TEST_CLIENTS || 16);
const LIMIT_MS = Number(process.env.SERVE_TEST_LIMIT_S || 480) * 1000;
const T0 = Date.now();
const KEY = 'sekret';
const ORIGIN = 'https://example.test';
let failures = 0, checks = 0;
const servers = [];

function check(ok, what, detail) {
  checks++;
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${((Date.now() - T0) / 1000).toFixed(1).padStart(6)} s  ${what}${!ok && detail !== undefined ? ' — ' + JSON.stringify(detail).slice(0, 400) : ''}`);
}

function done(code) {
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  process.exit(code);
}
setTimeout(() => { console.log(`FAIL the test ran past ${LIMIT_MS / 1000} s`); done(1); }, LIMIT_MS).unref();

function start(args) {
  const p = spawn(BIN, ['serve', '--synthetic', 'tiny', '--dtype', 'q8_0', '--backend', 'cpu', '--host', '127.0.0.1',
                        '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m && !p.url) { p.url = m[1]; resolve(p); }
    });
    p.on('exit', (code) => { if (!p.url) reject(new Error(`foundry serve exited with ${code} before listening`)); });
  });
}

const post = (url, path, body, headers = {}) => fetch(url + path, {
  method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}`, ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
async function errorOf(res) { try { return (await res.json()).error ?? {}; } catch { return {}; } }
const curl = (args) => new Promise((resolve) => execFile('curl', ['-s', '-S', '--max-time', '120', ...args],
  { maxBuffer: 1 << 24 }, (err, stdout) => resolve(err ? `curl failed: ${err.message}` : stdout)));
const metric = async (url, name) => {
  const t = await (await fetch(url + '/metrics')).text();
  const m = t.match(new RegExp(`^${name} ([0-9.]+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const messages = (text) => [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: text }];

async function apiChecks(A) {
  const client = new OpenAI({ baseURL: A.url + '/v1', apiKey: KEY, maxRetries: 0, timeout: 300_000 });
  // models, health, metrics
  const models = await client.models.list();
  check(models.data.length === 1 && models.data[0].id === 'tiny', 'GET /v1/models lists the model', models.data);
  const health = await fetch(A.url + '/health');
  check(health.status === 200 && (await health.json()).status === 'ok', 'GET /health is ok');

  // plain chat
  const req = { model: 'tiny', messages: messages('Hello there'), max_tokens: 6, temperature: 0.9, seed: 11 };
  const c1 = await client.chat.completions.create(req);
  const text1 = c1.choices[0].message.content;
  check(c1.object === 'chat.completion' && typeof text1 === 'string' && c1.usage.completion_tokens > 0 &&
        c1.usage.total_tokens === c1.usage.prompt_tokens + c1.usage.completion_tokens, 'plain chat', c1);
  check(['stop', 'length'].includes(c1.choices[0].finish_reason), 'chat finish_reason', c1.choices[0]);
  // seeds: same seed, same text (and the kept cache was reused); another seed, another text
  const c2 = await client.chat.completions.create(req);
  check(c2.choices[0].message.content === text1, 'the same seed gives the same text', [text1, c2.choices[0].message.content]);
  check(c2.usage.prompt_tokens_details?.cached_tokens === c2.usage.prompt_tokens - 1,
        'a repeated prompt is served from the kept cache (prefix reuse)', c2.usage);
  const c3 = await client.chat.completions.create({ ...req, seed: 12 });
  check(c3.choices[0].message.content !== text1, 'another seed gives another text', [text1, c3.choices[0].message.content]);
  // a chat's next turn prefills only its new tokens
  const turn2 = await client.chat.completions.create({ ...req, messages: [...req.messages,
    { role: 'assistant', content: text1 }, { role: 'user', content: 'And then?' }] });
  check(turn2.usage.prompt_tokens_details.cached_tokens >= c1.usage.prompt_tokens - 1,
        'the next turn reuses the previous prompt from the cache', [c1.usage, turn2.usage]);

  // streamed chat equals the plain one, and the usage chunk comes last
  const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
  let streamed = '', usage = null, finish = null, last = null, roleFirst = null;
  for await (const ch of stream) {
    if (roleFirst === null) roleFirst = ch.choices[0]?.delta?.role ?? '';
    if (ch.choices.length) {
      streamed += ch.choices[0].delta?.content ?? '';
      if (ch.choices[0].finish_reason) finish = ch.choices[0].finish_reason;
    }
    if (ch.usage) usage = ch.usage;
    last = ch;
  }
  check(streamed === text1, 'streamed chat equals the plain reply', [streamed, text1]);
  check(roleFirst === 'assistant' && finish === c1.choices[0].finish_reason, 'stream: role first, finish_reason last');
  check(usage && last.choices.length === 0 && usage.completion_tokens === c1.usage.completion_tokens,
        'stream_options.include_usage: a last chunk with choices [] and the usage', last);

  // completions, plain and streamed
  const comp = await client.completions.create({ model: 'tiny', prompt: 'Once upon a time', max_tokens: 5, temperature: 0 });
  check(comp.object === 'text_completion' && comp.choices[0].text.length > 0 && comp.usage.completion_tokens === 5,
        'plain completion (ignore_eos not needed: greedy, 5 tokens)', comp);
  let ctext = '';
  for await (const ch of await client.completions.create({ model: 'tiny', prompt: 'Once upon a time', max_tokens: 5,
                                                            temperature: 0, stream: true }))
    ctext += ch.choices[0]?.text ?? '';
  check(ctext === comp.choices[0].text, 'streamed completion equals the plain one', [ctext, comp.choices[0].text]);

  // stop strings: cut a greedy reply at a piece of itself
  const long = await client.completions.create({ prompt: 'The list:', max_tokens: 8, temperature: 0, ignore_eos: true });
  const chars = Array.from(long.choices[0].text);
  if (chars.length >= 5) {
    const stop = chars[3] + chars[4], want = long.choices[0].text.slice(0, long.choices[0].text.indexOf(stop));
    const cut = await client.completions.create({ prompt: 'The list:', max_tokens: 8, temperature: 0, stop: [stop, 'zzzz'] });
    check(cut.choices[0].text === want && cut.choices[0].finish_reason === 'stop', 'a stop string ends the text before it',
          [long.choices[0].text, stop, cut.choices[0].text]);
    let st = '';
    for await (const ch of await client.completions.create({ prompt: 'The list:', max_tokens: 8, temperature: 0, stop,
                                                              stream: true })) st += ch.choices[0]?.text ?? '';
    check(st === want, 'a stop string never reaches a stream', [st, want]);
  } else {
    check(false, 'the greedy reply is long enough to cut', chars);
  }
  // min_tokens / max_completion_tokens
  const mt = await client.chat.completions.create({ messages: messages('Hi'), max_completion_tokens: 3, min_tokens: 3,
                                                    temperature: 0 });
  check(mt.usage.completion_tokens === 3 && mt.choices[0].finish_reason === 'length', 'max_completion_tokens and min_tokens', mt.usage);

  // tools: rendered through the template, tool results accepted, a call in the reply parsed (unit-tested in test_serve)
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city',
                  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const withTools = await client.chat.completions.create({ ...req, max_tokens: 2, tools });
  const noTools = await client.chat.completions.create({ ...req, max_tokens: 2, tools, tool_choice: 'none' });
  check(withTools.usage.prompt_tokens > c1.usage.prompt_tokens + 20 && noTools.usage.prompt_tokens === c1.usage.prompt_tokens,
        'tools are rendered into the prompt (and not with tool_choice "none")', [withTools.usage, noTools.usage, c1.usage]);
  let held = '', heldFinish = null;   // with tools the reply is held and sent whole at the end (parsed for calls)
  for await (const ch of await client.chat.completions.create({ ...req, max_tokens: 2, tools, stream: true })) {
    held += ch.choices[0]?.delta?.content ?? '';
    heldFinish = ch.choices[0]?.finish_reason ?? heldFinish;
  }
  check(held === (withTools.choices[0].message.content ?? '') && heldFinish === withTools.choices[0].finish_reason,
        'a streamed reply with tools equals the plain one', [held, withTools.choices[0].message]);
  const roundTrip = await client.chat.completions.create({ max_tokens: 2, temperature: 0, tools, messages: [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_0', type: 'function',
      function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_0', content: '22 C, sunny' }] });
  check(roundTrip.choices.length === 1 && roundTrip.usage.prompt_tokens > 40, 'a tool call and its result go back in', roundTrip.usage);

  // sixteen concurrent clients get what each got alone
  const reqs = Array.from({ length: CLIENTS }, (_, i) => ({ messages: messages(`Client ${i} says hi`), max_tokens: 4,
                                                       temperature: 0.8, seed: 100 + i, ignore_eos: true }));
  const alone = [];
  for (const r of reqs) alone.push((await client.chat.completions.create(r)).choices[0].message.content);
  const together = await Promise.all(reqs.map((r, i) => i % 2
    ? client.chat.completions.create(r).then((c) => c.choices[0].message.content)
    : client.chat.completions.create({ ...r, stream: true }).then(async (s) => {
        let t = ''; for await (const ch of s) t += ch.choices[0]?.delta?.content ?? ''; return t; })));
  check(together.every((t, i) => t === alone[i]), `${CLIENTS} concurrent clients (half streamed) equal their single-client runs`,
        together.map((t, i) => [t, alone[i]]).filter(([a, b]) => a !== b));

  // curl: plain and streamed
  const cj = JSON.parse(await curl(['-H', `Authorization: Bearer ${KEY}`, '-H', 'Content-Type: application/json',
    '-d', JSON.stringify(req), A.url + '/v1/chat/completions']));
  check(cj.choices?.[0]?.message?.content === text1, 'curl: plain chat', cj);
  const cs = await curl(['-N', '-H', `Authorization: Bearer ${KEY}`, '-d', JSON.stringify({ ...req, stream: true }),
                         A.url + '/v1/chat/completions']);
  const events = cs.split('\n\n').filter((e) => e.startsWith('data: '));
  const ctextc = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '').join('');
  check(events.at(-1) === 'data: [DONE]' && ctextc === text1, 'curl: a stream of server-sent events ending data: [DONE]', cs);

  // errors, in OpenAI's shape
  let r = await post(A.url, '/v1/chat/completions', '{"messages": [');
  let e = await errorOf(r);
  check(r.status === 400 && e.type === 'invalid_request_error' && /not JSON/.test(e.message), 'malformed JSON: 400', e);
  for (const [field, body] of [['temperature', { temperature: 'hot' }], ['n', { n: 2 }], ['logprobs', { logprobs: true }],
                               ['response_format', { response_format: { type: 'json_object' } }], ['max_tokens', { max_tokens: -1 }],
                               ['stop', { stop: [1] }], ['messages', { messages: [{ role: 'wizard', content: 'x' }] }],
                               ['tools', { tools: [{ type: 'function' }] }]]) {
    r = await post(A.url, '/v1/chat/completions', { messages: messages('x'), ...body });
    e = await errorOf(r);
    check(r.status === 400 && e.param === field && e.message.includes(field), `a bad or unsupported '${field}': 400 naming it`, e);
  }
  r = await post(A.url, '/v1/completions', { prompt: 'word '.repeat(400), max_tokens: 1 });
  e = await errorOf(r);
  check(r.status === 400 && /the prompt has \d+ tokens; the context has 256/.test(e.message), 'a prompt longer than the context: 400 with both lengths', e);
  r = await post(A.url, '/v1/chat/completions', { messages: messages('x') }, { Authorization: '' });
  check(r.status === 401 && (await errorOf(r)).type === 'authentication_error', 'no API key: 401');
  r = await post(A.url, '/v1/chat/completions', { messages: messages('x') }, { Authorization: 'Bearer sekreT' });
  check(r.status === 401, 'a wrong API key: 401');
  try { await new OpenAI({ baseURL: A.url + '/v1', apiKey: 'wrong', maxRetries: 0 }).models.list(); check(false, 'client: 401'); }
  catch (err) { check(err.status === 401, 'the client sees 401 as an AuthenticationError', err.status); }
  r = await post(A.url, '/v1/chat/completions', { model: 'gpt-9', messages: messages('x') });
  e = await errorOf(r);
  check(r.status === 404 && e.code === 'model_not_found' && e.param === 'model', 'an unknown model: 404', e);
  r = await post(A.url, '/v1/chat/completions', JSON.stringify({ messages: messages('x'.repeat(5 << 20)) }));
  check(r.status === 413, 'a body over 4 MiB: 413', r.status);
  r = await fetch(A.url + '/v1/nowhere', { headers: { Authorization: `Bearer ${KEY}` } });
  check(r.status === 404, 'an unknown route: 404');
  r = await fetch(A.url + '/v1/chat/completions', { headers: { Authorization: `Bearer ${KEY}` } });
  check(r.status === 405, 'GET on a POST route: 405');
  // CORS
  r = await fetch(A.url + '/v1/models', { method: 'OPTIONS' });
  check(r.status === 204 && r.headers.get('access-control-allow-origin') === ORIGIN, 'CORS preflight');
  r = await fetch(A.url + '/health');
  check(r.headers.get('access-control-allow-origin') === ORIGIN, 'CORS header on answers');
  // metrics
  const m = await (await fetch(A.url + '/metrics')).text();
  check(['foundry_requests_total', 'foundry_generated_tokens_total', 'foundry_generation_tokens_per_second',
         'foundry_queue_length', 'foundry_kv_cache_tokens'].every((k) => new RegExp(`^${k} [0-9.]+$`, 'm').test(m)) &&
        (await metric(A.url, 'foundry_requests_total')) >= 20 + CLIENTS, 'GET /metrics: Prometheus text', m);
}

async function queueChecks(B) {
  const client = new OpenAI({ baseURL: B.url + '/v1', apiKey: 'none', maxRetries: 0, timeout: 300_000 });
  // one running (streamed, long), one queued, the third refused
  const ac = new AbortController();
  const long = await client.chat.completions.create({ messages: messages('long'), max_tokens: 200, ignore_eos: true,
                                                      stream: true }, { signal: ac.signal });
  const it = long[Symbol.asyncIterator]();
  await it.next();                      // the role chunk: it runs
  const queued = client.completions.create({ prompt: 'queued', max_tokens: 1 });
  for (let i = 0; i < 2400 && (await metric(B.url, 'foundry_queue_length')) < 1; i++) await sleep(50);
  const r = await fetch(B.url + '/v1/completions', { method: 'POST', body: JSON.stringify({ prompt: 'x', max_tokens: 1 }) });
  const e = await errorOf(r);
  check(r.status === 503 && r.headers.get('retry-after') && e.type === 'overloaded_error', 'queue full: 503 with Retry-After', e);
  // the client of the long stream goes away mid-stream: its sequence is cancelled and freed
  await it.next();
  ac.abort();
  const q = await queued;
  check(q.usage.completion_tokens === 1, 'the queued request runs once the cancelled one is freed');
  const gen = await metric(B.url, 'foundry_generated_tokens_total');
  check(gen < 100 && (await metric(B.url, 'foundry_sequences_active')) === 0,
        'a disconnect mid-stream cancels the sequence (it did not run to 200 tokens)', gen);
  // SIGTERM: the running request finishes, new ones are refused, the process exits 0
  const drain = await client.chat.completions.create({ messages: messages('drain'), max_tokens: 4, ignore_eos: true,
                                                       stream: true, stream_options: { include_usage: true } });
  const di = drain[Symbol.asyncIterator]();
  await di.next();                      // the role chunk: the request is in the engine's hands
  const exited = new Promise((res) => B.on('exit', (code, sig) => res([code, sig])));
  B.kill('SIGTERM');
  let du = null;
  for (let x = await di.next(); !x.done; x = await di.next()) if (x.value.usage) du = x.value.usage;
  check(du?.completion_tokens === 4, 'SIGTERM: the running request finishes', du);
  const [code, sig] = await Promise.race([exited, sleep(60_000).then(() => ['timeout', null])]);
  check(code === 0, 'SIGTERM: the server exits 0 after the drain', [code, sig]);
}

try {
  const [A, B] = await Promise.all([
    start(['--parallel', '4', '--queue', '32', '-c', '256', '--api-key', KEY, '--cors', ORIGIN]),
    start(['--parallel', '1', '--queue', '1', '-c', '256', '--drain', '30']),
  ]);
  await apiChecks(A);
  await queueChecks(B);
} catch (err) {
  check(false, 'no exception', String(err.stack ?? err));
}
console.log(`${checks - failures}/${checks} checks passed`);
done(failures ? 1 : 0);
