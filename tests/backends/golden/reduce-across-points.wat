(module
 (type $0 (func (param f64) (result f64)))
 (type $1 (func))
 (type $2 (func (param f64 f64) (result f64)))
 (type $3 (func (param i32 i32)))
 (type $4 (func (param i32 i32 i32)))
 (type $5 (func (param i32) (result i32)))
 (import "host" "log" (func $log (param f64) (result f64)))
 (import "host" "sin" (func $sin (param f64) (result f64)))
 (import "host" "cos" (func $cos (param f64) (result f64)))
 (import "host" "pow" (func $pow (param f64 f64) (result f64)))
 (import "host" "gather_range" (func $gather_range (param i32 i32)))
 (import "host" "load_range" (func $load_range (param i32 i32 i32)))
 (memory $0 1 1)
 (export "memory" (memory $0))
 (export "run" (func $run))
 (func $mix32 (param $0 i32) (result i32)
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 16)
    )
   )
  )
  (local.set $0
   (i32.mul
    (local.get $0)
    (i32.const 2146121005)
   )
  )
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 15)
    )
   )
  )
  (local.set $0
   (i32.mul
    (local.get $0)
    (i32.const -2073254261)
   )
  )
  (local.set $0
   (i32.xor
    (local.get $0)
    (i32.shr_u
     (local.get $0)
     (i32.const 16)
    )
   )
  )
  (local.get $0)
 )
 (func $k0
  (local $0 i32)
  (local $1 i32)
  (local $2 i32)
  (local $3 v128)
  (local $4 v128)
  (local.set $2
   (i32.const 0)
  )
  (block
   (local.set $0
    (i32.const 0)
   )
   (if
    (i32.le_s
     (local.get $0)
     (i32.sub
      (i32.const 4)
      (i32.const 4)
     )
    )
    (then
     (loop $lanes1
      (local.set $3
       (v128.const i32x4 0xff800000 0xff800000 0xff800000 0xff800000)
      )
      (block
       (local.set $1
        (i32.const 0)
       )
       (loop $axis0
        (block
         (local.set $4
          (v128.load align=4
           (i32.shl
            (i32.add
             (local.get $0)
             (i32.mul
              (local.get $1)
              (i32.const 4)
             )
            )
            (i32.const 2)
           )
          )
         )
         (local.set $3
          (v128.bitselect
           (local.get $4)
           (local.get $3)
           (v128.andnot
            (f32x4.eq
             (local.get $3)
             (local.get $3)
            )
            (f32x4.le
             (local.get $4)
             (local.get $3)
            )
           )
          )
         )
        )
        (local.set $1
         (i32.add
          (local.get $1)
          (i32.const 1)
         )
        )
        (br_if $axis0
         (i32.lt_s
          (local.get $1)
          (i32.const 3)
         )
        )
       )
      )
      (v128.store offset=48 align=4
       (i32.shl
        (local.get $2)
        (i32.const 2)
       )
       (local.get $3)
      )
      (local.set $2
       (i32.add
        (local.get $2)
        (i32.const 4)
       )
      )
      (local.set $0
       (i32.add
        (local.get $0)
        (i32.const 4)
       )
      )
      (br_if $lanes1
       (i32.le_s
        (local.get $0)
        (i32.sub
         (i32.const 4)
         (i32.const 4)
        )
       )
      )
     )
    )
   )
  )
 )
 (func $run
  (call $k0)
 )
 ;; custom section "kiln.program", size 64, contents: "757974f79f8e3822d65b3fabf33996cae173b1299acaa1d77e814839a71c9712"
)
