;; Explicit finite-difference steps of the 1D heat equation u_t = alpha u_xx
;; with fixed (Dirichlet) ends:  u'[i] = u[i] + r * ((u[i-1] - 2 u[i]) + u[i+1]),
;; r = alpha dt / dx^2, for every interior cell, `steps` times.
;; Input:  u32 nx (3 .. 4194304), u32 steps, f64 r (0 < r <= 0.5, the stability
;;         limit), then nx f64 cells; all little-endian.
;; Output: the nx f64 cells after `steps` steps.
(module
  (import "concord" "input_len" (func $input_len (result i32)))
  (import "concord" "input_read" (func $input_read (param i32 i32 i32)))
  (import "concord" "output_write" (func $output_write (param i32 i32)))
  (memory (export "memory") 1)

  (func (export "run")
    (local $len i32) (local $nx i32) (local $steps i32) (local $r f64) (local $bytes i32)
    (local $a i32) (local $b i32) (local $p i32) (local $q i32) (local $last i32)
    (local $s i32) (local $t i32) (local $need i32)
    (local.set $len (call $input_len))
    (if (i32.lt_u (local.get $len) (i32.const 16)) (then unreachable))
    (call $input_read (i32.const 0) (i32.const 0) (i32.const 16))
    (local.set $nx (i32.load (i32.const 0)))
    (local.set $steps (i32.load (i32.const 4)))
    (local.set $r (f64.load (i32.const 8)))
    (if (i32.lt_u (local.get $nx) (i32.const 3)) (then unreachable))
    (if (i32.gt_u (local.get $nx) (i32.const 4194304)) (then unreachable))
    (local.set $bytes (i32.shl (local.get $nx) (i32.const 3)))
    (if (i32.ne (local.get $len) (i32.add (i32.const 16) (local.get $bytes))) (then unreachable))
    ;; 0 < r <= 0.5 (false for NaN too)
    (if (i32.eqz (f64.gt (local.get $r) (f64.const 0))) (then unreachable))
    (if (i32.eqz (f64.le (local.get $r) (f64.const 0.5))) (then unreachable))

    ;; Two grids after the 16-byte header; grow memory to hold them.
    (local.set $a (i32.const 16))
    (local.set $b (i32.add (local.get $a) (local.get $bytes)))
    (local.set $need
      (i32.shr_u (i32.add (i32.add (local.get $b) (local.get $bytes)) (i32.const 0xffff)) (i32.const 16)))
    (if (i32.gt_u (local.get $need) (memory.size))
      (then
        (if (i32.eq (memory.grow (i32.sub (local.get $need) (memory.size))) (i32.const -1))
          (then unreachable))))
    (call $input_read (local.get $a) (i32.const 16) (local.get $bytes))

    ;; The ends never change: copy them into the second grid once.
    (f64.store (local.get $b) (f64.load (local.get $a)))
    (local.set $t (i32.sub (local.get $bytes) (i32.const 8)))
    (f64.store (i32.add (local.get $b) (local.get $t)) (f64.load (i32.add (local.get $a) (local.get $t))))

    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $s) (local.get $steps)))
        ;; p walks cell i-1 of grid a, q cell i-1 of grid b, for i = 1 .. nx-2.
        (local.set $p (local.get $a))
        (local.set $q (local.get $b))
        (local.set $last (i32.add (local.get $a) (i32.sub (local.get $bytes) (i32.const 24))))
        (loop $cell
          (f64.store offset=8 (local.get $q)
            (f64.add
              (f64.load offset=8 (local.get $p))
              (f64.mul
                (local.get $r)
                (f64.add
                  (f64.sub (f64.load (local.get $p)) (f64.mul (f64.const 2) (f64.load offset=8 (local.get $p))))
                  (f64.load offset=16 (local.get $p))))))
          (local.set $p (i32.add (local.get $p) (i32.const 8)))
          (local.set $q (i32.add (local.get $q) (i32.const 8)))
          (br_if $cell (i32.le_u (local.get $p) (local.get $last))))
        (local.set $t (local.get $a))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $step)))
    (call $output_write (local.get $a) (local.get $bytes))))
