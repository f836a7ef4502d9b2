import fc from 'fast-check';

/**
 * Random structured WebAssembly programs for property tests of the
 * metering pass: nested if/else, blocks with br_if, br_table, bounded
 * loops, calls, random draws and NaN-producing float steps, folded into a
 * 16-byte output. Every program terminates (all loops share a step cap).
 */

const LEAVES = [
  '(local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (call $rng_next)))',
  '(local.set $f (f64.div (local.get $f) (f64.convert_i64_s (i64.and (local.get $acc) (i64.const 3)))))',
  '(local.set $f (f64.add (local.get $f) (f64.sqrt (f64.convert_i64_s (local.get $acc)))))',
  '(f64.store (i32.const 32) (local.get $f)) (local.set $acc (i64.xor (local.get $acc) (i64.load (i32.const 32))))',
  '(local.set $acc (call $mix (local.get $acc)))',
  '(local.set $acc (call $pick (local.get $acc)))',
  '(call $tick (local.get $acc)) (local.set $acc (i64.xor (local.get $acc) (i64.load (i32.const 40))))',
  `(block $x (block $y (br_table $x $y (i32.wrap_i64 (i64.and (local.get $acc) (i64.const 1)))))
     (local.set $acc (i64.sub (local.get $acc) (i64.const 9))))`,
];

const statements = fc.letrec<{ stmt: string; body: string }>((tie) => ({
  stmt: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.constantFrom(...LEAVES),
    fc
      .tuple(tie('body'), tie('body'))
      .map(
        ([a, b]) =>
          `(if (i64.ne (i64.and (local.get $acc) (i64.const 1)) (i64.const 0)) (then ${a}) (else ${b}))`,
      ),
    tie('body').map(
      (a) =>
        `(block $b ${a} (br_if $b (i64.eqz (i64.and (local.get $acc) (i64.const 2))))
           (local.set $acc (i64.add (local.get $acc) (i64.const 5))))`,
    ),
    tie('body').map(
      (a) =>
        `(loop $l ${a} (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
           (br_if $l (i32.and (i32.lt_u (local.get $steps) (i32.const 40))
                              (i32.ne (i32.rem_u (local.get $steps) (i32.const 3)) (i32.const 0)))))`,
    ),
  ),
  body: fc.array(tie('stmt'), { minLength: 1, maxLength: 3 }).map((xs) => xs.join('\n')),
}));

/** A random program as WAT (entry `run`, no input, 16 bytes of output). */
export const randomProgram: fc.Arbitrary<string> = statements.body.map(
  (body) => `(module
  (import "concord" "output_write" (func $output_write (param i32 i32)))
  (import "concord" "rng_next" (func $rng_next (result i64)))
  (memory 1)
  (func $mix (param $x i64) (result i64)
    (if (i64.lt_s (local.get $x) (i64.const 0)) (then (return (i64.mul (local.get $x) (i64.const -3)))))
    (i64.rotl (local.get $x) (i64.const 7)))
  (func $pick (param $x i64) (result i64)
    (local.get $x)
    (br_if 0 (i64.eqz (i64.and (local.get $x) (i64.const 4))))
    (drop)
    (block $a
      (block $b
        (br_table $a $b (i32.wrap_i64 (i64.and (i64.shr_u (local.get $x) (i64.const 3)) (i64.const 1)))))
      (br 1 (i64.const 77)))
    (i64.const -5))
  (func $tick (param $x i64)
    (block $a (br_table $a 1 (i32.wrap_i64 (i64.and (local.get $x) (i64.const 1)))))
    (i64.store (i32.const 40) (i64.add (i64.load (i32.const 40)) (local.get $x))))
  (func (export "run") (local $acc i64) (local $f f64) (local $steps i32)
    (local.set $f (f64.const 1.5))
    ${body}
    (i64.store (i32.const 0) (local.get $acc))
    (f64.store (i32.const 8) (local.get $f))
    (call $output_write (i32.const 0) (i32.const 16))))`,
);
