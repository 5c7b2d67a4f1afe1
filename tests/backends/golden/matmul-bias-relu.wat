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
  (local $3 i32)
  (local $4 v128)
  (local $5 i32)
  (local $6 i32)
  (local $7 i32)
  (local $8 i32)
  (local $9 i32)
  (local $10 i32)
  (local $11 i32)
  (local $12 i32)
  (local $13 i32)
  (local $14 f32)
  (local $15 v128)
  (local $16 v128)
  (local $17 v128)
  (local $18 v128)
  (local $19 v128)
  (local $20 v128)
  (local $21 f32)
  (local.set $5
   (i32.const 0)
  )
  (local.set $7
   (i32.const 0)
  )
  (local.set $1
   (local.get $7)
  )
  (local.set $2
   (i32.const 0)
  )
  (local.set $12
   (i32.add
    (i32.shl
     (i32.add
      (local.get $1)
      (i32.mul
       (local.get $2)
       (i32.const 5)
      )
     )
     (i32.const 2)
    )
    (i32.const 16)
   )
  )
  (local.set $13
   (i32.const 128)
  )
  (local.set $10
   (i32.const 2)
  )
  (loop $pack0
   (f32.store
    (local.get $13)
    (f32.load
     (local.get $12)
    )
   )
   (f32.store offset=4
    (local.get $13)
    (f32.load offset=4
     (local.get $12)
    )
   )
   (f32.store offset=8
    (local.get $13)
    (f32.load offset=8
     (local.get $12)
    )
   )
   (f32.store offset=12
    (local.get $13)
    (f32.load offset=12
     (local.get $12)
    )
   )
   (f32.store offset=16
    (local.get $13)
    (f32.load offset=16
     (local.get $12)
    )
   )
   (f32.store offset=20
    (local.get $13)
    (f32.const 0)
   )
   (f32.store offset=24
    (local.get $13)
    (f32.const 0)
   )
   (f32.store offset=28
    (local.get $13)
    (f32.const 0)
   )
   (local.set $12
    (i32.add
     (local.get $12)
     (i32.const 20)
    )
   )
   (local.set $13
    (i32.add
     (local.get $13)
     (i32.const 32)
    )
   )
   (local.set $10
    (i32.add
     (local.get $10)
     (i32.const -1)
    )
   )
   (br_if $pack0
    (local.get $10)
   )
  )
  (local.set $6
   (i32.const 0)
  )
  (local.set $0
   (local.get $6)
  )
  (local.set $1
   (local.get $7)
  )
  (local.set $2
   (i32.const 0)
  )
  (local.set $8
   (i32.add
    (i32.shl
     (local.get $2)
     (i32.const 2)
    )
    (i32.const 0)
   )
  )
  (local.set $9
   (i32.const 128)
  )
  (local.set $11
   (i32.const 2)
  )
  (local.set $15
   (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  )
  (local.set $16
   (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  )
  (loop $k1
   (local.set $17
    (v128.load align=4
     (local.get $9)
    )
   )
   (local.set $18
    (v128.load offset=16 align=4
     (local.get $9)
    )
   )
   (local.set $19
    (v128.load32_splat
     (local.get $8)
    )
   )
   (local.set $15
    (f32x4.add
     (local.get $15)
     (f32x4.mul
      (local.get $19)
      (local.get $17)
     )
    )
   )
   (local.set $16
    (f32x4.add
     (local.get $16)
     (f32x4.mul
      (local.get $19)
      (local.get $18)
     )
    )
   )
   (local.set $8
    (i32.add
     (local.get $8)
     (i32.const 4)
    )
   )
   (local.set $9
    (i32.add
     (local.get $9)
     (i32.const 32)
    )
   )
   (local.set $11
    (i32.add
     (local.get $11)
     (i32.const -1)
    )
   )
   (br_if $k1
    (local.get $11)
   )
  )
  (local.set $0
   (i32.add
    (local.get $6)
    (i32.const 0)
   )
  )
  (local.set $1
   (i32.add
    (local.get $7)
    (i32.const 0)
   )
  )
  (local.set $3
   (i32.add
    (local.get $5)
    (i32.add
     (i32.mul
      (local.get $0)
      (i32.const 5)
     )
     (local.get $1)
    )
   )
  )
  (local.set $4
   (local.get $15)
  )
  (v128.store offset=96 align=4
   (i32.shl
    (local.get $3)
    (i32.const 2)
   )
   (block (result v128)
    (local.set $20
     (f32x4.add
      (local.get $4)
      (v128.load offset=64 align=4
       (i32.shl
        (local.get $3)
        (i32.const 2)
       )
      )
     )
    )
    (v128.bitselect
     (local.get $20)
     (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
     (f32x4.gt
      (local.get $20)
      (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
     )
    )
   )
  )
  (local.set $0
   (i32.add
    (local.get $6)
    (i32.const 0)
   )
  )
  (local.set $1
   (i32.add
    (local.get $7)
    (i32.const 4)
   )
  )
  (local.set $3
   (i32.add
    (local.get $5)
    (i32.add
     (i32.mul
      (local.get $0)
      (i32.const 5)
     )
     (local.get $1)
    )
   )
  )
  (local.set $14
   (f32x4.extract_lane 0
    (local.get $16)
   )
  )
  (block
   (f32.store offset=96
    (i32.shl
     (local.get $3)
     (i32.const 2)
    )
    (block (result f32)
     (local.set $21
      (f32.add
       (local.get $14)
       (f32.load offset=64
        (i32.shl
         (local.get $3)
         (i32.const 2)
        )
       )
      )
     )
     (select
      (local.get $21)
      (f32.const 0)
      (f32.gt
       (local.get $21)
       (f32.const 0)
      )
     )
    )
   )
  )
 )
 (func $run
  (call $k0)
 )
 ;; custom section "kiln.program", size 64, contents: "b0ab638c19f1e3129b3f24d02317ecdb8d6de431468c7e9dd8290b0ed7c8c680"
)
