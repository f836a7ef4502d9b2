// Build step: generates Concord's WebAssembly SIMD kernels as WAT text, with
// the constants of the TypeScript reference (src/tensor/math.ts, gelu.ts) so
// both paths run the same IEEE sequence, and compiles them with wabt to
// generated/kernels/kernels.wasm (plus kernels.wat for reading).
// Every pointer argument is a byte offset into the imported shared memory.
// The arithmetic order of each function is documented in docs/kernels.md and
// must stay bit-identical to src/tensor/ts/; src/tensor/wasm.test.ts checks it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(new URL('../..', import.meta.url).pathname);
const outDir = join(root, 'generated', 'kernels');
const require = createRequire(import.meta.url);

/** Exact hexadecimal float literal of a JS number (normal, zero or infinite), valid for f64.const and f32.const. */
function hexFloat(x) {
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0x0p+0' : '0x0p+0';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const exp = ((hi >>> 20) & 0x7ff) - 1023;
  const mant = ((hi & 0xfffff).toString(16).padStart(5, '0') + lo.toString(16).padStart(8, '0')).replace(
    /0+$/,
    '',
  );
  return `${sign}0x1${mant ? `.${mant}` : ''}p${exp >= 0 ? '+' : ''}${exp}`;
}

const f64 = (x) => `(f64.const ${hexFloat(x)})`;
const f32 = (x) => `(f32.const ${hexFloat(Math.fround(x))})`;

/** An f64x2 constant with both lanes x. */
const f64x2 = (x) => `(v128.const f64x2 ${hexFloat(x)} ${hexFloat(x)})`;
/** An f32x4 constant with all lanes x (rounded to f32). */
const f32x4 = (x) => `(v128.const f32x4 ${[0, 1, 2, 3].map(() => hexFloat(Math.fround(x))).join(' ')})`;

/** The same Horner evaluation lane-wise on f64x2 values (identical IEEE operations per lane). */
function hornerX2(coeffs, v) {
  let p = f64x2(coeffs[coeffs.length - 1]);
  for (let i = coeffs.length - 2; i >= 0; i--) p = `(f64x2.add ${f64x2(coeffs[i])} (f64x2.mul ${v} ${p}))`;
  return p;
}

/** Shuffle bytes that put lanes 2,3 of an f32x4 into lanes 0,1. */
const HIGH_PAIR = '8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15';
/** Shuffle bytes that join lanes 0,1 of the first f32x4 with lanes 0,1 of the second. */
const LOW_PAIRS = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';

/** Horner evaluation `c[0] + v*(c[1] + v*(...c[last]))` as nested f64 WAT, highest term innermost. */
function horner(coeffs, v) {
  let p = f64(coeffs[coeffs.length - 1]);
  for (let i = coeffs.length - 2; i >= 0; i--) p = `(f64.add ${f64(coeffs[i])} (f64.mul ${v} ${p}))`;
  return p;
}

/** An elementwise loop over n f32 elements: `vec` (if any) handles 4 at byte offset $j, `scalar` one. */
function mapLoop(vec, scalar) {
  const vecLoop = `
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $j) (local.get $end4)))
      ${vec}
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l4)))`;
  return `
    (local.set $end4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $j (i32.const 0))${vec ? vecLoop : ''}
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $j) (local.get $end)))
      ${scalar}
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l1)))`;
}

const at = (base) => `(i32.add (local.get ${base}) (local.get $j))`;

function wat(c) {
  const expm1 = horner(c.EXPM1_COEFFS, '(local.get $r)');
  const expm1X2 = hornerX2(c.EXPM1_COEFFS, '(local.get $r)');
  const atanh = horner(c.ATANH_COEFFS, '(local.get $z)');
  const acc = (r, h) => `$a${r}${h}`;
  const dot4Locals = [0, 1, 2, 3].map((r) => `(local ${acc(r, 0)} v128) (local ${acc(r, 1)} v128)`).join(' ');
  const dot4Body = [0, 1, 2, 3]
    .map(
      (r) => `
      (local.set $p (i32.add (local.get $w${r}) (local.get $j)))
      (local.set ${acc(r, 0)} (f32x4.add (local.get ${acc(r, 0)}) (f32x4.mul (local.get $x0) (v128.load (local.get $p)))))
      (local.set ${acc(r, 1)} (f32x4.add (local.get ${acc(r, 1)}) (f32x4.mul (local.get $x1) (v128.load offset=16 (local.get $p)))))`,
    )
    .join('');
  // one column of an 8-row block of transpose: source rows r..r+7 (rb bytes apart) to 8 adjacent floats of dst
  const transposeColumn8 = [0, 1, 2, 3, 4, 5, 6, 7]
    .map((k) => {
      const store = `        (f32.store offset=${4 * k} (local.get $q) (f32.load (local.get $p)))`;
      return k === 7 ? store : `${store}\n        (local.set $p (i32.add (local.get $p) (local.get $rb)))`;
    })
    .join('\n');
  const dot4Combine = [0, 1, 2, 3]
    .map((r) => `(local.set $s${r} (call $combine (local.get ${acc(r, 0)}) (local.get ${acc(r, 1)})))`)
    .join('\n    ');
  const dot4Tail = [0, 1, 2, 3]
    .map(
      (r) =>
        `(local.set $s${r} (f32.add (local.get $s${r}) (f32.mul (local.get $xs) (f32.load (i32.add (local.get $w${r}) (local.get $j))))))`,
    )
    .join('\n      ');
  const dot4Store = [0, 1, 2, 3]
    .map(
      (r) => `
    (if (local.get $bias) (then (local.set $s${r} (f32.add (local.get $s${r}) (f32.load (local.get $bias))))))
    (f32.store (local.get $out) (local.get $s${r}))${
      r < 3
        ? `
    (local.set $bias (select (i32.add (local.get $bias) (local.get $ob)) (i32.const 0) (local.get $bias)))
    (local.set $out (i32.add (local.get $out) (local.get $ob)))`
        : ''
    }`,
    )
    .join('');
  const colAcc = [0, 1, 2, 3, 4, 5, 6, 7];
  // The canonical column sum (8 strided accumulators, the fixed combine tree, an ordered tail),
  // for one column (f32) or four adjacent ones at once (v128): the same order in both.
  const columnSum = (
    name,
    type,
    add,
    load,
  ) => `  (func ${name} (param $p i32) (param $stride i32) (param $n i32) (result ${type})
    ${colAcc.map((l) => `(local $c${l} ${type})`).join(' ')} (local $i i32) (local $end i32) (local $s ${type})
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $end)))
      ${colAcc
        .map(
          (l) => `(local.set $c${l} (${add} (local.get $c${l}) (${load} (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))`,
        )
        .join('\n      ')}
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br $l)))
    (local.set $s (${add}
      (${add} (${add} (local.get $c0) (local.get $c4)) (${add} (local.get $c2) (local.get $c6)))
      (${add} (${add} (local.get $c1) (local.get $c5)) (${add} (local.get $c3) (local.get $c7)))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (${add} (local.get $s) (${load} (local.get $p))))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $s))`;
  return `(module
  (import "env" "memory" (memory 1 ${c.MAX_PAGES} shared))

  ;; ---- the canonical dot: two f32x4 accumulators = 8 lanes, fixed combine tree, ordered tail
  (func $combine (param $lo v128) (param $hi v128) (result f32)
    (local $v v128)
    (local.set $v (f32x4.add (local.get $lo) (local.get $hi)))
    (local.set $v (f32x4.add (local.get $v)
      (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
    (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v))))

  (func $dot (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $end i32) (local $tail i32) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (local.set $tail (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $acc1 (f32x4.add (local.get $acc1)
        (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 32)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (br $l)))
    (local.set $s (call $combine (local.get $acc0) (local.get $acc1)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (local.get $tail)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $b (i32.add (local.get $b) (i32.const 4)))
      (br $l)))
    (local.get $s))

  ;; the canonical sum (the canonical dot with ones)
  (func $sum (export "sum") (param $a i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $end i32) (local $tail i32) (local $s f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (local.set $tail (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $acc0 (f32x4.add (local.get $acc0) (v128.load (local.get $a))))
      (local.set $acc1 (f32x4.add (local.get $acc1) (v128.load offset=16 (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 32)))
      (br $l)))
    (local.set $s (call $combine (local.get $acc0) (local.get $acc1)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $a) (local.get $tail)))
      (local.set $s (f32.add (local.get $s) (f32.load (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (br $l)))
    (local.get $s))

  ;; four canonical dots of W rows w0..w3 (rb bytes apart) with one x row, + bias (if any), stored at
  ;; out, out + ob, out + 2ob, out + 3ob (the bias read at the same offsets from bias)
  (func $dot4 (param $x i32) (param $w0 i32) (param $rb i32) (param $n i32) (param $out i32) (param $bias i32) (param $ob i32)
    (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $j i32) (local $end i32) (local $tail i32) (local $p i32)
    (local $x0 v128) (local $x1 v128) ${dot4Locals}
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $xs f32)
    (local.set $w1 (i32.add (local.get $w0) (local.get $rb)))
    (local.set $w2 (i32.add (local.get $w1) (local.get $rb)))
    (local.set $w3 (i32.add (local.get $w2) (local.get $rb)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (local.set $tail (i32.shl (local.get $n) (i32.const 2)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $end)))
      (local.set $p (i32.add (local.get $x) (local.get $j)))
      (local.set $x0 (v128.load (local.get $p)))
      (local.set $x1 (v128.load offset=16 (local.get $p)))${dot4Body}
      (local.set $j (i32.add (local.get $j) (i32.const 32)))
      (br $l)))
    ${dot4Combine}
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $tail)))
      (local.set $xs (f32.load (i32.add (local.get $x) (local.get $j))))
      ${dot4Tail}
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))${dot4Store})

  ;; out[t*outDim + i] = dot(w row i, x row t) (+ bias[i]) for output rows i in [i0, i1), all t.
  ;; With q = floor((i1 - i0) / 4), rows i, i+q, i+2q, i+3q are computed together for i in [i0, i0+q):
  ;; the four W rows read at once are four long sequential streams, which the hardware prefetcher
  ;; follows much better than four adjacent short rows. The remaining (i1 - i0) mod 4 rows follow.
  (func $linear (export "linear") (param $x i32) (param $w i32) (param $bias i32) (param $T i32) (param $inDim i32)
    (param $outDim i32) (param $out i32) (param $i0 i32) (param $i1 i32)
    (local $rb i32) (local $i i32) (local $t i32) (local $wi i32) (local $bi i32) (local $s f32) (local $q i32) (local $qEnd i32)
    (local.set $rb (i32.shl (local.get $inDim) (i32.const 2)))
    (local.set $q (i32.shr_u (i32.sub (local.get $i1) (local.get $i0)) (i32.const 2)))
    (local.set $i (local.get $i0))
    (local.set $qEnd (i32.add (local.get $i0) (local.get $q)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $qEnd)))
      (local.set $wi (i32.add (local.get $w) (i32.mul (local.get $i) (local.get $rb))))
      (local.set $bi (select (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2))) (i32.const 0) (local.get $bias)))
      (local.set $t (i32.const 0))
      (block $dt (loop $lt
        (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
        (call $dot4 (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $rb))) (local.get $wi)
          (i32.mul (local.get $q) (local.get $rb)) (local.get $inDim)
          (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $outDim)) (local.get $i)) (i32.const 2)))
          (local.get $bi) (i32.shl (local.get $q) (i32.const 2)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $lt)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $i (i32.add (local.get $i0) (i32.shl (local.get $q) (i32.const 2))))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $i1)))
      (local.set $wi (i32.add (local.get $w) (i32.mul (local.get $i) (local.get $rb))))
      (local.set $t (i32.const 0))
      (block $dt (loop $lt
        (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $s (call $dot (local.get $wi) (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $rb))) (local.get $inDim)))
        (if (local.get $bias) (then
          (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $i) (i32.const 2))))))))
        (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $t) (local.get $outDim)) (local.get $i)) (i32.const 2)))
          (local.get $s))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $lt)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))))

  ;; dst (cols, rows) = transpose of src (rows, cols), eight source rows at a time: each column of the
  ;; block becomes one 32-byte run of dst, and the eight source rows stay in cache across columns
  (func $transpose (export "transpose") (param $src i32) (param $rows i32) (param $cols i32) (param $dst i32)
    (local $r i32) (local $c i32) (local $p i32) (local $q i32) (local $rb i32) (local $db i32) (local $end8 i32)
    (local.set $rb (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $db (i32.shl (local.get $rows) (i32.const 2)))
    (local.set $end8 (i32.and (local.get $rows) (i32.const -8)))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $end8)))
      (local.set $c (i32.const 0))
      (block $dc (loop $lc
        (br_if $dc (i32.ge_u (local.get $c) (local.get $cols)))
        (local.set $p (i32.add (local.get $src) (i32.add (i32.mul (local.get $r) (local.get $rb)) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $q (i32.add (local.get $dst) (i32.add (i32.mul (local.get $c) (local.get $db)) (i32.shl (local.get $r) (i32.const 2)))))
${transposeColumn8}
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lc)))
      (local.set $r (i32.add (local.get $r) (i32.const 8)))
      (br $lr)))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $c (i32.const 0))
      (local.set $p (i32.add (local.get $src) (i32.mul (local.get $r) (local.get $rb))))
      (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
      (block $dc (loop $lc
        (br_if $dc (i32.ge_u (local.get $c) (local.get $cols)))
        (f32.store (local.get $q) (f32.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (local.get $db)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lc)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))

  ;; causal attention of one head: for each row t, probs row t [0, t] = softmax of scores row t [0, t]
  ;; (rows T floats apart) and probs row t (t, T) = 0, then y row t (headDim) = probs row t [0, t] · v rows 0..t, each output the
  ;; canonical dot of length t+1 with one column of v, read from vt = vᵀ (headDim, T) four columns at once
  (func $causalAttention (export "causalAttention") (param $scores i32) (param $vt i32) (param $T i32) (param $hd i32)
    (param $probs i32) (param $y i32)
    (local $t i32) (local $j i32) (local $n i32) (local $rb i32) (local $row i32) (local $yRow i32) (local $end4 i32)
    (local.set $rb (i32.shl (local.get $T) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $hd) (i32.const -4)))
    (block $dt (loop $lt
      (br_if $dt (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $n (i32.add (local.get $t) (i32.const 1)))
      (local.set $row (i32.add (local.get $probs) (i32.mul (local.get $t) (local.get $rb))))
      (local.set $yRow (i32.add (local.get $y) (i32.shl (i32.mul (local.get $t) (local.get $hd)) (i32.const 2))))
      (call $softmax (i32.add (local.get $scores) (i32.mul (local.get $t) (local.get $rb))) (i32.const 1) (local.get $n) (local.get $row))
      (local.set $j (local.get $n))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $T)))
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $j) (i32.const 2))) (f32.const 0))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $j (i32.const 0))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $end4)))
        (call $dot4 (local.get $row) (i32.add (local.get $vt) (i32.mul (local.get $j) (local.get $rb))) (local.get $rb)
          (local.get $n) (i32.add (local.get $yRow) (i32.shl (local.get $j) (i32.const 2))) (i32.const 0) (i32.const 4))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $lj)))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $hd)))
        (f32.store (i32.add (local.get $yRow) (i32.shl (local.get $j) (i32.const 2)))
          (call $dot (local.get $row) (i32.add (local.get $vt) (i32.mul (local.get $j) (local.get $rb))) (local.get $n)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lt))))

  ;; canonical sums of 4 adjacent columns at once: lane c of the result is column c's canonical sum
${columnSum('$sumCols4', 'v128', 'f32x4.add', 'v128.load')}

  ;; canonical sum of one column (n elements stride bytes apart)
${columnSum('$sumCol', 'f32', 'f32.add', 'f32.load')}

  ;; out[c] = canonical sum over rows of x[r, c]
  (func $sumRows (export "sumRows") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $c i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $cols) (i32.const 2)))
    (block $d (loop $l
      (br_if $d (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $cols)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
        (call $sumCols4 (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))) (local.get $stride) (local.get $rows)))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $l)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $c) (local.get $cols)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
        (call $sumCol (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))) (local.get $stride) (local.get $rows)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l))))

  ;; ---- elementwise
  (func (export "add") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32)
    ${mapLoop(
      `(v128.store ${at('$out')} (f32x4.add (v128.load ${at('$a')}) (v128.load ${at('$b')})))`,
      `(f32.store ${at('$out')} (f32.add (f32.load ${at('$a')}) (f32.load ${at('$b')})))`,
    )})

  (func (export "mul") (param $a i32) (param $b i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32)
    ${mapLoop(
      `(v128.store ${at('$out')} (f32x4.mul (v128.load ${at('$a')}) (v128.load ${at('$b')})))`,
      `(f32.store ${at('$out')} (f32.mul (f32.load ${at('$a')}) (f32.load ${at('$b')})))`,
    )})

  (func (export "scale") (param $a i32) (param $s f32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32) (local $sv v128)
    (local.set $sv (f32x4.splat (local.get $s)))
    ${mapLoop(
      `(v128.store ${at('$out')} (f32x4.mul (v128.load ${at('$a')}) (local.get $sv)))`,
      `(f32.store ${at('$out')} (f32.mul (f32.load ${at('$a')}) (local.get $s)))`,
    )})

  ;; ---- Concord's exp, log, tanh: the f64 sequence of src/tensor/math.ts
  (func $expm1r (param $r f64) (result f64)
    (f64.mul (local.get $r) (f64.add (f64.const 1) (f64.mul (local.get $r) ${expm1}))))

  (func $pow2 (param $k f64) (result f64)
    (f64.reinterpret_i64 (i64.shl (i64.add (i64.trunc_f64_s (local.get $k)) (i64.const 1023)) (i64.const 52))))

  (func $reduceK (param $u f64) (result f64)
    (f64.floor (f64.add (f64.mul (local.get $u) ${f64(c.INV_LN2)}) (f64.const 0.5))))

  (func $reduceR (param $u f64) (param $k f64) (result f64)
    (f64.sub (f64.sub (local.get $u) (f64.mul (local.get $k) ${f64(c.LN2_HI)})) (f64.mul (local.get $k) ${f64(c.LN2_LO)})))

  (func $expf (export "expF32") (param $x f32) (result f32)
    (local $u f64) (local $k f64)
    (if (f32.ne (local.get $x) (local.get $x)) (then (return (local.get $x))))
    (if (f32.lt (local.get $x) ${f32(c.EXP_MIN)}) (then (return (f32.const 0))))
    (if (f32.gt (local.get $x) ${f32(c.EXP_MAX)}) (then (return (f32.const inf))))
    (local.set $u (f64.promote_f32 (local.get $x)))
    (local.set $k (call $reduceK (local.get $u)))
    (f32.demote_f64 (f64.mul
      (f64.add (f64.const 1) (call $expm1r (call $reduceR (local.get $u) (local.get $k))))
      (call $pow2 (local.get $k)))))

  (func $logf (export "logF32") (param $x f32) (result f32)
    (local $bits i32) (local $e i32) (local $m f64) (local $f f64) (local $s f64) (local $z f64)
    (if (i32.or (f32.ne (local.get $x) (local.get $x)) (f32.lt (local.get $x) (f32.const 0)))
      (then (return (f32.const nan))))
    (if (f32.eq (local.get $x) (f32.const 0)) (then (return (f32.const -inf))))
    (if (f32.eq (local.get $x) (f32.const inf)) (then (return (local.get $x))))
    (local.set $bits (i32.reinterpret_f32 (local.get $x)))
    (local.set $e (i32.sub (i32.shr_u (local.get $bits) (i32.const 23)) (i32.const 127)))
    (if (i32.eq (local.get $e) (i32.const -127)) (then
      (local.set $bits (i32.reinterpret_f32 (f32.mul (local.get $x) (f32.const 8388608))))
      (local.set $e (i32.sub (i32.shr_u (local.get $bits) (i32.const 23)) (i32.const 150)))))
    (local.set $m (f64.promote_f32 (f32.reinterpret_i32
      (i32.or (i32.and (local.get $bits) (i32.const 0x7fffff)) (i32.const 0x3f800000)))))
    (if (f64.gt (local.get $m) ${f64(c.SQRT2)}) (then
      (local.set $m (f64.div (local.get $m) (f64.const 2)))
      (local.set $e (i32.add (local.get $e) (i32.const 1)))))
    (local.set $f (f64.sub (local.get $m) (f64.const 1)))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (f32.demote_f64 (f64.add
      (f64.mul (f64.convert_i32_s (local.get $e)) ${f64(c.LN2)})
      (f64.mul (f64.mul (f64.const 2) (local.get $s)) (f64.add (f64.const 1) (f64.mul (local.get $z) ${atanh}))))))

  (func $tanhf (export "tanhF32") (param $x f32) (result f32)
    (local $u f64) (local $k f64) (local $em1 f64) (local $e f64) (local $t f64)
    (if (i32.or (f32.ne (local.get $x) (local.get $x)) (f32.eq (local.get $x) (f32.const 0)))
      (then (return (local.get $x))))
    (local.set $t (f64.const 1))
    (if (f32.le (f32.abs (local.get $x)) ${f32(c.TANH_SATURATE)}) (then
      (local.set $u (f64.mul (f64.const 2) (f64.promote_f32 (f32.abs (local.get $x)))))
      (local.set $k (call $reduceK (local.get $u)))
      (local.set $em1 (call $expm1r (call $reduceR (local.get $u) (local.get $k))))
      (local.set $e (if (result f64) (f64.eq (local.get $k) (f64.const 0))
        (then (local.get $em1))
        (else (f64.sub (f64.mul (f64.add (f64.const 1) (local.get $em1)) (call $pow2 (local.get $k))) (f64.const 1)))))
      (local.set $t (f64.div (local.get $e) (f64.add (local.get $e) (f64.const 2))))))
    (f32.demote_f64 (select (f64.neg (local.get $t)) (local.get $t) (f32.lt (local.get $x) (f32.const 0)))))

  ;; The same sequences on 4 lanes: each f32 lane is promoted to f64 and goes through exactly
  ;; the scalar operations (two f64x2 halves); special inputs are patched in by bitselect.
  (func $pow2x2 (param $k v128) (result v128)
    (i64x2.shl (i64x2.add (i64x2.extend_low_i32x4_s (i32x4.trunc_sat_f64x2_s_zero (local.get $k)))
      (v128.const i64x2 1023 1023)) (i32.const 52)))

  (func $expHalf (param $u v128) (result v128)
    (local $k v128) (local $r v128)
    (local.set $k (f64x2.floor (f64x2.add (f64x2.mul (local.get $u) ${f64x2(c.INV_LN2)}) ${f64x2(0.5)})))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $u) (f64x2.mul (local.get $k) ${f64x2(c.LN2_HI)}))
      (f64x2.mul (local.get $k) ${f64x2(c.LN2_LO)})))
    (f64x2.mul
      (f64x2.add ${f64x2(1)} (f64x2.mul (local.get $r) (f64x2.add ${f64x2(1)} (f64x2.mul (local.get $r) ${expm1X2}))))
      (call $pow2x2 (local.get $k))))

  (func $exp4 (param $x v128) (result v128)
    (local $r v128)
    (local.set $r (i8x16.shuffle ${LOW_PAIRS}
      (f32x4.demote_f64x2_zero (call $expHalf (f64x2.promote_low_f32x4 (local.get $x))))
      (f32x4.demote_f64x2_zero (call $expHalf (f64x2.promote_low_f32x4
        (i8x16.shuffle ${HIGH_PAIR} (local.get $x) (local.get $x)))))))
    (local.set $r (v128.bitselect (v128.const i32x4 0 0 0 0) (local.get $r) (f32x4.lt (local.get $x) ${f32x4(c.EXP_MIN)})))
    (local.set $r (v128.bitselect ${f32x4(Number.POSITIVE_INFINITY)} (local.get $r) (f32x4.gt (local.get $x) ${f32x4(c.EXP_MAX)})))
    (v128.bitselect (local.get $x) (local.get $r) (f32x4.ne (local.get $x) (local.get $x))))

  (func $tanhHalf (param $a v128) (result v128)
    (local $u v128) (local $k v128) (local $r v128) (local $em1 v128) (local $e v128)
    (local.set $u (f64x2.mul ${f64x2(2)} (local.get $a)))
    (local.set $k (f64x2.floor (f64x2.add (f64x2.mul (local.get $u) ${f64x2(c.INV_LN2)}) ${f64x2(0.5)})))
    (local.set $r (f64x2.sub (f64x2.sub (local.get $u) (f64x2.mul (local.get $k) ${f64x2(c.LN2_HI)}))
      (f64x2.mul (local.get $k) ${f64x2(c.LN2_LO)})))
    (local.set $em1 (f64x2.mul (local.get $r) (f64x2.add ${f64x2(1)} (f64x2.mul (local.get $r) ${expm1X2}))))
    (local.set $e (v128.bitselect (local.get $em1)
      (f64x2.sub (f64x2.mul (f64x2.add ${f64x2(1)} (local.get $em1)) (call $pow2x2 (local.get $k))) ${f64x2(1)})
      (f64x2.eq (local.get $k) ${f64x2(0)})))
    (f64x2.div (local.get $e) (f64x2.add (local.get $e) ${f64x2(2)})))

  (func $tanh4 (param $x v128) (result v128)
    (local $a v128) (local $t v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $t (i8x16.shuffle ${LOW_PAIRS}
      (f32x4.demote_f64x2_zero (call $tanhHalf (f64x2.promote_low_f32x4 (local.get $a))))
      (f32x4.demote_f64x2_zero (call $tanhHalf (f64x2.promote_low_f32x4
        (i8x16.shuffle ${HIGH_PAIR} (local.get $a) (local.get $a)))))))
    (local.set $t (v128.bitselect ${f32x4(1)} (local.get $t) (f32x4.gt (local.get $a) ${f32x4(c.TANH_SATURATE)})))
    (local.set $t (v128.bitselect (f32x4.neg (local.get $t)) (local.get $t) (f32x4.lt (local.get $x) ${f32x4(0)})))
    (v128.bitselect (local.get $x) (local.get $t)
      (v128.or (f32x4.ne (local.get $x) (local.get $x)) (f32x4.eq (local.get $x) ${f32x4(0)}))))

  (func (export "exp") (param $a i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32)
    ${mapLoop(
      `(v128.store ${at('$out')} (call $exp4 (v128.load ${at('$a')})))`,
      `(f32.store ${at('$out')} (call $expf (f32.load ${at('$a')})))`,
    )})

  (func (export "log") (param $a i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32)
    ${mapLoop('', `(f32.store ${at('$out')} (call $logf (f32.load ${at('$a')})))`)})

  (func (export "tanh") (param $a i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32)
    ${mapLoop(
      `(v128.store ${at('$out')} (call $tanh4 (v128.load ${at('$a')})))`,
      `(f32.store ${at('$out')} (call $tanhf (f32.load ${at('$a')})))`,
    )})

  ;; ---- GPT-2 GELU (tanh approximation) and its gradient, all f32
  (func $geluTanh (param $v f32) (result f32)
    (call $tanhf (f32.mul ${f32(c.GELU_SCALE)} (f32.add (local.get $v)
      (f32.mul (f32.mul (f32.mul ${f32(c.GELU_CUBIC)} (local.get $v)) (local.get $v)) (local.get $v))))))

  (func $geluArg4 (param $v v128) (result v128)
    (f32x4.mul ${f32x4(c.GELU_SCALE)} (f32x4.add (local.get $v)
      (f32x4.mul (f32x4.mul (f32x4.mul ${f32x4(c.GELU_CUBIC)} (local.get $v)) (local.get $v)) (local.get $v)))))

  (func (export "gelu") (param $a i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32) (local $v f32) (local $vv v128)
    ${mapLoop(
      `(local.set $vv (v128.load ${at('$a')}))
      (v128.store ${at('$out')} (f32x4.mul (f32x4.mul ${f32x4(0.5)} (local.get $vv))
        (f32x4.add ${f32x4(1)} (call $tanh4 (call $geluArg4 (local.get $vv))))))`,
      `(local.set $v (f32.load ${at('$a')}))
      (f32.store ${at('$out')} (f32.mul (f32.mul (f32.const 0.5) (local.get $v))
        (f32.add (f32.const 1) (call $geluTanh (local.get $v)))))`,
    )})

  (func (export "geluBackward") (param $a i32) (param $dout i32) (param $out i32) (param $n i32)
    (local $j i32) (local $end i32) (local $end4 i32) (local $v f32) (local $t f32) (local $local f32)
    (local $vv v128) (local $tv v128)
    ${mapLoop(
      `(local.set $vv (v128.load ${at('$a')}))
      (local.set $tv (call $tanh4 (call $geluArg4 (local.get $vv))))
      (v128.store ${at('$out')} (f32x4.mul (v128.load ${at('$dout')}) (f32x4.add
        (f32x4.mul ${f32x4(0.5)} (f32x4.add ${f32x4(1)} (local.get $tv)))
        (f32x4.mul
          (f32x4.mul (f32x4.mul (f32x4.mul ${f32x4(0.5)} (local.get $vv))
            (f32x4.sub ${f32x4(1)} (f32x4.mul (local.get $tv) (local.get $tv)))) ${f32x4(c.GELU_SCALE)})
          (f32x4.add ${f32x4(1)} (f32x4.mul (f32x4.mul ${f32x4(c.GELU_CUBIC3)} (local.get $vv)) (local.get $vv)))))))`,
      `(local.set $v (f32.load ${at('$a')}))
      (local.set $t (call $geluTanh (local.get $v)))
      (local.set $local (f32.add
        (f32.mul (f32.const 0.5) (f32.add (f32.const 1) (local.get $t)))
        (f32.mul
          (f32.mul (f32.mul (f32.mul (f32.const 0.5) (local.get $v)) (f32.sub (f32.const 1) (f32.mul (local.get $t) (local.get $t))))
            ${f32(c.GELU_SCALE)})
          (f32.add (f32.const 1) (f32.mul (f32.mul ${f32(c.GELU_CUBIC3)} (local.get $v)) (local.get $v))))))
      (f32.store ${at('$out')} (f32.mul (local.get $local) (f32.load ${at('$dout')})))`,
    )})

  ;; ---- row-wise kernels
  (func $softmax (export "softmax") (param $x i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $r i32) (local $j i32) (local $end i32) (local $m f32) (local $s f32) (local $sv v128) (local $end4 i32)
    (local.set $end (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end4 (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $m (f32.const -inf))
      (local.set $j (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $end)))
        (local.set $m (f32.max (local.get $m) (f32.load ${at('$x')})))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (local.set $j (i32.const 0))
      (local.set $sv (f32x4.splat (local.get $m)))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $end4)))
        (v128.store ${at('$out')} (call $exp4 (f32x4.sub (v128.load ${at('$x')}) (local.get $sv))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l)))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $end)))
        (f32.store ${at('$out')} (call $expf (f32.sub (f32.load ${at('$x')}) (local.get $m))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (local.set $s (call $sum (local.get $out) (local.get $cols)))
      (local.set $sv (f32x4.splat (local.get $s)))
      (local.set $j (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $end4)))
        (v128.store ${at('$out')} (f32x4.div (v128.load ${at('$out')}) (local.get $sv)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $l)))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $j) (local.get $end)))
        (f32.store ${at('$out')} (f32.div (f32.load ${at('$out')}) (local.get $s)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l)))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))

  (func (export "softmaxBackward") (param $y i32) (param $dy i32) (param $rows i32) (param $cols i32) (param $out i32)
    (local $r i32) (local $j i32) (local $n i32) (local $end i32) (local $end4 i32) (local $s f32) (local $sv v128)
    (local.set $n (local.get $cols))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $s (call $dot (local.get $dy) (local.get $y) (local.get $cols)))
      (local.set $sv (f32x4.splat (local.get $s)))
      ${mapLoop(
        `(v128.store ${at('$out')} (f32x4.mul (v128.load ${at('$y')}) (f32x4.sub (v128.load ${at('$dy')}) (local.get $sv))))`,
        `(f32.store ${at('$out')} (f32.mul (f32.load ${at('$y')}) (f32.sub (f32.load ${at('$dy')}) (local.get $s))))`,
      )}
      (local.set $y (i32.add (local.get $y) (local.get $end)))
      (local.set $dy (i32.add (local.get $dy) (local.get $end)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))

  (func (export "layerNorm") (param $x i32) (param $gamma i32) (param $beta i32) (param $T i32) (param $C i32)
    (param $eps f32) (param $out i32) (param $meanOut i32) (param $rstdOut i32)
    (local $t i32) (local $j i32) (local $n i32) (local $end i32) (local $end4 i32) (local $cf f32)
    (local $mean f32) (local $var f32) (local $rstd f32) (local $mv v128) (local $rv v128)
    (local.set $n (local.get $C))
    (local.set $cf (f32.convert_i32_u (local.get $C)))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $mean (f32.div (call $sum (local.get $x) (local.get $C)) (local.get $cf)))
      (local.set $mv (f32x4.splat (local.get $mean)))
      ${mapLoop(
        `(v128.store ${at('$out')} (f32x4.sub (v128.load ${at('$x')}) (local.get $mv)))`,
        `(f32.store ${at('$out')} (f32.sub (f32.load ${at('$x')}) (local.get $mean)))`,
      )}
      (local.set $var (f32.div (call $dot (local.get $out) (local.get $out) (local.get $C)) (local.get $cf)))
      (local.set $rstd (f32.div (f32.const 1) (f32.sqrt (f32.add (local.get $var) (local.get $eps)))))
      (local.set $rv (f32x4.splat (local.get $rstd)))
      ${mapLoop(
        `(v128.store ${at('$out')} (f32x4.add (f32x4.mul (f32x4.mul (v128.load ${at('$out')}) (local.get $rv))
          (v128.load (i32.add (local.get $gamma) (local.get $j)))) (v128.load (i32.add (local.get $beta) (local.get $j)))))`,
        `(f32.store ${at('$out')} (f32.add (f32.mul (f32.mul (f32.load ${at('$out')}) (local.get $rstd))
          (f32.load (i32.add (local.get $gamma) (local.get $j)))) (f32.load (i32.add (local.get $beta) (local.get $j)))))`,
      )}
      (if (local.get $meanOut) (then (f32.store (i32.add (local.get $meanOut) (i32.shl (local.get $t) (i32.const 2))) (local.get $mean))))
      (if (local.get $rstdOut) (then (f32.store (i32.add (local.get $rstdOut) (i32.shl (local.get $t) (i32.const 2))) (local.get $rstd))))
      (local.set $x (i32.add (local.get $x) (local.get $end)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lr))))

  (func (export "layerNormBackward") (param $dout i32) (param $x i32) (param $mean i32) (param $rstd i32) (param $gamma i32)
    (param $T i32) (param $C i32) (param $dx i32) (param $dgamma i32) (param $dbeta i32)
    (local $t i32) (local $j i32) (local $n i32) (local $end i32) (local $end4 i32) (local $cf f32)
    (local $m f32) (local $r f32) (local $mv v128) (local $rv v128) (local $o i32)
    (local $dm f32) (local $dnm f32) (local $dmv v128) (local $dnmv v128)
    (local $px i32) (local $pd i32) (local $pdx i32)
    (local.set $n (local.get $C))
    (local.set $cf (f32.convert_i32_u (local.get $C)))
    ;; pass 1: dx = dout * norm, then the column sums
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $o (i32.mul (local.get $t) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $px (i32.add (local.get $x) (local.get $o)))
      (local.set $pd (i32.add (local.get $dout) (local.get $o)))
      (local.set $pdx (i32.add (local.get $dx) (local.get $o)))
      (local.set $m (f32.load (i32.add (local.get $mean) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $r (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $rv (f32x4.splat (local.get $r)))
      ${mapLoop(
        `(v128.store ${at('$pdx')} (f32x4.mul (v128.load ${at('$pd')})
          (f32x4.mul (f32x4.sub (v128.load ${at('$px')}) (local.get $mv)) (local.get $rv))))`,
        `(f32.store ${at('$pdx')} (f32.mul (f32.load ${at('$pd')})
          (f32.mul (f32.sub (f32.load ${at('$px')}) (local.get $m)) (local.get $r))))`,
      )}
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lr)))
    (call $sumRows (local.get $dx) (local.get $T) (local.get $C) (local.get $dgamma))
    (call $sumRows (local.get $dout) (local.get $T) (local.get $C) (local.get $dbeta))
    ;; pass 2: per row, the two means, then dx
    (local.set $t (i32.const 0))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $t) (local.get $T)))
      (local.set $o (i32.mul (local.get $t) (i32.shl (local.get $C) (i32.const 2))))
      (local.set $px (i32.add (local.get $x) (local.get $o)))
      (local.set $pd (i32.add (local.get $dout) (local.get $o)))
      (local.set $pdx (i32.add (local.get $dx) (local.get $o)))
      (local.set $m (f32.load (i32.add (local.get $mean) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $r (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $t) (i32.const 2)))))
      (local.set $mv (f32x4.splat (local.get $m)))
      (local.set $rv (f32x4.splat (local.get $r)))
      ${mapLoop(
        `(v128.store ${at('$pdx')} (f32x4.mul (f32x4.mul (v128.load ${at('$pd')}) (v128.load ${at('$gamma')}))
          (f32x4.mul (f32x4.sub (v128.load ${at('$px')}) (local.get $mv)) (local.get $rv))))`,
        `(f32.store ${at('$pdx')} (f32.mul (f32.mul (f32.load ${at('$pd')}) (f32.load ${at('$gamma')}))
          (f32.mul (f32.sub (f32.load ${at('$px')}) (local.get $m)) (local.get $r))))`,
      )}
      (local.set $dm (f32.div (call $dot (local.get $pd) (local.get $gamma) (local.get $C)) (local.get $cf)))
      (local.set $dnm (f32.div (call $sum (local.get $pdx) (local.get $C)) (local.get $cf)))
      (local.set $dmv (f32x4.splat (local.get $dm)))
      (local.set $dnmv (f32x4.splat (local.get $dnm)))
      ${mapLoop(
        `(v128.store ${at('$pdx')} (f32x4.mul (f32x4.sub
          (f32x4.sub (f32x4.mul (v128.load ${at('$pd')}) (v128.load ${at('$gamma')})) (local.get $dmv))
          (f32x4.mul (f32x4.mul (f32x4.sub (v128.load ${at('$px')}) (local.get $mv)) (local.get $rv)) (local.get $dnmv)))
          (local.get $rv)))`,
        `(f32.store ${at('$pdx')} (f32.mul (f32.sub
          (f32.sub (f32.mul (f32.load ${at('$pd')}) (f32.load ${at('$gamma')})) (local.get $dm))
          (f32.mul (f32.mul (f32.sub (f32.load ${at('$px')}) (local.get $m)) (local.get $r)) (local.get $dnm)))
          (local.get $r)))`,
      )}
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $lr))))
)
`;
}

/**
 * FedAvg's accumulation (src/core/aggregate/fedAvg.ts) on f64x2 lanes, in its
 * own small module with a private, non-shared memory: core copies blocks of
 * the updates into it (copies into non-shared memory run at memcpy speed).
 * Per coordinate: acc = +0, then acc = acc + w_i * f64(x_i) in update order,
 * out = f32(acc / divisor) — exactly the reference's IEEE operations,
 * `coords` coordinates (coords / 2 independent f64x2 accumulators) at a time.
 */
function aggregateWat(coords) {
  const accs = Array.from({ length: coords / 2 }, (_, k) => k);
  const half = (k) =>
    k % 2 === 0 ? '(local.get $x)' : `(i8x16.shuffle ${HIGH_PAIR} (local.get $x) (local.get $x))`;
  const load = (k) =>
    k % 2 === 0 ? `(local.set $x (v128.load offset=${8 * k} (local.get $p)))\n        ` : '';
  const accumulate = accs
    .map(
      (k) => `${load(k)}(local.set $a${k} (f64x2.add (local.get $a${k})
          (f64x2.mul (local.get $wi) (f64x2.promote_low_f32x4 ${half(k)}))))`,
    )
    .join('\n        ');
  const mean = (k) => `(f32x4.demote_f64x2_zero (f64x2.div (local.get $a${k}) (local.get $d)))`;
  const store = accs
    .filter((k) => k % 2 === 0)
    .map(
      (k) => `(v128.store offset=${8 * k} (i32.add (local.get $out) (local.get $j))
        (i8x16.shuffle ${LOW_PAIRS} ${mean(k)} ${mean(k + 1)}))`,
    )
    .join('\n      ');
  // acc - acc is 0 for a finite acc and NaN for NaN and ±Inf.
  const nonFinite = accs
    .map((k) => `(f64x2.ne (f64x2.sub (local.get $a${k}) (local.get $a${k})) ${f64x2(0)})`)
    .reduce((a, b) => `(v128.or ${a} ${b})`, '(local.get $bad)');
  return `(module
  (memory (export "memory") 1)

  ;; fedAvgBlock's size must be a multiple of this
  (func (export "coordsPerStep") (result i32) (i32.const ${coords}))

  ;; FedAvg of one block: out[k] = f32((sum over i of w[i] * x_i[k]) / divisor) for k in [0, size),
  ;; size a multiple of ${coords}; update i's block starts at xs + i*stride (bytes), w holds n f64 weights.
  ;; Returns 1 if any sum is NaN or infinite (some input was), else 0.
  (func (export "fedAvgBlock") (param $xs i32) (param $stride i32) (param $n i32) (param $size i32) (param $w i32)
    (param $divisor f64) (param $out i32) (result i32)
    (local $j i32) (local $end i32) (local $i i32) (local $p i32) (local $pw i32) (local $wi v128) (local $x v128) (local $d v128)
    ${accs.map((k) => `(local $a${k} v128)`).join(' ')} (local $bad v128)
    (local.set $d (f64x2.splat (local.get $divisor)))
    (local.set $end (i32.shl (local.get $size) (i32.const 2)))
    (block $dj (loop $lj
      (br_if $dj (i32.ge_u (local.get $j) (local.get $end)))
      ${accs.map((k) => `(local.set $a${k} ${f64x2(0)})`).join(' ')}
      (local.set $p (i32.add (local.get $xs) (local.get $j)))
      (local.set $pw (local.get $w))
      (local.set $i (i32.const 0))
      (block $di (loop $li
        (br_if $di (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $wi (v128.load64_splat (local.get $pw)))
        ${accumulate}
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $pw (i32.add (local.get $pw) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $li)))
      (local.set $bad ${nonFinite})
      ${store}
      (local.set $j (i32.add (local.get $j) (i32.const ${4 * coords})))
      (br $lj)))
    (v128.any_true (local.get $bad)))
)
`;
}

/** Coordinates FedAvg's module sums per step: 8 independent f64x2 accumulators hide the add latency. */
const AGGREGATE_COORDS = 16;

/** Compiles WAT text with wabt and writes generated/kernels/<name>.wasm (plus <name>.wat for reading). */
function compile(wabt, name, text) {
  const features = { simd: true, threads: true };
  const mod = wabt.parseWat(`${name}.wat`, text, features);
  try {
    mod.validate(features);
    const { buffer } = mod.toBinary({});
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${name}.wat`), text);
    writeFileSync(join(outDir, `${name}.wasm`), buffer);
  } finally {
    mod.destroy();
  }
}

/**
 * Generates the WAT with the reference constants and compiles it to
 * generated/kernels/kernels.wasm, and FedAvg's module to generated/kernels/aggregate.wasm.
 */
export async function build() {
  const { register } = await import('tsx/esm/api');
  const unregister = register();
  let constants;
  try {
    const math = await import(pathToFileURL(join(root, 'src/tensor/math.ts')).href);
    const gelu = await import(pathToFileURL(join(root, 'src/tensor/ts/gelu.ts')).href);
    // The memory maximum (4 GiB in pages; a shared memory must declare one) matches the loader's.
    const module = await import(pathToFileURL(join(root, 'src/tensor/wasm/module.ts')).href);
    constants = { ...math, ...gelu, MAX_PAGES: module.MAX_PAGES };
  } finally {
    await unregister();
  }
  const wabt = await require('wabt')();
  compile(wabt, 'kernels', wat(constants));
  compile(wabt, 'aggregate', aggregateWat(AGGREGATE_COORDS));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await build();
