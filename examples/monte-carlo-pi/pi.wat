;; Estimates pi by Monte Carlo with the run's seeded random stream.
;; Input:  u32 little-endian N (number of samples, >= 1), 4 bytes.
;; Output: f64 estimate (4 * hits / N), u64 hits, u64 N; 24 bytes, little-endian.
(module
  (import "concord" "input_len" (func $input_len (result i32)))
  (import "concord" "input_read" (func $input_read (param i32 i32 i32)))
  (import "concord" "output_write" (func $output_write (param i32 i32)))
  (import "concord" "rng_next" (func $rng_next (result i64)))
  (memory (export "memory") 1 1)

  ;; A uniform double in [0, 1): the top 53 bits of a draw, times 2^-53 (exact).
  (func $uniform (result f64)
    (f64.mul
      (f64.convert_i64_u (i64.shr_u (call $rng_next) (i64.const 11)))
      (f64.const 0x1p-53)))

  (func (export "run")
    (local $n i32) (local $i i32) (local $hits i64) (local $x f64) (local $y f64)
    (if (i32.ne (call $input_len) (i32.const 4)) (then unreachable))
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 4))
    (local.set $n (i32.load (i32.const 0)))
    (if (i32.eqz (local.get $n)) (then unreachable))
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (call $uniform))
        (local.set $y (call $uniform))
        (if (f64.lt
              (f64.add (f64.mul (local.get $x) (local.get $x)) (f64.mul (local.get $y) (local.get $y)))
              (f64.const 1))
          (then (local.set $hits (i64.add (local.get $hits) (i64.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sample)))
    (f64.store (i32.const 0)
      (f64.div
        (f64.mul (f64.const 4) (f64.convert_i64_u (local.get $hits)))
        (f64.convert_i32_u (local.get $n))))
    (i64.store (i32.const 8) (local.get $hits))
    (i64.store (i32.const 16) (i64.extend_i32_u (local.get $n)))
    (call $output_write (i32.const 0) (i32.const 24))))
