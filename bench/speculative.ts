/**
 * Speculative decoding of the shipped model (models/concord-char-v3.safetensors)
 * with its n-gram draft (models/concord-char-v3-draft.safetensors), on a local
 * target (a Decoder over the local exchange backend, one shard per exchange),
 * against non-speculative decoding on the same target (one token per pass) in
 * the same run; `decodeTokens` with the same backend is printed for reference.
 *
 * Prompts are held-out speeches (every tenth speech of the corpus, never
 * trained on). For each draft length k: tokens/s, target passes, and the
 * acceptance rate (accepted / proposed draft tokens), greedy and sampled
 * (temperature 1). Every pass can be given an extra delay (`--pass-ms`, a
 * stand-in for one network round trip per pass): at 0 ms the bench measures
 * the draft's and the rejected tokens' compute overhead, with a delay what
 * fewer passes buy. Greedy output must equal non-speculative output for every
 * k (the bench fails otherwise).
 *
 * Run: node bin/run.mjs bench/speculative.ts [--tokens 96] [--prompts 4] [--pass-ms 0,20] [--k 2,4,8]
 */

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadCharCorpus } from '../src/data/corpus.ts';
import { Decoder, decodeTokens } from '../src/inference/decoder.ts';
import { localExchangeBackend } from '../src/inference/localExchangeBackend.ts';
import { type SpeculationTarget, speculativeDecode } from '../src/inference/speculate.ts';
import { decodeNgramDraft } from '../src/model/ngramDraftFile.ts';
import { importGpt } from '../src/model/safetensors.ts';
import { SHIPPED_CHECKPOINT, SHIPPED_DRAFT } from '../src/model/shipped.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '96' },
    prompts: { type: 'string', default: '4' },
    'pass-ms': { type: 'string', default: '0,20' },
    k: { type: 'string', default: '2,4,8' },
  },
});
const maxNewTokens = Number(values.tokens);
const passDelays = values['pass-ms'].split(',').map(Number);
const draftLengths = values.k.split(',').map(Number);
const PROMPT_CHARS = 32;

const { params } = importGpt(readFileSync(SHIPPED_CHECKPOINT));
const { draft } = decodeNgramDraft(readFileSync(SHIPPED_DRAFT));
const corpus = loadCharCorpus();
const held = corpus.heldOutIds;
const promptCount = Number(values.prompts);
const prompts = Array.from({ length: promptCount }, (_, i) => {
  const start = Math.floor(((i + 0.5) * held.length) / promptCount);
  return Array.from(held.subarray(start, start + PROMPT_CHARS));
});

/** A target that waits `ms` before every pass, like a network round trip. */
class DelayedTarget implements SpeculationTarget {
  passes = 0;
  constructor(
    readonly inner: SpeculationTarget,
    readonly ms: number,
  ) {}
  get capacity() {
    return this.inner.capacity;
  }
  get length() {
    return this.inner.length;
  }
  async forward(tokens: readonly number[], logitRows: number) {
    this.passes++;
    if (this.ms > 0) await sleep(this.ms);
    return this.inner.forward(tokens, logitRows);
  }
  rollback(length: number) {
    this.inner.rollback(length);
  }
}

type Run = { tokens: number[][]; seconds: number; passes: number; proposed: number; accepted: number };

async function run(k: number, temperature: number, passMs: number): Promise<Run> {
  const out: Run = { tokens: [], seconds: 0, passes: 0, proposed: 0, accepted: 0 };
  const started = performance.now();
  for (const [i, prompt] of prompts.entries()) {
    const local = localExchangeBackend(params, { shardsPerMatrix: 1 });
    const target = new DelayedTarget(new Decoder(params, local), passMs);
    const tokens: number[] = [];
    const options = {
      maxNewTokens,
      temperature,
      seed: i + 1,
      draftTokens: k,
      onRound: (r: { proposed: number; accepted: number }) => {
        out.proposed += r.proposed;
        out.accepted += r.accepted;
      },
    };
    try {
      for await (const t of speculativeDecode(target, draft, prompt, options)) tokens.push(t);
    } finally {
      local.dispose();
    }
    out.tokens.push(tokens);
    out.passes += target.passes;
  }
  out.seconds = (performance.now() - started) / 1000;
  return out;
}

const total = prompts.length * maxNewTokens;
const rate = (r: Run) => total / r.seconds;
console.log(
  `bench/speculative: ${prompts.length} held-out prompts of ${PROMPT_CHARS} chars, ${maxNewTokens} new tokens each; ` +
    `draft order ${draft.order}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);

// Warm-up (compiles the kernels and the decode loops), then decodeTokens (greedy, local exchange backend) for reference.
const backend = localExchangeBackend(params, { shardsPerMatrix: 1 });
await run(4, 1, 0);
for await (const _ of decodeTokens(params, prompts[0]!, backend, { maxNewTokens, seed: 1 })) void _;
const started = performance.now();
for (const prompt of prompts) {
  for await (const _ of decodeTokens(params, prompt, backend, { maxNewTokens, temperature: 0, seed: 1 }))
    void _;
}
const decodeRate = total / ((performance.now() - started) / 1000);
backend.dispose();
console.log(`decodeTokens (greedy, local exchange backend): ${decodeRate.toFixed(0)} tokens/s`);
console.log('');
console.log('| mode | pass delay | k | tokens/s | vs k=0 | passes | tokens/pass | accepted/proposed |');
console.log('|---|---|---|---|---|---|---|---|');
for (const passMs of passDelays) {
  for (const [mode, temperature] of [
    ['greedy', 0],
    ['sampled T=1', 1],
  ] as const) {
    const base = await run(0, temperature, passMs);
    const row = (k: number, r: Run) =>
      console.log(
        `| ${mode} | ${passMs} ms | ${k} | ${rate(r).toFixed(0)} | ${(rate(r) / rate(base)).toFixed(2)}x | ` +
          `${r.passes} | ${(total / r.passes).toFixed(2)} | ` +
          `${k === 0 ? '-' : `${(r.accepted / r.proposed).toFixed(3)} (${r.accepted}/${r.proposed})`} |`,
      );
    row(0, base);
    for (const k of draftLengths) {
      const r = await run(k, temperature, passMs);
      if (temperature === 0 && JSON.stringify(r.tokens) !== JSON.stringify(base.tokens)) {
        throw new Error(`greedy speculative output (k=${k}) differs from non-speculative output`);
      }
      row(k, r);
    }
  }
}
