/**
 * WebAssembly text of the modules the runtime's tests run: well-behaved
 * ones, each runaway case, and malformed ones. Compile with `watToWasm`.
 */

const HOST = `
  (import "concord" "input_len" (func $input_len (result i32)))
  (import "concord" "input_read" (func $input_read (param i32 i32 i32)))
  (import "concord" "output_write" (func $output_write (param i32 i32)))
  (import "concord" "rng_next" (func $rng_next (result i64)))`;

/** Copies the input to the output, adding 1 to every byte. */
export const ECHO_PLUS_ONE = `(module ${HOST}
  (memory 1 1)
  (func (export "run") (local $n i32) (local $i i32)
    (local.set $n (call $input_len))
    (call $input_read (i32.const 0) (i32.const 0) (local.get $n))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (local.get $i) (i32.add (i32.load8_u (local.get $i)) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $output_write (i32.const 0) (local.get $n))))`;

/**
 * Exercises control flow: for k = 0 .. n-1 (n = first input byte), a
 * br_table switch, if/else, nested blocks, recursion (fib), multi-value and
 * calls, folded into an i64 checksum written as 8 bytes.
 */
export const CONTROL_FLOW = `(module ${HOST}
  (memory 1)
  (func $fib (param $n i32) (result i64)
    (if (result i64) (i32.lt_u (local.get $n) (i32.const 2))
      (then (i64.extend_i32_u (local.get $n)))
      (else (i64.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $divmod (param $a i32) (param $b i32) (result i32 i32)
    (i32.div_u (local.get $a) (local.get $b)) (i32.rem_u (local.get $a) (local.get $b)))
  (func $switch (param $k i32) (result i64)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (i32.rem_u (local.get $k) (i32.const 5))))
      (return (i64.const 11)))
      (return (call $fib (local.get $k))))
      (return (i64.mul (call $rng_next) (i64.const 3))))
    (i64.const -7))
  (func (export "run") (local $n i32) (local $k i32) (local $acc i64) (local $q i32) (local $r i32)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 1))
    (local.set $n (i32.load8_u (i32.const 0)))
    (loop $next
      (if (i32.lt_u (local.get $k) (local.get $n))
        (then
          (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (call $switch (local.get $k))))
          (call $divmod (i32.add (local.get $k) (i32.const 17)) (i32.const 3))
          (local.set $r) (local.set $q)
          (local.set $acc (i64.xor (local.get $acc) (i64.extend_i32_u (i32.add (local.get $q) (local.get $r)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next))))
    (i64.store (i32.const 8) (local.get $acc))
    (call $output_write (i32.const 8) (i32.const 8))))`;

/** Counts down from the first input byte in a loop, then writes nothing. */
export const COUNTDOWN = `(module ${HOST}
  (memory 1)
  (func (export "run") (local $i i32)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 1))
    (local.set $i (i32.load8_u (i32.const 0)))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $next)))))`;

/**
 * Writes 8-byte float bit patterns: 0/0, a NaN with a payload pushed
 * through arithmetic, the same via reinterpret, and copysign(1, -NaN).
 */
export const NAN_OUTPUTS = `(module ${HOST}
  (memory 1)
  (func (export "run") (local $weird f64)
    (local.set $weird (f64.reinterpret_i64 (i64.const 0xfff4000000000123)))
    (f64.store (i32.const 0) (f64.div (f64.const 0) (f64.const 0)))
    (f64.store (i32.const 8) (f64.add (local.get $weird) (f64.const 1)))
    (i64.store (i32.const 16) (i64.reinterpret_f64 (f64.mul (local.get $weird) (f64.const 2))))
    (f64.store (i32.const 24) (f64.copysign (f64.const 1) (f64.neg (f64.abs (local.get $weird)))))
    (f32.store (i32.const 32) (f32.sqrt (f32.const -1)))
    (i32.store (i32.const 36) (i32.reinterpret_f32 (f32.demote_f64 (local.get $weird))))
    (call $output_write (i32.const 0) (i32.const 40))))`;

/** Loops forever. */
export const INFINITE_LOOP = `(module (func (export "run") (loop $l (br $l))))`;

/** Grows memory one page at a time until refused, writes the final size (u32), then loops forever. */
export const MEMORY_BOMB = `(module ${HOST}
  (memory 1)
  (func (export "run")
    (block $full (loop $grow
      (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (br $grow)))
    (i32.store (i32.const 0) (memory.size))
    (call $output_write (i32.const 0) (i32.const 4))
    (loop $l (drop (memory.grow (i32.const 1))) (br $l))))`;

/** Grows memory until refused, then writes the final size as a u32 and stops. */
export const MEMORY_GROW_UNTIL_REFUSED = `(module ${HOST}
  (memory 1)
  (func (export "run")
    (block $full (loop $grow
      (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
      (br $grow)))
    (i32.store (i32.const 0) (memory.size))
    (call $output_write (i32.const 0) (i32.const 4))))`;

/** Traps with `unreachable`. */
export const UNREACHABLE = `(module (func (export "run") unreachable))`;

/** Traps dividing by zero. */
export const DIVIDE_BY_ZERO = `(module (func (export "run") (drop (i32.div_s (i32.const 1) (i32.const 0)))))`;

/** Initializes data past the end of its one-page memory (fails at instantiation). */
export const DATA_OUT_OF_BOUNDS = `(module (memory 1) (data (i32.const 65535) "xy") (func (export "run")))`;

/** Writes 1 KiB of output per iteration, forever. */
export const OUTPUT_FLOOD = `(module ${HOST}
  (memory 1)
  (func (export "run") (loop $l (call $output_write (i32.const 0) (i32.const 1024)) (br $l))))`;

/** Recurses without end (with ample fuel it stops at the call depth limit). */
export const DEEP_RECURSION = `(module
  (func $down (param i32) (result i32) (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "run") (drop (call $down (i32.const 0)))))`;

/** Recurses to the depth given by the input (u16 little-endian) and writes nothing. */
export const RECURSE_TO_DEPTH = `(module ${HOST}
  (memory 1)
  (func $down (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "run")
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 2))
    (drop (call $down (i32.load16_u (i32.const 0))))))`;

/** Reads past the end of its input. */
export const READ_PAST_INPUT = `(module ${HOST}
  (memory 1)
  (func (export "run") (call $input_read (i32.const 0) (i32.const 0) (i32.add (call $input_len) (i32.const 1)))))`;

/** Imports a function from outside the host API. */
export const FOREIGN_IMPORT = `(module (import "env" "now" (func (result f64))) (func (export "run")))`;

/** Imports a host function with the wrong signature. */
export const WRONG_HOST_SIGNATURE = `(module (import "concord" "input_len" (func (result i64))) (func (export "run")))`;

/** Imports a memory. */
export const IMPORTED_MEMORY = `(module (import "concord" "memory" (memory 1)) (func (export "run")))`;

/** Has no `run` export. */
export const MISSING_ENTRY = `(module (func (export "main")))`;

/** Its `run` takes an argument. */
export const ENTRY_WITH_PARAM = `(module (func (export "run") (param i32)))`;

/** Asks for 2000 pages of memory at start (over every limit). */
export const HUGE_MEMORY = `(module (memory 2000) (func (export "run")))`;

/** Has a start function. */
export const START_FUNCTION = `(module (func $init) (start $init) (func (export "run")))`;

/** Uses SIMD. */
export const SIMD = `(module (func (export "run") (drop (i32x4.splat (i32.const 1)))))`;

/** Declares a shared memory (threads). */
export const SHARED_MEMORY = `(module (memory 1 1 shared) (func (export "run")))`;

/** Uses bulk memory (memory.fill). */
export const BULK_MEMORY = `(module (memory 1)
  (func (export "run") (memory.fill (i32.const 0) (i32.const 0) (i32.const 10))))`;

/** Exports a name the runtime reserves. */
export const RESERVED_EXPORT = `(module (global (export "__concord_fuel") i32 (i32.const 0)) (func (export "run")))`;

/** Writes n (first input byte) f64 values mixing random draws with sqrt, division and NaN-producing steps. */
export const RANDOM_FLOATS = `(module ${HOST}
  (memory 1)
  (func (export "run") (local $n i32) (local $i i32) (local $x f64)
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 1))
    (local.set $n (i32.load8_u (i32.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $x (f64.convert_i64_s (call $rng_next)))
      (f64.store (i32.shl (local.get $i) (i32.const 3))
        (f64.div (f64.sqrt (local.get $x)) (f64.sub (local.get $x) (f64.nearest (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $output_write (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))))`;
