(module
 (type $0 (func (param f64) (result f64)))
 (type $1 (func))
 (type $2 (func (param f64 f64) (result f64)))
 (type $3 (func (param i32 i32)))
 (type $4 (func (param i32 i32 i32)))
 (type $5 (func (param i32) (result i32)))
 (type $6 (func (param v128) (result v128)))
 (type $7 (func (param f32) (result f32)))
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
 (func $exp_f32x4 (param $0 v128) (result v128)
  (local $1 v128)
  (local $2 v128)
  (local $3 v128)
  (local $4 v128)
  (local $5 v128)
  (local $6 v128)
  (local $7 v128)
  (local $8 v128)
  (local $9 v128)
  (local $10 v128)
  (local.set $1
   (f32x4.pmax
    (f32x4.pmin
     (local.get $0)
     (v128.const i32x4 0x42b20000 0x42b20000 0x42b20000 0x42b20000)
    )
    (v128.const i32x4 0xc2d20000 0xc2d20000 0xc2d20000 0xc2d20000)
   )
  )
  (local.set $2
   (f32x4.add
    (f32x4.mul
     (local.get $1)
     (v128.const i32x4 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b 0x3fb8aa3b)
    )
    (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)
   )
  )
  (local.set $3
   (f32x4.sub
    (local.get $2)
    (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)
   )
  )
  (local.set $4
   (f32x4.sub
    (local.get $1)
    (f32x4.mul
     (local.get $3)
     (v128.const i32x4 0x3f318000 0x3f318000 0x3f318000 0x3f318000)
    )
   )
  )
  (local.set $5
   (f32x4.sub
    (local.get $4)
    (f32x4.mul
     (local.get $3)
     (v128.const i32x4 0xb95e8083 0xb95e8083 0xb95e8083 0xb95e8083)
    )
   )
  )
  (local.set $6
   (f32x4.add
    (v128.const i32x4 0x3efffffe 0x3efffffe 0x3efffffe 0x3efffffe)
    (f32x4.mul
     (local.get $5)
     (f32x4.add
      (v128.const i32x4 0x3e2aaa45 0x3e2aaa45 0x3e2aaa45 0x3e2aaa45)
      (f32x4.mul
       (local.get $5)
       (f32x4.add
        (v128.const i32x4 0x3d2aac8b 0x3d2aac8b 0x3d2aac8b 0x3d2aac8b)
        (f32x4.mul
         (local.get $5)
         (f32x4.add
          (v128.const i32x4 0x3c091fdb 0x3c091fdb 0x3c091fdb 0x3c091fdb)
          (f32x4.mul
           (local.get $5)
           (v128.const i32x4 0x3ab50d47 0x3ab50d47 0x3ab50d47 0x3ab50d47)
          )
         )
        )
       )
      )
     )
    )
   )
  )
  (local.set $7
   (f32x4.add
    (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000)
    (f32x4.add
     (local.get $5)
     (f32x4.mul
      (f32x4.mul
       (local.get $5)
       (local.get $5)
      )
      (local.get $6)
     )
    )
   )
  )
  (local.set $8
   (i32x4.sub
    (local.get $2)
    (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000)
   )
  )
  (local.set $9
   (i32x4.shr_s
    (local.get $8)
    (i32.const 1)
   )
  )
  (local.set $10
   (f32x4.mul
    (f32x4.mul
     (local.get $7)
     (i32x4.shl
      (i32x4.add
       (local.get $9)
       (v128.const i32x4 0x0000007f 0x0000007f 0x0000007f 0x0000007f)
      )
      (i32.const 23)
     )
    )
    (i32x4.shl
     (i32x4.add
      (i32x4.sub
       (local.get $8)
       (local.get $9)
      )
      (v128.const i32x4 0x0000007f 0x0000007f 0x0000007f 0x0000007f)
     )
     (i32.const 23)
    )
   )
  )
  (local.get $10)
 )
 (func $exp_f32 (param $0 f32) (result f32)
  (f32x4.extract_lane 0
   (call $exp_f32x4
    (f32x4.splat
     (local.get $0)
    )
   )
  )
 )
 (func $k0
  (local $0 i32)
  (local $1 i32)
  (local.set $1
   (i32.const 0)
  )
  (block
   (local.set $0
    (i32.const 0)
   )
   (loop $axis0
    (block
     (f32.store offset=16
      (i32.shl
       (local.get $1)
       (i32.const 2)
      )
      (f32.add
       (f32.mul
        (call $exp_f32
         (f32.load
          (i32.shl
           (local.get $1)
           (i32.const 2)
          )
         )
        )
        (f32.const 2)
       )
       (f32.const 1)
      )
     )
     (local.set $1
      (i32.add
       (local.get $1)
       (i32.const 1)
      )
     )
    )
    (local.set $0
     (i32.add
      (local.get $0)
      (i32.const 1)
     )
    )
    (br_if $axis0
     (i32.lt_s
      (local.get $0)
      (i32.const 3)
     )
    )
   )
  )
 )
 (func $run
  (call $k0)
 )
 ;; custom section "kiln.program", size 64, contents: "5efce3c164ad2c8bafab199f0ce3a47b94ff0ddec219558ab932900e940f2f3c"
)
